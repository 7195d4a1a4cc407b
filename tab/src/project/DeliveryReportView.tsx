import {
  makeStyles,
  MessageBar,
  MessageBarBody,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  tokens,
} from '@fluentui/react-components';
import type { DeliveryReport } from '../api/types';
import { reportText } from './admin-actions';

const useStyles = makeStyles({ scroll: { maxHeight: '260px', overflowY: 'auto' }, bad: { color: tokens.colorPaletteRedForeground1 } });

/** The per-item answer of Notify users and credential-link resends: who got the mail, who did not and why. */
export function DeliveryReportView({ report, label }: { report: DeliveryReport; label: string }) {
  const styles = useStyles();
  return (
    <section aria-label={label}>
      <MessageBar intent={report.failed ? 'warning' : 'success'} role="status">
        <MessageBarBody>{reportText(report)}</MessageBarBody>
      </MessageBar>
      {report.results.length > 0 && (
        // Focusable so keyboard users can scroll a long report.
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take keyboard focus so keyboard users can scroll it (axe scrollable-region-focusable; the browser tests check it)
        <section className={styles.scroll} tabIndex={0} aria-label={`${label}, per item`}>
          <Table size="small" aria-label={`${label}, per item`}>
            <TableHeader>
              <TableRow>
                <TableHeaderCell>Address</TableHeaderCell>
                <TableHeaderCell>Result</TableHeaderCell>
                <TableHeaderCell>Reason</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {report.results.map((r) => (
                <TableRow key={r.itemId}>
                  <TableCell>{r.address ?? r.itemId}</TableCell>
                  <TableCell className={r.status === 'failed' ? styles.bad : undefined}>
                    {r.status === 'sent' ? 'Sent' : 'Failed'}
                  </TableCell>
                  <TableCell>{r.reason ?? ''}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </section>
      )}
    </section>
  );
}
