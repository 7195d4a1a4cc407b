import { Button, Caption1, Menu, MenuItem, MenuList, MenuPopover, MenuTrigger } from '@fluentui/react-components';
import {
  ChevronDownRegular,
  EditRegular,
  GlobeArrowForwardRegular,
  KeyResetRegular,
  MailArrowForwardRegular,
  WrenchRegular,
} from '@fluentui/react-icons';
import { useState } from 'react';
import { actionScope, editItemReason, emptyScopeReason, resendPlan, type ActionScope } from './admin-actions';
import { ChangeDomainDialog } from './ChangeDomainDialog';
import type { GridRow } from './items-view';
import { NotifyUsersDialog } from './NotifyUsersDialog';
import { ResendLinksDialog } from './ResendLinksDialog';

type Kind = 'domain' | 'notify' | 'resend';

/**
 * The toolbar's "Manage" menu: Edit item, Change Domain, Notify users and Resend credential links.
 * One menu keeps the toolbar on one line at 1280 px. A disabled entry stays focusable and says why
 * in its own text, so keyboard and screen-reader users learn the reason too.
 */
export function AdminActions({
  projectId,
  rows,
  selectedRows,
  onItemsChanged,
  onEditItem,
}: {
  projectId: string;
  rows: GridRow[];
  selectedRows: GridRow[];
  onItemsChanged: () => void;
  onEditItem?: (itemId: string) => void;
}) {
  const scope = actionScope(rows, selectedRows);
  const plan = resendPlan(scope);
  const empty = emptyScopeReason(scope);
  const editReason = editItemReason(selectedRows);
  // The scope is frozen when a dialog opens: the 2 s progress poll must not change what the
  // dialog said it would act on (nor empty the resend plan while the admin reads it).
  const [dialog, setDialog] = useState<{ kind: Kind; scope: ActionScope }>();
  const open = (kind: Kind) => () => setDialog({ kind, scope });
  const close = () => setDialog(undefined);
  const entries = [
    ...(onEditItem
      ? [{ key: 'edit', label: 'Edit item', icon: <EditRegular />, reason: editReason, onClick: () => onEditItem(selectedRows[0]!.id) }]
      : []),
    { key: 'domain', label: 'Change Domain', icon: <GlobeArrowForwardRegular />, reason: empty, onClick: open('domain') },
    { key: 'notify', label: 'Notify users', icon: <MailArrowForwardRegular />, reason: empty, onClick: open('notify') },
    { key: 'resend', label: 'Resend credential links', icon: <KeyResetRegular />, reason: plan.disabledReason, onClick: open('resend') },
  ];
  return (
    <>
      <Menu>
        <MenuTrigger disableButtonEnhancement>
          <Button icon={<WrenchRegular />} iconPosition="before">
            Manage <ChevronDownRegular aria-hidden />
          </Button>
        </MenuTrigger>
        <MenuPopover>
          <MenuList>
            {entries.map((e) => (
              <MenuItem key={e.key} icon={e.icon} disabled={!!e.reason} onClick={e.onClick} data-action={e.key}>
                {e.label}
                {e.reason && (
                  <>
                    <br />
                    <Caption1>{e.reason}</Caption1>
                  </>
                )}
              </MenuItem>
            ))}
          </MenuList>
        </MenuPopover>
      </Menu>
      {dialog?.kind === 'domain' && (
        <ChangeDomainDialog projectId={projectId} scope={dialog.scope} onClose={close} onChanged={onItemsChanged} />
      )}
      {dialog?.kind === 'notify' && <NotifyUsersDialog projectId={projectId} scope={dialog.scope} onClose={close} />}
      {dialog?.kind === 'resend' && <ResendLinksDialog scope={dialog.scope} plan={resendPlan(dialog.scope)} onClose={close} />}
    </>
  );
}
