import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../api/core/errors.js';
import {
  DEFAULT_SUPPORT_OPTIONS,
  MASKED_SECRET,
  SUPPORT_OPTION_KEYS,
  maskSupportOptions,
  mergeMaskedUpdate,
  parseSupportOptions,
  resolveSupportOptions,
} from '../../api/core/support-options.js';

const CLIENT_ID = '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
const TENANT_ID = '11111111-2222-3333-4444-555555555555';
const SECRET = 's3cr3t~Value.With=Signs';

function parse(...lines: string[]) {
  return parseSupportOptions(lines);
}

function problemsOf(...lines: string[]) {
  return parse(...lines).problems;
}

describe('parseSupportOptions', () => {
  it('returns the defaults for no lines and ignores blank ones', () => {
    const { options, problems } = parse('', '   ');
    expect(problems).toEqual([]);
    expect(options).toEqual({ ...DEFAULT_SUPPORT_OPTIONS, folderFilters: [], folderMappings: [], recipientMappings: [], modernAuth: {} });
    expect(options.maxErrors).toBe(100);
    expect(options.connectionsPerMailbox).toBe(1);
    expect(options.pipelineDepth).toBe(32);
    expect(options.allowQuoteInFolder).toBeUndefined(); // keep " unless the destination refuses the name
    expect(options.maxItemSizeBytes).toBeUndefined();
  });

  it("keeps DEFAULT_SUPPORT_OPTIONS frozen so no caller can change everyone's defaults", () => {
    expect(Object.isFrozen(DEFAULT_SUPPORT_OPTIONS)).toBe(true);
    expect(Object.isFrozen(DEFAULT_SUPPORT_OPTIONS.folderFilters)).toBe(true);
    const { options } = parse('FolderFilter=^Junk$');
    options.folderFilters.push(...options.folderFilters);
    expect(DEFAULT_SUPPORT_OPTIONS.folderFilters).toHaveLength(0);
  });

  it('matches keys case-insensitively and tolerates spaces around =', () => {
    const { options, problems } = parse('  maxerrors =  7 ', 'PIPELINEDEPTH=64');
    expect(problems).toEqual([]);
    expect(options.maxErrors).toBe(7);
    expect(options.pipelineDepth).toBe(64);
  });

  it('compiles FolderFilter case-insensitively, so ^(?!Inbox$|Calendar$) excludes everything but Inbox and Calendar', () => {
    const [filter] = parse('FolderFilter=^(?!Inbox$|Calendar$)').options.folderFilters;
    expect(filter!.test('INBOX')).toBe(false);
    expect(filter!.test('calendar')).toBe(false);
    expect(filter!.test('Sent Items')).toBe(true);
    expect(filter!.test('Inbox/Sub')).toBe(true);
  });

  it('collects every FolderFilter line because the key is repeatable', () => {
    const { options, problems } = parse('FolderFilter=^Junk', 'FolderFilter="^Trash$"');
    expect(problems).toEqual([]);
    expect(options.folderFilters.map((f) => f.source)).toEqual(['^Junk', '^Trash$']);
  });

  it("reports an invalid regular expression in the engine's words, naming the option and the pattern", () => {
    const { options, problems } = parse('FolderFilter=^(Inbox', 'FolderMapping="[a-->x"');
    expect(options.folderFilters).toEqual([]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatchObject({ index: 0, key: 'FolderFilter', field: 'options[0]' });
    expect(problems[0]!.message).toContain('FolderFilter "^(Inbox" is not a regular expression Mailferry can use');
    expect(problems[0]!.message).toContain('missing closing )');
    expect(problems[1]).toMatchObject({ index: 1, key: 'FolderMapping' });
    expect(problems[1]!.message).toContain('missing closing ]');
  });

  it('asks for a pattern when FolderFilter is empty', () => {
    expect(problemsOf('FolderFilter=')[0]!.message).toContain('needs a regular expression');
  });

  it('unquotes values, turning \\" into " and keeping regex escapes such as \\. and \\\\', () => {
    const { options, problems } = parse('FolderFilter="^Say \\"hi\\"$"', 'FolderFilter="^INBOX\\.Archive\\\\"');
    expect(problems).toEqual([]);
    expect(options.folderFilters[0]!.source).toBe('^Say "hi"$');
    expect(options.folderFilters[0]!.test('say "HI"')).toBe(true);
    expect(options.folderFilters[1]!.source).toBe('^INBOX\\.Archive\\\\');
  });

  it('takes an unquoted value verbatim, including = and quotes after the first character', () => {
    const { options } = parse('FolderFilter=^a=b"c$');
    expect(options.folderFilters[0]!.source).toBe('^a=b"c$');
  });

  it('reports a quote that is never closed and text after a closing quote', () => {
    const problems = problemsOf('FolderFilter="^Inbox', 'FolderFilter="^Inbox" trailing');
    expect(problems.map((p) => p.index)).toEqual([0, 1]);
    expect(problems[0]!.message).toContain('never closed');
    expect(problems[1]!.message).toContain('text follows the closing quote');
  });

  it('parses FolderMapping rules in order with $1 groups', () => {
    const { options, problems } = parse('FolderMapping="^INBOX/Archive->Archive"', 'FolderMapping="^Projects/(\\d{4})->Old/$1"');
    expect(problems).toEqual([]);
    expect(options.folderMappings).toHaveLength(2);
    expect(options.folderMappings[0]!.pattern.source).toBe('^INBOX/Archive');
    expect(options.folderMappings[0]!.pattern.test('inbox/archive')).toBe(true);
    const rule = options.folderMappings[1]!;
    expect(rule.pattern.replaceFirst('projects/2019/x', rule.replacement)).toBe('Old/2019/x');
  });

  it('rejects a FolderMapping without -> or referring to a group the pattern lacks', () => {
    const problems = problemsOf('FolderMapping="^INBOX/Archive"', 'FolderMapping="^(Old)/(.*)->$3"');
    expect(problems[0]!.message).toContain('"->" is missing');
    expect(problems[1]!.message).toContain('uses $3');
    expect(problems[1]!.message).toContain('has 2 capture group(s)');
  });

  it('parses RecipientMapping for domains and addresses, lower-cased', () => {
    const { options, problems } = parse('RecipientMapping="@Src.COM->@dst.com"', 'RecipientMapping="Bob@Src.com->robert@dst.com"');
    expect(problems).toEqual([]);
    expect(options.recipientMappings).toEqual([
      { from: '@src.com', to: '@dst.com' },
      { from: 'bob@src.com', to: 'robert@dst.com' },
    ]);
  });

  it('says which side of a RecipientMapping is wrong, and refuses mixing a domain with an address', () => {
    const problems = problemsOf(
      'RecipientMapping="@src->@dst.com"',
      'RecipientMapping="@src.com->bob"',
      'RecipientMapping="@src.com->bob@dst.com"',
      'RecipientMapping=@a.com',
    );
    expect(problems[0]!.message).toContain('the left side "@src" is not a usable @domain');
    expect(problems[1]!.message).toContain('the right side "bob" is neither an @domain nor an address');
    expect(problems[2]!.message).toContain('mix the two');
    expect(problems[3]!.message).toContain('needs the form');
  });

  it('reads AllowQuoteInFolder as 1 or 0 only', () => {
    expect(parse('AllowQuoteInFolder=1').options.allowQuoteInFolder).toBe(true);
    expect(parse('AllowQuoteInFolder=0').options.allowQuoteInFolder).toBe(false);
    expect(problemsOf('AllowQuoteInFolder=yes')[0]!.message).toContain('takes 1 (keep ") or 0');
  });

  it('reads EwsStreamToGraph as try (the default) or never, and says what each does otherwise', () => {
    expect(parse().options.ewsStreamToGraph).toBe('try');
    expect(parse('EwsStreamToGraph=never').options.ewsStreamToGraph).toBe('never');
    expect(parse('ewsstreamtograph=Try').options.ewsStreamToGraph).toBe('try');
    expect(problemsOf('EwsStreamToGraph=no')[0]!.message).toBe(
      'EwsStreamToGraph takes try (offer Exchange Online the EWS export stream first, MIME after a refusal) or never (mail as MIME only), not "no".',
    );
    expect(resolveSupportOptions(['EwsStreamToGraph=never'], ['EwsStreamToGraph=try']).ewsStreamToGraph).toBe('try');
  });

  it('accepts MaxItemSizeBytes as plain bytes and explains that suffixes are not accepted', () => {
    expect(parse('MaxItemSizeBytes=157286400').options.maxItemSizeBytes).toBe(157286400);
    const [suffix, zero] = problemsOf('MaxItemSizeBytes=150MB', 'MaxItemSizeBytes=0');
    expect(suffix!.index).toBe(0);
    expect(zero!.index).toBe(1);
    expect(suffix!.message).toContain('suffixes such as MB are not accepted');
    expect(suffix!.message).toContain('1 or more');
    expect(zero!.message).toContain('not "0"');
  });

  it('accepts MaxErrors=0 but not negative or fractional counts', () => {
    expect(parse('MaxErrors=0').options.maxErrors).toBe(0);
    const problems = problemsOf('MaxErrors=-1');
    expect(problems[0]!.message).toBe('MaxErrors must be a whole number 0 or more, not "-1".');
    expect(problemsOf('MaxErrors=1.5')).toHaveLength(1);
  });

  it('states the range for ConnectionsPerMailbox (1..10) and PipelineDepth (1..256)', () => {
    expect(parse('ConnectionsPerMailbox=10', 'PipelineDepth=256').problems).toEqual([]);
    const problems = problemsOf('ConnectionsPerMailbox=11', 'PipelineDepth=257');
    expect(problems[0]!.message).toContain('from 1 to 10');
    expect(problems[1]!.message).toContain('from 1 to 256');
  });

  it('reads Modern Auth ids (tenant as GUID or domain) and secrets', () => {
    const { options, problems } = parse(
      `ModernAuthClientIdExport=${CLIENT_ID.toUpperCase()}`,
      `ModernAuthTenantIdExport=${TENANT_ID}`,
      `ModernAuthClientSecretExport="${SECRET}"`,
      `ModernAuthClientIdImport=${CLIENT_ID}`,
      'ModernAuthTenantIdImport=Contoso.onmicrosoft.com',
      `ModernAuthClientSecretImport=${SECRET}`,
    );
    expect(problems).toEqual([]);
    expect(options.modernAuth).toEqual({
      clientIdExport: CLIENT_ID,
      tenantIdExport: TENANT_ID,
      clientSecretExport: SECRET,
      clientIdImport: CLIENT_ID,
      tenantIdImport: 'contoso.onmicrosoft.com',
      clientSecretImport: SECRET,
    });
  });

  it('rejects a client id that is not a GUID', () => {
    expect(problemsOf('ModernAuthClientIdImport=my-app')[0]!.message).toContain('a GUID like');
  });

  it('names the nearest known key and lists all of them for an unknown key', () => {
    const [problem] = problemsOf('FolderFiltr=^Junk');
    expect(problem).toMatchObject({ index: 0, field: 'options[0]' });
    expect(problem!.key).toBeUndefined();
    expect(problem!.message).toContain('Did you mean FolderFilter?');
    for (const key of SUPPORT_OPTION_KEYS) expect(problem!.message).toContain(key);
  });

  it('does not guess a key for something far from every known one', () => {
    expect(problemsOf('Colour=blue')[0]!.message).not.toContain('Did you mean');
  });

  it('reports a line without = and a line without a key', () => {
    const problems = problemsOf('FolderFilter', '=1');
    expect(problems[0]!.message).toContain('write it as Key=Value');
    expect(problems[1]!.message).toContain('no name before "="');
  });

  it('reports a single-valued key given twice, naming the first line, and keeps the first value', () => {
    const { options, problems } = parse('MaxErrors=5', 'maxerrors=9');
    expect(options.maxErrors).toBe(5);
    expect(problems).toEqual([
      { index: 1, key: 'MaxErrors', field: 'options[1]', message: expect.stringContaining('already set on line 1') },
    ]);
  });

  it('reports a bad value on a repeated single-valued key as a bad value, and lets a later good line count', () => {
    const { options, problems } = parse('PipelineDepth=0', 'PipelineDepth=8', 'PipelineDepth=x');
    expect(options.pipelineDepth).toBe(8);
    expect(problems.map((p) => [p.index, p.message.includes('from 1 to 256')])).toEqual([
      [0, true],
      [2, true],
    ]);
  });

  it('shows patterns as typed', () => {
    expect(parse('FolderFilter=^INBOX/Archive').options.folderFilters[0]!.source).toBe('^INBOX/Archive');
    expect(parse(String.raw`FolderFilter=a\\/b`).options.folderFilters[0]!.source).toBe(String.raw`a\\/b`);
  });

  it('prefixes problem fields with the field name given', () => {
    expect(parseSupportOptions(['Nope=1'], 'item.options').problems[0]!.field).toBe('item.options[0]');
  });

  it('never throws, whatever the lines hold', () => {
    const junk = [
      '"',
      '=',
      '==',
      '\\',
      'FolderMapping=->',
      'FolderMapping="(->$1"',
      'RecipientMapping=->',
      '\u0000=\u0000',
      'MaxErrors=99999999999999999999',
    ];
    expect(() => parse(...junk)).not.toThrow();
    expect(problemsOf(...junk).length).toBeGreaterThanOrEqual(junk.length - 1);
  });

  it('never repeats a secret in a problem message', () => {
    const problems = problemsOf(
      `ModernAuthClientSecretExport="${SECRET}" oops`,
      `ModernAuthClientSecretExport=${SECRET}`,
      `ModernAuthClientSecretExport=${SECRET}`,
    );
    expect(problems).toHaveLength(2);
    for (const problem of problems) expect(problem.message).not.toContain(SECRET);
  });
});

describe('resolveSupportOptions', () => {
  it("lets item scalars override the project and puts the item's repeatable rules first", () => {
    const options = resolveSupportOptions(
      ['MaxErrors=10', 'FolderFilter=^Project$', 'FolderMapping="^A->P"', 'AllowQuoteInFolder=1', `ModernAuthClientIdExport=${CLIENT_ID}`],
      ['MaxErrors=3', 'FolderFilter=^Item$', 'FolderMapping="^A->I"', `ModernAuthTenantIdExport=${TENANT_ID}`],
    );
    expect(options.maxErrors).toBe(3);
    expect(options.allowQuoteInFolder).toBe(true);
    expect(options.pipelineDepth).toBe(32);
    expect(options.folderFilters.map((f) => f.source)).toEqual(['^Item$', '^Project$']);
    expect(options.folderMappings.map((m) => m.replacement)).toEqual(['I', 'P']);
    expect(options.modernAuth).toEqual({ clientIdExport: CLIENT_ID, tenantIdExport: TENANT_ID });
  });

  it('lets an item turn off what the project turned on', () => {
    expect(resolveSupportOptions(['AllowQuoteInFolder=1'], ['AllowQuoteInFolder=0']).allowQuoteInFolder).toBe(false);
  });

  it('throws one ValidationError on field options that lists every problem of both lists', () => {
    let caught: unknown;
    try {
      resolveSupportOptions(['FolderFilter=(', 'MaxErrors=x'], ['PipelineDepth=0']);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    const error = caught as ValidationError;
    expect(error.field).toBe('options');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('project support options, line 1: FolderFilter "("');
    expect(error.message).toContain('project support options, line 2: MaxErrors');
    expect(error.message).toContain('item support options, line 1: PipelineDepth');
  });
});

describe('masking secrets', () => {
  const stored = [
    `ModernAuthClientIdExport=${CLIENT_ID}`,
    `modernauthclientsecretexport = "${SECRET}"`,
    `ModernAuthClientSecretImport=${SECRET}-import`,
    'FolderFilter=^Junk$',
  ];

  it('replaces only secret values with ******** under the canonical key', () => {
    expect(maskSupportOptions(stored)).toEqual([
      `ModernAuthClientIdExport=${CLIENT_ID}`,
      `ModernAuthClientSecretExport=${MASKED_SECRET}`,
      `ModernAuthClientSecretImport=${MASKED_SECRET}`,
      'FolderFilter=^Junk$',
    ]);
  });

  it('also masks a misspelt secret key and a secret line whose quote is broken', () => {
    const masked = maskSupportOptions([`ModernAuthClientSecretExprt=${SECRET}`, `ModernAuthClientSecretImport="${SECRET}`]);
    expect(masked.join('\n')).not.toContain(SECRET);
    expect(masked[0]).toBe(`ModernAuthClientSecretExprt=${MASKED_SECRET}`);
  });

  it('round-trips: saving the masked lines unchanged keeps the stored secrets', () => {
    const merged = mergeMaskedUpdate(stored, maskSupportOptions(stored));
    expect(merged).toEqual(stored);
    expect(parseSupportOptions(merged).options.modernAuth.clientSecretExport).toBe(SECRET);
  });

  it('takes a newly typed secret and the other edits as sent', () => {
    const incoming = [...maskSupportOptions(stored)];
    incoming[2] = 'ModernAuthClientSecretImport=new-secret';
    incoming[3] = 'FolderFilter=^Spam$';
    const merged = mergeMaskedUpdate(stored, incoming);
    expect(merged).toEqual([stored[0], stored[1], 'ModernAuthClientSecretImport=new-secret', 'FolderFilter=^Spam$']);
  });

  it('leaves a masked secret with nothing stored masked, and parsing asks for the secret', () => {
    const merged = mergeMaskedUpdate([], [`ModernAuthClientSecretExport=${MASKED_SECRET}`]);
    expect(merged).toEqual([`ModernAuthClientSecretExport=${MASKED_SECRET}`]);
    expect(parseSupportOptions(merged).problems[0]!.message).toContain('still masked');
  });
});
