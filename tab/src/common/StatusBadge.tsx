import { Badge, type BadgeProps, makeStyles } from '@fluentui/react-components';
import type { ItemStatus } from '../api/types';

const COLOR: Record<ItemStatus, BadgeProps['color']> = {
  'Not Started': 'informative',
  Submitted: 'brand',
  Queued: 'brand',
  Running: 'brand',
  'Waiting For End User': 'warning',
  Completed: 'success',
  'Completed With Errors': 'warning',
  Failed: 'danger',
  Stopped: 'subtle',
};

// In a narrow table cell the words wrapped out of the badge's fixed height: keep them on one line.
const useStyles = makeStyles({ badge: { whiteSpace: 'nowrap', flexShrink: 0 } });

/** Words, not only colour: high-contrast themes and screen readers get the status text. */
export function StatusBadge({ status }: { status: ItemStatus }) {
  const styles = useStyles();
  return (
    <Badge className={styles.badge} appearance="filled" color={COLOR[status]}>
      {status}
    </Badge>
  );
}
