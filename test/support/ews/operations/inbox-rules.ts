/**
 * GetInboxRules / UpdateInboxRules (messages.xsd GetInboxRulesRequestType,
 * UpdateInboxRulesRequestType; types.xsd RuleType, ArrayOfRuleOperationsType). Both answers are
 * a single ResponseMessageType-derived element (no ResponseMessages list).
 *
 * Rules keep their Conditions / Exceptions / Actions as sent (re-serialised with the `t:`
 * prefix); a Copy/MoveToFolder target is checked against the mailbox and kept as a `t:FolderId`
 * (a DistinguishedFolderId is turned into the folder's id, as Exchange reports it). An
 * UpdateInboxRules with any invalid operation changes nothing and answers
 * ErrorInboxRulesValidationError with one RuleOperationError per bad operation.
 */
import { randomBytes } from 'node:crypto';
import type { Mailbox, StoredRule } from '../mailbox-store.js';
import { NS, type XmlElement, child, escapeXml } from '../xml.js';
import { EwsError, type EwsContext, envelope, openMailbox, resolveFolder } from '../soap.js';

const RULE_ID_BYTES = 8;

/** Writes a types-namespace element tree back out with the `t:` prefix, text and attributes escaped. */
export function serializeTypes(el: XmlElement): string {
  const attrs = Object.entries(el.attrs)
    .filter(([k]) => !k.includes(':'))
    .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
    .join('');
  const inner = el.children.length > 0 ? el.children.map(serializeTypes).join('') : escapeXml(el.text);
  return `<t:${el.local}${attrs}>${inner}</t:${el.local}>`;
}

function ruleXml(r: StoredRule): string {
  return (
    `<t:Rule><t:RuleId>${escapeXml(r.id)}</t:RuleId><t:DisplayName>${escapeXml(r.displayName)}</t:DisplayName>` +
    `<t:Priority>${r.priority}</t:Priority><t:IsEnabled>${r.isEnabled}</t:IsEnabled>` +
    `<t:IsNotSupported>false</t:IsNotSupported><t:IsInError>false</t:IsInError>` +
    `${r.conditionsXml ?? ''}${r.exceptionsXml ?? ''}${r.actionsXml ?? ''}</t:Rule>`
  );
}

function body(operation: string, inner: string): string {
  return envelope(`<m:${operation}Response xmlns:m="${NS.messages}" xmlns:t="${NS.types}" ${inner}</m:${operation}Response>`);
}

function errorBody(operation: string, err: EwsError, extra = ''): string {
  return body(
    operation,
    `ResponseClass="Error"><m:MessageText>${escapeXml(err.message)}</m:MessageText><m:ResponseCode>${err.code}</m:ResponseCode>` +
      `<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>${extra}`,
  );
}

function targetMailbox(req: XmlElement, ctx: EwsContext): Mailbox {
  const smtp = child(req, NS.messages, 'MailboxSmtpAddress')?.text.trim() || ctx.mailbox;
  return openMailbox(ctx, smtp);
}

export function getInboxRules(req: XmlElement, ctx: EwsContext): string {
  try {
    const mbx = targetMailbox(req, ctx);
    const rules = (mbx.rules ?? []).map(ruleXml).join('');
    return body(
      'GetInboxRules',
      `ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:OutlookRuleBlobExists>false</m:OutlookRuleBlobExists><m:InboxRules>${rules}</m:InboxRules>`,
    );
  } catch (err) {
    if (err instanceof EwsError) return errorBody('GetInboxRules', err);
    throw err;
  }
}

interface ValidationError {
  field: string;
  code: string;
  message: string;
  value: string;
}

/** Reads one `t:Rule` into a stored rule, collecting validation errors. */
function readRule(ruleEl: XmlElement, mbx: Mailbox, ctx: EwsContext, errors: ValidationError[]): Omit<StoredRule, 'id'> {
  const displayName = child(ruleEl, NS.types, 'DisplayName')?.text ?? '';
  if (displayName.trim() === '')
    errors.push({ field: 'DisplayName', code: 'EmptyValueFound', message: 'The rule needs a display name.', value: displayName });
  const priority = Number(child(ruleEl, NS.types, 'Priority')?.text.trim() ?? '1');
  if (!Number.isInteger(priority) || priority < 1)
    errors.push({ field: 'Priority', code: 'InvalidValue', message: 'Priority must be 1 or more.', value: String(priority) });
  const isEnabled = (child(ruleEl, NS.types, 'IsEnabled')?.text.trim() ?? 'true') === 'true';
  const conditions = child(ruleEl, NS.types, 'Conditions');
  const exceptions = child(ruleEl, NS.types, 'Exceptions');
  const actions = child(ruleEl, NS.types, 'Actions');
  if (!actions || actions.children.length === 0) {
    errors.push({ field: 'Actions', code: 'MissingAction', message: 'A rule needs at least one action.', value: '' });
  }
  let actionsXml: string | undefined;
  if (actions) {
    const mailboxCtx: EwsContext = { ...ctx, mailbox: mbx.smtp };
    const parts = actions.children.map((a) => {
      if (a.local !== 'CopyToFolder' && a.local !== 'MoveToFolder') return serializeTypes(a);
      const idEl = a.children[0];
      const shown = idEl?.attrs['Id'] ?? '';
      try {
        if (!idEl || idEl.local === 'AddressListId') throw new EwsError('ErrorFolderNotFound', 'not a folder');
        const { mbx: owner, folder } = resolveFolder(mailboxCtx, idEl);
        if (owner.smtp !== mbx.smtp) throw new EwsError('ErrorFolderNotFound', 'another mailbox');
        return `<t:${a.local}><t:FolderId Id="${escapeXml(folder.id)}" ChangeKey="${escapeXml(folder.changeKey)}"/></t:${a.local}>`;
      } catch (err) {
        if (!(err instanceof EwsError)) throw err;
        const malformed = err.code === 'ErrorInvalidIdMalformed';
        errors.push({
          field: `Action:${a.local}`,
          code: malformed ? 'InvalidFolderId' : 'FolderDoesNotExist',
          message: malformed ? 'The folder id is malformed.' : 'The folder does not exist in this mailbox.',
          value: shown,
        });
        return '';
      }
    });
    actionsXml = `<t:Actions>${parts.join('')}</t:Actions>`;
  }
  return {
    displayName,
    priority,
    isEnabled,
    ...(conditions ? { conditionsXml: serializeTypes(conditions) } : {}),
    ...(exceptions ? { exceptionsXml: serializeTypes(exceptions) } : {}),
    ...(actionsXml ? { actionsXml } : {}),
  };
}

