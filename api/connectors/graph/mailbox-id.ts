/**
 * The mailbox id the import/export API addresses (`MBX:…`), from `GET users/{upn}/settings/exchange`.
 * Exchange hands it out; we never build it. No mailbox id means no primary or shared mailbox:
 * a Microsoft 365 Groups address, a user without an Exchange Online licence, a typo.
 */
import { NotFoundError, ValidationError } from '../../core/errors.js';
import { GRAPH_PERMISSIONS } from './permissions.js';
import type { GraphTransport } from './transport.js';

export async function lookUpMailboxId(transport: GraphTransport, mailbox: string): Promise<string> {
  let answer: { primaryMailboxId?: string };
  try {
    ({ body: answer } = await transport.send<{ primaryMailboxId?: string }>({
      method: 'GET',
      url: `/v1.0/users/${encodeURIComponent(mailbox)}/settings/exchange`,
      action: `Looking up the mailbox of ${mailbox}`,
      permission: GRAPH_PERMISSIONS.mailboxId,
    }));
  } catch (err) {
    if (err instanceof NotFoundError) {
      throw new NotFoundError(
        `${mailbox} has no Exchange Online mailbox that Microsoft Graph can import into or export from (${err.message}). ` +
          'Check the address; a Microsoft 365 Groups mailbox cannot be reached this way (Graph has no Groups import): use an m365-group endpoint (EWS) for it.',
        { cause: err, field: 'mailbox' },
      );
    }
    throw err;
  }
  if (!answer?.primaryMailboxId) {
    throw new ValidationError(
      `Microsoft Graph returned no primaryMailboxId for ${mailbox}: it has no primary mailbox in Exchange Online.`,
      { field: 'mailbox' },
    );
  }
  return answer.primaryMailboxId;
}
