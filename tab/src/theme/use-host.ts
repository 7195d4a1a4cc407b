import { useEffect, useState } from 'react';
import { setTokenSource } from '../api/client';
import { navigate } from '../app/router';
import { browserTheme, fromTeamsTheme, type ThemeName } from './host-theme';

export interface Host {
  inTeams: boolean;
  /** Who the console acts as, shown in the header. */
  userLabel: string;
  theme: ThemeName;
}

export const LOCAL_ADMIN_LABEL = 'Local administrator (this computer only)';
/** Teams answers initialize() within a second or two; beyond this we are not inside Teams after all. */
const TEAMS_INIT_TIMEOUT_MS = 5_000;

const query = (q: string) => window.matchMedia?.(q).matches ?? false;

type TeamsJs = typeof import('@microsoft/teams-js');
interface TeamsConnection {
  app: TeamsJs['app'];
  context: Awaited<ReturnType<TeamsJs['app']['getContext']>>;
}
let teamsConnection: Promise<TeamsConnection | undefined> | undefined;

/**
 * Started once, during the first render, before any screen's first API call: every request then
 * waits for Teams and carries its token (a call made before would go out unsigned and get 401).
 * Loading teams-js only inside a frame keeps its CDN look-up off the local console entirely.
 */
function connectTeams(): Promise<TeamsConnection | undefined> {
  if (teamsConnection) return teamsConnection;
  const connecting = (async () => {
    const { app, authentication } = await import('@microsoft/teams-js');
    await Promise.race([
      app.initialize(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('Teams did not answer')), TEAMS_INIT_TIMEOUT_MS)),
    ]);
    return { app, authentication, context: await app.getContext() };
  })().catch(() => undefined); // framed by something other than Teams: stay the local console
  setTokenSource(async () => {
    const teams = await connecting;
    return teams ? teams.authentication.getAuthToken() : undefined;
  });
  teamsConnection = connecting.then((teams) => teams && { app: teams.app, context: teams.context });
  return teamsConnection;
}

/** Teams hosts a tab in an iframe; a top-level page is the embedded host's local console. */
export function useHost(): Host {
  // Outlook frames the taskpane too; there Office.js (loaded by index.html) is the host, not Teams.
  const framed = window.parent !== window && !('Office' in window);
  const [host, setHost] = useState<Host>(() => {
    if (framed) void connectTeams();
    return { inTeams: false, userLabel: LOCAL_ADMIN_LABEL, theme: browserTheme(query) };
  });

  useEffect(() => {
    if (framed) {
      let live = true;
      void connectTeams().then((teams) => {
        if (!teams || !live) return;
        const { app, context } = teams;
        setHost(() => ({
          inTeams: true,
          userLabel: context.user?.userPrincipalName ?? 'Signed in with Teams',
          theme: fromTeamsTheme(context.app.theme),
        }));
        // A pass card's "Open in Mailferry" deep link carries the project as subEntityId (api/core/notifications/tab-deep-link.ts).
        const projectId = context.page.subPageId;
        if (projectId && !window.location.pathname.startsWith('/projects/')) navigate(`/projects/${encodeURIComponent(projectId)}`);
        app.registerOnThemeChangeHandler((theme) => {
          if (live) setHost((h) => ({ ...h, theme: fromTeamsTheme(theme) }));
        });
      });
      return () => {
        live = false;
      };
    }
    const lists = ['(prefers-color-scheme: dark)', '(forced-colors: active)']
      .map((q) => window.matchMedia?.(q))
      .filter(Boolean) as MediaQueryList[];
    const onChange = () => setHost((h) => (h.inTeams ? h : { ...h, theme: browserTheme(query) }));
    for (const l of lists) l.addEventListener('change', onChange);
    return () => {
      for (const l of lists) l.removeEventListener('change', onChange);
    };
  }, [framed]);
  return host;
}
