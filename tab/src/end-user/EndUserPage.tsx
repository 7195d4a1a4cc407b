import {
  Button,
  Field,
  Input,
  makeStyles,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Spinner,
  Text,
  Title2,
  tokens,
} from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { api, asProblem, type ApiProblem } from '../api/client';
import type { CredentialRequestView, SubmitResult } from '../api/types';
import { ProblemBar } from '../common/ProblemBar';
import { formatDate } from '../common/format';
import { useApi } from '../common/use-api';
import { outlookContext, type OutlookContext } from './outlook';
import { tokenFromHash } from './token';

const useStyles = makeStyles({
  // minWidth 0: a grid item otherwise grows to its longest unbreakable line, and the page with it.
  card: {
    maxWidth: '560px',
    minWidth: 0,
    margin: '32px auto',
    padding: '24px',
    display: 'grid',
    gridTemplateColumns: 'minmax(0, 1fr)',
    gap: '16px',
    backgroundColor: tokens.colorNeutralBackground1,
    borderRadius: tokens.borderRadiusLarge,
    boxSizing: 'border-box',
    overflowWrap: 'anywhere',
  },
});

/**
 * The page a credential e-mail links to. The token is in the fragment (never sent to a server
 * log or in a Referer), and the page sends it to the API in the JSON body of its POSTs, never in
 * a URL, so no request log along the way records it.
 */
export function EndUserPage() {
  const styles = useStyles();
  const [hashToken] = useState(() => tokenFromHash(window.location.hash));
  // Inside Outlook (Office.js loaded by index.html) the link is in the message being read; undefined while Office.js answers.
  const [outlook, setOutlook] = useState<OutlookContext | null | undefined>(() =>
    (window as { Office?: unknown }).Office ? undefined : null,
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: Office.js is asked once, when the page opens; re-running on `outlook` would ask again after each answer
  useEffect(() => {
    if (outlook === undefined)
      void outlookContext().then(
        (context) => setOutlook(context ?? null),
        () => setOutlook(null),
      );
    // Asked once, when the page opens.
  }, []);
  const token = hashToken ?? outlook?.token;
  const waiting = !hashToken && outlook === undefined;
  const request = useApi(
    () =>
      waiting
        ? new Promise<CredentialRequestView>(() => {})
        : token
          ? api<CredentialRequestView>('POST', '/end-user/request', { body: { token } })
          : Promise.reject(outlook ? noTokenInOutlook : noToken),
    `${waiting}:${token ?? ''}`,
  );
  const [login, setLogin] = useState<string>();
  const [password, setPassword] = useState('');
  const [result, setResult] = useState<SubmitResult>();
  const [problem, setProblem] = useState<ApiProblem>();
  const [busy, setBusy] = useState(false);
  const view = request.data;
  // The login the admin set wins; without one, Outlook's spelling of the owner's address when Outlook has this
  // very mailbox open. A mail read in another mailbox (forwarded, or an alias) keeps the source address: the
  // server takes only the mailbox's own login (docs/end-users.md), so another address would be refused.
  const ownerIsSource = !!outlook && !!view && outlook.ownerAddress.trim().toLowerCase() === view.sourceAddress.toLowerCase();
  const defaultLogin = view && ownerIsSource && view.loginHint === view.sourceAddress ? outlook?.ownerAddress : view?.loginHint;

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      setResult(
        await api<SubmitResult>('POST', '/end-user/credentials', {
          body: { token, login: (login ?? defaultLogin ?? '').trim(), password },
        }),
      );
    } catch (error) {
      const p = asProblem(error);
      // A refused password is a 422 whose body is the answer itself (reason and attempts left).
      const answer = p.body as SubmitResult | undefined;
      if (p.status === 422 && answer && answer.accepted === false) setResult(answer);
      else setProblem(p);
    } finally {
      setBusy(false);
      setPassword('');
    }
  };

  return (
    <section className={styles.card} aria-labelledby="end-user-title">
      <Title2 as="h1" id="end-user-title">
        Confirm your mailbox password
      </Title2>
      {request.loading && <Spinner label="Checking your link" />}
      <ProblemBar problem={request.problem} title={linkTitle(request.problem)} />
      {view &&
        (result?.accepted ? (
          <MessageBar intent="success" role="status" layout="multiline">
            <MessageBarBody>
              <MessageBarTitle>Confirmed</MessageBarTitle>
              {result.message}
            </MessageBarBody>
          </MessageBar>
        ) : (
          <form onSubmit={submit} style={{ display: 'grid', gridTemplateColumns: 'minmax(0, 1fr)', gap: '12px' }}>
            <Text>
              <strong>{view.requestedBy}</strong> is moving your mailbox <strong>{view.sourceAddress}</strong> to{' '}
              <strong>{view.destinationAddress}</strong> (project “{view.projectName}”). Enter the password of your current mailbox so the
              move can start. This link works until {formatDate(view.expiresAt)}.
            </Text>
            <Field label="Login name" required>
              <Input value={login ?? defaultLogin ?? ''} autoComplete="username" onChange={(_, d) => setLogin(d.value)} />
            </Field>
            <Field label="Password of your current mailbox" required>
              <Input type="password" value={password} autoComplete="current-password" onChange={(_, d) => setPassword(d.value)} />
            </Field>
            {result && !result.accepted && (
              <MessageBar intent="error" role="alert" layout="multiline">
                <MessageBarBody>
                  <MessageBarTitle>Not confirmed</MessageBarTitle>
                  {result.reason} Attempts left: {result.attemptsLeft}.
                </MessageBarBody>
              </MessageBar>
            )}
            <ProblemBar problem={problem} title={linkTitle(problem)} />
            <div>
              <Button type="submit" appearance="primary" disabled={busy || !password}>
                Confirm password
              </Button>
            </div>
          </form>
        ))}
    </section>
  );
}

/** A problem with the link itself (used, expired, broken) is the link's, not a field the user can fix. */
const linkTitle = (p: ApiProblem | undefined) => (p?.field === 'token' ? 'This link cannot be used' : undefined);

const noTokenInOutlook = new Error(
  'Open this pane on the Mailferry e-mail that asked for your password: the link in it tells Mailferry which mailbox is moving.',
);
const noToken = new Error(
  'This page needs the link from your e-mail: the part after #token= is missing. Open the link exactly as it arrived.',
);
