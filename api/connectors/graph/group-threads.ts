/**
 * A Microsoft 365 Groups destination over Microsoft Graph: the lossy path Microsoft leaves once
 * EWS is off (GRAPH.md: Groups mailboxes have no import). Each source message becomes one
 * conversation posted to the group (`POST /groups/{id}/threads`, delegated Group.ReadWrite.All),
 * stored by Exchange as sent now by the signed-in administrator; the original sender, recipients
 * and dates travel as text in the post (./group-post.ts). Mail only: calendar items are refused
 * with the reason (docs/endpoints.md: Groups over Graph). One post at a time, each committed to the ledger
 * as soon as Graph confirms it, so a crash leaves at most one post uncertain, and recovery finds
 * it by the reference its text carries.
 */
import { buffer } from 'node:stream/consumers';
import type {
  AppendResult,
  ContentFormat,
  DestinationEntry,
  DestinationFolderState,
  FolderInfo,
  MailboxSession,
  MessageRef,
  SourceMessage,
} from '../../core/connector.js';
import {
  AuthError,
  ForbiddenError,
  ItemRejectedError,
  MailferryError,
  NotFoundError,
  ValidationError,
  ensureError,
} from '../../core/errors.js';
import type { Endpoint, ItemType } from '../../core/model.js';
import { hash31 } from '../folder-index.js';
import { GROUP_POST_PERMISSION, signInAgainAdvice } from './delegated-auth.js';
import { groupPostOf, markerIn, postMarker } from './group-post.js';
import type { GraphLimits } from './context.js';
import { readAllPages } from './paging.js';
import type { GraphTransport } from './transport.js';

/** Threads delivered up to this long before the floor still count as after it (Date headers have whole seconds). */
const FLOOR_SLACK_S = 2;
const ITEM_ERRORS = new Set(['rejected', 'too-large']);
const GROUPS_FOLDER_FILTER = '^(?!Inbox$)';

export interface GroupContext {
  transport: GraphTransport;
  endpoint: Endpoint;
  /** The group's SMTP address. */
  group: string;
  groupId: string;
  limits: GraphLimits;
}

/** The group's directory id from its address (`GET /groups?$filter=mail eq '…'`). */
export async function lookUpGroupId(transport: GraphTransport, endpoint: Endpoint, group: string): Promise<string> {
  const filter = encodeURIComponent(`mail eq '${group.replace(/'/g, "''")}'`);
  const { body } = await sendDelegated<{ value?: { id?: string }[] }>(transport, endpoint, {
    method: 'GET',
    url: `/v1.0/groups?$filter=${filter}&$select=id,mail`,
    action: `Looking up the Microsoft 365 group ${group}`,
  });
  const id = body?.value?.[0]?.id;
  if (!id) {
    throw new NotFoundError(
      `No Microsoft 365 group has the address ${group}: check the item's destination address (the group's primary SMTP address).`,
      { field: 'destinationAddress' },
    );
  }
  return id;
}

/** A Graph call with the administrator's delegated token: a refusal says which sign-in and permission. */
async function sendDelegated<T>(
  transport: GraphTransport,
  endpoint: Endpoint,
  request: Parameters<GraphTransport['send']>[0],
): Promise<{ body: T }> {
  try {
    return await transport.send<T>(request);
  } catch (raw) {
    const error = ensureError(raw);
    const who = endpoint.signedInAs ?? 'the signed-in administrator';
    if (error instanceof ForbiddenError) {
      throw new ForbiddenError(
        `${request.action}: Microsoft Graph refused ${who} (${error.message.split('. ')[0]}). Groups over Graph need the delegated permission ${GROUP_POST_PERMISSION} ` +
          `with admin consent on the app ${endpoint.appClientId}, and ${who} must be allowed to post to the group (an owner or member). ` +
          `Add it in the Entra admin center (App registrations → the app → API permissions → Microsoft Graph → Delegated permissions), grant admin consent, then ${signInAgainAdvice(endpoint).replace(/^Sign/, 'sign')}`,
        { cause: error },
      );
    }
    if (error instanceof AuthError && !/sign-in|Sign in/.test(error.message)) {
      throw new AuthError(`${request.action}: Microsoft Graph refused ${who}'s token. ${signInAgainAdvice(endpoint)}`, {
        cause: error,
        field: 'signIn',
      });
    }
    throw error;
  }
}

interface ThreadListing {
  id: string;
  preview?: string;
  lastDeliveredDateTime?: string;
}

export class GroupThreadsSession implements MailboxSession {
  readonly kind = 'm365-group' as const;
  readonly accepts: readonly ContentFormat[] = ['rfc822'];
  readonly commitEachWrite = true;

  constructor(readonly ctx: GroupContext) {}

  /** A group's conversations are one list: it shows as the Inbox. */
  async listFolders(): Promise<FolderInfo[]> {
    return [{ path: 'Inbox', segments: ['Inbox'], separator: '/', specialUse: 'inbox', noSelect: false, itemType: 'mail' }];
  }

