import { Button, Tooltip } from '@fluentui/react-components';
import { GlobeArrowForwardRegular, MailArrowForwardRegular, KeyResetRegular } from '@fluentui/react-icons';
import { useState, type ReactElement } from 'react';
import { actionScope, emptyScopeReason, resendPlan, type ActionScope } from './admin-actions';
import { ChangeDomainDialog } from './ChangeDomainDialog';
import type { GridRow } from './items-view';
import { NotifyUsersDialog } from './NotifyUsersDialog';
import { ResendLinksDialog } from './ResendLinksDialog';

/** The toolbar's Change Domain, Notify users and Resend credential links, each opening its dialog. */
export function AdminActions({ projectId, rows, selectedRows, onItemsChanged }: {
  projectId: string; rows: GridRow[]; selectedRows: GridRow[]; onItemsChanged: () => void;
}) {
  const scope = actionScope(rows, selectedRows);
  const plan = resendPlan(scope);
  const empty = emptyScopeReason(scope);
  // The scope is frozen when a dialog opens: the 2 s progress poll must not change what the
  // dialog said it would act on (nor empty the resend plan while the admin reads it).
  const [dialog, setDialog] = useState<{ kind: 'domain' | 'notify' | 'resend'; scope: ActionScope }>();
  const open = (kind: 'domain' | 'notify' | 'resend') => () => setDialog({ kind, scope });
  const close = () => setDialog(undefined);
  return (
    <>
      <WithReason reason={empty}>
        <Button icon={<GlobeArrowForwardRegular />} disabledFocusable={!!empty} onClick={open('domain')}>Change Domain</Button>
      </WithReason>
      <WithReason reason={empty}>
        <Button icon={<MailArrowForwardRegular />} disabledFocusable={!!empty} onClick={open('notify')}>Notify users</Button>
      </WithReason>
      <WithReason reason={plan.disabledReason}>
        <Button icon={<KeyResetRegular />} disabledFocusable={!!plan.disabledReason} onClick={open('resend')}>Resend credential links</Button>
      </WithReason>
      {dialog?.kind === 'domain' && <ChangeDomainDialog projectId={projectId} scope={dialog.scope} onClose={close} onChanged={onItemsChanged} />}
      {dialog?.kind === 'notify' && <NotifyUsersDialog projectId={projectId} scope={dialog.scope} onClose={close} />}
      {dialog?.kind === 'resend' && <ResendLinksDialog scope={dialog.scope} plan={resendPlan(dialog.scope)} onClose={close} />}
    </>
  );
}

/**
 * A disabled action stays focusable (disabledFocusable) and carries its reason as a tooltip
 * description, so keyboard and screen-reader users learn why, not only mouse users.
 */
function WithReason({ reason, children }: { reason: string | undefined; children: ReactElement }) {
  return reason ? <Tooltip content={reason} relationship="description">{children}</Tooltip> : children;
}
