import {
  Caption1,
  createTableColumn,
  DataGrid,
  DataGridBody,
  DataGridCell,
  DataGridHeader,
  DataGridHeaderCell,
  DataGridRow,
  Link,
  makeStyles,
  ProgressBar,
  type TableColumnDefinition,
  type TableRowId,
  Text,
  tokens,
} from '@fluentui/react-components';
import { useMemo, useRef, useState } from 'react';
import { StatusBadge } from '../common/StatusBadge';
import { formatBytes } from '../common/format';
import { gridWindow } from './grid-window';
import type { GridRow, SortColumn, SortSpec } from './items-view';

/** Fixed row height is what makes windowing exact; the status badge and progress bar fit in it. */
export const ROW_PX = 48;
const VIEWPORT_PX = 480;

const useStyles = makeStyles({
  body: { height: `${VIEWPORT_PX}px`, overflowY: 'auto', backgroundColor: tokens.colorNeutralBackground1 },
  row: { height: `${ROW_PX}px`, boxSizing: 'border-box' },
  stack: { display: 'grid', gap: '2px', width: '100%', minWidth: 0 },
  // One line under the badge; the whole reason is the cell's tooltip and is in the item's details.
  reason: { overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap', color: tokens.colorNeutralForeground2 },
});

/** Statuses whose last run's reason is worth a line in the grid (a finished run has none). */
const REASON_SHOWN = new Set<GridRow['status']>(['Failed', 'Stopped', 'Completed With Errors', 'Waiting For End User']);

const columns: TableColumnDefinition<GridRow>[] = [
  // No compare functions: rows arrive sorted (items-view.ts), so the grid keeps their order.
  createTableColumn<GridRow>({ columnId: 'sourceAddress', renderHeaderCell: () => 'Source email' }),
  createTableColumn<GridRow>({ columnId: 'destinationAddress', renderHeaderCell: () => 'Destination email' }),
  createTableColumn<GridRow>({ columnId: 'status', renderHeaderCell: () => 'Status' }),
  createTableColumn<GridRow>({ columnId: 'copied', renderHeaderCell: () => 'Messages' }),
  createTableColumn<GridRow>({ columnId: 'failed', renderHeaderCell: () => 'Errors' }),
  createTableColumn<GridRow>({ columnId: 'bytes', renderHeaderCell: () => 'Data' }),
];

export function ItemsGrid({
  rows,
  sort,
  onSort,
  selected,
  onSelect,
  onOpen,
}: {
  rows: GridRow[];
  sort: SortSpec;
  onSort: (sort: SortSpec) => void;
  selected: ReadonlySet<string>;
  onSelect: (ids: Set<string>) => void;
  onOpen: (id: string) => void;
}) {
  const styles = useStyles();
  const [scrollTopPx, setScrollTopPx] = useState(0);
  const frame = useRef(0);
  const indexById = useMemo(() => new Map(rows.map((r, i) => [r.id, i])), [rows]);
  const win = gridWindow({ scrollTopPx, viewportPx: VIEWPORT_PX, rowPx: ROW_PX, total: rows.length });
  const onScroll = (e: React.UIEvent<HTMLDivElement>) => {
    const top = e.currentTarget.scrollTop;
    cancelAnimationFrame(frame.current);
    frame.current = requestAnimationFrame(() => setScrollTopPx(top));
  };

  const cell = (row: GridRow, columnId: string) => {
    switch (columnId) {
      case 'sourceAddress':
        // The row toggles its selection on click; opening an item must not select it as a side effect.
        return (
          <Link
            as="button"
            aria-label={`Open details of ${row.sourceAddress}`}
            onClick={(e) => {
              e.stopPropagation();
              onOpen(row.id);
            }}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === ' ') e.stopPropagation();
            }}
          >
            {row.sourceAddress}
          </Link>
        );
      case 'destinationAddress':
        return row.destinationAddress;
      case 'status':
        return (
          <div className={styles.stack}>
            <StatusBadge status={row.status} />
            {row.reason && REASON_SHOWN.has(row.status) && row.progress === undefined && (
              <Caption1 className={styles.reason} title={row.reason} data-reason>
                {row.reason}
              </Caption1>
            )}
            {row.progress !== undefined && (
              <ProgressBar
                value={row.progress}
                thickness="large"
                aria-label={`${row.sourceAddress} progress${row.currentFolder ? `, copying ${row.currentFolder}` : ''}`}
              />
            )}
          </div>
        );
      case 'copied':
        return row.copied.toLocaleString();
      case 'failed':
        return <Text weight={row.failed ? 'semibold' : 'regular'}>{row.failed.toLocaleString()}</Text>;
      default:
        return formatBytes(row.bytes);
    }
  };

  return (
    <DataGrid
      items={rows}
      columns={columns}
      getRowId={(r: GridRow) => r.id}
      aria-label="Items"
      aria-rowcount={rows.length + 1}
      selectionMode="multiselect"
      selectedItems={selected as Set<TableRowId>}
      onSelectionChange={(_, d) => onSelect(new Set([...d.selectedItems].map(String)))}
      sortable
      sortState={{ sortColumn: sort.column, sortDirection: sort.direction }}
      onSortChange={(_, s) => onSort({ column: s.sortColumn as SortColumn, direction: s.sortDirection })}
      focusMode="composite"
    >
      <DataGridHeader>
        <DataGridRow selectionCell={{ checkboxIndicator: { 'aria-label': 'Select all items' } }}>
          {({ renderHeaderCell }) => <DataGridHeaderCell>{renderHeaderCell()}</DataGridHeaderCell>}
        </DataGridRow>
      </DataGridHeader>
      <DataGridBody<GridRow>
        className={styles.body}
        onScroll={onScroll}
        style={{ paddingTop: win.padTopPx, paddingBottom: win.padBottomPx }}
      >
        {({ item, rowId }) => {
          const index = indexById.get(String(rowId)) ?? -1;
          if (index < win.start || index >= win.end) return null;
          return (
            <DataGridRow<GridRow>
              key={rowId}
              className={styles.row}
              aria-rowindex={index + 2}
              data-item-id={item.id}
              selectionCell={{ checkboxIndicator: { 'aria-label': `Select ${item.sourceAddress}` } }}
            >
              {({ columnId }) => <DataGridCell>{cell(item, String(columnId))}</DataGridCell>}
            </DataGridRow>
          );
        }}
      </DataGridBody>
    </DataGrid>
  );
}
