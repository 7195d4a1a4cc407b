import { Link, makeStyles, Text, tokens } from '@fluentui/react-components';
import { PersonRegular } from '@fluentui/react-icons';
import { navigate } from './router';

const useStyles = makeStyles({
  header: {
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'space-between',
    gap: '16px',
    padding: '10px 24px',
    backgroundColor: tokens.colorNeutralBackground1,
    borderBottom: `1px solid ${tokens.colorNeutralStroke2}`,
  },
  who: { display: 'flex', alignItems: 'center', gap: '6px' },
  nav: { display: 'flex', alignItems: 'center', gap: '16px' },
});

export function AppHeader({ userLabel }: { userLabel: string }) {
  const styles = useStyles();
  return (
    <header className={styles.header}>
      <nav className={styles.nav} aria-label="Main">
        <Link
          href="/"
          onClick={(e) => {
            e.preventDefault();
            navigate('/');
          }}
        >
          <Text weight="semibold" size={500}>
            Mailferry
          </Text>
        </Link>
        <Link
          href="/endpoints"
          onClick={(e) => {
            e.preventDefault();
            navigate('/endpoints');
          }}
        >
          Endpoints
        </Link>
      </nav>
      {/* biome-ignore lint/a11y/useSemanticElements: a named group (icon and user) in the header, not form controls, so no <fieldset>; the role lets screen readers read the label */}
      <span className={styles.who} role="group" aria-label={`Signed in as ${userLabel}`}>
        <PersonRegular aria-hidden />
        <Text>{userLabel}</Text>
      </span>
    </header>
  );
}
