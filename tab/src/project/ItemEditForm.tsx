import { Button, Checkbox, Field, Input, makeStyles, MessageBar, MessageBarBody, Text, Title3 } from '@fluentui/react-components';
import { useState } from 'react';
import { api, asProblem, type ApiProblem } from '../api/client';
import type { PublicItem } from '../api/types';
import { fieldProblem } from '../common/field-problem';
import { ProblemBar } from '../common/ProblemBar';
import { SupportOptionsField } from '../common/SupportOptionsField';
import { ACTIVE_STATUSES } from './items-view';
import { itemForm, itemFormProblems, itemPatchBody, type ItemForm } from './item-edit';

const useStyles = makeStyles({
  form: { display: 'grid', gap: '12px' },
  pair: { display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(220px, 1fr))', gap: '12px' },
  actions: { display: 'flex', gap: '8px' },
});

const ITEM_OPTIONS_HINT =
  "Per-item support options, one per line, added to the project's: e.g. AllowQuoteInFolder=1 or FolderFilter=^(?!Inbox$). " +
  'Secrets are shown as ******** and kept when left so.';

/** "Edit item": destination address, per-item logins and passwords (never shown), and support options. */
export function ItemEditForm({ item, onSaved, onCancel }: { item: PublicItem; onSaved: (item: PublicItem) => void; onCancel: () => void }) {
  const styles = useStyles();
  const [form, setForm] = useState<ItemForm>(() => itemForm(item));
  const [problem, setProblem] = useState<ApiProblem>();
  const [busy, setBusy] = useState(false);
  const [tried, setTried] = useState(false);
  const local = tried ? itemFormProblems(form) : {};
  const set = (key: keyof ItemForm) => (_: unknown, d: { value: string }) => setForm((f) => ({ ...f, [key]: d.value }));
  const invalid = (key: keyof ItemForm) => {
    const fromApi = fieldProblem(problem, key);
    if (fromApi.validationMessage) return fromApi;
    return local[key] ? { validationState: 'error' as const, validationMessage: local[key] } : {};
  };
  const secretHint = (has: boolean) =>
    has ? 'A password is stored (never shown). Leave empty to keep it.' : 'None stored. Stored encrypted; never shown again.';
  const body = itemPatchBody(item, form);
  const save = async () => {
    setTried(true);
    setProblem(undefined);
    if (Object.keys(itemFormProblems(form)).length) return;
    setBusy(true);
    try {
      onSaved(await api<PublicItem>('PATCH', `/items/${item.id}`, { body }));
    } catch (error) {
      setProblem(asProblem(error));
    }
    setBusy(false);
  };

  return (
    <form
      className={styles.form}
      aria-labelledby="edit-item-title"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <Title3 as="h2" id="edit-item-title">
        Edit item
      </Title3>
      {ACTIVE_STATUSES.has(item.status) && (
        <MessageBar intent="warning">
          <MessageBarBody>This item is "{item.status}": changes apply from its next pass.</MessageBarBody>
        </MessageBar>
      )}
      <Field label="Source email" hint="The source address identifies the item; to move another mailbox, add a new item.">
        <Input value={item.sourceAddress} readOnly />
      </Field>
      <Field label="Destination email" required {...invalid('destinationAddress')}>
        <Input type="email" value={form.destinationAddress} autoComplete="off" onChange={set('destinationAddress')} />
      </Field>
      <Text weight="semibold">Per-item credentials (optional: the endpoint's admin login is used otherwise)</Text>
      <div className={styles.pair}>
        <Field
          label="Source login name"
          hint="Empty: the endpoint's admin login (emptying it also forgets this side's stored password)"
          {...invalid('sourceLogin')}
        >
          <Input value={form.sourceLogin} autoComplete="off" onChange={set('sourceLogin')} />
        </Field>
        <Field label="Source password" hint={secretHint(item.hasSourcePassword)} {...invalid('sourcePassword')}>
          <Input type="password" value={form.sourcePassword} autoComplete="new-password" onChange={set('sourcePassword')} />
        </Field>
        <Field
          label="Destination login name"
          hint="Empty: the endpoint's admin login (emptying it also forgets this side's stored password)"
          {...invalid('destinationLogin')}
        >
          <Input value={form.destinationLogin} autoComplete="off" onChange={set('destinationLogin')} />
        </Field>
        <Field label="Destination password" hint={secretHint(item.hasDestinationPassword)} {...invalid('destinationPassword')}>
          <Input type="password" value={form.destinationPassword} autoComplete="new-password" onChange={set('destinationPassword')} />
        </Field>
      </div>
      <Checkbox
        checked={form.endUserCredentials}
        onChange={(_, d) => setForm((f) => ({ ...f, endUserCredentials: !!d.checked }))}
        label={'The end user confirms the source password (the item waits as "Waiting For End User" and the user gets an e-mailed link)'}
      />
      <SupportOptionsField
        label="Item support options"
        hint={ITEM_OPTIONS_HINT}
        rows={4}
        value={form.options}
        problem={problem}
        onChange={(options) => setForm((f) => ({ ...f, options }))}
      />
      <ProblemBar problem={problem} />
      <div className={styles.actions}>
        <Button appearance="primary" type="submit" disabled={busy || !Object.keys(body).length}>
          Save item
        </Button>
        <Button onClick={onCancel}>Cancel</Button>
      </div>
    </form>
  );
}
