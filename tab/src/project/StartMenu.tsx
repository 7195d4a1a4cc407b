import {
  Button,
  Caption1,
  Checkbox,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
  makeStyles,
  Menu,
  MenuItem,
  MenuList,
  MenuPopover,
  MenuTrigger,
  Radio,
  RadioGroup,
  tokens,
} from '@fluentui/react-components';
import { PlayRegular } from '@fluentui/react-icons';
import { useState } from 'react';
import { api, asProblem, type ApiProblem } from '../api/client';
import type { ItemType, PassKind, PublicEndpoint, StartPassResult } from '../api/types';
import { ProblemBar } from '../common/ProblemBar';
import type { GridRow } from './items-view';
import {
  copiesItems,
  CUTOFF_DAYS,
  cutoffValue,
  defaultItemTypes,
  IMAP_DESTINATION_NOTE,
  ITEM_TYPE_LABELS,
  itemTypesFor,
  PASS_LABELS,
  passRequest,
  startEntries,
  type CutoffChoice,
} from './start-rules';

const useStyles = makeStyles({
  types: { border: 'none', margin: '12px 0', padding: 0, display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(200px, 1fr))' },
  legend: { padding: 0, marginBottom: '4px', fontWeight: tokens.fontWeightSemibold },
  problem: { color: tokens.colorPaletteRedForeground1, gridColumn: '1 / -1' },
  note: { gridColumn: '1 / -1' },
});

/**
 * `sourceKind` decides the item types offered, `destinationKind` which are ticked at first (both
 * undefined while loading).
 */
export function StartMenu({
  projectId,
  targets,
  selectedIds,
  sourceKind,
  destinationKind,
  onStarted,
}: {
  projectId: string;
  targets: GridRow[];
  selectedIds: string[];
  sourceKind?: PublicEndpoint['kind'];
  destinationKind?: PublicEndpoint['kind'];
  onStarted: (result: StartPassResult) => void;
}) {
  const [kind, setKind] = useState<PassKind>();
  const scope = selectedIds.length ? `${selectedIds.length} selected item(s)` : `all ${targets.length} item(s)`;
  return (
    <>
      <Menu>
        <MenuTrigger disableButtonEnhancement>
          <Button appearance="primary" icon={<PlayRegular />}>
            Start
          </Button>
        </MenuTrigger>
        <MenuPopover>
          <MenuList>
            {startEntries(targets).map((entry) => (
              <MenuItem key={entry.kind} disabled={!!entry.disabledReason} onClick={() => setKind(entry.kind)}>
                {entry.label}
                {entry.disabledReason && (
                  <>
                    <br />
                    <Caption1>{entry.disabledReason}</Caption1>
                  </>
                )}
              </MenuItem>
            ))}
          </MenuList>
        </MenuPopover>
      </Menu>
      {kind && (
        <StartPassDialog
          projectId={projectId}
          kind={kind}
          scope={scope}
          selectedIds={selectedIds}
          offeredTypes={itemTypesFor(sourceKind)}
          destinationKind={destinationKind}
          onClose={() => setKind(undefined)}
          onStarted={onStarted}
        />
      )}
    </>
  );
}

function StartPassDialog({
  projectId,
  kind,
  scope,
  selectedIds,
  offeredTypes,
  destinationKind,
  onClose,
  onStarted,
}: {
  projectId: string;
  kind: PassKind;
  scope: string;
  selectedIds: string[];
  offeredTypes: ItemType[];
  destinationKind?: PublicEndpoint['kind'];
  onClose: () => void;
  onStarted: (result: StartPassResult) => void;
}) {
  const styles = useStyles();
  const [itemTypes, setItemTypes] = useState<ItemType[]>(() => defaultItemTypes(offeredTypes, destinationKind));
  // A source that holds mail only (IMAP) has nothing to choose: the API's default (mail) applies.
  const chooseTypes = copiesItems(kind) && offeredTypes.length > 1;
  const noType = chooseTypes && itemTypes.length === 0;
  const toggleType = (type: ItemType, on: boolean) =>
    setItemTypes((now) => (on ? [...now.filter((t) => t !== type), type] : now.filter((t) => t !== type)));
  const [cutoff, setCutoff] = useState<CutoffChoice>('90');
  const [cutoffDate, setCutoffDate] = useState('');
  const [startAt, setStartAt] = useState('');
  const [problem, setProblem] = useState<ApiProblem>();
  const [busy, setBusy] = useState(false);
  const start = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      const body = passRequest(kind, selectedIds, cutoffValue(cutoff, cutoffDate), startAt, chooseTypes ? itemTypes : []);
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
                  {CUTOFF_DAYS.map((days) => (
                    <Radio key={days} value={String(days)} label={`${days} days`} />
                  ))}
                  <Radio value="date" label="A date" />
                </RadioGroup>
              </Field>
            )}
            {kind === 'prestage' && cutoff === 'date' && (
              <Field label="Cutoff date" required>
                <Input type="date" value={cutoffDate} onChange={(_, d) => setCutoffDate(d.value)} />
              </Field>
            )}
            {chooseTypes && (
              <fieldset className={styles.types} aria-describedby={noType ? 'item-types-problem' : undefined}>
                <legend className={styles.legend}>Item types</legend>
                {offeredTypes.map((type) => (
                  <Checkbox
                    key={type}
                    label={ITEM_TYPE_LABELS[type]}
                    checked={itemTypes.includes(type)}
                    onChange={(_, d) => toggleType(type, d.checked === true)}
                  />
                ))}
                {destinationKind === 'imap' && <Caption1 className={styles.note}>{IMAP_DESTINATION_NOTE}</Caption1>}
                {noType && (
                  <Caption1 id="item-types-problem" role="alert" className={styles.problem}>
                    Choose at least one item type.
                  </Caption1>
                )}
              </fieldset>
            )}
            <Field label="Start at (optional)" hint="Empty: start now">
              <Input type="datetime-local" value={startAt} onChange={(_, d) => setStartAt(d.value)} />
            </Field>
            <ProblemBar problem={problem} />
          </DialogContent>
          <DialogActions>
            <Button onClick={onClose}>Cancel</Button>
            <Button appearance="primary" onClick={start} disabled={busy || noType}>
              Start {PASS_LABELS[kind]}
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
