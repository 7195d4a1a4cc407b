import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateDoc } from '../../api/core/update-doc.js';
import { EmbeddedRuntime, LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { silentLog } from '../support/migration-fixture.js';

/** Issue 14 #2: `mailferry item delete`, `mailferry endpoint edit` and `mailferry endpoint delete`. */
describe('the CLI deletes items and edits and deletes endpoints', () => {
  let dataDir: string;
  const run = (args: string[], env: Record<string, string> = {}) => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'api/local/cli.ts', ...args, '--data', dataDir], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 120_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const json = (args: string[], env: Record<string, string> = {}) => JSON.parse(run(args, env).stdout);
  let source: { id: string };
  let destination: { id: string };
  let projectId: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mailferry-cli-edit-'));
    const env = { PW: 'Stored-Pa55' };
    source = json(
      [
        'endpoint',
        'add',
        '--name',
        'Old IMAP',
        '--host',
        'imap.old.test',
        '--admin-mode',
        'login-star',
        '--admin-login',
        'admin',
        '--admin-password-env',
        'PW',
      ],
      env,
    );
    destination = json(['endpoint', 'add', '--name', 'New IMAP', '--host', 'imap.new.test'], env);
    projectId = json(['project', 'create', '--name', 'Wave 1', '--source', source.id, '--destination', destination.id]).id;
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('edits only the flags given and keeps the stored password', () => {
    const edited = json(['endpoint', 'edit', '--endpoint', source.id, '--name', 'Old IMAP (Dovecot)', '--admin-login', 'migration-admin']);
    expect(edited).toMatchObject({
      name: 'Old IMAP (Dovecot)',
      adminLogin: 'migration-admin',
      host: 'imap.old.test',
      adminMode: 'login-star',
      hasAdminPassword: true,
    });
  });

  it('refuses to delete an endpoint a project uses, naming the project', () => {
    const refused = run(['endpoint', 'delete', '--endpoint', source.id]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Endpoint "Old IMAP \(Dovecot\)" is used by project "Wave 1"/);
    const spare = json(['endpoint', 'add', '--name', 'Spare', '--host', 'imap.spare.test']);
    const deleted = run(['endpoint', 'delete', '--endpoint', spare.id]);
    expect(deleted).toMatchObject({ code: 0, stdout: 'Endpoint "Spare" deleted.\n' });
  });

  it('deletes items, and refuses one whose pass is running with the reason', async () => {
    const add = (n: number) =>
      json(['item', 'add', '--project', projectId, '--source', `u${n}@old.test`, '--destination', `u${n}@new.test`]).id as string;
    const [idle, running] = [add(1), add(2)];
    const runtime = await EmbeddedRuntime.open({ dataDir, log: silentLog });
    await updateDoc(runtime.services.deps.store.items, LOCAL_TENANT, running, (item) => ({ ...item, status: 'Running' as const }));
    await runtime.close();
    const result = run(['item', 'delete', '--items', `${idle},${running}`]);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/Deleted u1@old\.test\./);
    expect(result.stdout).toMatch(/not deleted: .*u2@old\.test is "Running": stop its pass before deleting it/);
    expect(run(['item', 'list', '--project', projectId]).stdout).not.toMatch(/u1@old\.test/);
  });
});
