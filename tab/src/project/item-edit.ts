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
  options: string;
}

export type ItemPatchBody = Partial<Omit<ItemForm, 'options'>> & { options?: string[] };

export function itemForm(item: PublicItem): ItemForm {
  return {
    destinationAddress: item.destinationAddress, destinationLogin: item.destinationLogin ?? '', destinationPassword: '',
    sourceLogin: item.sourceLogin ?? '', sourcePassword: '', options: item.options.join('\n'),
  };
}

/** What the form would lose or the API would refuse, before sending: field → what to fix. */
export function itemFormProblems(item: PublicItem, form: ItemForm): Partial<Record<keyof ItemForm, string>> {
  const problems: Partial<Record<keyof ItemForm, string>> = {};
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(form.destinationAddress.trim())) problems.destinationAddress = 'Give an e-mail address such as user@contoso.com.';
  // The API keeps a login once set (it can be changed, not removed): say so rather than silently keep it.
  if (item.sourceLogin && !form.sourceLogin.trim()) problems.sourceLogin = 'A login name can be changed here, not removed.';
  if (item.destinationLogin && !form.destinationLogin.trim()) problems.destinationLogin = 'A login name can be changed here, not removed.';
  return problems;
}

/** Only the changed fields; masked secrets in the options stay ******** and the API keeps them. */
export function itemPatchBody(item: PublicItem, form: ItemForm): ItemPatchBody {
  const body: ItemPatchBody = {};
  const destinationAddress = form.destinationAddress.trim().toLowerCase();
  if (destinationAddress !== item.destinationAddress) body.destinationAddress = destinationAddress;
  for (const key of ['sourceLogin', 'destinationLogin'] as const) {
    const value = form[key].trim();
    if (value && value !== (item[key] ?? '')) body[key] = value;
  }
  if (form.sourcePassword) body.sourcePassword = form.sourcePassword;
  if (form.destinationPassword) body.destinationPassword = form.destinationPassword;
  const options = optionLines(form.options);
  if (options.join('\n') !== item.options.join('\n')) body.options = options;
  return body;
}
