/**
 * An app registration's certificate credential (msal-node `clientCertificate`): the admin gives
 * one PEM text holding the certificate and its private key (`openssl pkcs12 -in app.pfx -nodes`
 * turns a .pfx into one). The public facts (thumbprints, subject, validity) are kept on the
 * endpoint and shown; the private key is a secret: it goes into the vault, never into a record,
 * a log line, an error or an answer. Node's own crypto reads both; no library of ours.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { ValidationError } from './errors.js';
import type { EndpointProbe, ModernAuthCredentials } from './connector.js';
import type { SecretVault } from './ports.js';
import type { AppCertificate, Endpoint } from './model.js';

const FIELD = 'appCertificate';
const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const KEY_BLOCK = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----[\s\S]+?-----END \1-----/;
/** Warn in the endpoint check this long before the certificate expires. */
export const CERTIFICATE_WARNING_MS = 30 * 24 * 3600_000;

export interface ReadCertificate {
  certificate: AppCertificate;
  /** PKCS#8 PEM: what msal-node signs client assertions with. A secret. */
  privateKeyPem: string;
}

const HOW_TO =
  'Give the certificate and its private key as one PEM text (-----BEGIN CERTIFICATE----- … and -----BEGIN PRIVATE KEY----- …); ' +
  'from a .pfx file: openssl pkcs12 -in app.pfx -nodes -out app.pem.';

/** Reads the admin's PEM text; every problem is a ValidationError naming what to fix (and never quoting the key). */
export function readAppCertificate(pem: string): ReadCertificate {
  const certificates = pem.match(CERTIFICATE_BLOCK) ?? [];
  if (certificates.length === 0) {
    throw new ValidationError(`The app certificate has no certificate in it. ${HOW_TO}`, { field: FIELD });
  }
  const keyBlock = KEY_BLOCK.exec(pem);
  if (!keyBlock)
    throw new ValidationError(
      `The app certificate has no private key with it: Mailferry signs its sign-in requests with the key. ${HOW_TO}`,
      { field: FIELD },
    );
  if (keyBlock[1] === 'ENCRYPTED PRIVATE KEY') {
    throw new ValidationError(
      'The private key is protected by a passphrase, which Mailferry cannot type: give it without one (openssl pkey -in key.pem -out key-plain.pem). It is stored encrypted.',
      { field: FIELD },
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyBlock[0]);
  } catch {
    throw new ValidationError(`The private key could not be read: it is not a valid PEM private key. ${HOW_TO}`, { field: FIELD });
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new ValidationError(
      `The private key is ${key.asymmetricKeyType?.toUpperCase() ?? 'of an unknown type'}; Entra ID app certificates for sign-in must be RSA keys (2048 bits or more).`,
      { field: FIELD },
    );
  }
  // The leaf is the certificate the key belongs to; any others are its chain.
  const parsed = certificates.map((block) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new ValidationError(`A certificate in the text could not be read: it is not a valid PEM certificate. ${HOW_TO}`, {
        field: FIELD,
      });
    }
  });
  const leaf = parsed.find((c) => c.checkPrivateKey(key));
  if (!leaf) {
    throw new ValidationError(
      'The private key does not belong to the certificate given: give the certificate uploaded to the app registration together with its own private key.',
      { field: FIELD },
    );
  }
  return { certificate: describe(leaf), privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

function describe(cert: X509Certificate): AppCertificate {
  const hex = (fingerprint: string) => fingerprint.replace(/:/g, '').toUpperCase();
  return {
    thumbprint: hex(cert.fingerprint),
    thumbprintSha256: hex(cert.fingerprint256),
    subject: cert.subject.replace(/\n/g, ', '),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
  };
}

/** Why the certificate cannot sign in at `now` (expired or not valid yet), in an admin's words; undefined when it can. */
export function certificateProblem(certificate: AppCertificate, now: number): string | undefined {
  const which = `The app certificate (thumbprint ${certificate.thumbprint}, ${certificate.subject})`;
  const renew =
    'Create a new certificate, upload its public part in the Entra admin center (App registrations → the app → Certificates & secrets → Certificates), ' +
    'and give Mailferry the new certificate and private key.';
  if (now >= Date.parse(certificate.notAfter))
    return `${which} expired on ${day(certificate.notAfter)}: Entra ID refuses sign-ins with it. ${renew}`;
  if (now < Date.parse(certificate.notBefore)) {
    return `${which} is not valid until ${day(certificate.notBefore)}: Entra ID refuses sign-ins with it before then. Wait until then, or check this machine's clock.`;
  }
  return undefined;
}

/** A warning when the certificate expires within CERTIFICATE_WARNING_MS. */
export function certificateExpiresSoon(certificate: AppCertificate, now: number): string | undefined {
  const left = Date.parse(certificate.notAfter) - now;
  if (left <= 0 || left > CERTIFICATE_WARNING_MS) return undefined;
  return `The app certificate (thumbprint ${certificate.thumbprint}) expires on ${day(certificate.notAfter)}, in ${Math.ceil(left / (24 * 3600_000))} days: upload a new one to the app registration and give it to Mailferry before then.`;
}

function day(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * The app credentials an `oauth-app` endpoint signs in with: its certificate when it has one (the
 * credential Microsoft recommends), else its client secret; undefined when it has neither.
 */
export function endpointAppCredentials(endpoint: Endpoint, secret?: string, certificateKey?: string): ModernAuthCredentials | undefined {
  if (endpoint.authMechanism !== 'oauth-app' || !endpoint.appClientId || !endpoint.appTenantId) return undefined;
  const certificate = endpoint.appCertificate && certificateKey ? { ...endpoint.appCertificate, privateKey: certificateKey } : undefined;
  if (certificate) return { clientId: endpoint.appClientId, tenantId: endpoint.appTenantId, certificate };
  return secret ? { clientId: endpoint.appClientId, tenantId: endpoint.appTenantId, clientSecret: secret } : undefined;
}

/** The same for an endpoint check. */
export function probeAppCredentials(probe: EndpointProbe): ModernAuthCredentials | undefined {
  return endpointAppCredentials(probe.endpoint, probe.appSecret, probe.appCertificateKey);
}

/** The certificate's public facts for the endpoint record, its private key into the vault. */
export async function sealAppCertificate(
  vault: SecretVault,
  tenantId: string,
  pem: string,
): Promise<Required<Pick<Endpoint, 'appCertificate' | 'appCertificateKeyRef'>>> {
  const { certificate, privateKeyPem } = readAppCertificate(pem);
  return { appCertificate: certificate, appCertificateKeyRef: await vault.put(tenantId, privateKeyPem) };
}
