import { useEffect, useState } from 'react';

/** Client routes live in the path; the embedded host answers every non-/api GET with index.html. */
export type Route =
  | { page: 'projects' }
  | { page: 'new-project' }
  | { page: 'endpoints' }
  | { page: 'project'; projectId: string }
  | { page: 'end-user' };

export function parseRoute(pathname: string): Route {
  if (pathname.startsWith('/end-user/credentials')) return { page: 'end-user' };
  if (pathname === '/projects/new') return { page: 'new-project' };
  if (pathname === '/endpoints') return { page: 'endpoints' };
  const match = /^\/projects\/([^/]+)\/?$/.exec(pathname);
  if (match) return { page: 'project', projectId: decodeURIComponent(match[1]!) };
  return { page: 'projects' };
}

export function navigate(path: string): void {
  window.history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.pathname));
    window.addEventListener('popstate', onChange);
    return () => window.removeEventListener('popstate', onChange);
  }, []);
  return route;
}
