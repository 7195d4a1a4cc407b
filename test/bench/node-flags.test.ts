/** The Node flags Mailferry runs with are the same everywhere: `npm start`, the Function App, and the bench's Mailferry child. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAILFERRY_NODE_FLAGS } from './mailferry-run.js';

describe('Mailferry Node flags', () => {
  it('npm start, the Bicep app settings and the bench child agree', () => {
    const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts.start!;
    expect(start).toContain(`node ${MAILFERRY_NODE_FLAGS.join(' ')} dist/api/local/main.js`);
    const bicep = readFileSync('infra/main.bicep', 'utf8');
    expect(bicep).toContain(`{ name: 'languageWorkers__node__arguments', value: '${MAILFERRY_NODE_FLAGS.join(' ')}' }`);
  });

  it('are all known to this Node (an unknown V8 flag stops Node before Mailferry starts)', () => {
    // V8 renames or drops tuning flags between versions; Node then refuses to start ("bad option").
    const out = execFileSync(process.execPath, [...MAILFERRY_NODE_FLAGS, '-e', 'process.stdout.write(String(typeof gc))'], {
      encoding: 'utf8',
    });
    expect(out).toBe('function');
  });
});