/** Puts `rule` at its priority, moving the rules at or after it down one, then numbers 1..n. */
function place(rules: StoredRule[], rule: StoredRule): StoredRule[] {
  const others = rules.filter((r) => r.id !== rule.id).sort((a, b) => a.priority - b.priority);
  const at = Math.min(Math.max(rule.priority - 1, 0), others.length);
  others.splice(at, 0, rule);
  return others.map((r, i) => ({ ...r, priority: i + 1 }));
}

export function updateInboxRules(req: XmlElement, ctx: EwsContext): string {
  let mbx: Mailbox;
  try {
    mbx = targetMailbox(req, ctx);
  } catch (err) {
    if (err instanceof EwsError) return errorBody('UpdateInboxRules', err);
    throw err;
  }
  let rules = [...(mbx.rules ?? [])];
  const opErrors: { index: number; errors: ValidationError[] }[] = [];
  const touched = new Set<string>();
  const ops = child(req, NS.messages, 'Operations')?.children ?? [];
  ops.forEach((op, index) => {
    const errors: ValidationError[] = [];
    if (op.local === 'DeleteRuleOperation') {
      const id = child(op, NS.types, 'RuleId')?.text.trim() ?? '';
      if (touched.has(id))
        errors.push({
          field: 'RuleId',
          code: 'DuplicatedOperationOnTheSameRule',
          message: 'The rule is changed twice in one request.',
          value: id,
        });
      else if (!rules.some((r) => r.id === id))
        errors.push({ field: 'RuleId', code: 'RuleNotFound', message: 'The rule was not found.', value: id });
      else
        rules = rules
          .filter((r) => r.id !== id)
          .sort((a, b) => a.priority - b.priority)
          .map((r, i) => ({ ...r, priority: i + 1 }));
      touched.add(id);
    } else {
      const ruleEl = child(op, NS.types, 'Rule')!;
      const givenId = child(ruleEl, NS.types, 'RuleId')?.text.trim();
      const read = readRule(ruleEl, mbx, ctx, errors);
      if (op.local === 'CreateRuleOperation') {
        if (givenId)
          errors.push({ field: 'RuleId', code: 'CreateWithRuleId', message: 'A new rule must not carry a RuleId.', value: givenId });
        if (errors.length === 0) rules = place(rules, { ...read, id: randomBytes(RULE_ID_BYTES).toString('base64') });
      } else {
        const id = givenId ?? '';
        if (!id || !rules.some((r) => r.id === id))
          errors.push({ field: 'RuleId', code: 'RuleNotFound', message: 'The rule was not found.', value: id });
        else if (touched.has(id))
          errors.push({
            field: 'RuleId',
            code: 'DuplicatedOperationOnTheSameRule',
            message: 'The rule is changed twice in one request.',
            value: id,
          });
        if (errors.length === 0) rules = place(rules, { ...read, id });
        touched.add(id);
      }
    }
    if (errors.length > 0) opErrors.push({ index, errors });
  });
  if (opErrors.length > 0) {
    const xml = opErrors
      .map(
        (e) =>
          `<t:RuleOperationError><t:OperationIndex>${e.index}</t:OperationIndex><t:ValidationErrors>` +
          e.errors
            .map(
              (v) =>
                `<t:Error><t:FieldURI>${v.field}</t:FieldURI><t:ErrorCode>${v.code}</t:ErrorCode><t:ErrorMessage>${escapeXml(v.message)}</t:ErrorMessage><t:FieldValue>${escapeXml(v.value)}</t:FieldValue></t:Error>`,
            )
            .join('') +
          `</t:ValidationErrors></t:RuleOperationError>`,
      )
      .join('');
    const err = new EwsError('ErrorInboxRulesValidationError', 'The request failed. Inbox rule validation errors occurred.');
    return errorBody('UpdateInboxRules', err, `<m:RuleOperationErrors>${xml}</m:RuleOperationErrors>`);
  }
  mbx.rules = rules;
  return body('UpdateInboxRules', `ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>`);
}
