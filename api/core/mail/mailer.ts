/**
 * The Mailer port: how the core sends an e-mail (end-user credential requests, "Notify users").
 * The embedded host uses SMTP (adapters/smtp-mailer.ts); the Azure build uses Microsoft Graph
 * sendMail (adapters/graph-mailer.ts). Both throw the typed errors of ../errors.ts.
 */
export interface MailMessage {
  /** One recipient address. */
  to: string;
  subject: string;
  /** Plain-text body: always sent, so every mail client can read the message. */
  text: string;
  /** Optional HTML alternative of the same content. */
  html?: string;
}

export interface Mailer {
  /**
   * Resolves once the transport accepted the message. Throws AuthError (the mailer's own
   * credentials), ConnectionError / ThrottledError (try later) or ValidationError (the
   * recipient was refused).
   */
  send(message: MailMessage): Promise<void>;
}
