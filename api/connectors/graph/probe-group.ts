/**
 * "Save and Go to Summary" for a Microsoft 365 Groups endpoint over Graph: the administrator's
 * sign-in gives a token, the test group is found, and posting is allowed. The post is sent with
 * a body Graph refuses as invalid (no topic): a 400 proves the delegated permission (Graph checks
 * the token first), a 403 proves it missing; nothing is posted.
 */
import type { EndpointCheck, EndpointProbe } from '../../core/connector.js';
import { ForbiddenError, ensureError } from '../../core/errors.js';
import { GROUP_POST_PERMISSION } from './delegated-auth.js';
import type { GraphConnector } from './graph-connector.js';
import { lookUpGroupId } from './group-threads.js';
import type { GraphTransport } from './transport.js';

export async function probeGroupEndpoint(connector: GraphConnector, probe: EndpointProbe): Promise<EndpointCheck[]> {
  const { endpoint } = probe;
  const checks: EndpointCheck[] = [];
  let transport: GraphTransport;
  try {
    transport = connector.transportFor(
      { endpoint, mailbox: probe.testMailbox ?? '', delegatedSignIn: probe.delegatedSignIn },
      AbortSignal.timeout(60_000),
    );
    await transport.options.credentials.header();
    checks.push({
      check: 'Administrator sign-in',
      status: 'ok',
      detail: `Entra ID gave ${endpoint.signedInAs ?? 'the administrator'} a token for Microsoft Graph (app ${endpoint.appClientId}).`,
    });
  } catch (error) {
    checks.push({ check: 'Administrator sign-in', status: 'failed', detail: ensureError(error).message });
    return checks;
  }
  if (!probe.testMailbox) {
    checks.push({
      check: 'Group',
      status: 'skipped',
      detail: 'Give a test group address to check that it is found and that the administrator may post to it.',
    });
    return checks;
  }
  let groupId: string;
  try {
    groupId = await lookUpGroupId(transport, endpoint, probe.testMailbox);
    checks.push({ check: 'Group', status: 'ok', detail: `${probe.testMailbox} is a Microsoft 365 group.` });
  } catch (error) {
    checks.push({ check: 'Group', status: 'failed', detail: ensureError(error).message });
    return checks;
  }
  try {
    await transport.send({
      method: 'POST',
      url: `/v1.0/groups/${encodeURIComponent(groupId)}/threads`,
      json: { posts: [] },
      action: `Posting to ${probe.testMailbox}`,
    });
    checks.push({ check: `Post conversations (${GROUP_POST_PERMISSION})`, status: 'ok', detail: 'Allowed.' });
  } catch (raw) {
    const error = ensureError(raw);
    const denied = error instanceof ForbiddenError || error.code === 'auth';
    checks.push({
      check: `Post conversations (${GROUP_POST_PERMISSION}, delegated)`,
      status: denied ? 'failed' : 'ok',
      detail: denied
        ? `${error.message.split('. ')[0]}. Add the delegated permission ${GROUP_POST_PERMISSION} to the app ${endpoint.appClientId} (Entra admin center → App registrations → API permissions → Microsoft Graph → Delegated permissions), grant admin consent, and sign in again.`
        : 'Allowed (Graph refused only the empty test post, as intended).',
    });
  }
  return checks;
}
