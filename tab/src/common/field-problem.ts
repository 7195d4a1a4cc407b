import type { ApiProblem } from '../api/client';

/**
 * Whether the API's problem names this field: `options` also covers `options[2]` and
 * `options.2`, the line of a support option at fault.
 */
export function problemIsFor(problem: ApiProblem | undefined, key: string): boolean {
  const field = problem?.field;
  return !!field && (field === key || field.startsWith(`${key}[`) || field.startsWith(`${key}.`));
}

/** Props for a Fluent `Field`: the API's detail under the field it names, which then turns invalid. */
export function fieldProblem(problem: ApiProblem | undefined, key: string): { validationState?: 'error'; validationMessage?: string } {
  // Several fields at fault: each shows its own sentence, not the whole list.
  const own = problem?.errors?.find((e) => e.field === key || e.field.startsWith(`${key}[`) || e.field.startsWith(`${key}.`));
  if (own) return { validationState: 'error', validationMessage: own.message };
  if (problem?.errors?.length) return {};
  return problem && problemIsFor(problem, key) ? { validationState: 'error', validationMessage: problem.detail } : {};
}
