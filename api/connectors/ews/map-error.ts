/**
 * EWS response codes (messages.xsd ResponseCodeType) → Mailferry's typed errors, with what the
 * admin should do. Per-item codes become results with an error; mailbox-level ones are thrown.
 */
import {
  AuthError,
  ConnectionError,
  ForbiddenError,
  ItemRejectedError,
  ItemTooLargeError,
  MailferryError,
  NotFoundError,
  ThrottledError,
} from '../../core/errors.js';
import type { ResponseMessage } from './transport.js';

const CONCURRENCY_CODES = new Set(['ErrorExceededConnectionCount', 'ErrorTooManyObjectsOpened', 'ErrorExceededSubscriptionCount']);

export function isConcurrencyCode(code: string): boolean {
  return CONCURRENCY_CODES.has(code);
}

/** What to grant so that impersonation works, on premises and in Exchange Online. */
export const IMPERSONATION_FIX =
  'Grant the admin account the ApplicationImpersonation role (Exchange on premises: New-ManagementRoleAssignment -Role ApplicationImpersonation -User <admin>) ' +
  'or, on Exchange Online where ApplicationImpersonation is retired, give the app RBAC for Applications (New-ManagementRoleAssignment -App <app> -Role "Application EWS.AccessAsApp") ' +
  'or the full_access_as_app permission with admin consent; or switch the endpoint to delegation with FullAccess on each mailbox.';

export const FULL_ACCESS_FIX =
  'Give the admin account FullAccess on the mailbox (Add-MailboxPermission -Identity <mailbox> -User <admin> -AccessRights FullAccess), ' +
  'or switch the endpoint to impersonation.';

/** The day EWS in Exchange Online is gone for good, allow-list or not (GRAPH.md). */
export const EWS_RETIREMENT_DATE = '2027-04-01';

/**
 * Exchange Online refused EWS by policy: HTTP 403 with `X-EWS-Policy-Reason` ("EWS is disabled
 * for this user or tenant" / "EWS is blocked by policy …"). Retrying or another token cannot help;
 * the admin has two ways out, and the error names both.
 */
export function ewsPolicyRefusal(
  where: string,
  reason: string,
  who: string,
  groups = false,
  endpoint: { name?: string; id?: string } = {},
): AuthError {
  const app = /^app (.+)$/.exec(who)?.[1];
  // In the words of the console first (where most admins read this), then the CLI with the endpoint's own id.
  const inConsole = `in the console, Endpoints → ${endpoint.name ? `"${endpoint.name}"` : 'the endpoint'} → Edit → Protocol`;
  const id = endpoint.id ?? '<endpoint id>';
  const toGraph = groups
    ? 'switch this Groups endpoint to Microsoft Graph, which keeps less: each message becomes a conversation posted to the group by a signed-in administrator, ' +
      `with the original sender and dates only as text in the post, no attachments, mail only (${inConsole} → Microsoft Graph conversation posts, ` +
      `then "Sign in as an administrator"; or "mailferry endpoint set-protocol --endpoint ${id} --protocol graph --app-client-id … --app-tenant-id …", ` +
      `then "mailferry endpoint sign-in ${id}"; docs/endpoints.md, "Microsoft 365 Groups over Microsoft Graph", lists what is lost)`
    : `switch this endpoint to Microsoft Graph (${inConsole} → Microsoft Graph, or "mailferry endpoint set-protocol --endpoint ${id} --protocol graph"; ` +
      'the app registration then needs the Microsoft Graph application permissions the form lists, with admin consent)';
  return new AuthError(
    `Exchange Online at ${where} refused EWS for ${who} (HTTP 403, X-EWS-Policy-Reason: "${reason}"). Microsoft is switching EWS off in Exchange Online ` +
      `tenant by tenant and removes it for good on ${EWS_RETIREMENT_DATE}. Two ways out: ${toGraph}, ` +
      `or, until ${EWS_RETIREMENT_DATE}, allow this application in Exchange Online PowerShell: ` +
      `Set-OrganizationConfig -EwsAllowedAppIDs "${app ?? '<application (client) id>'}" (add it to the ids already listed by Get-OrganizationConfig -RetrieveEwsOperationAccessPolicy; it takes up to 24 hours).`,
  );
}

