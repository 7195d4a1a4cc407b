import { Button, Dropdown, Field, Input, makeStyles, Option, Radio, RadioGroup, Spinner, tokens } from '@fluentui/react-components';
import { useEffect, useRef, useState } from 'react';
import { api, asProblem, type ApiProblem } from '../api/client';
import type { PublicEndpoint, ValidationResult } from '../api/types';
import { ProblemBar } from '../common/ProblemBar';
import { CheckList } from './CheckList';
import { EndpointForm } from './EndpointForm';
import { groupsOverGraph, needsSignIn } from './groups-graph';
import { endpointProtocol } from '../../../api/core/model';
import { SignInPanel } from './SignInPanel';
import {
  checksAsUser,
  draftProblems,
  draftToInput,
  endpointLabel,
  newEndpointPlan,
  speaksGraph,
  validateBody,
  type EndpointChoice,
} from './wizard-steps';

/** The endpoint a changed draft replaces may already be gone (deleted elsewhere): nothing to undo then. */
function ignoreGone(error: unknown): void {
  if (asProblem(error).status !== 404) throw error;
}

const useStyles = makeStyles({
  stack: { display: 'grid', gap: '16px', maxWidth: '900px' },
  row: { display: 'flex', gap: '12px', alignItems: 'end', flexWrap: 'wrap' },
  summaryTitle: {
    fontSize: tokens.fontSizeBase500,
    fontWeight: tokens.fontWeightSemibold,
    lineHeight: tokens.lineHeightBase500,
    margin: '0 0 8px',
  },
});

