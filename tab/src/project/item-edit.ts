/**
 * "Edit item" as data: the form's fields from an item, and the PATCH /items/{id} body with only
 * what changed. Passwords are never read back, so an empty password field means "keep it".
 */
import type { PublicItem } from '../api/types';
import { optionLines } from '../common/SupportOptionsField';

export interface ItemForm {
  destinationAddress: string;
  destinationLogin: string;
  destinationPassword: string;
  sourceLogin: string;
  sourcePassword: string;
  /** The end user confirms the source password from an e-mailed link ("Waiting For End User"). */
  endUserCredentials: boolean;
  options: string;
}

/** `null` clears a per-item login or password: the item then uses the endpoint's admin login. */
export type ItemPatchBody = { destinationAddress?: string; endUserCredentials?: boolean; options?: string[] } & Partial<
  Record<'sourceLogin' | 'sourcePassword' | 'destinationLogin' | 'destinationPassword', string | null>
>;

export function itemForm(item: PublicItem): ItemForm {
  return {
    destinationAddress: item.destinationAddress,
    destinationLogin: item.destinationLogin ?? '',
    destinationPassword: '',
    sourceLogin: item.sourceLogin ?? '',
    sourcePassword: '',
    endUserCredentials: !!item.endUserCredentials,
    options: item.options.join('\n'),
  };
}

/** What the form would lose or the API would refuse, before sending: field → what to fix. */
export function itemFormProblems(form: ItemForm): Partial<Record<keyof ItemForm, string>> {
  const problems: Partial<Record<keyof ItemForm, string>> = {};
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(form.destinationAddress.trim()))
    problems.destinationAddress = 'Give an e-mail address such as user@contoso.com.';
  return problems;
}

/** Only the changed fields; masked secrets in the options stay ******** and the API keeps them. */
export function itemPatchBody(item: PublicItem, form: ItemForm): ItemPatchBody {
  const body: ItemPatchBody = {};
  const destinationAddress = form.destinationAddress.trim().toLowerCase();
  if (destinationAddress !== item.destinationAddress) body.destinationAddress = destinationAddress;
  for (const side of ['source', 'destination'] as const) {
    const loginKey = `${side}Login` as const;
    const passwordKey = `${side}Password` as const;
    const login = form[loginKey].trim();
    if (login && login !== (item[loginKey] ?? '')) body[loginKey] = login;
    if (form[passwordKey]) body[passwordKey] = form[passwordKey];
    // An emptied login name clears that side's own credentials: the endpoint's admin login is used.
    if (!login && item[loginKey]) {
      body[loginKey] = null;
      body[passwordKey] = null;
    }
  }
  if (form.endUserCredentials !== !!item.endUserCredentials) body.endUserCredentials = form.endUserCredentials;
  const options = optionLines(form.options);
  if (options.join('\n') !== item.options.join('\n')) body.options = options;
  return body;
}
