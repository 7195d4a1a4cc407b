/**
 * The envelope a Teams Workflows webhook ("Post to a channel when a webhook request is received")
 * expects, and Teams' size limit on it.
 */

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

/**
 * Teams rejects a message over "28 KB" (docs: "Send messages using incoming webhooks / Workflows",
 * limits). The docs do not say 1000 or 1024, so we take the smaller reading.
 */
export const TEAMS_MESSAGE_MAX_BYTES = 28_000;

/** An Adaptive Card as JSON; its shape is the template's, checked by the adaptivecards parser in tests. */
export type AdaptiveCardJson = Record<string, unknown>;

export interface TeamsCardMessage {
  type: 'message';
  attachments: [{ contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE; contentUrl: null; content: AdaptiveCardJson }];
}

export function teamsCardMessage(card: AdaptiveCardJson): TeamsCardMessage {
  return { type: 'message', attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content: card }] };
}

/** Bytes on the wire: what Teams counts, not JavaScript string length (UTF-16 units). */
export function serializedBytes(message: TeamsCardMessage): number {
  return Buffer.byteLength(JSON.stringify(message), 'utf8');
}
