import { Button, Field, Input, makeStyles, MessageBar, MessageBarBody, Text, Title2, tokens } from '@fluentui/react-components';
import { useState } from 'react';
import { api, asProblem, listAll, type ApiProblem } from '../api/client';
import type { PublicEndpoint, PublicProject } from '../api/types';
import { navigate } from '../app/router';
import { ProblemBar } from '../common/ProblemBar';
import { useApi } from '../common/use-api';
import { EndpointStep } from './EndpointStep';
import { CheckList } from './CheckList';
import {
  blockedReason,
  endpointFacts,
  enterStep,
  initialWizard,
  nextStep,
  previousStep,
  projectBody,
  WIZARD_STEPS,
  type WizardState,
} from './wizard-steps';

const useStyles = makeStyles({
  steps: { display: 'flex', gap: '16px', listStyle: 'none', padding: 0, margin: '12px 0 20px' },
  current: { fontWeight: tokens.fontWeightSemibold, borderBottom: `2px solid ${tokens.colorBrandStroke1}` },
  nav: { display: 'flex', gap: '12px', marginTop: '24px', alignItems: 'center' },
  card: { backgroundColor: tokens.colorNeutralBackground1, padding: '20px', borderRadius: tokens.borderRadiusMedium },
  review: { display: 'grid', gap: '20px', maxWidth: '900px' },
  side: { display: 'grid', gap: '8px' },
  sideTitle: { fontSize: tokens.fontSizeBase400, fontWeight: tokens.fontWeightSemibold, margin: 0 },
  facts: { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '4px 16px', margin: 0 },
  fact: { display: 'contents' },
});

export function CreateProjectWizard() {
  const styles = useStyles();
  const [state, setState] = useState<WizardState>(initialWizard);
  const [problem, setProblem] = useState<ApiProblem>();
  const [creating, setCreating] = useState(false);
  const endpoints = useApi(() => listAll<PublicEndpoint>('/endpoints'), 'endpoints');
  const blocked = blockedReason(state);
  const endpointOf = (id: string) => endpoints.data?.find((e) => e.id === id);

  const create = async () => {
    setCreating(true);
    setProblem(undefined);
    try {
      const project = await api<PublicProject>('POST', '/projects', { body: projectBody(state) });
      navigate(`/projects/${project.id}`);
    } catch (error) {
      setProblem(asProblem(error));
      setCreating(false);
    }
  };

  return (
    <section aria-labelledby="wizard-title" className={styles.card}>
      <Title2 as="h1" id="wizard-title">
        Create project
      </Title2>
      <ol className={styles.steps} aria-label="Steps">
        {WIZARD_STEPS.map((s, i) => (
          <li
            key={s.id}
            className={s.id === state.step ? styles.current : undefined}
            aria-current={s.id === state.step ? 'step' : undefined}
          >
            {i + 1}. {s.title}
          </li>
        ))}
      </ol>
      {state.step === 'name' && (
        <Field label="Project name" required hint="e.g. Contoso to Fabrikam">
          <Input autoFocus value={state.name} onChange={(_, d) => setState({ ...state, name: d.value })} />
        </Field>
      )}
      {(state.step === 'source' || state.step === 'destination') && (
        <EndpointStep
          key={state.step}
          side={state.step}
          choice={state[state.step]}
          endpoints={endpoints.data ?? []}
          onEndpointCreated={endpoints.reload}
          onChange={(choice) => setState({ ...state, [state.step]: choice })}
        />
      )}
      {state.step === 'review' && (
        <div className={styles.review}>
          <Text>
            <Text weight="semibold">Project name:</Text> {state.name}
          </Text>
          {(['source', 'destination'] as const).map((side) => {
            const endpoint = endpointOf(state[side].endpointId);
            const summary = state[side].summary;
            return (
              <section key={side} aria-labelledby={`review-${side}`} className={styles.side}>
                <h2 id={`review-${side}`} className={styles.sideTitle}>
                  {side === 'source' ? 'Source' : 'Destination'}: {endpoint?.name ?? 'an endpoint no longer listed'}
                </h2>
                {endpoint && (
                  <dl className={styles.facts} aria-label={`${side === 'source' ? 'Source' : 'Destination'} endpoint settings`}>
                    {endpointFacts(endpoint).map(([term, value]) => (
                      <div key={term} className={styles.fact}>
                        <dt>{term}</dt>
                        <dd>{value}</dd>
                      </div>
                    ))}
                  </dl>
                )}
                {summary ? (
                  <CheckList result={summary} />
                ) : (
                  <Text>
                    Not checked in this wizard: go Back and choose "Save and Go to Summary" to check it before you create the project.
                  </Text>
                )}
              </section>
            );
          })}
        </div>
      )}
      <ProblemBar problem={problem ?? endpoints.problem} />
      <div className={styles.nav}>
        <Button onClick={() => (state.step === 'name' ? navigate('/') : setState({ ...state, step: previousStep(state.step) }))}>
          {state.step === 'name' ? 'Cancel' : 'Back'}
        </Button>
        {state.step === 'review' ? (
          <Button appearance="primary" onClick={create} disabled={creating}>
            Create project
          </Button>
        ) : (
          <Button
            appearance="primary"
            disabled={!!blocked}
            onClick={() => setState(enterStep({ ...state, step: nextStep(state.step) }, endpoints.data ?? []))}
          >
            Next
          </Button>
        )}
        {blocked && state.step !== 'name' && (
          <MessageBar intent="info">
            <MessageBarBody>{blocked}</MessageBarBody>
          </MessageBar>
        )}
      </div>
    </section>
  );
}
