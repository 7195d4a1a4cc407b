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
  MessageBar,
  MessageBarBody,
  Radio,
  RadioGroup,
} from '@fluentui/react-components';
import { useState } from 'react';
import { api, asProblem, type ApiProblem } from '../api/client';
import type { ChangeDomainResult } from '../api/types';
import { fieldProblem } from '../common/field-problem';
import { ProblemBar } from '../common/ProblemBar';
import { changedText, changeDomainRequest, scopeText, type ActionScope, type Side } from './admin-actions';

const useStyles = makeStyles({ stack: { display: 'grid', gap: '12px' } });

export function ChangeDomainDialog({
  projectId,
  scope,
  onClose,
  onChanged,
}: {
  projectId: string;
  scope: ActionScope;
  onClose: () => void;
  onChanged: () => void;
}) {
  const styles = useStyles();
  const [side, setSide] = useState<Side>('destination');
  const [fromDomain, setFromDomain] = useState('');
  const [toDomain, setToDomain] = useState('');
  const [result, setResult] = useState<ChangeDomainResult>();
  const [problem, setProblem] = useState<ApiProblem>();
  const [busy, setBusy] = useState(false);
  const save = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      const body = changeDomainRequest(scope, side, fromDomain, toDomain);
      setResult(await api<ChangeDomainResult>('POST', `/projects/${projectId}/items/change-domain`, { body }));
      onChanged();
    } catch (error) {
      setProblem(asProblem(error));
    }
    setBusy(false);
  };
  // The API names the field at fault; its detail goes under that field.
  const invalid = (key: string) => fieldProblem(problem, key);
  return (
    <Dialog open modalType="modal" onOpenChange={(_, d) => !d.open && onClose()}>
      <DialogSurface>
        <DialogBody>
          <DialogTitle>Change Domain</DialogTitle>
          <DialogContent className={styles.stack}>
            <p>Rewrites the addresses of {scopeText(scope)} that end with the old domain.</p>
            <Field label="Addresses to change" {...invalid('side')}>
              <RadioGroup value={side} onChange={(_, d) => setSide(d.value as Side)} disabled={!!result}>
                <Radio value="source" label="Source addresses" />
                <Radio value="destination" label="Destination addresses" />
              </RadioGroup>
            </Field>
            <Field label="From domain" required hint="For example contoso.onmicrosoft.com" {...invalid('fromDomain')}>
              <Input value={fromDomain} onChange={(_, d) => setFromDomain(d.value)} disabled={!!result} autoComplete="off" />
            </Field>
            <Field label="To domain" required hint="For example contoso.com" {...invalid('toDomain')}>
              <Input value={toDomain} onChange={(_, d) => setToDomain(d.value)} disabled={!!result} autoComplete="off" />
            </Field>
            {result && (
              <MessageBar intent={result.changed ? 'success' : 'warning'} role="status">
                <MessageBarBody>
                  {changedText(result.changed)}
                  {result.changed
                    ? ''
                    : ` No ${side} address ended with @${changeDomainRequest(scope, side, fromDomain, toDomain).fromDomain}.`}
                </MessageBarBody>
              </MessageBar>
            )}
            <ProblemBar problem={problem} />
          </DialogContent>
          <DialogActions>
            <Button onClick={onClose}>{result ? 'Close' : 'Cancel'}</Button>
            {!result && (
              <Button appearance="primary" disabled={busy || !fromDomain.trim() || !toDomain.trim()} onClick={save}>
                Change domain
              </Button>
            )}
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
