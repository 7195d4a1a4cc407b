/**
 * What the end-user page receives. Types only, with no server imports, so the browser bundle
 * (tab/) shares them instead of restating them.
 */
/** What the end-user page shows: no secrets, no ids. */
export interface CredentialRequestView {
  sourceAddress: string;
  destinationAddress: string;
  projectName: string;
  requestedBy: string;
  /** Suggested login name (the source address). */
  loginHint: string;
  expiresAt: string;
  attemptsLeft: number;
}

export type SubmitResult = { accepted: true; message: string } | { accepted: false; reason: string; attemptsLeft: number };
