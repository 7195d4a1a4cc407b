import { Badge, type BadgeProps, makeStyles, MessageBar, MessageBarBody, Text } from '@fluentui/react-components';
import type { EndpointCheck, ValidationResult } from '../api/types';
import { summaryHeadline } from './wizard-steps';

const COLOR: Record<EndpointCheck['status'], BadgeProps['color']> = {
  ok: 'success',
  failed: 'danger',
  warning: 'warning',
  skipped: 'subtle',
};
const WORD: Record<EndpointCheck['status'], string> = { ok: 'Passed', failed: 'Failed', warning: 'Warning', skipped: 'Skipped' };
const useStyles = makeStyles({
  list: { listStyle: 'none', padding: 0, display: 'grid', gap: '8px' },
  row: { display: 'flex', gap: '8px', alignItems: 'baseline' },
  fixed: { flexShrink: 0 },
});

/** The "Summary" of an endpoint: each check, its status in words, and what to fix. */
export function CheckList({ result }: { result: ValidationResult }) {
  const styles = useStyles();
  const headline = summaryHeadline(result);
  return (
    <section aria-label="Endpoint summary">
      <MessageBar intent={headline.intent}>
        <MessageBarBody>{headline.text}</MessageBarBody>
      </MessageBar>
      <ul className={styles.list}>
        {result.checks.map((c) => (
          <li key={c.check} className={styles.row} data-check={c.check}>
            {/* The badge and the check's name keep their width; only the detail wraps (a long one clipped "Failed" to "aile"). */}
            <Badge className={styles.fixed} color={COLOR[c.status]} appearance="filled">
              {WORD[c.status]}
            </Badge>
            <Text className={styles.fixed} weight="semibold">
              {c.check}
            </Text>
            <Text>{c.detail}</Text>
          </li>
        ))}
      </ul>
    </section>
  );
}
