/**
 * Mailer over SMTP with nodemailer: the embedded host's way to e-mail end users. One transport
 * is built from config at start; nodemailer's errors become Mailferry's typed errors so callers
 * branch on `code`, never on SMTP text.
 */
import type { Transporter } from 'nodemailer';
import type { NodemailerError } from 'nodemailer/lib/errors';
import { AuthError, ConnectionError, MailferryError, ValidationError, ensureError } from '../core/errors.js';
import type { MailMessage, Mailer } from '../core/ports.js';

export interface SmtpMailerConfig {
  host: string;
  port: number;
  /** Implicit TLS (port 465). When false, STARTTLS is used if the server offers it. */
  secure: boolean;
  /**
   * Without implicit TLS, refuse to send unless the relay upgrades the connection with STARTTLS.
   * On by default: the messages carry credential links and the relay login. Only an admin turns
   * it off (MAILFERRY_SMTP_REQUIRE_TLS=false), for a relay on a trusted network.
   */
  requireTls?: boolean;
  /** Only when the admin says so: accept a self-signed certificate on the relay. */
  allowSelfSigned?: boolean;
  /** Absent for an open relay on a trusted network (or a test server). */
  auth?: { user: string; pass: string };
  /** The From address, e.g. `"Contoso IT" <migration@contoso.com>`. */
  from: string;
}

/** Bounded waits so a dead relay fails a request in seconds instead of nodemailer's minutes. */
const CONNECTION_TIMEOUT_MS = 15_000;
const GREETING_TIMEOUT_MS = 15_000;
const SOCKET_TIMEOUT_MS = 60_000;

/** RFC 4954 §6: 535 = authentication credentials invalid; 534/538 = mechanism/encryption required. */
const SMTP_AUTH_REPLY_CODES = new Set([530, 534, 535, 538]);
/** nodemailer codes that mean the connection (not the message) failed: reconnecting may help. */
const CONNECTION_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'EPROXY', 'EPROTOCOL']);
/** RFC 5321 §4.2.1: 5yz is permanent, 4yz transient. */
const FIRST_PERMANENT_REPLY = 500;
const FIRST_TRANSIENT_REPLY = 400;

export class SmtpMailer implements Mailer {
  private transportPromise?: Promise<Transporter>;
  private transport?: Transporter;
  private readonly where: string;

  constructor(private readonly config: SmtpMailerConfig) {
    this.where = `SMTP relay ${config.host}:${config.port}`;
  }

  /** nodemailer (~15 MB loaded) is imported on the first message, not when the host starts. */
  private connect(): Promise<Transporter> {
    const config = this.config;
    this.transportPromise ??= import('nodemailer').then(
      ({ createTransport }) =>
        (this.transport = createTransport({
          host: config.host,
          port: config.port,
          secure: config.secure,
          requireTLS: config.requireTls ?? true,
          tls: { rejectUnauthorized: !config.allowSelfSigned },
          auth: config.auth ? { user: config.auth.user, pass: config.auth.pass } : undefined,
          connectionTimeout: CONNECTION_TIMEOUT_MS,
          greetingTimeout: GREETING_TIMEOUT_MS,
          socketTimeout: SOCKET_TIMEOUT_MS,
        })),
    );
    return this.transportPromise;
  }

  async send(message: MailMessage): Promise<void> {
    try {
      const transport = await this.connect();
      await transport.sendMail({
        from: this.config.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
      });
    } catch (error) {
      throw this.toMailferryError(error, message.to);
    }
  }

  /** Closes pooled sockets; the transport is unusable afterwards. */
  close(): void {
    this.transport?.close();
  }

  private toMailferryError(value: unknown, recipient: string): MailferryError {
    if (value instanceof MailferryError) return value;
    const error = value as NodemailerError;
    const reply = error.responseCode;
    const said = error.response ? ` The server said: "${error.response.trim()}".` : '';
    if (error.code === 'EAUTH' || error.code === 'ENOAUTH' || (reply !== undefined && SMTP_AUTH_REPLY_CODES.has(reply))) {
      // The relay's own login, never an end user's: name the setting to fix, not the secret.
      return new AuthError(
        `${this.where} refused the mail sender's login${this.config.auth ? ` as "${this.config.auth.user}"` : ' (no login is configured)'}.${said} Check the SMTP user name and password in the mail settings.`,
        { cause: error },
      );
    }
    if (error.code === 'EENVELOPE' || (error.code === 'EMESSAGE' && reply !== undefined && reply >= FIRST_PERMANENT_REPLY)) {
      return new ValidationError(`${this.where} refused the message to ${recipient}.${said} Check the recipient address.`, {
        field: 'to',
        cause: error,
      });
    }
    if (error.code === 'ETLS' && !this.config.secure && (this.config.requireTls ?? true)) {
      // A configuration problem, not a passing fault: retrying the same relay cannot help.
      return new MailferryError(
        'connection',
        `${this.where} did not set up STARTTLS encryption (${error.message}), and Mailferry sends mail only encrypted. Use the relay's TLS port (465 with MAILFERRY_SMTP_SECURE=true) or a port that offers STARTTLS; only for a relay on a trusted network, set MAILFERRY_SMTP_REQUIRE_TLS=false.`,
        { retryable: false, cause: error },
      );
    }
    if (
      (error.code !== undefined && CONNECTION_CODES.has(error.code)) ||
      (reply !== undefined && reply >= FIRST_TRANSIENT_REPLY && reply < FIRST_PERMANENT_REPLY)
    ) {
      return new ConnectionError(`${this.where} could not take the message (${error.code ?? reply}).${said}`, { cause: error });
    }
    return ensureError(error);
  }
}
