import { changeDomain, parseItemsCsv, type CsvItemRow, type CsvProblem } from '../csv-import.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { ACTIVE_STATUSES, type ErrorRow, type Item, type ItemStatus, type Project } from '../model.js';
import type { Page } from '../ports.js';
import type { ChangeDomainInput, ItemInput, ItemPatch } from '../schemas.js';
import { mergeMaskedUpdate } from '../support-options.js';
import type { ServiceDeps } from './context.js';
import { projectItems } from '../list-all.js';
import { checkOptions } from './project-service.js';
import { publicItem, type PublicItem } from './public-views.js';
import { deleteSecrets, droppedRefs, sealSecretOptions, secretRefsOf } from '../secret-options.js';
import { updateDoc } from '../update-doc.js';

export interface BulkAddReport {
  added: number;
  problems: CsvProblem[];
}

export interface ItemListQuery {
  status?: ItemStatus;
  search?: string;
  cursor?: string;
  limit?: number;
}

export class ItemService {
  constructor(private readonly deps: ServiceDeps) {}

  async addItem(tenantId: string, projectId: string, input: ItemInput): Promise<PublicItem> {
    const project = await this.requireProject(tenantId, projectId);
    checkOptions(input.options);
    const existing = await this.sourceAddresses(tenantId, projectId);
    if (existing.has(input.sourceAddress)) {
      throw new ConflictError(`${input.sourceAddress} is already an item of this project.`, { retryable: false, field: 'sourceAddress' });
    }
    const [item] = await this.insertItems(tenantId, [await this.newItem(project, input)]);
    return publicItem(item!);
  }

  /**
   * Bulk Add from CSV: every good row is saved in one all-or-nothing write; every bad row is
   * reported with its line and column. A row is never half-written.
   */
  async bulkAdd(tenantId: string, projectId: string, csv: string): Promise<BulkAddReport> {
    const project = await this.requireProject(tenantId, projectId);
    const { rows, problems } = parseItemsCsv(csv);
    const existing = await this.sourceAddresses(tenantId, projectId);
    const fresh: CsvItemRow[] = [];
    for (const row of rows) {
      if (existing.has(row.sourceAddress)) {
        problems.push({ line: row.line, column: 'Source Email', message: `${row.sourceAddress} is already an item of this project.` });
      } else {
        fresh.push(row);
      }
    }
    const docs = [];
    for (const row of fresh)
      docs.push(await this.newItem(project, { ...row, endUserCredentials: row.endUserCredentials ?? false, options: [] }));
    if (docs.length) await this.insertItems(tenantId, docs);
    problems.sort((a, b) => a.line - b.line);
    return { added: docs.length, problems };
  }

  /** "Autodiscover items": adds the discovered mailboxes not yet in the project, same local part at the destination domain. */
  async importDiscovered(
    tenantId: string,
    projectId: string,
    addresses: string[],
    destinationDomain: string,
  ): Promise<{ added: number; alreadyThere: number }> {
    const project = await this.requireProject(tenantId, projectId);
    const existing = await this.sourceAddresses(tenantId, projectId);
    const fresh = addresses.filter((a) => !existing.has(a));
    const docs = [];
    for (const address of fresh) {
      const local = address.split('@')[0]!;
      docs.push(
        await this.newItem(project, {
          sourceAddress: address,
          destinationAddress: `${local}@${destinationDomain}`,
          endUserCredentials: false,
          options: [],
        }),
      );
    }
    if (docs.length) await this.insertItems(tenantId, docs);
    return { added: docs.length, alreadyThere: addresses.length - fresh.length };
  }

  async getItem(tenantId: string, id: string): Promise<Item> {
    const item = await this.deps.store.items.get(tenantId, id);
    if (!item) throw new NotFoundError(`No item with id ${id}.`, { field: 'itemId' });
    return item;
  }

  async listItems(tenantId: string, projectId: string, query: ItemListQuery = {}): Promise<Page<PublicItem>> {
    const where: Record<string, string> = { projectId };
    if (query.status) where.status = query.status;
    const page = await this.deps.store.items.list(tenantId, {
      where,
      cursor: query.cursor,
      limit: query.limit,
      search: query.search ? { text: query.search, fields: ['sourceAddress', 'destinationAddress'] } : undefined,
    });
    return { ...page, items: page.items.map(publicItem) };
  }

