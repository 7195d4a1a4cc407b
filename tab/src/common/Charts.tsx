import {
  makeStyles,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  ToggleButton,
  tokens,
} from '@fluentui/react-components';
import { TableRegular } from '@fluentui/react-icons';
import { useId, useState, type ReactNode } from 'react';

/**
 * Small SVG charts drawn with Fluent tokens (so light, dark and high contrast follow the theme),
 * no chart library. Each chart is an image with a title and a description, and can be switched
 * to the table of the same numbers.
 */
const useStyles = makeStyles({
  frame: {
    display: 'grid',
    gap: '8px',
    padding: '12px',
    backgroundColor: tokens.colorNeutralBackground1,
    borderRadius: tokens.borderRadiusMedium,
  },
  head: { display: 'flex', justifyContent: 'space-between', alignItems: 'center', gap: '8px' },
  svg: { width: '100%', height: 'auto', display: 'block', overflow: 'visible' },
  grid: { stroke: tokens.colorNeutralStroke2, strokeWidth: 1 },
  axis: { stroke: tokens.colorNeutralStroke1, strokeWidth: 1 },
  label: { fill: tokens.colorNeutralForeground2, fontSize: '12px', fontFamily: tokens.fontFamilyBase },
  line: { fill: 'none', stroke: tokens.colorBrandStroke1, strokeWidth: 2.5, strokeLinejoin: 'round' },
  area: { fill: tokens.colorBrandBackground2, stroke: 'none' },
  dot: { fill: tokens.colorBrandBackground, stroke: tokens.colorNeutralBackground1, strokeWidth: 2 },
  bar: { fill: tokens.colorPaletteRedBackground3 },
  barTrack: { fill: tokens.colorNeutralBackground3 },
  value: {
    fill: tokens.colorNeutralForeground1,
    fontSize: '12px',
    fontWeight: tokens.fontWeightSemibold,
    fontFamily: tokens.fontFamilyBase,
  },
});

export interface ChartColumn<T> {
  header: string;
  cell: (row: T) => ReactNode;
}

/** Title, the chart or its data table, and the toggle between them. */
export function ChartFrame<T>({
  title,
  rows,
  columns,
  children,
}: {
  title: string;
  rows: readonly T[];
  columns: readonly ChartColumn<T>[];
  children: ReactNode;
}) {
  const styles = useStyles();
  const [asTable, setAsTable] = useState(false);
  const headingId = useId();
  return (
    <section className={styles.frame} aria-labelledby={headingId}>
      <div className={styles.head}>
        <Text as="h3" weight="semibold" id={headingId}>
          {title}
        </Text>
        <ToggleButton
          size="small"
          appearance="subtle"
          icon={<TableRegular />}
          checked={asTable}
          onClick={() => setAsTable((v) => !v)}
          aria-label={`Data table: ${title}`}
        >
          Data table
        </ToggleButton>
      </div>
      {asTable ? (
        <Table size="small" aria-label={title}>
          <TableHeader>
            <TableRow>
              {columns.map((c) => (
                <TableHeaderCell key={c.header}>{c.header}</TableHeaderCell>
              ))}
            </TableRow>
          </TableHeader>
          <TableBody>
            {rows.map((row, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: the rows are static, rebuilt whole from the chart's data and never reordered; rows need not have a unique field
              <TableRow key={i}>
                {columns.map((c) => (
                  <TableCell key={c.header}>{c.cell(row)}</TableCell>
                ))}
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : (
        children
      )}
    </section>
  );
}

const W = 640;
const H = 220;
const PAD = { left: 64, right: 16, top: 12, bottom: 28 };

/** A line over time: `x` in 0..1, `y` in 0..yMax; y labels by `format`; x labels under the first and last point. */
export function LineChart({
  title,
  desc,
  points,
  yMax,
  yTicks,
  format,
}: {
  title: string;
  desc: string;
  points: readonly { x: number; y: number; label: string }[];
  yMax: number;
  yTicks: readonly number[];
  format: (n: number) => string;
}) {
  const styles = useStyles();
  const id = useId();
  const px = (x: number) => PAD.left + x * (W - PAD.left - PAD.right);
  const py = (y: number) => H - PAD.bottom - (y / yMax) * (H - PAD.top - PAD.bottom);
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
  const area =
    points.length > 1 ? `${path} L${px(points[points.length - 1]!.x).toFixed(1)},${py(0)} L${px(points[0]!.x).toFixed(1)},${py(0)} Z` : '';
  const xLabels = points.length > 1 ? [points[0]!, points[points.length - 1]!] : points;
  return (
    <svg className={styles.svg} viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-t ${id}-d`}>
      <title id={`${id}-t`}>{title}</title>
      <desc id={`${id}-d`}>{desc}</desc>
      {yTicks.map((t) => (
        <g key={t}>
          <line className={styles.grid} x1={PAD.left} x2={W - PAD.right} y1={py(t)} y2={py(t)} />
          <text className={styles.label} x={PAD.left - 8} y={py(t)} textAnchor="end" dominantBaseline="middle">
            {format(t)}
          </text>
        </g>
      ))}
      <line className={styles.axis} x1={PAD.left} x2={W - PAD.right} y1={py(0)} y2={py(0)} />
      {area && <path className={styles.area} d={area} />}
      {points.length > 1 && <path className={styles.line} d={path} />}
      {points.map((p, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: stateless SVG dots, redrawn whole with the data; a point's place in the series is its identity
        <circle key={i} className={styles.dot} cx={px(p.x)} cy={py(p.y)} r={5} />
      ))}
      {xLabels.map((p, i) => (
        <text
          // biome-ignore lint/suspicious/noArrayIndexKey: at most two labels, the first and the last point: the index is which one
          key={i}
          className={styles.label}
          x={px(p.x)}
          y={H - 8}
          textAnchor={xLabels.length > 1 ? (i === 0 ? 'start' : 'end') : 'middle'}
        >
          {p.label}
        </text>
      ))}
    </svg>
  );
}

const BAR_ROW = 44;

/** Horizontal bars, each with its label above it and its value at its end. */
export function BarChart({
  title,
  desc,
  bars,
  format = (n) => n.toLocaleString(),
}: {
  title: string;
  desc: string;
  bars: readonly { label: string; value: number }[];
  format?: (n: number) => string;
}) {
  const styles = useStyles();
  const id = useId();
  const max = Math.max(1, ...bars.map((b) => b.value));
  const height = bars.length * BAR_ROW + 4;
  const trackWidth = W - 60;
  return (
    <svg className={styles.svg} viewBox={`0 0 ${W} ${height}`} role="img" aria-labelledby={`${id}-t ${id}-d`}>
      <title id={`${id}-t`}>{title}</title>
      <desc id={`${id}-d`}>{desc}</desc>
      {bars.map((b, i) => {
        const y = i * BAR_ROW;
        const width = Math.max(2, (b.value / max) * trackWidth);
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: stateless SVG bars, redrawn whole with the data and never reordered; labels can repeat
          <g key={i}>
            <text className={styles.label} x={0} y={y + 14}>
              {b.label.length > 95 ? `${b.label.slice(0, 94)}…` : b.label}
            </text>
            <rect className={styles.barTrack} x={0} y={y + 20} width={trackWidth} height={16} rx={3} />
            <rect className={styles.bar} x={0} y={y + 20} width={width} height={16} rx={3} />
            <text className={styles.value} x={trackWidth + 8} y={y + 32}>
              {format(b.value)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
