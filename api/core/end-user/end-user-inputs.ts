/** What the end-user and "Notify users" routes accept; handlers parse with `parseInput`. */
import { z } from 'zod';

/** Beyond any real password; bounds what we hash, encrypt and send to a mail server. */
const MAX_PASSWORD_CHARS = 1_024;
const MAX_LOGIN_CHARS = 320;
/** One "Notify users" request: a page of selected items, sent one by one. */
export const MAX_NOTIFY_ITEMS = 1_000;
const MAX_SUBJECT_CHARS = 255;
const MAX_MESSAGE_CHARS = 20_000;

export const credentialsInput = z.object({
  /** Defaults to the mailbox's source address. */
  login: z.string().trim().min(1).max(MAX_LOGIN_CHARS).optional(),
  // Not trimmed: leading or trailing spaces can be part of a password.
  password: z.string().min(1, { message: 'is required' }).max(MAX_PASSWORD_CHARS),
});
export type CredentialsInput = z.infer<typeof credentialsInput>;

/** Far beyond a real link's token (a few hundred characters); bounds what we verify. */
const MAX_TOKEN_CHARS = 4_096;
/**
 * The link's token travels in request bodies, never in a URL: proxies, Azure Front Door and
 * Application Insights record URLs, and a token in one would let its reader use the link.
 */
export const linkInput = z.object({
  token: z.string().trim().min(1, { message: 'is required: copy the whole link from the e-mail' }).max(MAX_TOKEN_CHARS),
});
export const linkCredentialsInput = linkInput.extend(credentialsInput.shape);

export const notifyUsersInput = z.object({
  itemIds: z.array(z.string().min(1)).min(1).max(MAX_NOTIFY_ITEMS),
  subject: z.string().trim().min(1).max(MAX_SUBJECT_CHARS),
  message: z.string().trim().min(1).max(MAX_MESSAGE_CHARS),
  /** Which address of each item receives it; see EndUserService.notifyUsers. */
  recipient: z.enum(['destination', 'source']).default('destination'),
});
export type NotifyUsersInput = z.infer<typeof notifyUsersInput>;

export const credentialRequestsInput = z.object({
  /** Default: every item of the pass that is Waiting For End User. */
  itemIds: z.array(z.string().min(1)).min(1).max(MAX_NOTIFY_ITEMS).optional(),
});
