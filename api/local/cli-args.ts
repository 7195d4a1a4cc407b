import { parseArgs } from 'node:util';
import { ValidationError } from '../core/errors.js';

/** Exit codes: scripts tell success, partial success and failure apart. */
export const EXIT = { ok: 0, failed: 1, partial: 2, usage: 64 } as const;

export type Flags = Record<string, string | boolean | string[] | undefined>;

/** Every flag the CLI knows; each command reads the ones it needs. */
const FLAG_SPEC = {
  name: { type: 'string' },
  kind: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  security: { type: 'string' },
  'allow-self-signed': { type: 'boolean' },
  'admin-mode': { type: 'string' },
  'admin-login': { type: 'string' },
  'admin-password-env': { type: 'string' },
  'auth-mechanism': { type: 'string' },
  cloud: { type: 'string' },
  protocol: { type: 'string' },
  endpoint: { type: 'string' },
  'test-mailbox': { type: 'string' },
  'test-login': { type: 'string' },
  'test-password-env': { type: 'string' },
  'app-client-id': { type: 'string' },
  'app-tenant-id': { type: 'string' },
  'app-secret-env': { type: 'string' },
  'app-certificate-file': { type: 'string' },
  project: { type: 'string' },
  source: { type: 'string' },
  destination: { type: 'string' },
  option: { type: 'string', multiple: true },
  'max-concurrent': { type: 'string' },
  'teams-webhook-env': { type: 'string' },
  'source-login': { type: 'string' },
  'source-password-env': { type: 'string' },
  'destination-login': { type: 'string' },
  'destination-password-env': { type: 'string' },
  csv: { type: 'string' },
  side: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  items: { type: 'string' },
  pass: { type: 'string' },
  cutoff: { type: 'string' },
  before: { type: 'string' },
  'date-from': { type: 'string' },
  'date-to': { type: 'string' },
  'item-types': { type: 'string' },
  'start-at': { type: 'string' },
  item: { type: 'string' },
  search: { type: 'string' },
  status: { type: 'string' },
  wait: { type: 'boolean' },
  watch: { type: 'boolean' },
  json: { type: 'boolean' },
  'end-user': { type: 'boolean' },
  format: { type: 'string' },
  data: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  'allow-self-signed-source': { type: 'boolean' },
  'allow-self-signed-destination': { type: 'boolean' },
  'into-non-empty': { type: 'boolean' },
} as const;

export function parseCli(argv: string[]): { command: string[]; flags: Flags } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: FLAG_SPEC, allowPositionals: true, strict: true });
    return { command: positionals, flags: values as Flags };
  } catch (error) {
    throw new ValidationError(`${(error as Error).message}. Run "mailferry help" for the commands and their flags.`);
  }
}

export function required(flags: Flags, name: string): string {
  const value = flags[name];
  if (typeof value !== 'string' || !value) throw new ValidationError(`--${name} is required.`, { field: name });
  return value;
}

export function optional(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === 'string' && value ? value : undefined;
}

export function integer(flags: Flags, name: string): number | undefined {
  const value = optional(flags, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new ValidationError(`--${name} must be a whole number (got "${value}").`, { field: name });
  return n;
}

/** Passwords come from environment variables named on the command line, never from argv itself. */
export function secretFromEnv(flags: Flags, name: string): string | undefined {
  const variable = optional(flags, name);
  if (!variable) return undefined;
  const value = process.env[variable];
  if (!value) throw new ValidationError(`--${name} names ${variable}, but that environment variable is empty or unset.`, { field: name });
  return value;
}
