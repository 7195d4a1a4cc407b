/**
 * The IMAP MailConnector: resolves how to log in from the Endpoint and the item's access, and
 * opens an ImapSession. Everything protocol-specific lives in the files next to this one.
 */
import type { EndpointCheck, EndpointProbe, MailboxAccess, MailConnector } from '../../core/connector.js';
import { ValidationError } from '../../core/errors.js';
import type { OutboundPolicy } from '../outbound-policy.js';
import { imapAddress, imapLogin } from './connect.js';
import { DEFAULT_PIPELINE_OPTIONS, type PipelineOptions } from './append-pipeline.js';
import { ImapSession } from './imap-session.js';
import { probeImapEndpoint } from './probe-endpoint.js';
import { DEFAULT_READ_OPTIONS, type ReadOptions } from './read-messages.js';
import { namespaceOf } from './wire-commands.js';
import { openLoggedInWire } from './wire-login.js';

export interface ImapConnectorOptions {
  read?: Partial<ReadOptions>;
  pipeline?: Partial<PipelineOptions>;
  /** Which destinations this host may connect to; every destination by default (the embedded host). */
  outbound?: OutboundPolicy;
}

export class ImapConnector implements MailConnector {
  constructor(private readonly options: ImapConnectorOptions = {}) {}

  probe(probe: EndpointProbe): Promise<EndpointCheck[]> {
    return probeImapEndpoint(probe, this.options.outbound);
  }

  async open(access: MailboxAccess, signal?: AbortSignal): Promise<ImapSession> {
    if (access.endpoint.kind !== 'imap') {
      throw new ValidationError(`Endpoint "${access.endpoint.name}" is ${access.endpoint.kind}, not IMAP.`, { field: 'kind' });
    }
    const address = imapAddress(access, this.options.outbound);
    const login = imapLogin(access);
    // Our own connection first: logging in and listing take 3 round trips and no imapflow.
    const wire = await openLoggedInWire(address, login, signal);
    const namespace = await namespaceOf(wire).catch((err: unknown) => {
      wire.close();
      throw err;
    });
    return new ImapSession(wire, namespace, address, login, {
      read: { ...DEFAULT_READ_OPTIONS, ...this.options.read },
      pipeline: {
        ...DEFAULT_PIPELINE_OPTIONS,
        ...this.options.pipeline,
        ...(access.tuning?.pipelineDepth ? { maxCommandsInFlight: access.tuning.pipelineDepth } : {}),
      },
    });
  }
}
