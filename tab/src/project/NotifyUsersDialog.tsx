import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
  makeStyles,
  Radio,
  RadioGroup,
  Textarea,
} from '@fluentui/react-components';
import { useState } from 'react';
import { api, asProblem, type ApiProblem } from '../api/client';
import type { DeliveryReport } from '../api/types';
import { fieldProblem } from '../common/field-problem';
import { ProblemBar } from '../common/ProblemBar';
import {
  mergeReports,
  NOTIFY_PLACEHOLDERS,
  notifyUsersRequests,
  placeholderProblem,
  scopeText,
  type ActionScope,
  type Side,
} from './admin-actions';
import { DeliveryReportView } from './DeliveryReportView';

const useStyles = makeStyles({ stack: { display: 'grid', gap: '12px' } });
const PLACEHOLDER_HINT = `Replaced for each item: ${NOTIFY_PLACEHOLDERS.map((n) => `{{${n}}}`).join(', ')}.`;

export function NotifyUsersDialog({ projectId, scope, onClose }: { projectId: string; scope: ActionScope; onClose: () => void }) {
  const styles = useStyles();
  const [subject, setSubject] = useState('');
  const [message, setMessage] = useState('');
  const [recipient, setRecipient] = useState<Side>('destination');
  const [report, setReport] = useState<DeliveryReport>();
  const [problem, setProblem] = useState<ApiProblem>();
  const [busy, setBusy] = useState(false);
  // Checked here as the API checks it, so a typo is fixed before any mail goes out.
  const local = { subject: placeholderProblem(subject), message: placeholderProblem(message) };
  const send = async () => {
    setBusy(true);
    setProblem(undefined);
    const reports: DeliveryReport[] = [];
    try {
      for (const body of notifyUsersRequests(scope, subject, message, recipient)) {
        reports.push(await api<DeliveryReport>('POST', `/projects/${projectId}/notify-users`, { body }));
      }
    } catch (error) {
      setProblem(asProblem(error));
    }
    // Chunks already sent stay reported even when a later one is refused: those mails went out.
    if (reports.length) setReport(mergeReports(reports));
    setBusy(false);
  };
  const invalid = (key: 'subject' | 'message' | 'recipient') => {
    const fromApi = fieldProblem(problem, key);
    if (fromApi.validationMessage) return fromApi;
    const text = key === 'recipient' ? undefined : local[key];
    return text ? { validationState: 'error' as const, validationMessage: text } : {};
  };
  const done = !!report;
  return (
    <Dialog open modalType="modal" onOpenChange={(_, d) => !d.open && onClose()}>
      <DialogSurface style={{ maxWidth: '760px' }}>
        <DialogBody>
          <DialogTitle>Notify users</DialogTitle>
          <DialogContent className={styles.stack}>
            <p>E-mails {scopeText(scope)}, one message per item.</p>
            <Field label="Subject" required hint={PLACEHOLDER_HINT} {...invalid('subject')}>
              <Input value={subject} onChange={(_, d) => setSubject(d.value)} disabled={done} />
            </Field>
            <Field label="Message" required hint={PLACEHOLDER_HINT} {...invalid('message')}>
              <Textarea value={message} onChange={(_, d) => setMessage(d.value)} disabled={done} rows={6} resize="vertical" />
            </Field>
            <Field label="Send to" {...invalid('recipient')}>
              <RadioGroup value={recipient} onChange={(_, d) => setRecipient(d.value as Side)} disabled={done}>
                <Radio value="destination" label="Destination address (the new mailbox; mail reaches it after the cut-over)" />
                <Radio value="source" label="Source address (users still reading the old system)" />
              </RadioGroup>
            </Field>
            {report && <DeliveryReportView report={report} label="Notify users result" />}
            <ProblemBar problem={problem} />
          </DialogContent>
          <DialogActions>
            <Button onClick={onClose}>{done ? 'Close' : 'Cancel'}</Button>
            {!done && (
              <Button
                appearance="primary"
                onClick={send}
                disabled={busy || !subject.trim() || !message.trim() || !!local.subject || !!local.message}
              >
                Send
              </Button>
            )}
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
