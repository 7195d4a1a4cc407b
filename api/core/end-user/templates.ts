/**
 * The e-mails end users receive: plain text first (every client reads it), with a simple HTML
 * alternative. They never carry a secret: the credential request holds only the signed link.
 */
import { ValidationError } from '../errors.js';
import type { MailMessage } from '../ports.js';
import { formatInstant } from './credential-link.js';

export type EmailContent = Omit<MailMessage, 'to'>;

export interface CredentialRequestFacts {
  /** Who is moving the mailbox, e.g. "Contoso IT". */
  requestedBy: string;
  projectName: string;
  sourceAddress: string;
  destinationAddress: string;
  link: string;
  expiresAt: Date;
  maxAttempts: number;
}

export function credentialRequestEmail(facts: CredentialRequestFacts): EmailContent {
  const expires = formatInstant(facts.expiresAt);
  // "Your IT administrator" (the default) starts a sentence with a capital, never the middle of one.
  const within = facts.requestedBy.replace(/^Your /, 'your ');
  const paragraphs = [
    `${facts.requestedBy} is moving your mailbox ${facts.sourceAddress} to ${facts.destinationAddress} (migration "${facts.projectName}").`,
    'To copy your existing mail, the migration needs to sign in to your current mailbox. Your administrator does not have its password, so we ask you to confirm it on a secure page:',
    facts.link,
    `The link works once and expires on ${expires}. After ${facts.maxAttempts} wrong passwords it stops working.`,
    'Your password is checked against your current mail server right away, stored encrypted, and used only to copy your mailbox. Nobody will ever ask you for it by e-mail or phone.',
    `If you did not expect this message, do not open the link: contact ${within}.`,
  ];
  const html = [
    `<p>${escapeHtml(paragraphs[0]!)}</p>`,
    `<p>${escapeHtml(paragraphs[1]!)}</p>`,
    `<p><a href="${escapeHtml(facts.link)}">Confirm the password of ${escapeHtml(facts.sourceAddress)}</a></p>`,
    ...paragraphs.slice(3).map((p) => `<p>${escapeHtml(p)}</p>`),
  ];
  return {
    subject: `Action needed: confirm your mailbox password so ${within} can move ${facts.sourceAddress}`,
    text: `${paragraphs.join('\n\n')}\n`,
    html: htmlDocument(html.join('\n')),
  };
}

/** Placeholders an admin may use in "Notify users" subject and message. */
export const NOTIFY_PLACEHOLDERS = ['sourceAddress', 'destinationAddress', 'projectName'] as const;
export type NotifyFields = Record<(typeof NOTIFY_PLACEHOLDERS)[number], string>;

const PLACEHOLDER = /\{\{\s*([a-zA-Z]+)\s*\}\}/g;

/** Checks a template before any mail is sent, so a typo fails the request instead of every e-mail. */
export function checkNotifyTemplate(template: string, field: string): void {
  for (const [, name] of template.matchAll(PLACEHOLDER)) {
    if (!(NOTIFY_PLACEHOLDERS as readonly string[]).includes(name!)) {
      throw new ValidationError(`Unknown placeholder {{${name}}}; use ${NOTIFY_PLACEHOLDERS.map((n) => `{{${n}}}`).join(', ')}.`, {
        field,
      });
    }
  }
}

/** "Notify users": the admin's text with `{{placeholders}}` filled per item; line breaks kept in HTML. */
export function notifyUsersEmail(subject: string, message: string, fields: NotifyFields): EmailContent {
  const fill = (template: string) => template.replace(PLACEHOLDER, (_, name: keyof NotifyFields) => fields[name]);
  const text = fill(message);
  const html = text
    .split(/\r?\n\s*\r?\n/)
    .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/\r?\n/g, '<br>')}</p>`)
    .join('\n');
  return { subject: fill(subject).replace(/[\r\n]+/g, ' '), text: text.endsWith('\n') ? text : `${text}\n`, html: htmlDocument(html) };
}

function htmlDocument(body: string): string {
  return `<!doctype html>\n<html><body style="font-family: Segoe UI, Helvetica, Arial, sans-serif; font-size: 14px">\n${body}\n</body></html>\n`;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}
