import { Link, makeStyles, Spinner, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, Text, Title3, tokens } from '@fluentui/react-components';
import { ArrowDownloadRegular } from '@fluentui/react-icons';
import { api, API_BASE } from '../api/client';
import type { ProjectStatistics } from '../api/types';
import { ProblemBar } from '../common/ProblemBar';
import { formatBytes } from '../common/format';
import { useApi } from '../common/use-api';

const useStyles = makeStyles({
  cards: { display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(160px, 1fr))', gap: '12px', margin: '12px 0' },
  card: { padding: '12px', backgroundColor: tokens.colorNeutralBackground1, borderRadius: tokens.borderRadiusMedium, display: 'grid' },
});

export function StatisticsView({ projectId, refreshKey }: { projectId: string; refreshKey: string }) {
  const styles = useStyles();
  const { data, problem } = useApi(() => api<ProjectStatistics>('GET', `/projects/${projectId}/statistics`), `${projectId}:${refreshKey}`);
  if (!data) return problem ? <ProblemBar problem={problem} /> : <Spinner label="Loading statistics" />;
  const totals: [string, string][] = [
    ['Items', String(data.items)], ['Messages copied', data.copied.toLocaleString()], ['Already there', data.skipped.toLocaleString()],
    ['Failed', data.failed.toLocaleString()], ['Data copied', formatBytes(data.bytes)], ['Messages per second', String(data.messagesPerSecond)],
  ];
  return (
    <section aria-label="Statistics">
      <div className={styles.cards}>
        {totals.map(([label, value]) => <div key={label} className={styles.card}><Text size={200}>{label}</Text><Text size={600} weight="semibold">{value}</Text></div>)}
      </div>
      <Text>By status: {Object.entries(data.byStatus).map(([s, n]) => `${s} ${n}`).join(', ') || 'no items'}</Text>
      <Title3 as="h2">Errors by reason</Title3>
      {data.errorsByReason.length === 0 ? <Text>No errors.</Text> : (
        <Table size="small" aria-label="Errors by reason">
          <TableHeader><TableRow><TableHeaderCell>Count</TableHeaderCell><TableHeaderCell>Reason</TableHeaderCell></TableRow></TableHeader>
          <TableBody>{data.errorsByReason.map((r) => <TableRow key={`${r.code}:${r.reason}`}><TableCell>{r.count}</TableCell><TableCell>{r.reason}</TableCell></TableRow>)}</TableBody>
        </Table>
      )}
      <p>
        <Link href={`${API_BASE}/projects/${projectId}/statistics?format=csv`} download="statistics.csv">
          <ArrowDownloadRegular aria-hidden /> Export statistics (CSV)
        </Link>
      </p>
    </section>
  );
}
