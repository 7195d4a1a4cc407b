#!/usr/bin/env node
/**
 * `npm start`: one process with the HTTP API on loopback, the worker pool and the scheduler.
 * PORT and MAILFERRY_DATA override where it listens and where its data lives;
 * MAILFERRY_END_USER_PORT opens the end-user listener a reverse proxy may publish.
 */
import { resolve } from 'node:path';
import { EmbeddedRuntime } from './embedded-runtime.js';
import { startHttpServer } from './http-server.js';
import { DEFAULT_PORT, embeddedConfigFromEnv } from './local-settings.js';

async function main(): Promise<void> {
  const dataDir = resolve(process.env.MAILFERRY_DATA ?? '.mailferry');
  const port = Number(process.env.PORT ?? DEFAULT_PORT);
  const runtime = await EmbeddedRuntime.open(embeddedConfigFromEnv(process.env, dataDir));
  const { server, url } = await startHttpServer(runtime.services, { port, log: runtime.engine.log });
  const endUser = process.env.MAILFERRY_END_USER_PORT
    ? await startHttpServer(runtime.services, {
        port: Number(process.env.MAILFERRY_END_USER_PORT),
        surface: 'end-user',
        publicUrl: process.env.MAILFERRY_PUBLIC_URL,
        log: runtime.engine.log,
      })
    : undefined;
  runtime.startWorkers();
  console.log(`Mailferry is running (embedded host, single local admin, loopback only).`);
  console.log(`  Open:  ${url}/  (the admin console)`);
  console.log(`  API:   ${url}/api/v1/  (health: ${url}/api/v1/health, contract: ${url}/api/v1/openapi.json)`);
  if (endUser)
    console.log(
      `  Users: ${endUser.url}/end-user/credentials  (end-user port: point the reverse proxy for ${process.env.MAILFERRY_PUBLIC_URL ?? 'MAILFERRY_PUBLIC_URL'} here, never at the admin port)`,
    );
  console.log(`  Data:  ${runtime.dbPath} and its keys in ${dataDir}`);
  console.log(
    `  Mail:  ${process.env.MAILFERRY_SMTP_HOST ? `SMTP ${process.env.MAILFERRY_SMTP_HOST}` : `no SMTP configured; end-user mail is written to ${dataDir}/outbox/`}`,
  );
  console.log(`  Stop:  Ctrl-C (running mailboxes pause and resume on next start)`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping; ${runtime.activeJobs} running mailbox job(s) will release their leases…`);
    server.close();
    endUser?.server.close();
    await runtime.close();
    console.log('Stopped cleanly.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error) => {
  console.error(`Mailferry could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