/** A fault (the whole request was refused). */
export function fromFault(fault: ResponseMessage, where: string): MailferryError {
  return fromCode(fault, `EWS at ${where}`);
}

/** A mailbox-level error from one response message. */
export function fromCode(message: ResponseMessage, context: string): MailferryError {
  const said = `${message.code}: ${message.text.trim()}`;
  switch (message.code) {
    case 'ErrorImpersonateUserDenied':
    case 'ErrorImpersonationDenied':
    case 'ErrorImpersonationFailed':
      return new ForbiddenError(`${context} refused impersonation (${said}). ${IMPERSONATION_FIX}`);
    case 'ErrorAccessDenied':
    case 'ErrorMailboxStoreUnavailable':
      if (message.code === 'ErrorAccessDenied') return new ForbiddenError(`${context}: access denied (${said}). ${FULL_ACCESS_FIX}`);
      return new ConnectionError(`${context}: the mailbox database is unavailable (${said}).`);
    case 'ErrorNonExistentMailbox':
    case 'ErrorInvalidSmtpAddress':
    case 'ErrorMailboxMoveInProgress':
      return message.code === 'ErrorMailboxMoveInProgress'
        ? new ConnectionError(`${context}: the mailbox is being moved (${said}); try again later.`)
        : new NotFoundError(
            `${context}: there is no such mailbox (${said}). Check the address, and that the mailbox exists on this server.`,
          );
    case 'ErrorInvalidServerVersion':
      return new MailferryError('unsupported', `${context} does not accept the requested Exchange version (${said}).`);
    case 'ErrorServerBusy':
      return new ThrottledError(`${context} is busy (${said}).`, Math.max(message.backOffMs ?? 5000, 1000));
    case 'ErrorConnectionFailed':
    case 'ErrorInternalServerTransientError':
    case 'ErrorTimeoutExpired':
      return new ConnectionError(`${context}: ${said}`);
    case 'ErrorFolderNotFound':
    case 'ErrorItemNotFound':
      return new NotFoundError(`${context}: ${said}`);
    case 'ErrorInvalidLicense':
    case 'ErrorAccountDisabled':
    case 'ErrorPasswordExpired':
      return new AuthError(`${context}: ${said}`);
    case 'ErrorSchemaValidation':
      return new MailferryError(
        'internal',
        `${context} rejected a request as invalid (${said}${message.values['Violation'] ? `; ${message.values['Violation']}` : ''}).`,
      );
    default:
      if (isConcurrencyCode(message.code)) return new ThrottledError(`${context}: too many concurrent requests (${said}).`, 5000);
      return new MailferryError('internal', `${context}: ${said}`);
  }
}

/** A per-item error (CreateItem, UploadItems, GetItem, ExportItems): a result row, never a throw. */
export function itemError(message: ResponseMessage, action: string, size?: number): MailferryError {
  const said = `${message.code}: ${message.text.trim()}`;
  if (message.code === 'ErrorMessageSizeExceeded') {
    const limit =
      message.values['MaxMessageSizeInKb'] ?? message.values['MaxMessageSize'] ?? /(\d+)\s*(KB|MB|bytes)/i.exec(message.text)?.[0];
    return new ItemTooLargeError(
      `The destination refused the item${size ? ` (${size} bytes)` : ''} as too large${limit ? ` (limit ${limit}${/^\d+$/.test(limit) ? ' KB' : ''})` : ''}: ${said}`,
    );
  }
  if (message.code === 'ErrorQuotaExceeded') return new ItemRejectedError(`The destination mailbox is full (${said}).`);
  if (
    message.code.startsWith('ErrorInvalid') ||
    message.code === 'ErrorCorruptData' ||
    message.code === 'ErrorItemCorrupt' ||
    message.code === 'ErrorMimeContentConversionFailed' ||
    message.code === 'ErrorCannotSetPermissionUnknownEntries'
  ) {
    return new ItemRejectedError(`${action}: the server refused the item (${said}).`);
  }
  if (message.code === 'ErrorItemNotFound')
    return new NotFoundError(`${action}: the item is gone (${said}); it was moved or deleted since it was listed.`);
  return new ItemRejectedError(`${action}: ${said}`);
}
