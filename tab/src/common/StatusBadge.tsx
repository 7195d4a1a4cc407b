import { Badge, type BadgeProps } from '@fluentui/react-components';
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

/** Words, not only colour: high-contrast themes and screen readers get the status text. */
export function StatusBadge({ status }: { status: ItemStatus }) {
  return <Badge appearance="filled" color={COLOR[status]}>{status}</Badge>;
}
