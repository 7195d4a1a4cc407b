import {
  Button,
  makeStyles,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  Title3,
  tokens,
} from '@fluentui/react-components';
import { ArrowDownloadRegular } from '@fluentui/react-icons';
import { useState } from 'react';
import { api, asProblem, downloadFile, listAll, type ApiProblem } from '../api/client';
import type { Pass, ProjectStatistics, ReasonCount } from '../api/types';
import { BarChart, ChartFrame, LineChart, type ChartColumn } from '../common/Charts';
import { ProblemBar } from '../common/ProblemBar';
import { formatBytes, formatDate } from '../common/format';
import { useApi } from '../common/use-api';
import { PASS_LABELS } from './start-rules';
import { byteUnit, niceBytesMax, niceMax, passSeries, ticks, timePositions, type PassPoint } from './statistics-charts';

const useStyles = makeStyles({
  cards: { display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(160px, 1fr))', gap: '12px', margin: '12px 0' },
  card: { padding: '12px', backgroundColor: tokens.colorNeutralBackground1, borderRadius: tokens.borderRadiusMedium, display: 'grid' },
  // auto-fill: a lone chart keeps half the width, so its text is not blown up by the SVG's scaling.
  charts: { display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(420px, 1fr))', gap: '12px', margin: '8px 0 16px' },
  heading: { display: 'block', margin: '16px 0 4px' },
  export: { display: 'flex', gap: '8px', alignItems: 'center', margin: '12px 0' },
});

const PASS_STATE_WORDS: Record<Pass['status'], string> = {
  scheduled: 'Scheduled',
  running: 'Running',
  stopping: 'Stopping',
  completed: 'Ended',
  stopped: 'Stopped',
};
/** "2 completed, 1 failed": the items' outcomes that are not zero. */
function passOutcome(s: NonNullable<Pass['summary']>): string {
  const parts = [
    [s.completed, 'completed'],
    [s.completedWithErrors, 'with errors'],
    [s.failedItems, 'failed'],
    [s.stopped, 'stopped'],
  ]
    .filter(([n]) => n)
    .map(([n, w]) => `${n} ${w}`);
  return parts.join(', ') || 'no item ran';
}
const shortDate = (iso: string) =>
  new Date(iso).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const passColumns: ChartColumn<PassPoint>[] = [
  { header: 'Ended', cell: (p) => formatDate(p.at) },
  { header: 'Pass', cell: (p) => PASS_LABELS[p.kind] },
  { header: 'Messages copied', cell: (p) => p.copied.toLocaleString() },
  { header: 'Data copied', cell: (p) => formatBytes(p.bytes) },
  { header: 'Failed', cell: (p) => p.failed.toLocaleString() },
  { header: 'Messages so far', cell: (p) => p.totalCopied.toLocaleString() },
  { header: 'Data so far', cell: (p) => formatBytes(p.totalBytes) },
];
const reasonColumns: ChartColumn<ReasonCount>[] = [
  { header: 'Reason', cell: (r) => r.reason },
  { header: 'Code', cell: (r) => r.code },
  { header: 'Messages', cell: (r) => r.count.toLocaleString() },
];

