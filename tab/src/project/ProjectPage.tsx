import { makeStyles, MessageBar, MessageBarBody, Spinner, Tab, TabList, Text, Title2 } from '@fluentui/react-components';
import { useMemo, useRef, useState } from 'react';
import { api, asProblem, listAll, type ApiProblem } from '../api/client';
import type { Pass, ProjectProgress, PublicEndpoint, PublicItem, PublicProject, StartPassResult } from '../api/types';
import { ProblemBar } from '../common/ProblemBar';
import { useApi, usePolling } from '../common/use-api';
import { ItemDetailPanel } from './ItemDetailPanel';
import { ItemsGrid } from './ItemsGrid';
import { ItemsToolbar } from './ItemsToolbar';
import { filterRows, itemsStatusLine, sortRows, progressChanged, toGridRows, type RowFilter, type SortSpec } from './items-view';
import { AdvancedOptions, NotificationsSetting } from './ProjectSettings';
import { PASS_LABELS, stoppablePasses } from './start-rules';
import { StatisticsView } from './StatisticsView';

/** The API's progress read is built to be polled this often (docs/http-api.md, the OpenAPI document: "cheap enough to poll every 2 s"). */
const PROGRESS_POLL_MS = 2_000;
type View = 'items' | 'statistics' | 'options' | 'notifications';

const useStyles = makeStyles({ stack: { display: 'grid', gap: '12px' } });

export function ProjectPage({ projectId }: { projectId: string }) {
  const styles = useStyles();
  const [view, setView] = useState<View>('items');
  const [itemsVersion, setItemsVersion] = useState(0);
  const projectLoad = useApi(() => api<PublicProject>('GET', `/projects/${projectId}`), projectId);
  const [savedProject, setSavedProject] = useState<PublicProject>();
  const project = savedProject ?? projectLoad.data;
  // The API has no GET /endpoints/{id}: both ends are found in the list. Their kinds decide the item types a pass offers and ticks.
  const endpoints = useApi(() => listAll<PublicEndpoint>('/endpoints'), 'endpoints');
  const kindOf = (id: string | undefined) => endpoints.data?.find((e) => e.id === id)?.kind;
  const items = useApi(() => listAll<PublicItem>(`/projects/${projectId}/items`), `${projectId}:${itemsVersion}`);
  const [progress, setProgress] = useState<ProjectProgress>();
  const lastProgress = useRef<ProjectProgress>();
  const [sort, setSort] = useState<SortSpec>({ column: 'sourceAddress', direction: 'ascending' });
  const [filter, setFilter] = useState<RowFilter>({});
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [openItem, setOpenItem] = useState<{ id: string; edit: boolean }>();
  const [notice, setNotice] = useState<{ intent: 'success' | 'warning'; text: string }>();
  const [problem, setProblem] = useState<ApiProblem>();

  usePolling(async () => {
    const next = await api<ProjectProgress>('GET', `/projects/${projectId}/progress`);
    // Totals (copied, bytes) live on the items; re-read them only when some item moved.
    if (progressChanged(lastProgress.current?.items, next.items)) setItemsVersion((v) => v + 1);
    lastProgress.current = next;
    setProgress(next);
  }, PROGRESS_POLL_MS);

  const allRows = useMemo(() => toGridRows(items.data ?? [], progress?.items), [items.data, progress]);
  const rows = useMemo(() => sortRows(filterRows(allRows, filter), sort), [allRows, filter, sort]);
  const selectedRows = allRows.filter((r) => selected.has(r.id));
  const statusKey = allRows.map((r) => r.status).join('|');

  const onStarted = (result: StartPassResult) => {
    const refused = result.refused.map((r) => `${r.sourceAddress}: ${r.reason}`).join('; ');
    setNotice({
      intent: refused ? 'warning' : 'success',
      text: `${PASS_LABELS[result.pass.kind]} started for ${result.accepted.length} item(s).${refused ? ` Not started: ${refused}` : ''}`,
    });
    setItemsVersion((v) => v + 1);
  };
  const stop = async () => {
    setProblem(undefined);
    try {
      const live = stoppablePasses(await listAll<Pass>(`/projects/${projectId}/passes`));
      for (const pass of live) await api('POST', `/passes/${pass.id}/stop`);
      setNotice({
        intent: 'success',
        text: live.length ? `Stopping ${live.length} pass(es): running items finish their current batch.` : 'No pass is running.',
      });
    } catch (error) {
      setProblem(asProblem(error));
    }
  };

  if (!project) return projectLoad.problem ? <ProblemBar problem={projectLoad.problem} /> : <Spinner label="Loading the project" />;
  return (
    <section aria-labelledby="project-title" className={styles.stack}>
      <Title2 as="h1" id="project-title">
        {project.name}
      </Title2>
      <TabList selectedValue={view} onTabSelect={(_, d) => setView(d.value as View)} aria-label="Project views">
        <Tab value="items">Items</Tab>
        <Tab value="statistics">Statistics</Tab>
        <Tab value="options">Advanced options</Tab>
        <Tab value="notifications">Notifications</Tab>
      </TabList>
      {notice && (
        <MessageBar intent={notice.intent} role="status">
          <MessageBarBody>{notice.text}</MessageBarBody>
        </MessageBar>
      )}
      <ProblemBar problem={problem ?? items.problem} />
      {view === 'items' && (
        <>
          <ItemsToolbar
            projectId={projectId}
            sourceKind={kindOf(project.sourceEndpointId)}
            destinationKind={kindOf(project.destinationEndpointId)}
            rows={allRows}
            selectedRows={selectedRows}
            filter={filter}
            onFilter={setFilter}
            onItemsChanged={() => setItemsVersion((v) => v + 1)}
            onStarted={onStarted}
            onStop={stop}
            onEditItem={(id) => setOpenItem({ id, edit: true })}
          />
          <Text role="status" aria-live="polite">
            {itemsStatusLine(rows.length, allRows.length, selected.size, progress?.totals)}
          </Text>
          {items.loading && !items.data ? (
            <Spinner label="Loading items" />
          ) : (
            <ItemsGrid
              rows={rows}
              sort={sort}
              onSort={setSort}
              selected={selected}
              onSelect={setSelected}
              onOpen={(id) => setOpenItem({ id, edit: false })}
            />
          )}
        </>
      )}
      {view === 'statistics' && <StatisticsView projectId={projectId} refreshKey={statusKey} />}
      {view === 'options' && <AdvancedOptions project={project} onSaved={setSavedProject} />}
      {view === 'notifications' && <NotificationsSetting project={project} onSaved={setSavedProject} />}
      {openItem && (
        <ItemDetailPanel
          key={`${openItem.id}:${openItem.edit}`}
          itemId={openItem.id}
          startEditing={openItem.edit}
          refreshKey={allRows.find((r) => r.id === openItem.id)?.status ?? ''}
          onClose={() => setOpenItem(undefined)}
          onItemChanged={() => setItemsVersion((v) => v + 1)}
        />
      )}
    </section>
  );
}
