/**
 * "Waiting For End User": the admin does not know a mailbox's source password, so the end user
 * gets a signed link by e-mail, confirms the password on a page, and the item is queued at once
 * (the MigrationWiz "request user credentials" workflow). Also "Notify users".
 */
import type { MailConnector } from '../connector.js';
import { MailferryError, NotFoundError, ThrottledError, ValidationError, ensureError } from '../errors.js';
import type { MailMessage, Mailer } from '../ports.js';
import type { EndpointKind, Item, Project } from '../model.js';
import { MAX_INLINE_WAIT_MS } from '../retry/index.js';
import type { ServiceDeps } from '../services/context.js';
import { PassService } from '../services/pass-service.js';
import { updateDoc } from '../update-doc.js';
import { CredentialLinkError, CredentialLinks, MAX_LINK_ATTEMPTS, type LinkClaims, type LinkKeyring } from './credential-link.js';
import type { CredentialsInput, NotifyUsersInput } from './end-user-inputs.js';
import { checkNotifyTemplate, credentialRequestEmail, notifyUsersEmail } from './templates.js';
import { verifySourceLogin } from './verify-source-login.js';

export interface EndUserConfig {
  mailer: Mailer;
  keyring: LinkKeyring;
  /** The same connectors the engine uses: a password is checked by the code that will use it. */
  connectorFor(kind: EndpointKind): MailConnector;
  /** Where the end-user page is served, e.g. `https://mailferry.contoso.com`. */
  publicBaseUrl: string;
  /** Named in e-mails and on the page as who is moving the mailbox. */
  organizationName?: string;
  linkTtlMs?: number;
}

/** The end-user page's path; the token travels in the fragment so it never reaches a server log or a Referer. */
export const END_USER_PAGE_PATH = '/end-user/credentials';
const DEFAULT_ORGANIZATION = 'Your IT administrator';
/** A throttled mailer is waited for inline up to the one ceiling, once; longer waits fail the item. */
const MAX_INLINE_THROTTLE_MS = MAX_INLINE_WAIT_MS;

import type { CredentialRequestView, SubmitResult } from './end-user-views.js';

export type { CredentialRequestView, SubmitResult };

export interface DeliveryReport {
  sent: number;
  failed: number;
  results: { itemId: string; address?: string; status: 'sent' | 'failed'; reason?: string }[];
}

