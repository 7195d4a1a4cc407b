import { FluentProvider, makeStyles, tokens } from '@fluentui/react-components';
import { EndUserPage } from '../end-user/EndUserPage';
import { ProjectPage } from '../project/ProjectPage';
import { fluentTheme } from '../theme/host-theme';
import { useHost } from '../theme/use-host';
import { CreateProjectWizard } from '../wizard/CreateProjectWizard';
import { EndpointsPage } from '../wizard/EndpointsPage';
import { AppHeader } from './AppHeader';
import { ProjectsList } from './ProjectsList';
import { useRoute } from './router';

const useStyles = makeStyles({
  root: { minHeight: '100vh', backgroundColor: tokens.colorNeutralBackground2, color: tokens.colorNeutralForeground1 },
  main: { padding: '16px 24px', maxWidth: '1400px', margin: '0 auto', boxSizing: 'border-box' },
});

/** One bundle, routed by path: the admin console, or the end-user page a credential e-mail links to. */
export function App() {
  const host = useHost();
  const route = useRoute();
  const styles = useStyles();
  return (
    // Layout lives on an inner div: Fluent copies the provider's classes onto its portal nodes, so a
    // full-height provider would lay an invisible sheet over the page whenever a menu opens.
    <FluentProvider theme={fluentTheme(host.theme, host.inTeams)} data-theme={host.theme}>
      <div className={styles.root}>
        {route.page === 'end-user' ? (
          <main className={styles.main}>
            <EndUserPage />
          </main>
        ) : (
          <>
            <AppHeader userLabel={host.userLabel} />
            <main className={styles.main}>
              {route.page === 'projects' && <ProjectsList />}
              {route.page === 'new-project' && <CreateProjectWizard />}
              {route.page === 'endpoints' && <EndpointsPage />}
              {/* Keyed by project: another project is another page, with none of this one's notice, selection, filter or saved settings. */}
              {route.page === 'project' && <ProjectPage key={route.projectId} projectId={route.projectId} />}
            </main>
          </>
        )}
      </div>
    </FluentProvider>
  );
}
