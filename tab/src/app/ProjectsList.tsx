import {
  Button,
  Link,
  makeStyles,
  SearchBox,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  Title2,
} from '@fluentui/react-components';
import { AddRegular } from '@fluentui/react-icons';
import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { Page, ProjectItemCounts, PublicProject } from '../api/types';
import { ProblemBar } from '../common/ProblemBar';
import { formatDate } from '../common/format';
import { useApi } from '../common/use-api';
import { navigate } from './router';

const SEARCH_DEBOUNCE_MS = 250;

/** "12 items: 8 completed, 1 with errors, 1 failed": only the parts that are not zero. */
export function itemCountsText(c: ProjectItemCounts): string {
  if (c.total === 0) return 'No items yet';
  const parts = [
    [c.completed, 'completed'],
    [c.completedWithErrors, 'with errors'],
    [c.failed, 'failed'],
  ]
    .filter(([n]) => n)
    .map(([n, w]) => `${n} ${w}`);
  return `${c.total} ${c.total === 1 ? 'item' : 'items'}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}
const useStyles = makeStyles({
  bar: { display: 'flex', gap: '12px', alignItems: 'center', margin: '12px 0' },
});

export function ProjectsList() {
  const styles = useStyles();
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setQuery(search.trim()), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [search]);
  const { data, problem, loading } = useApi(
    () =>
      api<Page<PublicProject & { itemCounts?: ProjectItemCounts }>>(
        'GET',
        `/projects?limit=200${query ? `&search=${encodeURIComponent(query)}` : ''}`,
      ),
    query,
  );
  const open = (path: string) => (e: React.MouseEvent) => {
    e.preventDefault();
    navigate(path);
  };

  return (
    <section aria-labelledby="projects-title">
      <Title2 as="h1" id="projects-title">
        Projects
      </Title2>
      <div className={styles.bar}>
        <SearchBox
          aria-label="Search projects"
          placeholder="Search projects by name"
          value={search}
          onChange={(_, d) => setSearch(d.value)}
        />
        <Button appearance="primary" icon={<AddRegular />} onClick={() => navigate('/projects/new')}>
          Create project
        </Button>
      </div>
      <ProblemBar problem={problem} />
      {loading && !data ? (
        <Spinner label="Loading projects" />
      ) : data?.items.length === 0 ? null : (
        <Table aria-label="Projects">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Name</TableHeaderCell>
              <TableHeaderCell>Items</TableHeaderCell>
              <TableHeaderCell>Created</TableHeaderCell>
              <TableHeaderCell>Teams notifications</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {data?.items.map((p) => (
              <TableRow key={p.id}>
                <TableCell>
                  <Link href={`/projects/${p.id}`} onClick={open(`/projects/${p.id}`)}>
                    {p.name}
                  </Link>
                </TableCell>
                <TableCell>{p.itemCounts ? itemCountsText(p.itemCounts) : '—'}</TableCell>
                <TableCell>{formatDate(p.createdAt)}</TableCell>
                <TableCell>{p.hasTeamsWebhook ? 'On' : 'Off'}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {data && data.items.length === 0 && (
        <Text>{query ? `No project matches "${query}".` : 'No projects yet: create one to move your first mailbox.'}</Text>
      )}
    </section>
  );
}
