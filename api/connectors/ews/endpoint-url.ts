/**
 * Where an EWS endpoint lives: `exchange` takes the EWS URL, the OWA URL
 * (https://mail.x/owa → https://mail.x/EWS/Exchange.asmx) or a bare server name; `m365` and
 * `m365-group` take "" for their cloud's own EWS host, or an explicit EWS URL. Each Microsoft
 * 365 cloud has its own EWS host, Entra ID sign-in authority and token resource.
 */
import { ValidationError } from '../../core/errors.js';
import type { Endpoint, M365Cloud } from '../../core/model.js';

export interface CloudInfo {
  /** The cloud's EWS host; also the resource of its access tokens (`https://host/.default`). */
  ewsHost: string;
  /** Entra ID sign-in authority host for this cloud. */
  authorityHost: string;
}

/**
 * Microsoft 365 national clouds (Microsoft's "national cloud endpoints" for Entra ID and the
 * Exchange Online endpoints lists; Germany is the legacy Microsoft Cloud Deutschland).
 */
export const M365_CLOUD_INFO: Readonly<Record<M365Cloud, CloudInfo>> = {
  commercial: { ewsHost: 'outlook.office365.com', authorityHost: 'https://login.microsoftonline.com' },
  china: { ewsHost: 'partner.outlook.cn', authorityHost: 'https://login.chinacloudapi.cn' },
  germany: { ewsHost: 'outlook.office.de', authorityHost: 'https://login.microsoftonline.de' },
  'usgov-gcchigh': { ewsHost: 'outlook.office365.us', authorityHost: 'https://login.microsoftonline.us' },
  'usgov-dod': { ewsHost: 'webmail.apps.mil', authorityHost: 'https://login.microsoftonline.us' },
};

export const EWS_PATH = '/EWS/Exchange.asmx';

export function isMicrosoft365(endpoint: Pick<Endpoint, 'kind'>): boolean {
  return endpoint.kind === 'm365' || endpoint.kind === 'm365-group';
}

export function cloudOf(endpoint: Pick<Endpoint, 'cloud'>): CloudInfo {
  return M365_CLOUD_INFO[endpoint.cloud ?? 'commercial'] ?? M365_CLOUD_INFO.commercial;
}

/** The EWS URL to POST to. */
export function ewsUrl(endpoint: Pick<Endpoint, 'kind' | 'host' | 'port' | 'cloud' | 'name'>): URL {
  const host = (endpoint.host ?? '').trim();
  if (host === '') {
    if (isMicrosoft365(endpoint)) return new URL(`https://${cloudOf(endpoint).ewsHost}${EWS_PATH}`);
    throw new ValidationError(
      `Endpoint "${endpoint.name}": give the Exchange server's EWS URL (https://mail.example.com/EWS/Exchange.asmx), its OWA URL or its name.`,
      { field: 'host' },
    );
  }
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(host) ? host : `https://${host}`);
  } catch {
    throw new ValidationError(`Endpoint "${endpoint.name}": "${host}" is neither a URL nor a server name.`, { field: 'host' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ValidationError(`Endpoint "${endpoint.name}": EWS needs an https:// URL, not ${url.protocol}.`, { field: 'host' });
  }
  if (endpoint.port && !/:\d+$/.test(url.host)) url.port = String(endpoint.port);
  const p = url.pathname.replace(/\/+$/, '');
  if (/\.asmx$/i.test(p)) return url;
  // OWA (https://mail.x/owa, /owa/auth/logon.aspx…) and a bare server name both lead to /EWS/Exchange.asmx.
  url.pathname = EWS_PATH;
  url.search = '';
  url.hash = '';
  return url;
}

/**
 * The resource an access token must be issued for: Exchange Online's tokens name the cloud's
 * EWS host whatever URL we POST to; an on-premises server (hybrid Modern Auth) names its own.
 */
export function tokenResource(endpoint: Pick<Endpoint, 'kind' | 'host' | 'port' | 'cloud' | 'name'>): string {
  if (isMicrosoft365(endpoint)) return `https://${cloudOf(endpoint).ewsHost}`;
  return ewsUrl(endpoint).origin;
}
