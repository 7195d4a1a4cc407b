/**
 * A session with some of its methods replaced, everything else going to the session itself: how
 * tests put a probe or a fault between the engine and a real (or in-memory) connector.
 */
import type { MailConnector, MailboxAccess, MailboxSession } from '../../api/core/connector.js';

export function overrideSession(session: MailboxSession, own: Partial<MailboxSession>): MailboxSession {
  return new Proxy(session, {
    get(target, prop, receiver) {
      if (Object.hasOwn(own, prop)) return own[prop as keyof MailboxSession];
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** `inner` whose every opened session gets `overrides(session, n)` (n counts the sessions opened, from 1). */
export function overrideSessions(
  inner: MailConnector,
  overrides: (session: MailboxSession, opened: number) => Partial<MailboxSession>,
): MailConnector {
  let opened = 0;
  const open = async (access: MailboxAccess, signal?: AbortSignal): Promise<MailboxSession> => {
    const session = await inner.open(access, signal);
    return overrideSession(session, overrides(session, ++opened));
  };
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'open') return open;
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
