import { MessageBar, MessageBarBody, MessageBarTitle } from '@fluentui/react-components';
import type { ApiProblem } from '../api/client';

/** The API's field name as admins read it: `options[2]` is the third support option line. */
export function fieldTitle(field: string): string | undefined {
  const line = /^options[[.](\d+)\]?$/.exec(field);
  return line ? `Check support options, line ${Number(line[1]) + 1}` : undefined;
}

/** A headline in the reader's words: never the API's field name. */
const TITLES: Record<string, string> = {
  validation: 'Please check',
  conflict: 'Not possible right now',
  'not-found': 'Not found',
  connection: 'Could not connect',
  auth: 'Sign-in refused',
  forbidden: 'Not allowed',
  network: 'Mailferry did not answer',
  throttled: 'Too many requests: try again shortly',
};

/**
 * A problem-details error as its reader should see it: what went wrong and what to do. A form that
 * shows each field's problem under the field names them in `shownFields`; the bar then stays away
 * unless something is left that no field shows.
 */
export function ProblemBar({ problem, shownFields, title }: { problem: ApiProblem | undefined; shownFields?: string[]; title?: string }) {
  if (!problem) return null;
  const fields = problem.errors?.map((e) => e.field) ?? (problem.field ? [problem.field] : []);
  if (shownFields && fields.length && fields.every((f) => shownFields.includes(f))) return null;
  return (
    <MessageBar intent="error" role="alert" layout="multiline">
      <MessageBarBody>
        <MessageBarTitle>
          {title ?? (problem.field && fieldTitle(problem.field)) ?? TITLES[problem.code] ?? 'Something went wrong'}
        </MessageBarTitle>
        {problem.detail}
      </MessageBarBody>
    </MessageBar>
  );
}
