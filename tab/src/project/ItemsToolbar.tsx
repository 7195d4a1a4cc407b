import { Button, Dropdown, makeStyles, Menu, MenuItem, MenuList, MenuPopover, MenuTrigger, Option, SearchBox } from '@fluentui/react-components';
import { AddRegular, StopRegular } from '@fluentui/react-icons';
import { useState } from 'react';
import { ITEM_STATUSES, type ItemStatus, type StartPassResult } from '../api/types';
import { AdminActions } from './AdminActions';
import { BulkAddDialog } from './BulkAddDialog';
import type { GridRow, RowFilter } from './items-view';
import { QuickAddDialog } from './QuickAddDialog';
import { StartMenu } from './StartMenu';

const useStyles = makeStyles({ bar: { display: 'flex', flexWrap: 'wrap', gap: '8px', alignItems: 'center' } });
const ALL = 'All statuses';

export function ItemsToolbar({ projectId, rows, selectedRows, filter, onFilter, onItemsChanged, onStarted, onStop }: {
  projectId: string; rows: GridRow[]; selectedRows: GridRow[]; filter: RowFilter; onFilter: (f: RowFilter) => void;
  onItemsChanged: () => void; onStarted: (r: StartPassResult) => void; onStop: () => void;
}) {
  const styles = useStyles();
  const [dialog, setDialog] = useState<'quick' | 'bulk'>();
  return (
    <div className={styles.bar} role="toolbar" aria-label="Items">
      <Menu>
        <MenuTrigger disableButtonEnhancement><Button icon={<AddRegular />}>Add</Button></MenuTrigger>
        <MenuPopover>
          <MenuList>
            <MenuItem onClick={() => setDialog('quick')}>Quick Add</MenuItem>
            <MenuItem onClick={() => setDialog('bulk')}>Bulk Add</MenuItem>
          </MenuList>
        </MenuPopover>
      </Menu>
      <StartMenu projectId={projectId} targets={selectedRows.length ? selectedRows : rows} selectedIds={selectedRows.map((r) => r.id)} onStarted={onStarted} />
      <Button icon={<StopRegular />} onClick={onStop}>Stop</Button>
      <AdminActions projectId={projectId} rows={rows} selectedRows={selectedRows} onItemsChanged={onItemsChanged} />
      <SearchBox aria-label="Search items" placeholder="Search addresses" value={filter.search ?? ''} onChange={(_, d) => onFilter({ ...filter, search: d.value })} />
      <Dropdown aria-label="Filter by status" value={filter.status ?? ALL} selectedOptions={[filter.status ?? ALL]}
        onOptionSelect={(_, d) => onFilter({ ...filter, status: d.optionValue === ALL ? undefined : (d.optionValue as ItemStatus) })}>
        {[ALL, ...ITEM_STATUSES].map((s) => <Option key={s} value={s}>{s}</Option>)}
      </Dropdown>
      {dialog === 'quick' && <QuickAddDialog projectId={projectId} onClose={() => setDialog(undefined)} onAdded={onItemsChanged} />}
      {dialog === 'bulk' && <BulkAddDialog projectId={projectId} onClose={() => setDialog(undefined)} onAdded={onItemsChanged} />}
    </div>
  );
}