export class EndUserService {
  private readonly links: CredentialLinks;
  private readonly passes: PassService;
  private readonly requestedBy: string;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly config: EndUserConfig,
  ) {
    this.links = new CredentialLinks(config.keyring, deps.clock, config.linkTtlMs);
    this.passes = new PassService(deps);
    this.requestedBy = config.organizationName?.trim() || DEFAULT_ORGANIZATION;
  }

  /**
   * Issues a new link for an item waiting in `passId` (retiring any earlier link) and e-mails it
   * to the item's source address: the mailbox the user still reads before the cut-over.
   */
  async requestCredentials(tenantId: string, itemId: string, passId: string): Promise<{ sentTo: string; expiresAt: string }> {
    const { store } = this.deps;
    const item = await store.items.get(tenantId, itemId);
    if (!item) throw new NotFoundError(`No item with id ${itemId}.`, { field: 'itemId' });
    if (!isWaiting(item, passId)) {
      throw new ValidationError(
        `${item.sourceAddress} is not waiting for its end user in this pass (it is "${item.status}"); start a pass for it first.`,
        { field: 'itemId' },
      );
    }
    const project = await this.project(tenantId, item.projectId);
    const { token, claims, request } = this.links.issue({ tenantId, itemId, passId, address: item.sourceAddress });
    await updateDoc(store.items, tenantId, itemId, (current) => {
      if (!isWaiting(current, passId))
        throw new ValidationError(`${current.sourceAddress} stopped waiting for its end user (it is "${current.status}").`, {
          field: 'itemId',
        });
      return { ...current, endUserRequest: request };
    });
    const email = credentialRequestEmail({
      requestedBy: this.requestedBy,
      projectName: project.name,
      sourceAddress: item.sourceAddress,
      destinationAddress: item.destinationAddress,
      link: this.linkFor(token),
      expiresAt: claims.expiresAt,
      maxAttempts: MAX_LINK_ATTEMPTS,
    });
    await this.send({ to: item.sourceAddress, ...email });
    return { sentTo: item.sourceAddress, expiresAt: request.expiresAt };
  }

  /** Sends links for the pass's waiting items (all, or the given ones); one failure never stops the rest. */
  async requestForPass(tenantId: string, passId: string, itemIds?: string[]): Promise<DeliveryReport> {
    const pass = await this.deps.store.passes.get(tenantId, passId);
    if (!pass) throw new NotFoundError(`No pass with id ${passId}.`, { field: 'passId' });
    const report: DeliveryReport = { sent: 0, failed: 0, results: [] };
    for (const itemId of itemIds ?? pass.itemIds) {
      const item = await this.deps.store.items.get(tenantId, itemId);
      if (!itemIds && (!item || !isWaiting(item, passId))) continue;
      await this.deliver(report, itemId, item?.sourceAddress, () => this.requestCredentials(tenantId, itemId, passId));
    }
    return report;
  }

  async describe(token: string): Promise<CredentialRequestView> {
    const claims = this.links.read(token);
    const item = await this.waitingItem(claims);
    const request = this.links.check(item, claims);
    const project = await this.project(claims.tenantId, item.projectId);
    return {
      sourceAddress: item.sourceAddress,
      destinationAddress: item.destinationAddress,
      projectName: project.name,
      requestedBy: this.requestedBy,
      loginHint: item.sourceLogin ?? item.sourceAddress,
      expiresAt: request.expiresAt,
      attemptsLeft: Math.max(0, MAX_LINK_ATTEMPTS - request.attempts),
    };
  }

  /**
   * Counts the attempt, checks the password against the source at once, and on success stores
   * it encrypted, spends the link and queues the item. A refused password keeps the link usable
   * (until the attempts run out); the reason is worded for the end user.
   */
  async submitCredentials(token: string, input: CredentialsInput): Promise<SubmitResult> {
    const claims = this.links.read(token);
    const waiting = await this.waitingItem(claims);
    const login = input.login ?? waiting.sourceLogin ?? waiting.sourceAddress;
    // Checked before an attempt is spent and before the server is asked: no guess was made.
    const wrongLogin = loginNotOfMailbox(waiting, login);
    if (wrongLogin)
      return {
        accepted: false,
        reason: wrongLogin,
        attemptsLeft: Math.max(0, MAX_LINK_ATTEMPTS - (waiting.endUserRequest?.attempts ?? 0)),
      };
    const { item, attemptsLeft } = await this.links.claimAttempt(this.deps.store.items, claims);
    const project = await this.project(claims.tenantId, item.projectId);
    const source = await this.deps.store.endpoints.get(claims.tenantId, project.sourceEndpointId);
    if (!source) throw new MailferryError('internal', `Project "${project.name}" has no source endpoint.`);

    const check = await verifySourceLogin(this.config.connectorFor, source, item.sourceAddress, login, input.password);
    if (!check.ok) {
      if (!check.counts) return { accepted: false, reason: check.reason, attemptsLeft: await this.refundAttempt(claims) };
      const last =
        attemptsLeft === 0
          ? ` That was the last of ${MAX_LINK_ATTEMPTS} tries for this link: ask your administrator to send you a new one.`
          : '';
      return { accepted: false, reason: check.reason + last, attemptsLeft };
    }
    await this.acceptCredentials(claims, project, login, input.password);
    return {
      accepted: true,
      message: `Thank you: the password of ${item.sourceAddress} was confirmed and your mailbox is queued to move to ${item.destinationAddress}. You can close this page.`,
    };
  }

  /**
   * "Notify users": the admin's message (with `{{sourceAddress}}`, `{{destinationAddress}}`,
   * `{{projectName}}` placeholders) to each selected item. By default it goes to the DESTINATION
   * address: notices are about the new mailbox and usually go out around the cut-over, after
   * which mail to the user's address arrives there; `recipient: 'source'` reaches users still
   * reading the old system before it.
   */
  async notifyUsers(
    tenantId: string,
    projectId: string,
    itemIds: string[],
    input: Omit<NotifyUsersInput, 'itemIds'>,
  ): Promise<DeliveryReport> {
    checkNotifyTemplate(input.subject, 'subject');
    checkNotifyTemplate(input.message, 'message');
    const project = await this.project(tenantId, projectId);
    const report: DeliveryReport = { sent: 0, failed: 0, results: [] };
    for (const itemId of itemIds) {
      const item = await this.deps.store.items.get(tenantId, itemId);
      const to =
        item && item.projectId === projectId ? (input.recipient === 'source' ? item.sourceAddress : item.destinationAddress) : undefined;
      await this.deliver(report, itemId, to, async () => {
        if (!item || !to) throw new NotFoundError(`No item ${itemId} in project "${project.name}".`);
        const fields = { sourceAddress: item.sourceAddress, destinationAddress: item.destinationAddress, projectName: project.name };
        await this.send({ to, ...notifyUsersEmail(input.subject, input.message, fields) });
      });
    }
    return report;
  }

  private async acceptCredentials(claims: LinkClaims, project: Project, login: string, password: string): Promise<void> {
    const { store, vault, clock } = this.deps;
    const pass = await store.passes.get(claims.tenantId, claims.passId);
    if (!pass || pass.status === 'stopping' || pass.status === 'stopped') throw stoppedLink();
    const startAt = pass.startAt ? new Date(pass.startAt) : undefined;
    const delayed = startAt !== undefined && startAt > clock.now();
    const status = delayed ? ('Submitted' as const) : ('Queued' as const);
    const secretRef = await vault.put(claims.tenantId, password);
    let replacedRef: string | undefined;
    try {
      await this.links.consume(store.items, claims, (current) => {
        if (!isWaiting(current, claims.passId)) throw stoppedLink();
        replacedRef = current.sourceSecretRef;
        return {
          ...current,
          sourceLogin: login,
          sourceSecretRef: secretRef,
          sourceSecretEndpointId: project.sourceEndpointId,
          status,
          lastRun: current.lastRun && { ...current.lastRun, status },
        };
      });
    } catch (error) {
      await vault.delete(claims.tenantId, secretRef); // lost the race (or the pass stopped): keep no orphan secret
      throw error;
    }
    if (replacedRef) await vault.delete(claims.tenantId, replacedRef);
    await this.passes.enqueue(project, pass, claims.itemId, delayed ? startAt : undefined);
  }

  /** A try the server could not answer is not the user's: give it back while the link is live. */
  private async refundAttempt(claims: LinkClaims): Promise<number> {
    const item = await updateDoc(this.deps.store.items, claims.tenantId, claims.itemId, (current) => {
      const request = current.endUserRequest;
      if (request?.tokenId !== claims.tokenId || request.usedAt || request.attempts === 0) return undefined;
      return { ...current, endUserRequest: { ...request, attempts: request.attempts - 1 } };
    });
    return MAX_LINK_ATTEMPTS - (item.endUserRequest?.attempts ?? MAX_LINK_ATTEMPTS);
  }

  /** The item the link is for, still waiting in the link's pass; a used link says so first. */
  private async waitingItem(claims: LinkClaims): Promise<Item> {
    const item = await this.deps.store.items.get(claims.tenantId, claims.itemId);
    if (!item)
      throw new CredentialLinkError(
        'mismatch',
        'This link no longer matches a mailbox waiting to be moved. Ask your administrator for a new link if your mailbox still needs to move.',
      );
    this.links.check(item, claims);
    if (!isWaiting(item, claims.passId)) throw stoppedLink();
    return item;
  }

  private async project(tenantId: string, projectId: string): Promise<Project> {
    const project = await this.deps.store.projects.get(tenantId, projectId);
    if (!project) throw new NotFoundError(`No project with id ${projectId}.`, { field: 'projectId' });
    return project;
  }

  private linkFor(token: string): string {
    return `${this.config.publicBaseUrl.replace(/\/+$/, '')}${END_USER_PAGE_PATH}#token=${token}`;
  }

  /** One send; a short throttle (Graph 429, SMTP 4xx) is waited out once instead of failing the item. */
  private async send(message: MailMessage): Promise<void> {
    try {
      await this.config.mailer.send(message);
    } catch (error) {
      if (!(error instanceof ThrottledError) || (error.retryAfterMs ?? Infinity) > MAX_INLINE_THROTTLE_MS) throw error;
      await this.deps.clock.sleep(error.retryAfterMs ?? 0);
      await this.config.mailer.send(message);
    }
  }

  private async deliver(
    report: DeliveryReport,
    itemId: string,
    address: string | undefined,
    action: () => Promise<unknown>,
  ): Promise<void> {
    try {
      await action();
      report.sent++;
      report.results.push({ itemId, address, status: 'sent' });
    } catch (error) {
      report.failed++;
      report.results.push({ itemId, address, status: 'failed', reason: ensureError(error).message });
    }
  }
}

