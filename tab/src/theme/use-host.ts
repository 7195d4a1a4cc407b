import { useEffect, useState } from 'react';
import { setTokenSource } from '../api/client';
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

/**
 * Teams hosts a tab in an iframe; a top-level page is the embedded host's local console. Loading
 * teams-js only inside a frame keeps its CDN look-up off the local console entirely.
 */
export function useHost(): Host {
  const [host, setHost] = useState<Host>(() => ({ inTeams: false, userLabel: LOCAL_ADMIN_LABEL, theme: browserTheme(query) }));

  useEffect(() => {
    if (window.parent !== window) return void initTeams(setHost);
    const lists = ['(prefers-color-scheme: dark)', '(forced-colors: active)'].map((q) => window.matchMedia?.(q)).filter(Boolean) as MediaQueryList[];
    const onChange = () => setHost((h) => (h.inTeams ? h : { ...h, theme: browserTheme(query) }));
    lists.forEach((l) => l.addEventListener('change', onChange));
    return () => lists.forEach((l) => l.removeEventListener('change', onChange));
  }, []);
  return host;
}

async function initTeams(setHost: (update: (h: Host) => Host) => void): Promise<void> {
  try {
    const { app, authentication } = await import('@microsoft/teams-js');
    await Promise.race([
      app.initialize(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('Teams did not answer')), TEAMS_INIT_TIMEOUT_MS)),
    ]);
    const context = await app.getContext();
    setTokenSource(() => authentication.getAuthToken());
    setHost(() => ({ inTeams: true, userLabel: context.user?.userPrincipalName ?? 'Signed in with Teams', theme: fromTeamsTheme(context.app.theme) }));
    app.registerOnThemeChangeHandler((theme) => setHost((h) => ({ ...h, theme: fromTeamsTheme(theme) })));
  } catch {
    // Framed by something other than Teams: stay the local console.
  }
}
