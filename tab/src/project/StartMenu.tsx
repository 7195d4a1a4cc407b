import {
  Button, Caption1, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle, Field, Input,
  Menu, MenuItem, MenuList, MenuPopover, MenuTrigger, Radio, RadioGroup,
} from '@fluentui/react-components';
import { PlayRegular } from '@fluentui/react-icons';
import { useState } from 'react';
import { api, asProblem, type ApiProblem } from '../api/client';
import type { PassKind, StartPassResult } from '../api/types';
import { ProblemBar } from '../common/ProblemBar';
import type { GridRow } from './items-view';
import { CUTOFF_DAYS, cutoffValue, PASS_LABELS, passRequest, startEntries, type CutoffChoice } from './start-rules';

export function StartMenu({ projectId, targets, selectedIds, onStarted }: {
  projectId: string; targets: GridRow[]; selectedIds: string[]; onStarted: (result: StartPassResult) => void;
}) {
  const [kind, setKind] = useState<PassKind>();
  const scope = selectedIds.length ? `${selectedIds.length} selected item(s)` : `all ${targets.length} item(s)`;
  return (
    <>
      <Menu>
        <MenuTrigger disableButtonEnhancement>
          <Button appearance="primary" icon={<PlayRegular />}>Start</Button>
        </MenuTrigger>
        <MenuPopover>
          <MenuList>
            {startEntries(targets).map((entry) => (
              <MenuItem key={entry.kind} disabled={!!entry.disabledReason} onClick={() => setKind(entry.kind)}>
                {entry.label}
                {entry.disabledReason && <><br /><Caption1>{entry.disabledReason}</Caption1></>}
              </MenuItem>
            ))}
          </MenuList>
        </MenuPopover>
      </Menu>
      {kind && <StartPassDialog projectId={projectId} kind={kind} scope={scope} selectedIds={selectedIds} onClose={() => setKind(undefined)} onStarted={onStarted} />}
    </>
  );
}

function StartPassDialog({ projectId, kind, scope, selectedIds, onClose, onStarted }: {
  projectId: string; kind: PassKind; scope: string; selectedIds: string[]; onClose: () => void; onStarted: (result: StartPassResult) => void;
}) {
  const [cutoff, setCutoff] = useState<CutoffChoice>('90');
  const [cutoffDate, setCutoffDate] = useState('');
  const [startAt, setStartAt] = useState('');
  const [problem, setProblem] = useState<ApiProblem>();
  const [busy, setBusy] = useState(false);
  const start = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      const body = passRequest(kind, selectedIds, cutoffValue(cutoff, cutoffDate), startAt);
      onStarted(await api<StartPassResult>('POST', `/projects/${projectId}/passes`, { body }));
      onClose();
    } catch (error) {
      setProblem(asProblem(error));
      setBusy(false);
    }
  };
  return (
    <Dialog open modalType="modal" onOpenChange={(_, d) => !d.open && onClose()}>
      <DialogSurface>
        <DialogBody>
          <DialogTitle>{PASS_LABELS[kind]}</DialogTitle>
          <DialogContent>
            <p>Runs on {scope}.</p>
            {kind === 'prestage' && (
              <Field label="Copy items older than">
                <RadioGroup value={cutoff} onChange={(_, d) => setCutoff(d.value as CutoffChoice)}>
                  {CUTOFF_DAYS.map((days) => <Radio key={days} value={String(days)} label={`${days} days`} />)}
                  <Radio value="date" label="A date" />
                </RadioGroup>
              </Field>
            )}
            {kind === 'prestage' && cutoff === 'date' && (
              <Field label="Cutoff date" required><Input type="date" value={cutoffDate} onChange={(_, d) => setCutoffDate(d.value)} /></Field>
            )}
            <Field label="Start at (optional)" hint="Empty: start now">
              <Input type="datetime-local" value={startAt} onChange={(_, d) => setStartAt(d.value)} />
            </Field>
            <ProblemBar problem={problem} />
          </DialogContent>
          <DialogActions>
            <Button onClick={onClose}>Cancel</Button>
            <Button appearance="primary" onClick={start} disabled={busy}>Start {PASS_LABELS[kind]}</Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