  async listMessages(): Promise<MessageRef[]> {
    throw new ValidationError(
      'A Microsoft 365 Groups endpoint over Microsoft Graph is a destination only: Mailferry posts conversations to it and reads none back.',
    );
  }

  // biome-ignore lint/correctness/useYield: readMessages is an async generator in every session; this one refuses before yielding anything
  async *readMessages(): AsyncIterable<SourceMessage> {
    throw new ValidationError('A Microsoft 365 Groups endpoint over Microsoft Graph is a destination only.');
  }

  async ensureFolder(segments: string[], itemType?: ItemType): Promise<{ path: string; state: DestinationFolderState }> {
    const path = segments.join('/');
    if (itemType !== undefined && itemType !== 'mail') {
      throw new ValidationError(
        `"${path}" holds ${itemType}: over Microsoft Graph, Mailferry posts mail only to a Microsoft 365 group. ` +
          (itemType === 'calendar'
            ? 'Graph writes a group calendar only with POST /groups/{id}/events, which sends an invitation to every attendee and cannot be told not to, and keeps neither the organizer nor the original dates. '
            : '') +
          `Copy it while the tenant still allows EWS (protocol ews), or leave it out with FolderFilter="${GROUPS_FOLDER_FILTER}".`,
        { field: 'options.FolderFilter' },
      );
    }
    if (!(segments.length === 1 && /^inbox$/i.test(segments[0]!))) {
      throw new ValidationError(
        `A Microsoft 365 group's conversations have no folders; "${path}" cannot be created there. ` +
          `Add the support option FolderFilter="${GROUPS_FOLDER_FILTER}" to copy the Inbox only, or FolderMapping to send other folders to Inbox.`,
        { field: 'options.FolderFilter' },
      );
    }
    return { path: 'Inbox', state: this.state() };
  }

  async folderState(): Promise<DestinationFolderState> {
    return this.state();
  }

  markOf(sourceKey: string): string {
    return postMarker(sourceKey);
  }

  appendMessages(_path: string, messages: AsyncIterable<SourceMessage>): AsyncIterable<AppendResult> {
    const self = this;
    return (async function* () {
      // One post at a time: a crash leaves at most one post whose ledger row was not written.
      for await (const message of messages) yield await self.postOne(message);
    })();
  }

  /** Threads delivered since the floor (seconds), each with the source mark its preview carries. */
  async listRange(_path: string, fromUid: number): Promise<DestinationEntry[]> {
    const { values } = await readAllPages<ThreadListing>(
      this.ctx,
      `/v1.0/groups/${encodeURIComponent(this.ctx.groupId)}/threads?$select=id,preview,lastDeliveredDateTime`,
      { action: `Listing the conversations of ${this.ctx.group}` },
    );
    const out: DestinationEntry[] = [];
    for (const thread of values) {
      const second = Math.floor(Date.parse(thread.lastDeliveredDateTime ?? '') / 1000);
      if (!(second >= fromUid)) continue;
      const mark = markerIn(thread.preview);
      // Never paired by size: a post has none of the source's bytes.
      out.push({ uid: second, size: -1, destId: thread.id, ...(mark ? { sourceKey: mark } : {}) });
    }
    return out;
  }

  async close(): Promise<void> {
    this.ctx.transport.close();
  }

  private state(): DestinationFolderState {
    return { uidValidity: hash31(this.ctx.groupId), uidNext: Math.floor(this.ctx.transport.serverNow() / 1000) - FLOOR_SLACK_S };
  }

  private async postOne(message: SourceMessage): Promise<AppendResult> {
    if ((message.format ?? 'rfc822') !== 'rfc822') {
      return {
        ref: message.ref,
        error: new ItemRejectedError(
          `A Microsoft 365 group over Microsoft Graph takes mail as conversation posts only, not ${message.format} items.`,
        ),
      };
    }
    try {
      const bytes = Buffer.isBuffer(message.content) ? message.content : await buffer(await message.content());
      const post = await groupPostOf(message, bytes);
      const { body } = await sendDelegated<{ id?: string }>(this.ctx.transport, this.ctx.endpoint, {
        method: 'POST',
        url: `/v1.0/groups/${encodeURIComponent(this.ctx.groupId)}/threads`,
        json: post.thread,
        action: `Posting a conversation to ${this.ctx.group}`,
      });
      if (!body?.id) throw new MailferryError('internal', 'Microsoft Graph posted the conversation but named no thread id.');
      const losses = post.attachments.length
        ? [
            new ItemRejectedError(
              `Posted to ${this.ctx.group} without its attachments (a conversation post over Microsoft Graph carries none): ` +
                `${post.attachments.map((a) => `"${a.name}"`).join(', ')}. Keep the original, or copy this mailbox while the tenant allows EWS.`,
            ),
          ]
        : undefined;
      return { ref: message.ref, destId: body.id, ...(losses ? { losses } : {}) };
    } catch (raw) {
      const error = ensureError(raw);
      if (ITEM_ERRORS.has(error.code)) return { ref: message.ref, error };
      throw error;
    }
  }
}
