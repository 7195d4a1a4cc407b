/**
 * Secret support options (ModernAuthClientSecretExport/Import) live in the SecretVault like every
 * other secret: the stored option line keeps `Key=vault:<reference>`, reads mask it, and the engine
 * gets the clear value only when a job runs. A line still holding a clear value (written before
 * this existed) is moved to the vault by `sealStoredSecretOptions`.
 */
import { NotFoundError } from './errors.js';
import type { Collection, SecretVault, Store } from './ports.js';
import type { Endpoint, Item, Project } from './model.js';
import { canonicalOptionKey, isSecretOptionKey } from './support-options.js';
import { parseOptionLine } from './support-option-line.js';
import { listAll, projectItems } from './list-all.js';
import { updateDoc } from './update-doc.js';

/** Marks a stored value as a vault reference; a typed value is always sealed, so it can never pose as one. */
const REF_MARKER = 'vault:';

export interface SealedOptions {
  lines: string[];
  /** References created by this call: delete them if the record that should hold them is not written. */
  created: string[];
}

/**
 * The lines to store: each secret option's clear value put into the vault and replaced by its
 * reference. A line already stored with a reference (kept because the admin sent it back
 * masked) stays as it is; a reference-looking value typed by someone is sealed like any value.
 */
export async function sealSecretOptions(
  vault: SecretVault,
  tenantId: string,
  lines: string[],
  stored: string[] = [],
): Promise<SealedOptions> {
  const storedLines = new Set(stored);
  const created: string[] = [];
  const sealed: string[] = [];
  try {
    for (const line of lines) {
      const secret = secretValueOf(line);
      if (secret === undefined || (storedLines.has(line) && refOf(secret) !== undefined)) {
        sealed.push(line);
        continue;
      }
      const ref = await vault.put(tenantId, secret.value);
      created.push(ref);
      sealed.push(`${secret.key}=${REF_MARKER}${ref}`);
    }
  } catch (error) {
    await deleteSecrets(vault, tenantId, created);
    throw error;
  }
  return { lines: sealed, created };
}

/** The vault references held by secret option lines. */
export function secretOptionRefs(lines: string[]): string[] {
  return lines.flatMap((line) => {
    const secret = secretValueOf(line);
    const ref = secret && refOf(secret);
    return ref === undefined ? [] : [ref];
  });
}

/** Whether any secret option line still holds its value in clear. */
export function hasClearSecretOptions(lines: string[]): boolean {
  return lines.some((line) => {
    const secret = secretValueOf(line);
    return secret !== undefined && refOf(secret) === undefined;
  });
}

/** The lines with every reference replaced by the secret it names, for the engine only. */
export async function openSecretOptions(vault: SecretVault, tenantId: string, lines: string[]): Promise<string[]> {
  return Promise.all(
    lines.map(async (line) => {
      const secret = secretValueOf(line);
      const ref = secret && refOf(secret);
      if (!secret || ref === undefined) return line;
      try {
        return `${secret.key}=${asOptionValue(await vault.get(tenantId, ref))}`;
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        throw new NotFoundError(
          `The stored ${secret.key} can no longer be read from the vault: enter the client secret again in the support options.`,
          { field: 'options' },
        );
      }
    }),
  );
}

/** Every vault reference a record holds, so deleting the record can delete its secrets. */
export const secretRefsOf = {
  item: (item: Pick<Item, 'sourceSecretRef' | 'destinationSecretRef' | 'options'>): (string | undefined)[] => [
    item.sourceSecretRef,
    item.destinationSecretRef,
    ...secretOptionRefs(item.options),
  ],
  project: (project: Project): (string | undefined)[] => [project.teamsWebhookRef, ...secretOptionRefs(project.options)],
  endpoint: (endpoint: Endpoint): (string | undefined)[] => [
    endpoint.adminSecretRef,
    endpoint.appSecretRef,
    endpoint.signInRef,
    endpoint.appCertificateKeyRef,
  ],
};

/** Deletes in flight at once: Key Vault's delete-then-purge takes a few round trips each. */
const DELETE_CONCURRENCY = 8;

/**
 * Deletes references; used when their owner goes or a secret is replaced. A project's thousands
 * of item passwords go a few at a time; every delete is tried before the first failure is thrown.
 */
export async function deleteSecrets(vault: SecretVault, tenantId: string, refs: Iterable<string | undefined>): Promise<void> {
  const queue = [...new Set(refs)].filter((ref): ref is string => !!ref);
  const failures: unknown[] = [];
  const worker = async (): Promise<void> => {
    for (let ref = queue.shift(); ref !== undefined; ref = queue.shift()) {
      await vault.delete(tenantId, ref).catch((error: unknown) => failures.push(error));
    }
  };
  await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, queue.length) }, worker));
  if (failures.length) throw failures[0];
}

/** References held before and no longer after: what an update must delete. */
export function droppedRefs(before: Iterable<string | undefined>, after: Iterable<string | undefined>): string[] {
  const kept = new Set(after);
  return [...new Set(before)].filter((ref): ref is string => ref !== undefined && !kept.has(ref));
}

function secretValueOf(line: string): { key: string; value: string } | undefined {
  const parsed = parseOptionLine(line);
  if (parsed.value === undefined || !isSecretOptionKey(parsed.key) || parsed.value === '') return undefined;
  return { key: canonicalOptionKey(parsed.key) ?? parsed.key.trim(), value: parsed.value };
}

function refOf(secret: { value: string }): string | undefined {
  return secret.value.startsWith(REF_MARKER) ? secret.value.slice(REF_MARKER.length) : undefined;
}

/**
 * The value written so that parsing the line gives it back: unquoted values are taken verbatim
 * (support-option-line.ts) unless they open with a quote or have spaces at either end.
 */
function asOptionValue(value: string): string {
  if (!value.startsWith('"') && value.trim() === value) return value;
  return `"${value.replaceAll('"', '\\"')}"`;
}

/**
 * Moves client secrets that older versions stored in clear into the vault, for every project and
 * item of the tenants given. Run once when a host starts; a record edited meanwhile is left for
 * the next run (its new lines were sealed by the edit anyway). Returns how many records moved.
 */
export async function sealStoredSecretOptions(store: Store, vault: SecretVault, tenantIds: string[]): Promise<number> {
  let moved = 0;
  for (const tenantId of tenantIds) {
    const projects = await listAll((cursor) => store.projects.list(tenantId, { cursor }));
    for (const project of projects) {
      if (await sealRecord(store.projects, vault, project)) moved++;
      for (const item of await projectItems(store, tenantId, project.id)) if (await sealRecord(store.items, vault, item)) moved++;
    }
  }
  return moved;
}

async function sealRecord<T extends Project | Item>(collection: Collection<T>, vault: SecretVault, record: T): Promise<boolean> {
  if (!hasClearSecretOptions(record.options)) return false;
  const sealed = await sealSecretOptions(vault, record.tenantId, record.options, record.options);
  let written = false;
  await updateDoc(collection, record.tenantId, record.id, (current) => {
    if (current.options.join('\n') !== record.options.join('\n')) return undefined;
    written = true;
    return { ...current, options: sealed.lines };
  });
  if (!written) await deleteSecrets(vault, record.tenantId, sealed.created);
  return written;
}
