/**
 * One source message as a Microsoft 365 Groups conversation post (`POST /groups/{id}/threads`).
 * Graph stores a post as sent now by the signed-in administrator and keeps no MIME, so what the
 * original said about itself travels as text: a header block at the top of the post (the
 * original sender, recipients, dates and subject), then the original body. The block's first
 * line carries a short reference derived from the source key, so that after a crash the posts
 * already made can be recognised in the group's thread list (its `preview` holds the post's
 * first characters). Attachments are not carried (GRAPH.md documents no attachments on a new
 * thread): the block names each one, and the caller reports each as an error row.
 */
import { createHash } from 'node:crypto';
import type { SourceMessage } from '../../core/connector.js';
import { formatBytes } from '../../core/human-units.js';
import { readMimeText, type MimeAttachment } from '../../core/mail/mime-text.js';

/** `Mailferry ref 1a2b3c4d5e6f7a8b`: how a post names the source message it was made from. */
export function postMarker(sourceKey: string): string {
  return `mailferry-ref-${createHash('sha256').update(sourceKey).digest('hex').slice(0, 16)}`;
}

const MARKER_PATTERN = /mailferry-ref-[0-9a-f]{16}/;

/** The marker in a thread's preview, if a Mailferry post made it. */
export function markerIn(preview: string | undefined): string | undefined {
  return MARKER_PATTERN.exec(preview ?? '')?.[0];
}

export interface GroupPost {
  /** The conversationThread body Graph takes. */
  thread: { topic: string; posts: { body: { contentType: 'html'; content: string } }[] };
  attachments: MimeAttachment[];
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The original's Date header as ISO too, when it parses (posts show the time they were made). */
function dateLine(header: string, internalDate: number): string {
  const parsed = Date.parse(header);
  if (header && Number.isFinite(parsed)) return `${header} (${new Date(parsed).toISOString()})`;
  return header || new Date(internalDate).toISOString();
}

export async function groupPostOf(message: SourceMessage, bytes: Buffer): Promise<GroupPost> {
  const mime = await readMimeText(bytes);
  const rows: [string, string][] = [
    ['From', mime.from || '(no sender)'],
    ['Sent', dateLine(mime.date, message.ref.internalDate)],
    ['Received', new Date(message.ref.internalDate).toISOString()],
    ['To', mime.to],
    ['Cc', mime.cc],
    ['Subject', mime.subject],
  ];
  if (mime.attachments.length) {
    rows.push(['Attachments not carried', mime.attachments.map((a) => `${a.name} (${formatBytes(a.size)})`).join('; ')]);
  }
  const block = [
    `<p style="color:#616161;font-size:smaller">${postMarker(message.ref.key)} · copied by Mailferry: the original message's details</p>`,
    '<table style="color:#616161;font-size:smaller">',
    ...rows.filter(([, value]) => value !== '').map(([name, value]) => `<tr><td><b>${name}:</b></td><td>${escapeHtml(value)}</td></tr>`),
    '</table><hr>',
  ].join('');
  const original =
    mime.body.contentType === 'html'
      ? mime.body.content
      : `<pre style="white-space:pre-wrap;font-family:inherit">${escapeHtml(mime.body.content)}</pre>`;
  return {
    thread: { topic: mime.subject.trim() || '(no subject)', posts: [{ body: { contentType: 'html', content: `${block}${original}` } }] },
    attachments: mime.attachments,
  };
}
