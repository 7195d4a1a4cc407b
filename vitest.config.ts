import { defineConfig } from 'vitest/config';

/**
 * Four projects: `unit` (no server, no process, no browser: the core, the retry vocabulary, the
 * in-memory connector, pure parsers; `npm run test:unit` runs them alone in seconds), `console`
 * (the admin console's components in jsdom), `integration` (real Dovecot, the EWS and Graph test
 * servers, worker processes) and `browser` (the console in Chromium). `npm test` runs them all.
 */
const UNIT = [
  'test/core/**/*.test.ts',
  'test/connectors/in-memory-conformance.test.ts',
  'test/connectors/ews/scan-payloads.test.ts',
  'test/connectors/ews/xml-escaping.test.ts',
  'test/adapters/job-retry-backoff.test.ts',
  'test/adapters/buffer-collector.test.ts',
  'test/docs/**/*.test.ts',
  'test/http/openapi-document.test.ts',
  'test/tab/microsoft-ajax-stand-in.test.ts',
];
const BROWSER = ['test/tab/**/*.browser.test.ts'];
const CONSOLE = ['test/tab/**/*.test.tsx'];

export default defineConfig({
  test: {
    // Integration tests start real servers (Dovecot); give them room on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      // A unit test takes milliseconds: one that hangs (a wait nobody ends) fails in seconds, not minutes.
      // Unit files share one module graph per worker (isolate: false): importing the core once instead
      // of once per file cuts the project's CPU time by more than half; no unit test keeps global state.
      { extends: true, test: { name: 'unit', include: UNIT, testTimeout: 10_000, hookTimeout: 10_000, isolate: false } },
      { extends: true, test: { name: 'console', include: CONSOLE } },
      { extends: true, test: { name: 'browser', include: BROWSER } },
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: [...UNIT, ...BROWSER, 'node_modules/**'] } },
    ],
  },
});