export function EndpointStep({
  side,
  choice,
  endpoints,
  onChange,
  onEndpointCreated,
}: {
  side: 'source' | 'destination';
  choice: EndpointChoice;
  endpoints: PublicEndpoint[];
  onChange: (choice: EndpointChoice) => void;
  onEndpointCreated: () => void;
}) {
  const styles = useStyles();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem>();
  const [showProblems, setShowProblems] = useState(false);
  const fieldProblems = showProblems ? draftProblems(choice.draft) : {};
  const selected = endpoints.find((e) => e.id === choice.endpointId);
  // A Groups endpoint over Graph, once saved (or chosen), asks for the administrator's sign-in.
  const asUser = checksAsUser(choice, endpoints);
  const kind = choice.mode === 'new' ? choice.draft.kind : selected?.kind;
  // An app registration has no mailbox: over Graph the test mailbox is what each permission is tried on.
  const graph = choice.mode === 'new' ? speaksGraph(choice.draft) : selected?.kind === 'm365' && endpointProtocol(selected) === 'graph';
  // Groups over Graph post as a signed-in administrator: the test is a group, checked once someone has signed in.
  const groupGraph =
    choice.mode === 'new' ? groupsOverGraph(choice.draft) : selected?.kind === 'm365-group' && endpointProtocol(selected) === 'graph';
  // "Save and Go to Summary" goes there: the summary's heading takes the focus (and scrolls into view).
  const summaryHeading = useRef<HTMLHeadingElement>(null);
  const [checkedAt, setCheckedAt] = useState(0);
  useEffect(() => {
    if (!checkedAt) return;
    summaryHeading.current?.focus();
    summaryHeading.current?.scrollIntoView?.({ block: 'start' });
  }, [checkedAt]);
  const signInFor =
    choice.mode === 'new'
      ? choice.created && groupsOverGraph(choice.created.draft)
        ? choice.created.id
        : undefined
      : needsSignIn(selected)
        ? selected!.id
        : undefined;

  const saveAndSummarize = async () => {
    setProblem(undefined);
    if (choice.mode === 'new' && Object.keys(draftProblems(choice.draft)).length) return setShowProblems(true);
    setBusy(true);
    try {
      let endpointId = choice.endpointId;
      let saved = choice;
      if (choice.mode === 'new') {
        const { reuseId, replaceId } = newEndpointPlan(choice);
        if (replaceId) await api('DELETE', `/endpoints/${replaceId}`).catch(ignoreGone);
        endpointId = reuseId ?? (await api<PublicEndpoint>('POST', '/endpoints', { body: draftToInput(choice.draft) })).id;
        saved = { ...choice, endpointId, created: { id: endpointId, draft: choice.draft } };
        // Recorded before the check, so a check that fails outright still knows the endpoint exists.
        onChange(saved);
        if (!reuseId) onEndpointCreated();
      }
      const summary = await api<ValidationResult>('POST', `/endpoints/${endpointId}/validate`, {
        // The side it is checked for: over Graph a permission only the other side needs is a warning.
        body: { ...validateBody(choice, asUser), role: side },
      });
      // A failed check keeps the form open so the admin can fix the draft and check again.
      onChange({ ...saved, mode: summary.ok ? 'existing' : choice.mode, endpointId, summary });
      setCheckedAt(Date.now());
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className={styles.stack}>
      <RadioGroup
        aria-label={`How to choose the ${side} endpoint`}
        value={choice.mode}
        layout="horizontal"
        onChange={(_, d) => onChange({ ...choice, mode: d.value as EndpointChoice['mode'], summary: undefined })}
      >
        <Radio value="existing" label="Use an existing endpoint" />
        <Radio value="new" label="Create a new endpoint" />
      </RadioGroup>
      {choice.mode === 'existing' ? (
        <Field
          label={`${side === 'source' ? 'Source' : 'Destination'} endpoint`}
          required
          hint={endpoints.length ? undefined : 'No endpoints yet: choose "Create a new endpoint".'}
        >
          <Dropdown
            placeholder="Choose an endpoint"
            value={selected ? endpointLabel(selected) : ''}
            selectedOptions={choice.endpointId ? [choice.endpointId] : []}
            onOptionSelect={(_, d) => onChange({ ...choice, endpointId: d.optionValue ?? '', summary: undefined })}
          >
            {endpoints.map((e) => (
              <Option key={e.id} value={e.id} text={endpointLabel(e)}>
                {endpointLabel(e)}
              </Option>
            ))}
          </Dropdown>
        </Field>
      ) : (
        <EndpointForm draft={choice.draft} problems={fieldProblems} onChange={(draft) => onChange({ ...choice, draft })} />
      )}
      <div className={styles.row}>
        {asUser ? (
          <>
            <Field
              label="Test login (optional)"
              hint="This endpoint has no admin access: a user's login checks that users can sign in, e.g. src1 or user@contoso.com"
            >
              <Input
                value={choice.testLogin}
                autoComplete="off"
                onChange={(_, d) => onChange({ ...choice, testLogin: d.value, summary: undefined })}
              />
            </Field>
            <Field label="Test password" hint="Used for this check only, never saved">
              <Input
                type="password"
                value={choice.testPassword}
                autoComplete="new-password"
                onChange={(_, d) => onChange({ ...choice, testPassword: d.value, summary: undefined })}
              />
            </Field>
          </>
        ) : (
          <Field
            label="Test mailbox (optional)"
            hint={
              kind === 'imap'
                ? 'Checks the admin can open this mailbox: its address or its login (e.g. src1)'
                : groupGraph
                  ? "A group's address (e.g. team@contoso.com): once an administrator has signed in, checks the sign-in, the group and the right to post (nothing is posted)"
                  : graph
                    ? `Each permission the app needs as a ${side} is tried on this mailbox (an address in the tenant); without one, only the app's sign-in is checked`
                    : 'Checks the admin can open this mailbox: its e-mail address'
            }
          >
            <Input
              value={choice.testMailbox}
              placeholder={kind === 'imap' ? 'user@contoso.com or src1' : groupGraph ? 'team@contoso.com' : 'user@contoso.com'}
              onChange={(_, d) => onChange({ ...choice, testMailbox: d.value, summary: undefined })}
            />
          </Field>
        )}
        <Button appearance="primary" onClick={saveAndSummarize} disabled={busy || (choice.mode === 'existing' && !choice.endpointId)}>
          Save and Go to Summary
        </Button>
        {busy && <Spinner size="tiny" label="Checking the endpoint" />}
      </div>
      <ProblemBar problem={problem} />
      {signInFor && <SignInPanel endpointId={signInFor} />}
      {choice.summary && (
        <section aria-labelledby={`${side}-summary-title`}>
          <h2 id={`${side}-summary-title`} ref={summaryHeading} tabIndex={-1} className={styles.summaryTitle}>
            Summary
          </h2>
          <CheckList result={choice.summary} />
        </section>
      )}
    </div>
  );
}
