import { Field, Textarea } from '@fluentui/react-components';
import type { ApiProblem } from '../api/client';
import { problemIsFor } from './field-problem';

/** What the API shows for a secret option, and takes back to mean "unchanged" (MASKED_SECRET). */
export const MASKED = '********';
const HINT =
  'One per line, e.g. FolderFilter=^(?!Inbox$) or RecipientMapping="@src.com->@dst.com". Secrets are shown as ******** and kept when left so.';

/** The textarea's lines as the API takes them: trimmed, blank lines dropped. */
export function optionLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * Support options, one `Key=Value` a line, for a project or an item. The API's message about a
 * line (field `options[n]`) is shown under the field, which turns invalid.
 */
export function SupportOptionsField({
  value,
  onChange,
  problem,
  label = 'Support options',
  hint = HINT,
  rows = 6,
  showAnyProblem = false,
}: {
  value: string;
  onChange: (text: string) => void;
  problem: ApiProblem | undefined;
  label?: string;
  hint?: string;
  rows?: number;
  /** Also show problems that name no field (a form with this field only). */
  showAnyProblem?: boolean;
}) {
  const mine = !!problem && (problemIsFor(problem, 'options') || (showAnyProblem && !problem.field));
  return (
    <Field label={label} hint={hint} validationState={mine ? 'error' : 'none'} validationMessage={mine ? problem.detail : undefined}>
      <Textarea
        resize="vertical"
        rows={rows}
        value={value}
        onChange={(_, d) => onChange(d.value)}
        textarea={{ spellCheck: false, style: { fontFamily: 'monospace' } }}
      />
    </Field>
  );
}
