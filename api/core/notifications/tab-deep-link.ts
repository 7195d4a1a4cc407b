import { ValidationError } from '../errors.js';

/** The Teams app (manifest `id`) and its static tab (`staticTabs[].entityId`) that show a project. */
export interface TeamsTabLink {
  teamsAppId: string;
  tabEntityId: string;
}

const TEAMS_DEEP_LINK_BASE = 'https://teams.microsoft.com/l/entity';
/** Action.OpenUrl opens whatever it is given; only web links belong on a card. */
const LINK_PROTOCOLS: ReadonlySet<string> = new Set(['https:', 'http:']);

/**
 * A deep link to the tab opened on one project. Teams hands `subEntityId` to the tab
 * (`app.getContext().page.subPageId`), which is how the tab knows which project to show.
 */
export function teamsTabDeepLink(link: TeamsTabLink, projectId: string): string {
  const context = encodeURIComponent(JSON.stringify({ subEntityId: projectId }));
  return `${TEAMS_DEEP_LINK_BASE}/${encodeURIComponent(link.teamsAppId)}/${encodeURIComponent(link.tabEntityId)}?context=${context}`;
}

/** The link for the card's button: an explicit URL wins, then the tab deep link, else none. */
export function openInMailferryUrl(projectId: string, tabUrl?: string, tabLink?: TeamsTabLink): string | undefined {
  if (tabUrl !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(tabUrl);
    } catch {
      throw new ValidationError('The Mailferry tab URL is not a valid URL.', { field: 'tabUrl' });
    }
    if (!LINK_PROTOCOLS.has(parsed.protocol)) {
      throw new ValidationError(`The Mailferry tab URL must start with https:// (got ${parsed.protocol}).`, { field: 'tabUrl' });
    }
    return parsed.href;
  }
  return tabLink ? teamsTabDeepLink(tabLink, projectId) : undefined;
}
