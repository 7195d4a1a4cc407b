/**
 * "Save and Go to Summary" for a Graph endpoint: the app's token, then against a test mailbox
 * each permission on its own (mailbox id, folders read and write, items read, export, import,
 * MIME import), so that each failure names the one permission to grant and where. Requests that
 * would change the mailbox are sent with a body Graph refuses as invalid: a 400 proves the
 * permission was granted (Graph checks the token's roles first), a 403 proves it was not.
 */
import type { EndpointCheck, EndpointProbe, MailboxAccess } from '../../core/connector.js';
import { certificateExpiresSoon, certificateProblem, probeAppCredentials } from '../../core/app-certificate.js';
import { ForbiddenError, ensureError } from '../../core/errors.js';
import { type GraphContext, mailboxPath } from './context.js';
import type { GraphConnector } from './graph-connector.js';
import { lookUpMailboxId } from './mailbox-id.js';
import { userPath } from './settings-rules.js';
import { GRAPH_PERMISSIONS, grantAdvice } from './permissions.js';
import type { GraphTransport } from './transport.js';

function accessOf(probe: EndpointProbe): MailboxAccess {
  return { endpoint: probe.endpoint, mailbox: probe.testMailbox ?? '', modernAuth: probeAppCredentials(probe) };
}

/** An app certificate's validity, before asking Entra ID for a token with it. */
function certificateCheck(probe: EndpointProbe, now: number): EndpointCheck | undefined {
  const certificate = probe.endpoint.appCertificate;
  if (!certificate) return undefined;
  const check = `App certificate ${certificate.thumbprint}`;
  const problem = certificateProblem(certificate, now);
  if (problem) return { check, status: 'failed', detail: problem };
  const soon = certificateExpiresSoon(certificate, now);
  if (soon) return { check, status: 'warning', detail: soon };
  return { check, status: 'ok', detail: `${certificate.subject}, valid until ${certificate.notAfter.slice(0, 10)}.` };
}

export async function probeGraphEndpoint(connector: GraphConnector, probe: EndpointProbe): Promise<EndpointCheck[]> {
  const checks: EndpointCheck[] = [];
  const access = accessOf(probe);
  const certificate = certificateCheck(probe, connector.now());
  if (certificate) checks.push(certificate);
  if (certificate?.status === 'failed') return checks;
  let transport: GraphTransport;
  try {
    transport = connector.transportFor(access, AbortSignal.timeout(60_000));
    checks.push({
      check: 'Microsoft Graph',
      status: 'ok',
      detail: `${transport.options.baseUrl.href}, app ${access.modernAuth!.clientId}`,
    });
    await transport.options.credentials.header();
    checks.push({
      check: 'App token',
      status: 'ok',
      detail: `Entra ID issued a token for Microsoft Graph to app ${access.modernAuth!.clientId}.`,
    });
  } catch (error) {
    checks.push({
      check: checks.some((c) => c.check === 'Microsoft Graph') ? 'App token' : 'Microsoft Graph',
      status: 'failed',
      detail: ensureError(error).message,
    });
    return checks;
  }
  if (!access.mailbox) {
    checks.push({
      check: 'Permissions',
      status: 'skipped',
      detail: 'Give a test mailbox to check each permission against it: an app reaches mailboxes, not a mailbox of its own.',
    });
    return checks;
  }
  let mailboxId: string;
  try {
    mailboxId = await lookUpMailboxId(transport, access.mailbox);
    checks.push({
      check: `Mailbox id (${GRAPH_PERMISSIONS.mailboxId})`,
      status: 'ok',
      detail: `${access.mailbox} is an Exchange Online mailbox.`,
    });
  } catch (error) {
    checks.push({ check: `Mailbox id (${GRAPH_PERMISSIONS.mailboxId})`, status: 'failed', detail: ensureError(error).message });
    return checks;
  }
  const ctx = connector.context(access, transport, mailboxId);
  checks.push(...(await permissionChecks(ctx, probe.role)));
  return checks;
}

/** A probe that could not ask its question (the step it needs failed first): neither ok nor failed. */
const UNTESTED = Symbol('untested');

interface PermissionProbe {
  permission: string;
  /** What to grant when it fails, when more than `permission` would do. */
  grant?: string;
  what: string;
  /** Only some projects need it (MIME import: sources other than Exchange Online): a warning, not a failure. */
  optional?: boolean;
  /** Needed on this side only: checked for the other side (EndpointProbe.role), its failure is a warning. */
  side?: 'source' | 'destination';
  run(ctx: GraphContext, state: { folderId?: string; itemId?: string }): Promise<unknown>;
}

