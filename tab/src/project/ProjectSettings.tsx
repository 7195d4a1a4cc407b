import { Button, Field, Input, makeStyles, MessageBar, MessageBarBody, Title3 } from '@fluentui/react-components';
import { useState } from 'react';
import { api, asProblem, type ApiProblem } from '../api/client';
import type { PublicProject } from '../api/types';
import { ProblemBar } from '../common/ProblemBar';
import { optionLines, SupportOptionsField } from '../common/SupportOptionsField';

const useStyles = makeStyles({ stack: { display: 'grid', gap: '12px', maxWidth: '760px', marginBottom: '28px' } });

/** PATCH the project, then hand the saved version back; one save path for both settings. */
function useSave(projectId: string, onSaved: (p: PublicProject) => void) {
  const [problem, setProblem] = useState<ApiProblem>();
  const [saved, setSaved] = useState(false);
  const save = async (patch: Record<string, unknown>) => {
    setProblem(undefined);
    setSaved(false);
    try {
      await api('PATCH', `/projects/${projectId}`, { body: patch });
      onSaved(await api<PublicProject>('GET', `/projects/${projectId}`));
      setSaved(true);
    } catch (error) {
      setProblem(asProblem(error));
    }
  };
  return { problem, saved, save };
}

/** Support options, one `Key=Value` a line. Secrets come back as ******** and saving them unchanged keeps them. */
export function AdvancedOptions({ project, onSaved }: { project: PublicProject; onSaved: (p: PublicProject) => void }) {
  const styles = useStyles();
  const [text, setText] = useState(project.options.join('\n'));
  const { problem, saved, save } = useSave(project.id, onSaved);
  return (
    <section aria-labelledby="options-title" className={styles.stack}>
      <Title3 as="h2" id="options-title">
        Advanced options
      </Title3>
      <SupportOptionsField value={text} onChange={setText} problem={problem} showAnyProblem />
      <div>
        <Button appearance="primary" onClick={() => void save({ options: optionLines(text) })}>
          Save options
        </Button>
      </div>
      {saved && (
        <MessageBar intent="success">
          <MessageBarBody>Options saved.</MessageBarBody>
        </MessageBar>
      )}
      <ProblemBar problem={problem} />
    </section>
  );
}

/** A Teams Workflows webhook URL: a secret, so it is never shown back, only whether one is set. */
export function NotificationsSetting({ project, onSaved }: { project: PublicProject; onSaved: (p: PublicProject) => void }) {
  const styles = useStyles();
  const [url, setUrl] = useState('');
  const { problem, saved, save } = useSave(project.id, onSaved);
  return (
    <section aria-labelledby="notify-title" className={styles.stack}>
      <Title3 as="h2" id="notify-title">
        Notifications
      </Title3>
      <MessageBar intent="info">
        <MessageBarBody>
          {project.hasTeamsWebhook
            ? 'A Teams webhook is set: a card is posted when each pass ends.'
            : 'No Teams webhook: passes end silently.'}
        </MessageBarBody>
      </MessageBar>
      <Field
        label="Teams Workflows webhook URL"
        hint="Stored encrypted and never shown again"
        validationState={problem ? 'error' : 'none'}
        validationMessage={problem?.detail}
      >
        <Input type="url" value={url} placeholder="https://…" onChange={(_, d) => setUrl(d.value)} />
      </Field>
      <div style={{ display: 'flex', gap: '8px' }}>
        <Button
          appearance="primary"
          disabled={!url.trim()}
          onClick={() => void save({ teamsWebhookUrl: url.trim() }).then(() => setUrl(''))}
        >
          Save webhook
        </Button>
        {project.hasTeamsWebhook && <Button onClick={() => void save({ teamsWebhookUrl: '' })}>Remove webhook</Button>}
      </div>
      {saved && (
        <MessageBar intent="success">
          <MessageBarBody>Notifications saved.</MessageBarBody>
        </MessageBar>
      )}
    </section>
  );
}
