/**
 * App registration certificates for tests, made with openssl (as the Entra stand-in makes its
 * own): a self-signed RSA certificate and its private key, valid now by default, or with the
 * validity window a test needs (`openssl ca -selfsign` takes any start and end date, so an
 * expired or not-yet-valid certificate is a real one, not a patched clock).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  /** The public certificate: what the admin uploads to the app registration (the Entra stand-in's `certificatePem`). */
  certPem: string;
  /** The private key, unencrypted PKCS#8 PEM. */
  keyPem: string;
  /** Both, as an admin gives them to Mailferry. */
  pem: string;
}

const CA_CONFIG = `[ ca ]
default_ca = d
[ d ]
database = ./index.txt
new_certs_dir = .
serial = ./serial
default_md = sha256
policy = p
copy_extensions = none
unique_subject = no
[ p ]
commonName = supplied
`;

/** `openssl ca` dates: YYYYMMDDHHMMSSZ. */
const asn1Time = (d: Date) => `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;

export function makeAppCertificate(options: { commonName?: string; notBefore?: Date; notAfter?: Date } = {}): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'mailferry-app-cert-'));
  try {
    const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    writeFileSync(join(dir, 'ca.cnf'), CA_CONFIG);
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), `${Date.now().toString(16).padStart(16, '0')}\n`);
    run([
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'key.pem',
      '-out',
      'req.csr',
      '-subj',
      `/CN=${options.commonName ?? 'Mailferry migration app'}`,
    ]);
    const notBefore = options.notBefore ?? new Date(Date.now() - 3600_000);
    const notAfter = options.notAfter ?? new Date(Date.now() + 365 * 24 * 3600_000);
    run([
      'ca',
      '-batch',
      '-config',
      'ca.cnf',
      '-selfsign',
      '-keyfile',
      'key.pem',
      '-in',
      'req.csr',
      '-out',
      'cert.pem',
      '-notext',
      '-startdate',
      asn1Time(notBefore),
      '-enddate',
      asn1Time(notAfter),
    ]);
    const certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const keyPem = readFileSync(join(dir, 'key.pem'), 'utf8');
    return { certPem, keyPem, pem: `${certPem}${keyPem}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same key protected by a passphrase (what Mailferry must refuse with advice). */
export function encryptedKey(keyPem: string): string {
  return execFileSync('openssl', ['pkey', '-aes256', '-passout', 'pass:secret-phrase'], { input: keyPem }).toString();
}
