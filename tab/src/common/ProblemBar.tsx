import { MessageBar, MessageBarBody, MessageBarTitle } from '@fluentui/react-components';
import type { ApiProblem } from '../api/client';

/** A problem-details error as admins read it: what went wrong and which field to fix. */
export function ProblemBar({ problem }: { problem: ApiProblem | undefined }) {
  if (!problem) return null;
  return (
    <MessageBar intent="error" role="alert">
      <MessageBarBody>
        <MessageBarTitle>{problem.field ? `Check "${problem.field}"` : 'Something went wrong'}</MessageBarTitle>
        {problem.detail}
      </MessageBarBody>
    </MessageBar>
  );
}
