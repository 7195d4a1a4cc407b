/**
 * Routes of the end-user credential workflow and "Notify users". The two end-user routes are
 * public: the signed link IS the credential, and the service takes tenant, item and pass from
 * it, never from `req.tenantId`. Both are POSTs with the link's token in the JSON body, so no
 * URL that a proxy or the host logs ever holds it. Admin routes use the usual project/pass access rules.
 */
import { credentialRequestsInput, linkCredentialsInput, linkInput, notifyUsersInput } from '../core/end-user/end-user-inputs.js';
import { parseInput } from '../core/schemas.js';
import type { ApiResponse } from './api-types.js';
import { bodyOrEmpty, type Route } from './routes.js';

/** A refused password is an answer for the page, not a server fault: 422 with the reason. */
const HTTP_UNPROCESSABLE = 422;
/** Some deliveries failed: the body says which (as Bulk Add does). */
const HTTP_MULTI_STATUS = 207;

const ok = (body: unknown, status = 200): ApiResponse => ({ status, body });
/** The page and its answers hold a live link's details: never cache them, never leak the URL. */
const PRIVATE_HEADERS = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };

export const endUserRoutes: Route[] = [
  {
    method: 'POST',
    path: '/api/v1/end-user/request',
    access: { public: true },
    body: linkInput,
    summary:
      'What the end-user page shows for a credential link (addresses, project, expiry), given {token}; 401 when the link is expired, used or invalid',
    description: 'Public: the signed link is the credential. The token travels in the body, never in a URL, so no request log records it.',
    handler: async (req, s) => ({ ...ok(await s.endUser.describe(parseInput(linkInput, req.body).token)), headers: PRIVATE_HEADERS }),
  },
  {
    method: 'POST',
    path: '/api/v1/end-user/credentials',
    access: { public: true },
    body: linkCredentialsInput,
    summary:
      'The end user confirms the source password ({token, login?, password}); checked against the source at once, then the item is queued',
    handler: async (req, s) => {
      const { token, ...credentials } = parseInput(linkCredentialsInput, req.body);
      const result = await s.endUser.submitCredentials(token, credentials);
      return { status: result.accepted ? 200 : HTTP_UNPROCESSABLE, body: result, headers: PRIVATE_HEADERS };
    },
  },
  {
    method: 'POST',
    path: '/api/v1/passes/:passId/credential-requests',
    access: { project: 'run', from: 'passId' },
    body: credentialRequestsInput,
    optionalBody: true,
    summary: 'E-mail a new credential link to items Waiting For End User in a pass (all, or the given itemIds); retires earlier links',
    handler: async (req, s) => {
      const { itemIds } = parseInput(credentialRequestsInput, bodyOrEmpty(req));
      const report = await s.endUser.requestForPass(req.tenantId, req.params.passId!, itemIds);
      return ok(report, report.failed ? HTTP_MULTI_STATUS : 200);
    },
  },
  {
    method: 'POST',
    path: '/api/v1/projects/:projectId/notify-users',
    access: { project: 'run', from: 'projectId' },
    body: notifyUsersInput,
    summary: 'Notify users: e-mail selected items (destination address by default) with {{placeholders}}; per-item report',
    handler: async (req, s) => {
      const { itemIds, ...message } = parseInput(notifyUsersInput, req.body);
      const report = await s.endUser.notifyUsers(req.tenantId, req.params.projectId!, itemIds, message);
      return ok(report, report.failed ? HTTP_MULTI_STATUS : 200);
    },
  },
];
