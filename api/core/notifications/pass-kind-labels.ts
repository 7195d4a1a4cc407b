import type { PassKind, PassStatus } from '../model.js';

/** Pass kinds in the words admins see in the tab and on cards (shared/DESIGN.md "Pass"). */
export const PASS_KIND_LABELS: Readonly<Record<PassKind, string>> = {
  verify: 'Verify Credentials',
  trial: 'Trial Migration',
  prestage: 'Pre-Stage Migration',
  full: 'Full Migration',
  'retry-errors': 'Retry Errors',
};

/** How a pass ended, as a card title says it: "Full Migration completed". */
export function passEndedTitle(kind: PassKind, status: PassStatus): string {
  const ending = status === 'stopped' || status === 'stopping' ? 'stopped' : 'completed';
  return `${PASS_KIND_LABELS[kind]} ${ending}`;
}