/**
 * The link moves one mailbox: its source address. A login names the account whose mail would be
 * copied (IMAP opens the login's own mailbox, EWS with a user's login too), so a link holder who
 * typed another account's login and password would bring that account's mail into this item's
 * destination. Only the source address itself, or the login an admin set on the item, is taken.
 */
function loginNotOfMailbox(item: Item, login: string): string | undefined {
  const allowed = [item.sourceAddress, item.sourceLogin].filter((l): l is string => !!l);
  if (allowed.some((l) => l.trim().toLowerCase() === login.trim().toLowerCase())) return undefined;
  const configured =
    item.sourceLogin && item.sourceLogin.toLowerCase() !== item.sourceAddress
      ? ` or "${item.sourceLogin}", the login name your administrator set for it`
      : '';
  return (
    `This link is for the mailbox ${item.sourceAddress}: sign in with its login name, ${item.sourceAddress}${configured}. ` +
    'If your mail server needs a different login name for this mailbox, ask your administrator to set it on your mailbox first. This try was not counted.'
  );
}

function isWaiting(item: Item, passId: string): boolean {
  return item.status === 'Waiting For End User' && item.lastRun?.passId === passId;
}

function stoppedLink(): CredentialLinkError {
  return new CredentialLinkError(
    'mismatch',
    'The migration of this mailbox is no longer waiting for your password (an administrator stopped or changed it). Ask your administrator if it still needs to move.',
  );
}
