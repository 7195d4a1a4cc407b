import {
  Button,
  DrawerBody,
  DrawerHeader,
  DrawerHeaderTitle,
  makeStyles,
  OverlayDrawer,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  Title3,
} from '@fluentui/react-components';
import { DismissRegular, EditRegular } from '@fluentui/react-icons';
import { useState } from 'react';
import { api } from '../api/client';
import type { ErrorRow, ItemStatisticsView, Page, PublicItem } from '../api/types';
import { ProblemBar } from '../common/ProblemBar';
import { StatusBadge } from '../common/StatusBadge';
import { formatBytes, formatDate } from '../common/format';
import { useApi } from '../common/use-api';
import { ItemEditForm } from './ItemEditForm';
import { PASS_LABELS } from './start-rules';

// A grid, so a heading and the Text after it (Fluent's Text is inline) never share a line.
const useStyles = makeStyles({
  section: { marginTop: '16px', display: 'grid', gap: '8px' },
  facts: { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '4px 12px' },
});
/** One page of the error log is what an admin reads; the CLI and API page further. */
const ERROR_PAGE = 200;

/**
 * `refreshKey` changes when the item's status does, so an open panel follows the pass.
 * `onItemChanged`: after "Edit item" saved, so the grid shows the new addresses.
 */
export function ItemDetailPanel({
  itemId,
  refreshKey,
  onClose,
  onItemChanged,
  startEditing = false,
}: {
  itemId: string;
  refreshKey: string;
  onClose: () => void;
  onItemChanged?: () => void;
  startEditing?: boolean;
}) {
  const styles = useStyles();
  const [editing, setEditing] = useState(startEditing);
  const [saved, setSaved] = useState(0);
  const { data, problem } = useApi(
    async () =>
      Promise.all([
        api<PublicItem>('GET', `/items/${itemId}`),
        api<ItemStatisticsView>('GET', `/items/${itemId}/statistics`),
        api<Page<ErrorRow>>('GET', `/items/${itemId}/errors?limit=${ERROR_PAGE}`),
      ]),
    `${itemId}:${refreshKey}:${saved}`,
  );
  const [item, stats, errors] = data ?? [];
  return (
    <OverlayDrawer position="end" size="large" open onOpenChange={(_, d) => !d.open && onClose()}>
      <DrawerHeader>
        <DrawerHeaderTitle
          action={
            <>
              {item && !editing && (
                <Button appearance="subtle" icon={<EditRegular />} onClick={() => setEditing(true)}>
                  Edit item
                </Button>
              )}
              <Button appearance="subtle" aria-label="Close" icon={<DismissRegular />} onClick={onClose} />
            </>
          }
        >
          {item?.sourceAddress ?? 'Item'}
        </DrawerHeaderTitle>
      </DrawerHeader>
      {/* Focusable: keyboard users scroll a long pass history and error log (axe: scrollable-region-focusable). */}
      <DrawerBody tabIndex={0} role="region" aria-label="Item details">
        <ProblemBar problem={problem} />
        {!item || !stats || !errors ? (
          <Spinner label="Loading the item" />
        ) : editing ? (
          <ItemEditForm
            item={item}
            onCancel={() => setEditing(false)}
            onSaved={() => {
              setEditing(false);
              setSaved((n) => n + 1);
              onItemChanged?.();
            }}
          />
        ) : (
          <>
            <div className={styles.facts}>
              <Text weight="semibold">Status</Text>
              <span>
                <StatusBadge status={item.status} />
              </span>
              <Text weight="semibold">Destination</Text>
              <Text>{item.destinationAddress}</Text>
              <Text weight="semibold">Credentials</Text>
              <Text>{credentialsText(item)}</Text>
              <Text weight="semibold">Support options</Text>
              <Text>{item.options.length ? item.options.join(' · ') : "None (the project's apply)"}</Text>
              <Text weight="semibold">Last pass</Text>
              <Text>
                {item.lastRun
                  ? `${PASS_LABELS[item.lastRun.kind]}, ${item.lastRun.status}${item.lastRun.finishedAt ? `, ended ${formatDate(item.lastRun.finishedAt)}` : ''}`
                  : 'None yet'}
              </Text>
              <Text weight="semibold">Last run reason</Text>
              <Text>{item.lastRun?.reason ?? '—'}</Text>
              <Text weight="semibold">Over all passes</Text>
              <Text>
                {stats.copied} copied, {stats.skipped} already there, {stats.failed} failed,{' '}
                {stats.flagsUpdated ? `${stats.flagsUpdated} with flags updated, ` : ''}
                {formatBytes(stats.bytes)} in {stats.passes} pass(es)
              </Text>
            </div>
            <section className={styles.section} aria-labelledby="folders-title">
              <Title3 as="h2" id="folders-title">
                Folders
              </Title3>
              {stats.folders.length === 0 ? (
                <Text>No folder finished yet.</Text>
              ) : (
                <Table size="small" aria-label="Folders">
                  <TableHeader>
                    <TableRow>
                      <TableHeaderCell>Folder</TableHeaderCell>
                      <TableHeaderCell>Copied</TableHeaderCell>
                      <TableHeaderCell>Already there</TableHeaderCell>
                      <TableHeaderCell>Failed</TableHeaderCell>
                    </TableRow>
                  </TableHeader>
                  <TableBody>
                    {stats.folders.map((f) => (
                      <TableRow key={f.path}>
                        <TableCell>{f.path}</TableCell>
                        <TableCell>{f.copied}</TableCell>
                        <TableCell>{f.skipped}</TableCell>
                        <TableCell>{f.failed}</TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              )}
            </section>
            <section className={styles.section} aria-labelledby="runs-title">
              <Title3 as="h2" id="runs-title">
                Pass history
              </Title3>
              {!item.runHistory?.length ? (
                <Text>No pass has ended for this item yet.</Text>
              ) : (
                <Table size="small" aria-label="Pass history of this item">
                  <TableHeader>
                    <TableRow>
                      <TableHeaderCell>Pass</TableHeaderCell>
                      <TableHeaderCell>Result</TableHeaderCell>
                      <TableHeaderCell>Ended</TableHeaderCell>
                      <TableHeaderCell>Copied</TableHeaderCell>
                      <TableHeaderCell>Already there</TableHeaderCell>
                      <TableHeaderCell>Failed</TableHeaderCell>
                      <TableHeaderCell>Data</TableHeaderCell>
                    </TableRow>
                  </TableHeader>
                  <TableBody>
                    {[...item.runHistory].reverse().map((run) => (
                      <TableRow key={`${run.passId}:${run.finishedAt}`}>
                        <TableCell>{PASS_LABELS[run.kind]}</TableCell>
                        <TableCell>
                          <StatusBadge status={run.status} />
                          {run.reason ? (
                            <Text block size={200}>
                              {run.reason}
                            </Text>
                          ) : null}
                        </TableCell>
                        <TableCell>{formatDate(run.finishedAt)}</TableCell>
                        <TableCell>{run.copied}</TableCell>
                        <TableCell>{run.skipped}</TableCell>
                        <TableCell>{run.failed}</TableCell>
                        <TableCell>{formatBytes(run.bytes)}</TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              )}
            </section>
            <section className={styles.section} aria-labelledby="errors-title">
              <Title3 as="h2" id="errors-title">
                Error log
              </Title3>
              {errors.items.length === 0 ? (
                <Text>{emptyErrorLogText(item)}</Text>
              ) : (
                <Table size="small" aria-label="Error log">
                  <TableHeader>
                    <TableRow>
                      <TableHeaderCell>Folder</TableHeaderCell>
                      <TableHeaderCell>Subject</TableHeaderCell>
                      <TableHeaderCell>Size</TableHeaderCell>
                      <TableHeaderCell>Reason</TableHeaderCell>
                    </TableRow>
                  </TableHeader>
                  <TableBody>
                    {errors.items.map((e) => (
                      <TableRow key={`${e.folder}:${e.sourceKey}`}>
                        <TableCell>{e.folder}</TableCell>
                        <TableCell>{e.subject ?? '—'}</TableCell>
                        <TableCell>{e.size === undefined ? '—' : formatBytes(e.size)}</TableCell>
                        <TableCell>{e.reason}</TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              )}
            </section>
          </>
        )}
      </DrawerBody>
    </OverlayDrawer>
  );
}

/**
 * What an empty error log means depends on how the last pass ended: a failed login leaves no
 * message rows, yet nothing was copied ("No errors: every message… was copied" said the opposite).
 */
export function emptyErrorLogText(item: Pick<PublicItem, 'status' | 'lastRun'>): string {
  const run = item.lastRun;
  if (!run) return 'No pass has run yet.';
  switch (item.status) {
    case 'Failed':
      return `No message was refused, because the last pass stopped before copying: ${run.reason ?? 'see "Last run reason" above'}. Fix that, then start the pass again.`;
    case 'Stopped':
      return 'No message was refused before the pass was stopped; start it again to copy the rest.';
    case 'Waiting For End User':
      return 'Nothing copied yet: the pass waits for the end user to confirm the password.';
    case 'Submitted':
    case 'Queued':
    case 'Running':
      return 'No message refused so far.';
    default:
      return run.kind === 'verify'
        ? 'No errors. The last pass only checked the logins; no message has been copied yet.'
        : 'No errors: every message of the last passes was copied.';
  }
}

function credentialsText(item: PublicItem): string {
  const side = (login: string | undefined, hasPassword: boolean) => {
    if (!login && !hasPassword) return 'admin login';
    return `${login ?? 'the address as login'}${hasPassword ? ' with a stored password' : ''}`;
  };
  if (item.endUserCredentials && !item.hasSourcePassword)
    return `Source: the user confirms from an e-mailed link; destination: ${side(item.destinationLogin, item.hasDestinationPassword)}`;
  return `Source: ${side(item.sourceLogin, item.hasSourcePassword)}; destination: ${side(item.destinationLogin, item.hasDestinationPassword)}`;
}
