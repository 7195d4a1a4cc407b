import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  MessageBar,
  MessageBarBody,
  Text,
} from '@fluentui/react-components';
import { useState } from 'react';
import { api, asProblem } from '../api/client';
import type { ItemStatus } from '../api/types';
import type { GridRow } from './items-view';

/** Statuses whose pass is still at work on the item: the API refuses to delete them (ACTIVE_STATUSES). */
const ACTIVE: ReadonlySet<ItemStatus> = new Set<ItemStatus>(['Submitted', 'Queued', 'Running', 'Waiting For End User']);
const NAMED = 10;

/** Which selected items can go, and why the others cannot, before anything is sent. */
export function deletePlan(rows: GridRow[]): { deletable: GridRow[]; refused: { row: GridRow; reason: string }[] } {
  return {
    deletable: rows.filter((r) => !ACTIVE.has(r.status)),
    refused: rows
      .filter((r) => ACTIVE.has(r.status))
      .map((row) => ({ row, reason: `${row.sourceAddress} is "${row.status}": stop its pass before deleting it.` })),
  };
}

const plural = (n: number) => `${n} item${n === 1 ? '' : 's'}`;

/** Delete items: names how many and which, says which cannot go and why, then deletes the rest one by one. */
export function DeleteItemsDialog({ rows, onClose, onDeleted }: { rows: GridRow[]; onClose: () => void; onDeleted: () => void }) {
  const { deletable, refused } = deletePlan(rows);
  const [busy, setBusy] = useState(false);
  const [failures, setFailures] = useState<string[]>([]);
  const remove = async () => {
    setBusy(true);
    const failed: string[] = [];
    for (const row of deletable) {
      try {
        await api('DELETE', `/items/${encodeURIComponent(row.id)}`);
      } catch (error) {
        failed.push(asProblem(error).detail);
      }
    }
    setBusy(false);
    onDeleted();
    if (failed.length) setFailures(failed);
    else onClose();
  };
  const names = deletable.slice(0, NAMED).map((r) => r.sourceAddress);
  return (
    <Dialog open modalType="alert" onOpenChange={(_, d) => !d.open && onClose()}>
      <DialogSurface>
        <DialogBody>
          <DialogTitle>{deletable.length ? `Delete ${plural(deletable.length)}?` : 'Nothing can be deleted'}</DialogTitle>
          <DialogContent>
            {deletable.length > 0 && (
              <>
                <Text>
                  Each item goes with its error log and its record of what was copied; mail already at the destination stays there.
                </Text>
                <ul aria-label="Items to delete">
                  {names.map((n) => (
                    <li key={n}>{n}</li>
                  ))}
                  {deletable.length > NAMED && <li>and {deletable.length - NAMED} more</li>}
                </ul>
              </>
            )}
            {refused.length > 0 && (
              <MessageBar intent="warning">
                <MessageBarBody>
                  {refused.length === 1
                    ? refused[0]!.reason
                    : `${plural(refused.length)} cannot be deleted while their pass runs (${refused
                        .slice(0, 3)
                        .map((r) => r.row.sourceAddress)
                        .join(', ')}${refused.length > 3 ? ', …' : ''}): stop the pass first.`}
                </MessageBarBody>
              </MessageBar>
            )}
            {failures.map((f) => (
              <MessageBar key={f} intent="error">
                <MessageBarBody>{f}</MessageBarBody>
              </MessageBar>
            ))}
          </DialogContent>
          <DialogActions>
            <Button onClick={onClose}>{failures.length ? 'Close' : 'Cancel'}</Button>
            {deletable.length > 0 && !failures.length && (
              <Button appearance="primary" disabled={busy} onClick={() => void remove()}>
                Delete {plural(deletable.length)}
              </Button>
            )}
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
