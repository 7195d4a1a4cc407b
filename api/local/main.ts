#!/usr/bin/env node
/**
 * `npm start`: one process with the HTTP API on loopback, the worker pool and the scheduler.
 * PORT and MAILFERRY_DATA override where it listens and where its data lives.
 */
import { resolve } from 'node:path';
import type { SmtpMailerConfig } from '../adapters/smtp-mailer.js';
import { EmbeddedRuntime } from './embedded-runtime.js';
import { startHttpServer } from './http-server.js';

const DEFAULT_PORT = 7420;
const SMTPS_PORT = 465;
const SUBMISSION_PORT = 587;

async function main(): Promise<void> {
  const dataDir = resolve(process.env.MAILFERRY_DATA ?? '.mailferry');
  const port = Number(process.env.PORT ?? DEFAULT_PORT);
  const runtime = await EmbeddedRuntime.open({
    dataDir,
    concurrency: Number(process.env.MAILFERRY_CONCURRENCY ?? 4),
    publicBaseUrl: process.env.MAILFERRY_PUBLIC_URL ?? `http://127.0.0.1:${port}`,
    smtp: smtpFromEnv(process.env),
    organizationName: process.env.MAILFERRY_ORGANIZATION,
  });
  const { server, url } = await startHttpServer(runtime.services, { port });
  runtime.startWorkers();
  console.log(`Mailferry is running (embedded host, single local admin, loopback only).`);
  console.log(`  Open:  ${url}/  (the admin console)`);
  console.log(`  API:   ${url}/api/v1/  (health: ${url}/api/v1/health, contract: ${url}/api/v1/openapi.json)`);
  console.log(`  Data:  ${runtime.dbPath} and its keys in ${dataDir}`);
  console.log(`  Mail:  ${process.env.MAILFERRY_SMTP_HOST ? `SMTP ${process.env.MAILFERRY_SMTP_HOST}` : `no SMTP configured; end-user mail is written to ${dataDir}/outbox/`}`);
  console.log(`  Stop:  Ctrl-C (running mailboxes pause and resume on next start)`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping; ${runtime.activeJobs} running mailbox job(s) will release their leases…`);
    server.close();
    await runtime.close();
    console.log('Stopped cleanly.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/** MAILFERRY_SMTP_HOST (and _PORT, _SECURE, _USER, _PASSWORD, MAILFERRY_MAIL_FROM) turn on SMTP for end-user mail. */
function smtpFromEnv(env: NodeJS.ProcessEnv): SmtpMailerConfig | undefined {
  if (!env.MAILFERRY_SMTP_HOST) return undefined;
  const secure = env.MAILFERRY_SMTP_SECURE === 'true';
  return {
    host: env.MAILFERRY_SMTP_HOST,
    port: Number(env.MAILFERRY_SMTP_PORT ?? (secure ? SMTPS_PORT : SUBMISSION_PORT)),
    secure,
    auth: env.MAILFERRY_SMTP_USER ? { user: env.MAILFERRY_SMTP_USER, pass: env.MAILFERRY_SMTP_PASSWORD ?? '' } : undefined,
    from: env.MAILFERRY_MAIL_FROM ?? `Mailferry <${env.MAILFERRY_SMTP_USER ?? 'mailferry@localhost'}>`,
  };
}

main().catch((error) => {
  console.error(`Mailferry could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
