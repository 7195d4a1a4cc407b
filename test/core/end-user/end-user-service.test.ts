import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MailConnector, MailboxSession } from '../../../api/core/connector.js';
import { CredentialLinkError, LinkKeyring, MAX_LINK_ATTEMPTS } from '../../../api/core/end-user/credential-link.js';
import { EndUserService } from '../../../api/core/end-user/end-user-service.js';
import { AuthError, ConnectionError, ValidationError } from '../../../api/core/errors.js';
import type { MailMessage, Mailer } from '../../../api/core/ports.js';
import { parseInput, passInput } from '../../../api/core/schemas.js';
import { EmbeddedRuntime, LOCAL_TENANT } from '../../../api/local/embedded-runtime.js';
import { makeTempDir, type TempDir } from '../../adapters/temp-dir.js';
import { silentLog } from '../../support/migration-fixture.js';

/** The source answers as this says; lets a test decide what the "server" thinks of a password. */
let sourceAnswer: 'ok' | 'auth' | 'down' = 'auth';
const scriptedSource: MailConnector = {
  open: async (access) => {
    if (sourceAnswer === 'auth') throw new AuthError(`IMAP login as "${access.login}" failed (admin hint: master user).`);
    if (sourceAnswer === 'down') throw new ConnectionError(`connect ECONNREFUSED while using ${access.password}`);
    return { close: async () => undefined } as MailboxSession;
  },
};

describe('EndUserService', () => {
  let dir: TempDir;
  let runtime: EmbeddedRuntime;
  let service: EndUserService;
  const sent: MailMessage[] = [];
  const mailer: Mailer = { send: async (message) => void sent.push(message) };
  let itemId: string;
  let passId: string;

  beforeEach(async () => {
    dir = makeTempDir();
    sent.length = 0;
    sourceAnswer = 'auth';
    runtime = await EmbeddedRuntime.open({ dataDir: dir.path, log: silentLog, connectors: { imap: scriptedSource } });
    const s = runtime.services;
    const endpoint = (name: string) =>
      s.projects.createEndpoint(LOCAL_TENANT, {
        name,
        kind: 'imap',
        host: '127.0.0.1',
        port: 1,
        security: 'none',
        allowSelfSigned: false,
        adminMode: 'none',
        authMechanism: 'password',
        domains: [],
      });
    const [src, dst] = [await endpoint('Source'), await endpoint('Destination')];
    const project = await s.projects.createProject(LOCAL_TENANT, {
      name: 'Unit',
      sourceEndpointId: src.id,
      destinationEndpointId: dst.id,
      options: [],
      maxConcurrentMigrations: 2,
    });
    itemId = (
      await s.items.addItem(LOCAL_TENANT, project.id, {
        sourceAddress: 'carol@src.test',
        destinationAddress: 'carol@dst.test',
        endUserCredentials: true,
        options: [],
      })
    ).id;
    passId = (await s.passes.startPass(LOCAL_TENANT, project.id, parseInput(passInput, { kind: 'full', itemIds: [itemId] }))).pass.id;
    service = new EndUserService(s.deps, {
      mailer,
      keyring: new LinkKeyring(LinkKeyring.generateKey()),
      connectorFor: runtime.engine.connectorFor,
      publicBaseUrl: 'https://m.test/',
    });
  });
  afterEach(async () => {
    await runtime.close();
    dir.remove();
  });

  const tokenFromMail = () => /#token=(\S+)/.exec(sent.at(-1)!.text)![1]!;

  it('kills the link after five wrong passwords and says to ask for a new one', async () => {
    await service.requestCredentials(LOCAL_TENANT, itemId, passId);
    const token = tokenFromMail();
    for (let i = 1; i < MAX_LINK_ATTEMPTS; i++) {
      expect(await service.submitCredentials(token, { password: `guess-${i}` })).toMatchObject({
        accepted: false,
        attemptsLeft: MAX_LINK_ATTEMPTS - i,
      });
    }
    const last = await service.submitCredentials(token, { password: 'guess-5' });
    expect(last).toMatchObject({ accepted: false, attemptsLeft: 0 });
    expect(last.accepted === false && last.reason).toMatch(/last of 5 tries.*new one/);
    expect(last.accepted === false && last.reason).not.toMatch(/master user/);
    sourceAnswer = 'ok';
    const dead = await service.submitCredentials(token, { password: 'right' }).catch((e: unknown) => e);
    expect(dead).toBeInstanceOf(CredentialLinkError);
    expect((dead as CredentialLinkError).refusal).toBe('exhausted');
    await expect(service.describe(token)).rejects.toThrow(/no longer works/);
  });

  it('does not count a try the source server could not answer, and never echoes the password', async () => {
    await service.requestCredentials(LOCAL_TENANT, itemId, passId);
    sourceAnswer = 'down';
    const result = await service.submitCredentials(tokenFromMail(), { password: 'S3cret-typed' });
    expect(result).toMatchObject({ accepted: false, attemptsLeft: MAX_LINK_ATTEMPTS });
    expect(JSON.stringify(result)).not.toContain('S3cret-typed');
    expect(result.accepted === false && result.reason).toMatch(/not counted/);
  });

  it('uses the login the admin set on the item, and a newer request retires the older link', async () => {
    await runtime.services.items.updateItem(LOCAL_TENANT, itemId, { sourceLogin: 'carol' });
    await service.requestCredentials(LOCAL_TENANT, itemId, passId);
    const older = tokenFromMail();
    await service.requestCredentials(LOCAL_TENANT, itemId, passId);
    await expect(service.describe(older)).rejects.toThrow(/newer link/);
    sourceAnswer = 'ok';
    expect(await service.submitCredentials(tokenFromMail(), { login: 'carol', password: 'right' })).toMatchObject({ accepted: true });
    const item = await runtime.services.items.getItem(LOCAL_TENANT, itemId);
    expect(item).toMatchObject({ status: 'Queued', sourceLogin: 'carol', lastRun: { status: 'Queued', passId } });
    expect(await runtime.queue.depth()).toBe(1);
  });

  it('refuses to request credentials for an item that is not waiting, and refuses a link once the pass is stopped', async () => {
    await service.requestCredentials(LOCAL_TENANT, itemId, passId);
    await runtime.services.passes.stopPass(LOCAL_TENANT, passId);
    await expect(service.submitCredentials(tokenFromMail(), { password: 'x' })).rejects.toThrow(/no longer waiting/);
    await expect(service.requestCredentials(LOCAL_TENANT, itemId, passId)).rejects.toThrow(ValidationError);
  });

  it('rejects an unknown placeholder before sending any notice', async () => {
    const item = await runtime.services.items.getItem(LOCAL_TENANT, itemId);
    await expect(
      service.notifyUsers(LOCAL_TENANT, item.projectId, [itemId], { subject: 'Hi {{firstName}}', message: 'x', recipient: 'destination' }),
    ).rejects.toThrow(/Unknown placeholder \{\{firstName\}\}/);
    expect(sent).toHaveLength(0);
  });
});
