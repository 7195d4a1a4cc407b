import {
  Button,
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
} from '@fluentui/react-components';
import { useState } from 'react';
import { api, asProblem, type ApiProblem } from '../api/client';
import { fieldProblem } from '../common/field-problem';
import { ProblemBar } from '../common/ProblemBar';

const useStyles = makeStyles({ grid: { display: 'grid', gridTemplateColumns: '1fr 1fr', gap: '12px' } });

const EMPTY = {
  sourceAddress: '',
  destinationAddress: '',
  sourceLogin: '',
  sourcePassword: '',
  destinationLogin: '',
  destinationPassword: '',
};
type Fields = typeof EMPTY;
const LABELS: Record<keyof Fields, string> = {
  sourceAddress: 'Source email',
  destinationAddress: 'Destination email',
  sourceLogin: 'Source login name (optional)',
  sourcePassword: 'Source password (optional)',
  destinationLogin: 'Destination login name (optional)',
  destinationPassword: 'Destination password (optional)',
};

export function QuickAddDialog({ projectId, onClose, onAdded }: { projectId: string; onClose: () => void; onAdded: () => void }) {
  const styles = useStyles();
  const [fields, setFields] = useState(EMPTY);
  const [endUser, setEndUser] = useState(false);
  const [problem, setProblem] = useState<ApiProblem>();
  const save = async () => {
    setProblem(undefined);
    // Empty optional fields are left out: the schema wants them absent, not blank.
    const body: Record<string, unknown> = Object.fromEntries(Object.entries(fields).filter(([, v]) => v.trim()));
    body.endUserCredentials = endUser;
    // The user gives the password; a login the admin typed stays (their page offers it).
    if (endUser) delete body.sourcePassword;
    try {
      await api('POST', `/projects/${projectId}/items`, { body });
      onAdded();
      onClose();
    } catch (error) {
      setProblem(asProblem(error));
    }
  };
  // The API names the field at fault; its detail goes under that field.
  const invalid = (key: string) => fieldProblem(problem, key);
  return (
    <Dialog open modalType="modal" onOpenChange={(_, d) => !d.open && onClose()}>
      <DialogSurface>
        <DialogBody>
          <DialogTitle>Quick Add</DialogTitle>
          <DialogContent>
            <div className={styles.grid}>
              {(Object.keys(EMPTY) as (keyof Fields)[])
                .filter((k) => !endUser || k !== 'sourcePassword')
                .map((key) => (
                  <Field
                    key={key}
                    label={LABELS[key]}
                    required={key.endsWith('Address')}
                    {...invalid(key)}
                    hint={
                      endUser && key === 'sourceLogin'
                        ? 'What your user types on the credential page, when it is not the e-mail address'
                        : undefined
                    }
                  >
                    <Input
                      type={key.endsWith('Password') ? 'password' : key.endsWith('Address') ? 'email' : 'text'}
                      autoComplete="off"
                      value={fields[key]}
                      onChange={(_, d) => setFields({ ...fields, [key]: d.value })}
                    />
                  </Field>
                ))}
            </div>
            <Checkbox
              checked={endUser}
              onChange={(_, d) => setEndUser(d.checked === true)}
              label="I don't know the login name and password: the user confirms them from an e-mailed link"
            />
            <ProblemBar problem={problem} shownFields={Object.keys(EMPTY)} />
          </DialogContent>
          <DialogActions>
            <Button onClick={onClose}>Cancel</Button>
            <Button appearance="primary" onClick={save}>
              Add item
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