export function StatisticsView({ projectId, refreshKey }: { projectId: string; refreshKey: string }) {
  const styles = useStyles();
  const { data, problem } = useApi(
    () => Promise.all([api<ProjectStatistics>('GET', `/projects/${projectId}/statistics`), listAll<Pass>(`/projects/${projectId}/passes`)]),
    `${projectId}:${refreshKey}`,
  );
  const [exportProblem, setExportProblem] = useState<ApiProblem>();
  const [exporting, setExporting] = useState(false);
  if (!data) return problem ? <ProblemBar problem={problem} /> : <Spinner label="Loading statistics" />;
  const [stats, passes] = data;
  const totals: [string, string][] = [
    // What is true now; each pass's own figures are in the pass table below.
    ['Items', String(stats.items)],
    ['Messages at the destination', stats.messagesAtDestination.toLocaleString()],
    ['Errors now', stats.currentErrors.toLocaleString()],
    ['Messages copied (all passes)', stats.copied.toLocaleString()],
    ['Data copied', formatBytes(stats.bytes)],
    ['Messages per second', String(stats.messagesPerSecond)],
  ];
  const series = passSeries(passes);
  const xs = timePositions(series.map((p) => p.at));
  const messagesMax = niceMax(series[series.length - 1]?.totalCopied ?? 0);
  const bytesMax = niceBytesMax(series[series.length - 1]?.totalBytes ?? 0);
  const span = series.length
    ? `${series.length} ended pass(es), ${formatDate(series[0]!.at)} to ${formatDate(series[series.length - 1]!.at)}`
    : '';
  const last = series[series.length - 1];

  const exportCsv = async () => {
    setExportProblem(undefined);
    setExporting(true);
    try {
      await downloadFile(`/projects/${projectId}/statistics?format=csv`, 'statistics.csv');
    } catch (error) {
      setExportProblem(asProblem(error));
    }
    setExporting(false);
  };

  return (
    <section aria-label="Statistics">
      <div className={styles.cards}>
        {totals.map(([label, value]) => (
          <div key={label} className={styles.card}>
            <Text size={200}>{label}</Text>
            <Text size={600} weight="semibold">
              {value}
            </Text>
          </div>
        ))}
      </div>
      <Text as="p">
        By status:{' '}
        {Object.entries(stats.byStatus)
          .map(([s, n]) => `${s} ${n}`)
          .join(', ') || 'no items'}
      </Text>
      <Title3 as="h2" className={styles.heading}>
        Over time
      </Title3>
      {!last ? (
        <Text as="p">No pass has ended yet: the charts fill in as passes end.</Text>
      ) : (
        <div className={styles.charts}>
          <ChartFrame title="Messages copied over time" rows={series} columns={passColumns}>
            <LineChart
              title="Messages copied over time"
              yMax={messagesMax}
              yTicks={ticks(messagesMax)}
              format={(n) => n.toLocaleString()}
              desc={`Running total of messages copied after each of ${span}: ${last.totalCopied.toLocaleString()} in all.`}
              points={series.map((p, i) => ({ x: xs[i]!, y: p.totalCopied, label: shortDate(p.at) }))}
            />
          </ChartFrame>
          <ChartFrame title="Data copied over time" rows={series} columns={passColumns}>
            <LineChart
              title="Data copied over time"
              yMax={bytesMax}
              yTicks={ticks(bytesMax, byteUnit(bytesMax))}
              format={formatBytes}
              desc={`Running total of data copied after each of ${span}: ${formatBytes(last.totalBytes)} in all.`}
              points={series.map((p, i) => ({ x: xs[i]!, y: p.totalBytes, label: shortDate(p.at) }))}
            />
          </ChartFrame>
        </div>
      )}
      <Title3 as="h2" className={styles.heading}>
        Pass history
      </Title3>
      {passes.length === 0 ? (
        <Text as="p">No pass yet.</Text>
      ) : (
        <Table size="small" aria-label="Pass history of this project">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Pass</TableHeaderCell>
              <TableHeaderCell>State</TableHeaderCell>
              <TableHeaderCell>Started</TableHeaderCell>
              <TableHeaderCell>Ended</TableHeaderCell>
              <TableHeaderCell>Items</TableHeaderCell>
              <TableHeaderCell>Copied</TableHeaderCell>
              <TableHeaderCell>Failed</TableHeaderCell>
              <TableHeaderCell>Data</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {[...passes].reverse().map((p) => (
              <TableRow key={p.id}>
                <TableCell>{PASS_LABELS[p.kind]}</TableCell>
                <TableCell>
                  {PASS_STATE_WORDS[p.status]}
                  {p.summary ? `: ${passOutcome(p.summary)}` : ''}
                </TableCell>
                <TableCell>{formatDate(p.createdAt)}</TableCell>
                <TableCell>{formatDate(p.finishedAt)}</TableCell>
                <TableCell>{p.itemIds.length}</TableCell>
                <TableCell>{p.summary ? p.summary.copied.toLocaleString() : '—'}</TableCell>
                <TableCell>{p.summary ? p.summary.failed.toLocaleString() : '—'}</TableCell>
                <TableCell>{p.summary ? formatBytes(p.summary.bytes) : '—'}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <Title3 as="h2" className={styles.heading}>
        Errors by reason
      </Title3>
      {stats.errorsByReason.length === 0 ? (
        <Text as="p">No errors.</Text>
      ) : (
        <div className={styles.charts}>
          <ChartFrame title="Messages not copied, by reason" rows={stats.errorsByReason} columns={reasonColumns}>
            <BarChart
              title="Messages not copied, by reason"
              desc={`${stats.errorsByReason.length} reason(s); the most frequent: ${stats.errorsByReason[0]!.reason} (${stats.errorsByReason[0]!.count}).`}
              bars={stats.errorsByReason.map((r) => ({ label: r.reason, value: r.count }))}
            />
          </ChartFrame>
        </div>
      )}
      <div className={styles.export}>
        <Button icon={<ArrowDownloadRegular />} onClick={exportCsv} disabled={exporting}>
          Export statistics (CSV)
        </Button>
        {exporting && <Spinner size="tiny" label="Preparing the CSV" />}
      </div>
      <ProblemBar problem={exportProblem} />
    </section>
  );
}
