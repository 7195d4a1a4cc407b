import {
  Button,
  Dropdown,
  makeStyles,
  Menu,
  MenuItem,
  MenuList,
  MenuPopover,
  MenuTrigger,
  Option,
  SearchBox,
  Toolbar,
} from '@fluentui/react-components';
import { AddRegular, ChevronDownRegular, DeleteRegular, StopRegular } from '@fluentui/react-icons';
import { useState } from 'react';
import { ITEM_STATUSES, type ItemStatus, type PublicEndpoint, type StartPassResult } from '../api/types';
import { AdminActions } from './AdminActions';
import { AutodiscoverDialog } from './AutodiscoverDialog';
import { likelyDomain } from './autodiscover';
import { BulkAddDialog } from './BulkAddDialog';
import { DeleteItemsDialog } from './DeleteItemsDialog';
import type { GridRow, RowFilter } from './items-view';
import { QuickAddDialog } from './QuickAddDialog';
import { StartMenu } from './StartMenu';

const useStyles = makeStyles({
  // Actions left, filters right; at 1280 px both fit on one line (the admin actions share one menu).
  bar: { display: 'flex', flexWrap: 'wrap', gap: '8px 16px', alignItems: 'center', justifyContent: 'space-between' },
  actions: { display: 'flex', gap: '8px', alignItems: 'center', padding: 0 },
  filters: { display: 'flex', gap: '8px', alignItems: 'center', flexWrap: 'wrap' },
  search: { width: '240px' },
});
const ALL = 'All statuses';

export function ItemsToolbar({
  projectId,
  sourceKind,
  destinationKind,
  rows,
  selectedRows,
  filter,
  onFilter,
  onItemsChanged,
  onStarted,
  onStop,
  onEditItem,
}: {
  projectId: string;
  sourceKind?: PublicEndpoint['kind'];
  destinationKind?: PublicEndpoint['kind'];
  rows: GridRow[];
  selectedRows: GridRow[];
  filter: RowFilter;
  onFilter: (f: RowFilter) => void;
  onItemsChanged: () => void;
  onStarted: (r: StartPassResult) => void;
  onStop: () => void;
  onEditItem?: (itemId: string) => void;
}) {
  const styles = useStyles();
  const [dialog, setDialog] = useState<'quick' | 'bulk' | 'discover' | 'delete'>();
  const close = () => setDialog(undefined);
  return (
    <div className={styles.bar}>
      <Toolbar className={styles.actions} aria-label="Item actions">
        <Menu>
          <MenuTrigger disableButtonEnhancement>
            <Button icon={<AddRegular />}>
              Add <ChevronDownRegular aria-hidden />
            </Button>
          </MenuTrigger>
          <MenuPopover>
            <MenuList>
              <MenuItem onClick={() => setDialog('quick')}>Quick Add</MenuItem>
              <MenuItem onClick={() => setDialog('bulk')}>Bulk Add</MenuItem>
              <MenuItem onClick={() => setDialog('discover')}>Autodiscover Items</MenuItem>
            </MenuList>
          </MenuPopover>
        </Menu>
        <StartMenu
          projectId={projectId}
          targets={selectedRows.length ? selectedRows : rows}
          selectedIds={selectedRows.map((r) => r.id)}
          sourceKind={sourceKind}
          destinationKind={destinationKind}
          onStarted={onStarted}
        />
        <Button icon={<StopRegular />} onClick={onStop}>
          Stop
        </Button>
        <Button
          icon={<DeleteRegular />}
          disabled={!selectedRows.length}
          onClick={() => setDialog('delete')}
          title={selectedRows.length ? undefined : 'Select the items to delete first'}
        >
          Delete
        </Button>
        <AdminActions
          projectId={projectId}
          rows={rows}
          selectedRows={selectedRows}
          onItemsChanged={onItemsChanged}
          onEditItem={onEditItem}
        />
      </Toolbar>
      {/* biome-ignore lint/a11y/useSemanticElements: the search landmark by role on a <div>; the <search> element is too new for every Teams client and for the test DOM */}
      <div className={styles.filters} role="search" aria-label="Filter items">
        <SearchBox
          className={styles.search}
          aria-label="Search items"
          placeholder="Search addresses"
          value={filter.search ?? ''}
          onChange={(_, d) => onFilter({ ...filter, search: d.value })}
        />
        <Dropdown
          aria-label="Filter by status"
          value={filter.status ?? ALL}
          selectedOptions={[filter.status ?? ALL]}
          onOptionSelect={(_, d) => onFilter({ ...filter, status: d.optionValue === ALL ? undefined : (d.optionValue as ItemStatus) })}
        >
          {[ALL, ...ITEM_STATUSES].map((s) => (
            <Option key={s} value={s}>
              {s}
            </Option>
          ))}
        </Dropdown>
      </div>
      {dialog === 'quick' && <QuickAddDialog projectId={projectId} onClose={close} onAdded={onItemsChanged} />}
      {dialog === 'bulk' && <BulkAddDialog projectId={projectId} onClose={close} onAdded={onItemsChanged} />}
      {dialog === 'delete' && <DeleteItemsDialog rows={selectedRows} onClose={close} onDeleted={onItemsChanged} />}
      {dialog === 'discover' && (
        <AutodiscoverDialog
          projectId={projectId}
          existingSources={rows.map((r) => r.sourceAddress)}
          suggestedDomain={likelyDomain(rows.map((r) => r.destinationAddress))}
          onClose={close}
          onAdded={onItemsChanged}
        />
      )}
    </div>
  );
}
