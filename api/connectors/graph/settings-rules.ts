/**
 * Inbox rules over Microsoft Graph (`users/{id}/mailFolders/inbox/messageRules`), Exchange Online
 * to Exchange Online. A rule that moves or copies mail names a folder by id: the source's id
 * travels as the folder's path and becomes the id of its copy at the destination.
 *
 * A rule copied before is updated (PATCH), never posted again: the destination rule is found by
 * the id a pass stored for it (MailboxSetting.destRef, from the ledger), or else, as a fallback
 * for a rule copied before ids were kept or whose copy was deleted, by its display name.
 */
import type { MailboxSetting } from '../../core/connector.js';
import { ItemRejectedError } from '../../core/errors.js';
import type { GraphContext } from './context.js';
import type { GraphFolderIndex } from './folders.js';
import { GRAPH_PERMISSIONS } from './permissions.js';

export type Rule = Record<string, unknown> & { id?: string; displayName?: string; actions?: Record<string, unknown> };
/** What a Graph session exports: tagged, so a destination can tell it from an EWS setting. */
export interface GraphSettingData {
  graph: Record<string, unknown>;
}
const FOLDER_ACTIONS = ['moveToFolder', 'copyToFolder'] as const;
/** Read-only or server-kept properties a rule written must not carry. */
const NOT_WRITTEN = ['id', 'hasError', 'isReadOnly', '@odata.etag'];

export const userPath = (ctx: GraphContext, rest: string) => `/v1.0/users/${encodeURIComponent(ctx.mailbox)}${rest}`;
const RULES = '/mailFolders/inbox/messageRules';

async function listRules(ctx: GraphContext): Promise<Rule[]> {
  const { body } = await ctx.transport.send<{ value?: Rule[] }>({
    method: 'GET',
    url: userPath(ctx, RULES),
    action: `Reading the inbox rules of ${ctx.mailbox}`,
    permission: GRAPH_PERMISSIONS.settings,
  });
  return body?.value ?? [];
}

export async function exportRules(ctx: GraphContext, index: GraphFolderIndex): Promise<MailboxSetting[]> {
  return (await listRules(ctx)).map((rule) => {
    const data = Object.fromEntries(Object.entries(rule).filter(([k]) => !NOT_WRITTEN.includes(k)));
    const actions = { ...(rule.actions ?? {}) };
    for (const key of FOLDER_ACTIONS) {
      // The folder's path, not its id: ids differ between mailboxes.
      if (typeof actions[key] === 'string') actions[key] = { path: index.byId(actions[key])?.path ?? null };
    }
    // Keyed by the source rule's id: a renamed rule is still the same rule, and its copy is updated.
    return {
      type: 'rules',
      label: `Inbox rule "${rule.displayName ?? ''}"`,
      ...(rule.id ? { key: `rule ${rule.id}` } : {}),
      data: { graph: { ...data, actions } } satisfies GraphSettingData,
    };
  });
}

/** The destination's rules, read once per importSettings call. */
export class DestinationRules {
  private rules?: Promise<Rule[]>;
  constructor(private readonly ctx: GraphContext) {}

  /** The rule `setting` was copied to before: by the id a pass stored, else by display name. */
  async copyOf(setting: MailboxSetting, displayName: unknown): Promise<Rule | undefined> {
    this.rules ??= listRules(this.ctx);
    const rules = await this.rules;
    return (
      (setting.destRef ? rules.find((r) => r.id === setting.destRef) : undefined) ??
      rules.find((r) => typeof displayName === 'string' && r.displayName === displayName)
    );
  }

  remember(rule: Rule): void {
    void this.rules?.then((rules) => rules.push(rule));
  }
}

/** Writes one rule; returns the destination rule's id. */
export async function importRule(
  ctx: GraphContext,
  index: GraphFolderIndex,
  setting: MailboxSetting,
  data: GraphSettingData,
  folderPath: (sourcePath: string) => string | undefined,
  existing: DestinationRules,
): Promise<string | undefined> {
  const rule = { ...data.graph } as Rule;
  const actions = { ...(rule.actions ?? {}) };
  for (const key of FOLDER_ACTIONS) {
    const target = actions[key] as { path?: string | null } | undefined;
    if (target === undefined) continue;
    const destPath = target.path ? folderPath(target.path) : undefined;
    const folder = destPath ? index.byPathString(destPath) : undefined;
    if (!folder)
      throw new ItemRejectedError(
        `${setting.label}: the folder it ${key === 'moveToFolder' ? 'moves' : 'copies'} mail to (${target.path ?? 'unknown'}) was not copied, so the rule would point nowhere.`,
      );
    actions[key] = folder.id;
  }
  const write = { action: `Writing ${setting.label} in ${ctx.mailbox}`, permission: GRAPH_PERMISSIONS.settings };
  const copy = await existing.copyOf(setting, rule.displayName);
  if (copy?.id) {
    await ctx.transport.send({
      method: 'PATCH',
      url: userPath(ctx, `${RULES}/${encodeURIComponent(copy.id)}`),
      json: { ...rule, actions },
      idempotent: true,
      ...write,
    });
    return copy.id;
  }
  const { body } = await ctx.transport.send<Rule>({ method: 'POST', url: userPath(ctx, RULES), json: { ...rule, actions }, ...write });
  if (body) existing.remember(body);
  return body?.id;
}
