import {
  MessageBar,
  MessageBarBody,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
} from '@fluentui/react-components';
import type { BulkAddReport } from '../api/types';

/** The API's Bulk Add answer: how many were added, and each row that was not, with why. */
export function BulkAddReportView({ report, label = 'Bulk Add result' }: { report: BulkAddReport; label?: string }) {
  return (
    <section aria-label={label}>
      <MessageBar intent={report.problems.length ? 'warning' : 'success'} role="status">
        <MessageBarBody>
          Added {report.added} item(s).{report.problems.length ? ` ${report.problems.length} row(s) were not added:` : ''}
        </MessageBarBody>
      </MessageBar>
      {report.problems.length > 0 && (
        <Table size="small" aria-label="Rows not added">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Line</TableHeaderCell>
              <TableHeaderCell>Column</TableHeaderCell>
              <TableHeaderCell>What is wrong</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {report.problems.map((p, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a static list, built once from one answer and never reordered; a line can have several problems, so no field is unique
              <TableRow key={i}>
                <TableCell>{p.line}</TableCell>
                <TableCell>{p.column}</TableCell>
                <TableCell>{p.message}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </section>
  );
}
