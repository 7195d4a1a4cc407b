import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  makeStyles,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  tokens,
} from '@fluentui/react-components';
import { useId, useState } from 'react';
import { api, asProblem, type ApiProblem } from '../api/client';
import type { BulkAddReport } from '../api/types';
import { ProblemBar } from '../common/ProblemBar';
import { BulkAddReportView } from './BulkAddReportView';
import { previewCsv, type CsvPreview } from './csv-preview';

const useStyles = makeStyles({ scroll: { maxHeight: '260px', overflowY: 'auto' }, bad: { color: tokens.colorPaletteRedForeground1 } });

export function BulkAddDialog({ projectId, onClose, onAdded }: { projectId: string; onClose: () => void; onAdded: () => void }) {
  const styles = useStyles();
  // Field labels Fluent's own inputs; a native file input needs the label pointed at it.
  const fileId = useId();
  const [csv, setCsv] = useState<string>();
  const [preview, setPreview] = useState<CsvPreview>();
  const [report, setReport] = useState<BulkAddReport>();
  const [problem, setProblem] = useState<ApiProblem>();
  const pick = async (file: File | undefined) => {
    setReport(undefined);
    setProblem(undefined);
    if (!file) return;
    const text = await file.text();
    setCsv(text);
    setPreview(previewCsv(text));
  };
  const save = async () => {
    try {
      setReport(await api<BulkAddReport>('POST', `/projects/${projectId}/items/bulk`, { csv }));
      onAdded();
    } catch (error) {
      setProblem(asProblem(error));
    }
  };
  return (
    <Dialog open modalType="modal" onOpenChange={(_, d) => !d.open && onClose()}>
      <DialogSurface style={{ maxWidth: '860px' }}>
        <DialogBody>
          <DialogTitle>Bulk Add</DialogTitle>
          <DialogContent>
            <Field
              label={{ children: 'CSV file', htmlFor: fileId }}
              hint="Columns: Source Email, Destination Email, and optionally Source Login Name, Source Password, Destination Login Name, Destination Password, End User Confirms Password (Yes: the end user confirms the source password from an e-mailed link)"
            >
              <input id={fileId} type="file" accept=".csv,text/csv" onChange={(e) => void pick(e.target.files?.[0])} />
            </Field>
            {preview && !report && (
              <section aria-label="Preview">
                {preview.fileProblems.length > 0 && (
                  <ul aria-label="Problems with the file" className={styles.bad}>
                    {preview.fileProblems.map((p) => (
                      <li key={p}>{p}</li>
                    ))}
                  </ul>
                )}
                <Text>
                  {preview.total} row(s){preview.withProblems ? `, ${preview.withProblems} that look wrong` : ''}. Preview of the first{' '}
                  {preview.rows.length}:
                </Text>
                <div className={styles.scroll}>
                  <Table size="small" aria-label="CSV preview">
                    <TableHeader>
                      <TableRow>
                        <TableHeaderCell>Line</TableHeaderCell>
                        <TableHeaderCell>Source email</TableHeaderCell>
                        <TableHeaderCell>Destination email</TableHeaderCell>
                        <TableHeaderCell>Problem</TableHeaderCell>
                      </TableRow>
                    </TableHeader>
                    <TableBody>
                      {preview.rows.map((r) => (
                        <TableRow key={r.line}>
                          <TableCell>{r.line}</TableCell>
                          <TableCell>{r.sourceAddress}</TableCell>
                          <TableCell>{r.destinationAddress}</TableCell>
                          <TableCell className={r.problem ? styles.bad : undefined}>{r.problem ?? 'OK'}</TableCell>
                        </TableRow>
                      ))}
                    </TableBody>
                  </Table>
                </div>
              </section>
            )}
            {report && <BulkAddReportView report={report} />}
            <ProblemBar problem={problem} />
          </DialogContent>
          <DialogActions>
            <Button onClick={onClose}>{report ? 'Close' : 'Cancel'}</Button>
            {!report && (
              <Button appearance="primary" disabled={!csv} onClick={save}>
                Add items
              </Button>
            )}
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