  async updateItem(tenantId: string, id: string, patch: ItemPatch): Promise<PublicItem> {
    const current = await this.getItem(tenantId, id);
    const project = await this.requireProject(tenantId, current.projectId);
    const merged = patch.options ? mergeMaskedUpdate(current.options, patch.options) : current.options;
    checkOptions(merged);
    const { sourcePassword, destinationPassword, sourceLogin, destinationLogin, ...fields } = patch;
    const { lines: options } = await sealSecretOptions(this.deps.vault, tenantId, merged, current.options);
    // A new password or null replaces the stored secret; undefined keeps it.
    const secretRef = async (password: string | null | undefined) =>
      typeof password === 'string' ? this.deps.vault.put(tenantId, password) : password;
    const sourceSecretRef = await secretRef(sourcePassword);
    const destinationSecretRef = await secretRef(destinationPassword);
    const login = (value: string | null | undefined, before: string | undefined) => (value === undefined ? before : (value ?? undefined));
    const updated = await updateDoc(this.deps.store.items, tenantId, id, (item) => ({
      ...item,
      ...fields,
      options,
      sourceLogin: login(sourceLogin, item.sourceLogin),
      destinationLogin: login(destinationLogin, item.destinationLogin),
      ...(sourceSecretRef === undefined
        ? {}
        : {
            sourceSecretRef: sourceSecretRef ?? undefined,
            sourceSecretEndpointId: sourceSecretRef ? project.sourceEndpointId : undefined,
          }),
      ...(destinationSecretRef === undefined
        ? {}
        : {
            destinationSecretRef: destinationSecretRef ?? undefined,
            destinationSecretEndpointId: destinationSecretRef ? project.destinationEndpointId : undefined,
          }),
    }));
    // Replaced or cleared secrets (passwords, client secrets in options) leave the vault.
    await deleteSecrets(this.deps.vault, tenantId, droppedRefs(secretRefsOf.item(current), secretRefsOf.item(updated)));
    return publicItem(updated);
  }

  /** Change Domain: rewrites the source or destination domain of the selected (or all) items. */
  async changeDomain(tenantId: string, projectId: string, input: ChangeDomainInput): Promise<{ changed: number }> {
    const items = await this.selectItems(tenantId, projectId, input.itemIds);
    const key = input.side === 'source' ? 'sourceAddress' : 'destinationAddress';
    let changed = 0;
    for (const item of items) {
      const next = changeDomain(item[key], input.fromDomain, input.toDomain);
      if (next === item[key]) continue;
      await updateDoc(this.deps.store.items, tenantId, item.id, (current) => ({
        ...current,
        [key]: changeDomain(current[key], input.fromDomain, input.toDomain),
      }));
      changed++;
    }
    return { changed };
  }

  async deleteItem(tenantId: string, id: string): Promise<void> {
    const item = await this.getItem(tenantId, id);
    if (ACTIVE_STATUSES.has(item.status)) {
      throw new ConflictError(`${item.sourceAddress} is "${item.status}": stop its pass before deleting it.`, { retryable: false });
    }
    await this.deps.store.ledger.deleteItem(tenantId, id);
    await this.deps.store.errors.deleteItem(tenantId, id);
    await this.deps.store.cursors.deleteItem(tenantId, id);
    await this.deps.store.items.delete(tenantId, id);
    await deleteSecrets(this.deps.vault, tenantId, secretRefsOf.item(item));
  }

  /** One all-or-nothing write; the secrets of items that were not written leave the vault again. */
  private async insertItems(tenantId: string, docs: Omit<Item, 'version'>[]): Promise<Item[]> {
    try {
      return await this.deps.store.items.insertMany(docs);
    } catch (error) {
      await deleteSecrets(
        this.deps.vault,
        tenantId,
        docs.flatMap((doc) => secretRefsOf.item(doc)),
      );
      throw error;
    }
  }

  async errorLog(tenantId: string, id: string, cursor?: string, limit?: number): Promise<Page<ErrorRow>> {
    await this.getItem(tenantId, id);
    return this.deps.store.errors.list(tenantId, id, { cursor, limit });
  }

  async selectItems(tenantId: string, projectId: string, itemIds?: string[]): Promise<Item[]> {
    if (!itemIds) return projectItems(this.deps.store, tenantId, projectId);
    const items: Item[] = [];
    for (const id of itemIds) {
      const item = await this.deps.store.items.get(tenantId, id);
      if (!item || item.projectId !== projectId) throw new NotFoundError(`No item with id ${id} in this project.`, { field: 'itemIds' });
      items.push(item);
    }
    return items;
  }

  private async requireProject(tenantId: string, projectId: string): Promise<Project> {
    const project = await this.deps.store.projects.get(tenantId, projectId);
    if (!project) throw new NotFoundError(`No project with id ${projectId}.`, { field: 'projectId' });
    return project;
  }

  private async sourceAddresses(tenantId: string, projectId: string): Promise<Set<string>> {
    const items = await projectItems(this.deps.store, tenantId, projectId);
    return new Set(items.map((i) => i.sourceAddress));
  }

  private async newItem(project: Project, input: ItemInput): Promise<Omit<Item, 'version'>> {
    const { vault } = this.deps;
    const { tenantId, id: projectId } = project;
    return {
      tenantId,
      projectId,
      id: this.deps.newId(),
      sourceAddress: input.sourceAddress,
      destinationAddress: input.destinationAddress,
      sourceLogin: input.sourceLogin,
      destinationLogin: input.destinationLogin,
      sourceSecretRef: input.sourcePassword ? await vault.put(tenantId, input.sourcePassword) : undefined,
      sourceSecretEndpointId: input.sourcePassword ? project.sourceEndpointId : undefined,
      destinationSecretRef: input.destinationPassword ? await vault.put(tenantId, input.destinationPassword) : undefined,
      destinationSecretEndpointId: input.destinationPassword ? project.destinationEndpointId : undefined,
      endUserCredentials: input.endUserCredentials || undefined,
      options: (await sealSecretOptions(vault, tenantId, input.options)).lines,
      status: 'Not Started',
      statistics: { passes: 0, folders: 0, copied: 0, skipped: 0, failed: 0, bytes: 0, durationMs: 0 },
      createdAt: this.deps.clock.now().toISOString(),
    };
  }
}
