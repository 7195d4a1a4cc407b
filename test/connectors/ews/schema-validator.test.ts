/**
 * The schema check must be able to fail: a validator that accepts everything would make every
 * "validated" count in the EWS server tests meaningless.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { EwsSchemaValidator, describeFailure } from '../../support/ews/schema-validator.js';

const M = 'http://schemas.microsoft.com/exchange/services/2006/messages';
const T = 'http://schemas.microsoft.com/exchange/services/2006/types';
const S = 'http://schemas.xmlsoap.org/soap/envelope/';

function envelope(body: string, header = `<t:RequestServerVersion Version="Exchange2013"/>`): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="${S}" xmlns:m="${M}" xmlns:t="${T}"><soap:Header>${header}</soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`;
}

const VALID_GET_FOLDER = `<m:GetFolder><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>`;

describe('EwsSchemaValidator', () => {
  const validator = new EwsSchemaValidator();
  afterAll(() => validator.dispose());

  it('accepts a valid GetFolder request and its headers', async () => {
    const v = await validator.validateSoap(envelope(VALID_GET_FOLDER));
    expect(describeFailure(v)).toBe('');
    expect(v.valid).toBe(true);
    expect(v.bodyElement).toBe('GetFolder');
    expect(v.parts.map((p) => p.part)).toEqual(['Body', 'Header/RequestServerVersion']);
  });

  it('accepts a valid response with a default-namespace body', async () => {
    const body = `<GetFolderResponse xmlns="${M}"><ResponseMessages><GetFolderResponseMessage ResponseClass="Error"><MessageText>x</MessageText><ResponseCode>ErrorItemNotFound</ResponseCode><DescriptiveLinkKey>0</DescriptiveLinkKey></GetFolderResponseMessage></ResponseMessages></GetFolderResponse>`;
    const v = await validator.validateSoap(envelope(body, `<t:ServerVersionInfo MajorVersion="15" Version="V2017_07_11"/>`));
    expect(describeFailure(v)).toBe('');
  });

  it.each([
    [
      'a wrong element',
      `<m:GetFolders><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolders>`,
      'No matching global declaration',
    ],
    [
      'a missing required child (FolderShape)',
      `<m:GetFolder><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>`,
      'FolderShape',
    ],
    ['a bad enumeration value (BaseShape)', VALID_GET_FOLDER.replace('AllProperties', 'Everything'), 'enumeration'],
    ['a bad distinguished folder id', VALID_GET_FOLDER.replace('inbox', 'in-box'), 'enumeration'],
    [
      'a child in the wrong namespace',
      VALID_GET_FOLDER.replace('<t:BaseShape>AllProperties</t:BaseShape>', '<m:BaseShape>AllProperties</m:BaseShape>'),
      'BaseShape',
    ],
  ])('rejects %s', async (_what, body, expected) => {
    const v = await validator.validateSoap(envelope(body));
    expect(v.valid).toBe(false);
    expect(describeFailure(v)).toContain(expected);
  });

  it('rejects a bad header (RequestServerVersion with an unknown version)', async () => {
    const v = await validator.validateSoap(envelope(VALID_GET_FOLDER, `<t:RequestServerVersion Version="Exchange2099"/>`));
    expect(v.valid).toBe(false);
    expect(describeFailure(v)).toMatch(/^Header\/RequestServerVersion: .*Exchange2099/);
  });

  it('rejects an ExchangeImpersonation header without a ConnectingSID', async () => {
    const v = await validator.validateSoap(envelope(VALID_GET_FOLDER, `<t:ExchangeImpersonation/>`));
    expect(v.valid).toBe(false);
    expect(describeFailure(v)).toContain('Header/ExchangeImpersonation');
  });

  it('rejects what is not a SOAP message', async () => {
    expect((await validator.validateSoap('<m:GetFolder xmlns:m="urn:x"/>')).valid).toBe(false);
    expect((await validator.validateSoap(`<soap:Envelope xmlns:soap="${S}"><soap:Body>`)).valid).toBe(false);
    expect((await validator.validateSoap(envelope(''))).valid).toBe(false);
  });

  it('checks with libxml2 and gives the same verdicts as xmllint, including on a body with a misplaced element', async () => {
    // CI installs gcc and libxml2-dev (.ci/run): the fast checker must be the one running there.
    if (process.env.CI) expect(await validator.engine()).toBe('libxml2-daemon');
    const body =
      '<m:GetFolder xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">' +
      '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape></m:GetFolder>';
    const daemonVerdict = await validator.validateSoap(envelope(body));
    const xmllintVerdict = await (
      validator as unknown as { validateWithXmllint(d: { part: string; xml: string }[]): Promise<{ valid: boolean }[]> }
    ).validateWithXmllint([{ part: 'Body', xml: body }]);
    expect(daemonVerdict.valid).toBe(false);
    expect(xmllintVerdict[0]!.valid).toBe(false);
    expect(daemonVerdict.parts[0]!.errors.join(' ')).toMatch(/FolderIds|FolderShape/);
  });

  it('counts messages and failures and reports the time per validation', () => {
    expect(validator.stats.messages).toBe(13);
    expect(validator.stats.failures).toBe(11);
    expect(validator.msPerMessage).toBeGreaterThan(0);
    console.info(`EWS schema validation: ${validator.msPerMessage.toFixed(1)} ms per message`);
  });
});
