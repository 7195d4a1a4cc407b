import type { SmtpMailerConfig } from '../adapters/smtp-mailer.js';
import type { EmbeddedConfig } from './embedded-runtime.js';

export const DEFAULT_PORT = 7420;
const SMTPS_PORT = 465;
const SUBMISSION_PORT = 587;
const DEFAULT_CONCURRENCY = 4;

/**
 * The embedded host's settings from the environment, read the same way by `npm start` and by the
 * CLI: a pass started from the CLI sends its credential links through the same mailer, with the
 * same public URL, as one started from the console.
 */
export function embeddedConfigFromEnv(env: NodeJS.ProcessEnv, dataDir: string): EmbeddedConfig {
  const port = Number(env.PORT ?? DEFAULT_PORT);
  return {
    dataDir,
    concurrency: Number(env.MAILFERRY_CONCURRENCY ?? DEFAULT_CONCURRENCY),
    publicBaseUrl: env.MAILFERRY_PUBLIC_URL ?? `http://127.0.0.1:${port}`,
    smtp: smtpFromEnv(env),
    organizationName: env.MAILFERRY_ORGANIZATION,
  };
}

/**
 * MAILFERRY_SMTP_HOST (and _PORT, _SECURE, _USER, _PASSWORD, MAILFERRY_MAIL_FROM) turn on SMTP for
 * end-user mail. Without implicit TLS the relay must offer STARTTLS unless
 * MAILFERRY_SMTP_REQUIRE_TLS=false: the mails carry credential links and the relay login.
 */
function smtpFromEnv(env: NodeJS.ProcessEnv): SmtpMailerConfig | undefined {
  if (!env.MAILFERRY_SMTP_HOST) return undefined;
  const secure = env.MAILFERRY_SMTP_SECURE === 'true';
  return {
    host: env.MAILFERRY_SMTP_HOST,
    port: Number(env.MAILFERRY_SMTP_PORT ?? (secure ? SMTPS_PORT : SUBMISSION_PORT)),
    secure,
    requireTls: env.MAILFERRY_SMTP_REQUIRE_TLS !== 'false',
    auth: env.MAILFERRY_SMTP_USER ? { user: env.MAILFERRY_SMTP_USER, pass: env.MAILFERRY_SMTP_PASSWORD ?? '' } : undefined,
    from: env.MAILFERRY_MAIL_FROM ?? `Mailferry <${env.MAILFERRY_SMTP_USER ?? 'mailferry@localhost'}>`,
  };
}
