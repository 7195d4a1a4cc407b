import { Body1, Button, Link, makeStyles, MessageBar, MessageBarBody, Spinner, Text, Title3 } from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { api, asProblem, type ApiProblem } from '../api/client';
import { ProblemBar } from '../common/ProblemBar';

/** GET /endpoints/{id}/sign-in (api/core/services/sign-in-service.ts). */
export interface SignInStatus {
  state: 'none' | 'waiting' | 'signed-in' | 'failed';
  prompt?: { userCode: string; verificationUri: string; message: string; expiresAt: string };
  signedInAs?: string;
  signedInAt?: string;
  error?: string;
}

/** How often the step asks whether the administrator has signed in yet. */
export const SIGN_IN_POLL_MS = 1_500;

const useStyles = makeStyles({
  stack: { display: 'grid', gap: '8px', maxWidth: '900px' },
  code: { fontFamily: 'monospace', fontSize: '28px', letterSpacing: '4px' },
});

/**
 * "Sign in as an administrator" for a Groups endpoint over Graph: starts the device-code sign-in,
 * shows the code and the page to enter it, waits, and shows who signed in (or why not).
 */
export function SignInPanel({ endpointId, onSignedIn }: { endpointId: string; onSignedIn?: (status: SignInStatus) => void }) {
  const styles = useStyles();
  const [status, setStatus] = useState<SignInStatus>();
  const [problem, setProblem] = useState<ApiProblem>();
  const path = `/endpoints/${endpointId}/sign-in`;

  useEffect(() => {
    let live = true;
    api<SignInStatus>('GET', path).then(
      (s) => live && setStatus(s),
      (e) => live && setProblem(asProblem(e)),
    );
    return () => {
      live = false;
    };
  }, [path]);

  useEffect(() => {
    if (status?.state !== 'waiting') return;
    const timer = setTimeout(() => {
      api<SignInStatus>('GET', path).then(
        (next) => {
          setStatus(next);
          if (next.state === 'signed-in') onSignedIn?.(next);
        },
        (e) => setProblem(asProblem(e)),
      );
    }, SIGN_IN_POLL_MS);
    return () => clearTimeout(timer);
  }, [status, path, onSignedIn]);

  const start = async () => {
    setProblem(undefined);
    try {
      setStatus(await api<SignInStatus>('POST', path));
    } catch (error) {
      setProblem(asProblem(error));
    }
  };

  return (
    <section className={styles.stack} aria-label="Sign in as an administrator">
      <Title3 as="h3">Sign in as an administrator</Title3>
      <Body1>
        Posting to a group over Microsoft Graph needs an administrator's own sign-in, once. Mailferry keeps it encrypted and signs in again
        by itself until Microsoft ends it.
      </Body1>
      {status?.state === 'signed-in' && (
        <MessageBar intent="success">
          <MessageBarBody>
            Signed in as {status.signedInAs}
            {status.signedInAt ? ` on ${status.signedInAt.slice(0, 10)}` : ''}.
          </MessageBarBody>
        </MessageBar>
      )}
      {status?.state === 'failed' && (
        <MessageBar intent="error">
          <MessageBarBody>Not signed in: {status.error}</MessageBarBody>
        </MessageBar>
      )}
      {status?.state === 'waiting' && status.prompt ? (
        <>
          <Body1>
            Open{' '}
            <Link href={status.prompt.verificationUri} target="_blank" rel="noreferrer">
              {status.prompt.verificationUri}
            </Link>
            , enter this code and sign in:
          </Body1>
          <Text className={styles.code} aria-label="Sign-in code">
            {status.prompt.userCode}
          </Text>
          <Spinner
            size="tiny"
            label={`Waiting for the sign-in (the code works until ${new Date(status.prompt.expiresAt).toLocaleTimeString()})`}
          />
        </>
      ) : (
        <div>
          <Button
            appearance={status?.state === 'signed-in' ? 'secondary' : 'primary'}
            onClick={() => void start()}
            disabled={!status && !problem}
          >
            {status?.state === 'signed-in' ? 'Sign in again' : 'Sign in as an administrator'}
          </Button>
        </div>
      )}
      <ProblemBar problem={problem} />
    </section>
  );
}
