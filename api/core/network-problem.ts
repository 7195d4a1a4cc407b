/**
 * Node's network and TLS failures (`getaddrinfo ENOTFOUND`, `connect ECONNREFUSED`, OpenSSL's
 * `ssl3_get_record:wrong version number`) in an admin's words, with what to try next. Translated
 * once, here; the original text stays beside the message as `details`, for the log.
 */

/** Where the connection went, when the caller knows better than the error does. */
export interface NetworkTarget {
  host?: string;
  port?: number;
  /** What was spoken over TLS: IMAP offers STARTTLS as the way out, HTTPS a different URL. */
  protocol?: 'IMAP' | 'HTTPS';
}

interface NodeNetworkError {
  code?: string;
  message: string;
  hostname?: string;
  address?: string;
  port?: number;
}

/** TLS spoken to something that does not answer TLS (a plain IMAP or HTTP port). */
const NOT_TLS = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_HTTP_REQUEST',
  'ERR_SSL_UNKNOWN_PROTOCOL',
]);

/** The admin's sentence for a network or TLS failure; undefined for anything else. */
export function networkProblem(error: NodeNetworkError, target: NetworkTarget = {}): string | undefined {
  const code = error.code ?? (/wrong version number/i.test(error.message) ? 'ERR_SSL_WRONG_VERSION_NUMBER' : undefined);
  if (!code) return undefined;
  const host = target.host ?? error.hostname ?? error.address ?? 'the server';
  const port = target.port ?? error.port;
  const at = port === undefined ? host : `${host} port ${port}`;
  switch (code) {
    case 'ENOTFOUND':
      // Microsoft's own addresses (Graph, Entra ID, Exchange Online's EWS) are not typed by the admin: nothing to check in the form.
      if (MICROSOFT_HOST.test(host)) {
        return `This machine could not find Microsoft's server ${host}: check its DNS, its Internet access and any proxy it must go through.`;
      }
      return `No server named ${host} was found: check the host name.`;
    case 'EAI_AGAIN':
      return `The name ${host} could not be looked up just now (DNS did not answer): check the host name and this machine's network, then try again.`;
    case 'ECONNREFUSED':
      return `Nothing answered on ${at}: check the port, and that the mail server is running there.`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${capitalise(at)} could not be reached: check the host name and the port, and that no firewall is in the way.`;
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ERR_STREAM_PREMATURE_CLOSE':
    case 'ERR_SOCKET_CLOSED':
      return `${capitalise(at)} closed the connection unexpectedly: try again; if it keeps happening, check the encryption setting and the port.`;
    default:
      if (!NOT_TLS.has(code)) return undefined;
      return target.protocol === 'HTTPS'
        ? `The server did not answer HTTPS${port === undefined ? '' : ` on port ${port}`}: check the address (http:// or https://) and the port.`
        : `The server did not answer TLS${port === undefined ? '' : ` on port ${port}`}: try STARTTLS or no encryption (usually port 143), or the TLS port (usually 993).`;
  }
}

/** Hosts of Microsoft's clouds Mailferry reaches on its own (graph.microsoft.com, login.microsoftonline.com, outlook.office365.com, …). */
const MICROSOFT_HOST =
  /(^|\.)(microsoft\.com|microsoftonline\.com|microsoftonline\.us|chinacloudapi\.cn|office365\.com|office365\.us|outlook\.cn|office\.de|microsoft\.us|apps\.mil)$/i;

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
