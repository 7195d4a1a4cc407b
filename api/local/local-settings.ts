import type { SmtpMailerConfig } from '../adapters/smtp-mailer.js';
import { ValidationError } from '../core/errors.js';
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
    ...(env.MAILFERRY_ENTRA_AUTHORITY_HOST ? { entraAuthorityHost: entraAuthorityHost(env.MAILFERRY_ENTRA_AUTHORITY_HOST) } : {}),
  };
}

/**
 * MAILFERRY_ENTRA_AUTHORITY_HOST: an https origin that stands in for Microsoft Entra ID
 * (login.microsoftonline.com) for every app token and administrator sign-in, e.g. the Graph test
 * server's (`npm run graph-server` prints it as TOKEN_AUTHORITY without the tenant; trust its
 * certificate with NODE_EXTRA_CA_CERTS=TOKEN_CA_FILE). For tests only: Mailferry sends app
 * credentials there.
 */
function entraAuthorityHost(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ValidationError(
      `MAILFERRY_ENTRA_AUTHORITY_HOST="${value}" is not a URL: give an https origin such as https://127.0.0.1:8443, or unset it to sign in with Microsoft Entra ID.`,
    );
  }
  if (url.protocol !== 'https:' || (url.pathname !== '/' && url.pathname !== '')) {
    throw new ValidationError(
      `MAILFERRY_ENTRA_AUTHORITY_HOST="${value}" must be an https origin without a path (msal-node signs in over https only; the tenant is the endpoint's), e.g. https://127.0.0.1:8443.`,
    );
  }
  return url.origin;
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
