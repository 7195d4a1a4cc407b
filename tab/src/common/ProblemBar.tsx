import { MessageBar, MessageBarBody, MessageBarTitle } from '@fluentui/react-components';
import type { ApiProblem } from '../api/client';

/** The API's field name as admins read it: `options[2]` is the third support option line. */
export function fieldTitle(field: string): string {
  const line = /^options[[.](\d+)\]?$/.exec(field);
  return line ? `Check support options, line ${Number(line[1]) + 1}` : `Check "${field}"`;
}

/** A problem-details error as admins read it: what went wrong and which field to fix. */
export function ProblemBar({ problem }: { problem: ApiProblem | undefined }) {
  if (!problem) return null;
  return (
    <MessageBar intent="error" role="alert">
      <MessageBarBody>
        <MessageBarTitle>{problem.field ? fieldTitle(problem.field) : 'Something went wrong'}</MessageBarTitle>
        {problem.detail}
      </MessageBarBody>
    </MessageBar>
  );
}
