import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  makeStyles,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  Title2,
  tokens,
} from '@fluentui/react-components';
import { useState } from 'react';
import { api, asProblem, listAll, type ApiProblem } from '../api/client';
import type { PublicEndpoint, ValidationResult } from '../api/types';
import { ProblemBar } from '../common/ProblemBar';
import { useApi } from '../common/use-api';
import { CheckList } from './CheckList';
import { editProblems, endpointDraft, endpointPatchBody } from './endpoint-edit';
import { EndpointForm } from './EndpointForm';
import { endpointLabel, type EndpointDraft } from './wizard-steps';

const useStyles = makeStyles({
  card: {
    backgroundColor: tokens.colorNeutralBackground1,
    padding: '20px',
    borderRadius: tokens.borderRadiusMedium,
    display: 'grid',
    gap: '16px',
  },
  actions: { display: 'flex', gap: '8px' },
});

/** Endpoints: edit one with the wizard's form (checked again on save), or delete one no project uses. */
export function EndpointsPage() {
  const styles = useStyles();
  const endpoints = useApi(() => listAll<PublicEndpoint>('/endpoints'), 'endpoints');
  const [editing, setEditing] = useState<PublicEndpoint>();
  const [deleting, setDeleting] = useState<PublicEndpoint>();
  if (editing)
    return (
      <EditEndpoint
        endpoint={editing}
        onDone={() => {
          setEditing(undefined);
          endpoints.reload();
        }}
      />
    );
  return (
    <section aria-labelledby="endpoints-title" className={styles.card}>
      <Title2 as="h1" id="endpoints-title">
        Endpoints
      </Title2>
      {endpoints.loading && <Spinner label="Loading endpoints" />}
      <ProblemBar problem={endpoints.problem} />
      {endpoints.data &&
        (endpoints.data.length ? (
          <Table aria-label="Endpoints">
            <TableHeader>
              <TableRow>
                <TableHeaderCell>Endpoint</TableHeaderCell>
                <TableHeaderCell>Admin access</TableHeaderCell>
                <TableHeaderCell>Actions</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {endpoints.data.map((e) => (
                <TableRow key={e.id}>
                  <TableCell>{endpointLabel(e)}</TableCell>
                  <TableCell>{e.adminMode === 'none' ? 'None' : `${e.adminMode}${e.adminLogin ? ` (${e.adminLogin})` : ''}`}</TableCell>
                  <TableCell>
                    <div className={styles.actions}>
                      <Button size="small" aria-label={`Edit ${e.name}`} onClick={() => setEditing(e)}>
                        Edit
                      </Button>
                      <Button size="small" aria-label={`Delete ${e.name}`} onClick={() => setDeleting(e)}>
                        Delete
                      </Button>
                    </div>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        ) : (
          <Text>No endpoints yet: create one in the Create project wizard.</Text>
        ))}
      {/* Kept mounted and closed by `open`: a Dialog unmounted while open leaves the page aria-hidden in Chromium. */}
      <DeleteEndpointDialog endpoint={deleting} onClose={() => setDeleting(undefined)} onDeleted={endpoints.reload} />
    </section>
  );
}

function EditEndpoint({ endpoint, onDone }: { endpoint: PublicEndpoint; onDone: () => void }) {
  const styles = useStyles();
  const [draft, setDraft] = useState<EndpointDraft>(() => endpointDraft(endpoint));
  const [showProblems, setShowProblems] = useState(false);
  const [problem, setProblem] = useState<ApiProblem>();
  const [summary, setSummary] = useState<ValidationResult>();
  const [busy, setBusy] = useState(false);
  const local = showProblems ? editProblems(draft, endpoint) : {};
  // The API's own sentence under the field it names, beside the form's own checks.
  const fromApi = Object.fromEntries(
    (problem?.errors ?? (problem?.field ? [{ field: problem.field, message: problem.detail }] : [])).map((e) => [e.field, e.message]),
  );
  const save = async () => {
    setProblem(undefined);
    setSummary(undefined);
    if (Object.keys(editProblems(draft, endpoint)).length) return setShowProblems(true);
    setBusy(true);
    try {
      await api('PATCH', `/endpoints/${encodeURIComponent(endpoint.id)}`, { body: endpointPatchBody(draft) });
      setSummary(await api<ValidationResult>('POST', `/endpoints/${encodeURIComponent(endpoint.id)}/validate`, { body: {} }));
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setBusy(false);
    }
  };
  const secretsHint = [
    endpoint.hasAdminPassword && 'admin password',
    endpoint.hasAppSecret && 'client secret',
    endpoint.appCertificate && 'certificate',
  ]
    .filter(Boolean)
    .join(' and ');
  const certificate = endpoint.appCertificate;
  return (
    <section aria-labelledby="edit-endpoint-title" className={styles.card}>
      <Title2 as="h1" id="edit-endpoint-title">
        Edit endpoint “{endpoint.name}”
      </Title2>
      {secretsHint && <Text>Leave the {secretsHint} empty to keep the stored one; it is never shown.</Text>}
      {certificate && (
        <Text>
          The app signs in with the certificate {certificate.subject} (thumbprint {certificate.thumbprint}), valid until{' '}
          {certificate.notAfter.slice(0, 10)}. Paste a new certificate and key to replace it, or choose Secret to sign in with a client
          secret instead.
        </Text>
      )}
      <EndpointForm draft={draft} problems={{ ...local, ...fromApi }} onChange={setDraft} />
      <ProblemBar problem={problem} shownFields={Object.keys(draft)} />
      {summary && <CheckList result={summary} />}
      <div className={styles.actions}>
        <Button onClick={onDone}>{summary ? 'Back to endpoints' : 'Cancel'}</Button>
        <Button appearance="primary" disabled={busy} onClick={() => void save()}>
          Save and check
        </Button>
        {busy && <Spinner size="tiny" label="Saving and checking" />}
      </div>
    </section>
  );
}

function DeleteEndpointDialog({
  endpoint,
  onClose,
  onDeleted,
}: {
  endpoint: PublicEndpoint | undefined;
  onClose: () => void;
  onDeleted: () => void;
}) {
  const [problem, setProblem] = useState<ApiProblem>();
  const close = () => {
    setProblem(undefined);
    onClose();
  };
  const remove = async () => {
    if (!endpoint) return;
    try {
      await api('DELETE', `/endpoints/${encodeURIComponent(endpoint.id)}`);
      onDeleted();
      close();
    } catch (error) {
      setProblem(asProblem(error));
    }
  };
  return (
    <Dialog open={!!endpoint} modalType="alert" onOpenChange={(_, d) => !d.open && close()}>
      <DialogSurface>
        <DialogBody>
          <DialogTitle>Delete endpoint “{endpoint?.name}”?</DialogTitle>
          <DialogContent>
            <Text>Its stored passwords and secrets are deleted with it. An endpoint a project uses cannot be deleted.</Text>
            <ProblemBar problem={problem} title="Not deleted" />
          </DialogContent>
          <DialogActions>
            <Button onClick={close}>{problem ? 'Close' : 'Cancel'}</Button>
            {!problem && (
              <Button appearance="primary" onClick={() => void remove()}>
                Delete endpoint
              </Button>
            )}
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