const PROBES: PermissionProbe[] = [
  {
    permission: GRAPH_PERMISSIONS.folderRead,
    what: 'read its folders',
    grant: `${GRAPH_PERMISSIONS.folderWrite} (or ${GRAPH_PERMISSIONS.folderRead} for an endpoint used only as a source)`,
    run: async (ctx, state) => {
      const { body } = await ctx.transport.send<{ value?: { id: string }[] }>({
        method: 'GET',
        url: mailboxPath(ctx, '/folders'),
        action: `Listing the folders of ${ctx.mailbox}`,
      });
      state.folderId = body?.value?.[0]?.id;
    },
  },
  {
    permission: GRAPH_PERMISSIONS.itemRead,
    what: 'list its items',
    run: async (ctx, state) => {
      // Items are listed per folder: without one, nothing here tells whether the permission is granted.
      if (!state.folderId) return UNTESTED;
      const { body } = await ctx.transport.send<{ value?: { id: string }[] }>({
        method: 'GET',
        url: mailboxPath(ctx, `/folders/${encodeURIComponent(state.folderId)}/items?$top=1`),
        action: `Listing items of ${ctx.mailbox}`,
      });
      state.itemId = body?.value?.[0]?.id;
    },
  },
  {
    permission: GRAPH_PERMISSIONS.export,
    what: 'export items (as a source)',
    side: 'source',
    grant: `${GRAPH_PERMISSIONS.export} (or ${GRAPH_PERMISSIONS.import}, which allows export too)`,
    run: (ctx, state) =>
      ctx.transport.send({
        method: 'POST',
        url: mailboxPath(ctx, '/exportItems'),
        json: { ItemIds: state.itemId ? [state.itemId] : [] },
        action: `Exporting from ${ctx.mailbox}`,
      }),
  },
  {
    permission: GRAPH_PERMISSIONS.import,
    what: 'import items (as a destination)',
    side: 'destination',
    run: (ctx) =>
      ctx.transport.send({
        method: 'POST',
        url: mailboxPath(ctx, '/createImportSession'),
        action: `Opening an import session for ${ctx.mailbox}`,
      }),
  },
  {
    permission: GRAPH_PERMISSIONS.folderWrite,
    what: 'create folders (as a destination)',
    side: 'destination',
    // No displayName: refused as invalid once the permission check passed; nothing is created.
    run: (ctx) =>
      ctx.transport.send({ method: 'POST', url: mailboxPath(ctx, '/folders'), json: {}, action: `Creating a folder in ${ctx.mailbox}` }),
  },
  {
    permission: GRAPH_PERMISSIONS.mime,
    what: 'import mail from IMAP or Exchange on premises as MIME (as a destination)',
    side: 'destination',
    optional: true,
    run: (ctx) =>
      ctx.transport.send({
        method: 'POST',
        url: `/beta/users/${encodeURIComponent(ctx.mailbox)}/mailFolders/inbox/importMime`,
        text: '',
        action: `Importing MIME into ${ctx.mailbox}`,
      }),
  },
  {
    permission: GRAPH_PERMISSIONS.mailWrite,
    what: 'set read state, flags and categories on messages imported as MIME (as a destination)',
    side: 'destination',
    optional: true,
    // A message id that does not exist: 404 once the permission check passed; nothing is changed.
    run: (ctx) =>
      ctx.transport.send({
        method: 'PATCH',
        url: `/v1.0/users/${encodeURIComponent(ctx.mailbox)}/messages/AAMkMailferryProbe`,
        json: { isRead: true },
        action: `Updating a message in ${ctx.mailbox}`,
      }),
  },
  {
    permission: GRAPH_PERMISSIONS.settings,
    what: 'copy inbox rules and automatic replies (passes with the rules type)',
    grant: `${GRAPH_PERMISSIONS.settings} (or MailboxSettings.Read for an endpoint used only as a source)`,
    optional: true,
    // A property no rule has: refused as invalid once the permission check passed; no rule is created.
    run: (ctx) =>
      ctx.transport.send({
        method: 'POST',
        url: userPath(ctx, '/mailFolders/inbox/messageRules'),
        json: { mailferryProbe: true },
        action: `Creating an inbox rule in ${ctx.mailbox}`,
      }),
  },
  {
    permission: GRAPH_PERMISSIONS.calendars,
    what: 'copy calendar permissions (passes with the permissions type)',
    grant: `${GRAPH_PERMISSIONS.calendars} (or Calendars.Read for an endpoint used only as a source)`,
    optional: true,
    // As above: a property no calendar permission has; nothing is shared.
    run: (ctx) =>
      ctx.transport.send({
        method: 'POST',
        url: userPath(ctx, '/calendar/calendarPermissions'),
        json: { mailferryProbe: true },
        action: `Sharing the calendar of ${ctx.mailbox}`,
      }),
  },
];

async function permissionChecks(ctx: GraphContext, role?: 'source' | 'destination'): Promise<EndpointCheck[]> {
  const state: { folderId?: string; itemId?: string } = {};
  const checks: EndpointCheck[] = [];
  for (const probe of PROBES) {
    const check = `${probe.permission}`;
    try {
      if ((await probe.run(ctx, state)) === UNTESTED) {
        checks.push({
          check,
          status: 'skipped',
          detail: `Not checked: items are listed per folder, and no folder of ${ctx.mailbox} could be read (see ${GRAPH_PERMISSIONS.folderRead} above). Check again once it can.`,
        });
        continue;
      }
      checks.push({ check, status: 'ok', detail: `The app may ${probe.what} in ${ctx.mailbox}.` });
    } catch (raw) {
      const error = ensureError(raw);
      if (error instanceof ForbiddenError || error.code === 'auth') {
        // Checked as a source, an import permission missing is for later (the same endpoint as a destination), and the other way round.
        const otherSide = role !== undefined && probe.side !== undefined && probe.side !== role;
        checks.push({
          check,
          status: probe.optional || otherSide ? 'warning' : 'failed',
          detail:
            `The app may not ${probe.what} in ${ctx.mailbox}. ` +
            (otherSide
              ? `This endpoint is checked as a ${role}, which does not need it; grant it before using it as a ${probe.side}: `
              : '') +
            grantAdvice(probe.grant ?? probe.permission, ctx.transport.options.clientId),
        });
      } else if (error.code === 'rejected' || error.code === 'not-found') {
        checks.push({ check, status: 'ok', detail: `The app may ${probe.what} in ${ctx.mailbox}.` });
      } else {
        checks.push({ check, status: 'failed', detail: error.message });
      }
    }
  }
  return checks;
}
