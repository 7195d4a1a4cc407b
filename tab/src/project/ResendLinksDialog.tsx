import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  makeStyles,
} from '@fluentui/react-components';
import { useState } from 'react';
import { api, asProblem, type ApiProblem } from '../api/client';
import type { DeliveryReport } from '../api/types';
import { ProblemBar } from '../common/ProblemBar';
import { mergeReports, scopeText, WAITING, type ActionScope, type ResendPlan } from './admin-actions';
import { DeliveryReportView } from './DeliveryReportView';

const useStyles = makeStyles({ stack: { display: 'grid', gap: '12px' } });

export function ResendLinksDialog({ scope, plan, onClose }: { scope: ActionScope; plan: ResendPlan; onClose: () => void }) {
  const styles = useStyles();
  const [report, setReport] = useState<DeliveryReport>();
  const [problem, setProblem] = useState<ApiProblem>();
  const [busy, setBusy] = useState(false);
  const send = async () => {
    setBusy(true);
    setProblem(undefined);
    const reports: DeliveryReport[] = [];
    try {
      for (const { passId, body } of plan.requests) {
        reports.push(await api<DeliveryReport>('POST', `/passes/${passId}/credential-requests`, { body }));
      }
    } catch (error) {
      setProblem(asProblem(error));
    }
    // Links of passes already answered were sent (and earlier ones retired): report them anyway.
    if (reports.length) setReport(mergeReports(reports));
    setBusy(false);
  };
  return (
    <Dialog open modalType="modal" onOpenChange={(_, d) => !d.open && onClose()}>
      <DialogSurface>
        <DialogBody>
          <DialogTitle>Resend credential links</DialogTitle>
          <DialogContent className={styles.stack}>
            <p>
              Of {scopeText(scope)}, {plan.waiting} item(s) are &quot;{WAITING}&quot;. Each gets a new link at its source address; links
              sent earlier stop working.
            </p>
            {report && <DeliveryReportView report={report} label="Resend credential links result" />}
            <ProblemBar problem={problem} />
          </DialogContent>
          <DialogActions>
            <Button onClick={onClose}>{report ? 'Close' : 'Cancel'}</Button>
            {!report && (
              <Button appearance="primary" onClick={send} disabled={busy}>
                Send new links
              </Button>
            )}
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
