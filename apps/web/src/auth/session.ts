import type { Tokens, User } from '@attune/api-client';

/**
 * The signed-in session. Each tab keeps it in its own sessionStorage (never written to disk the
 * way localStorage is), and the tabs of one browser share it over a same-origin BroadcastChannel:
 *
 * - a tab that opens without a session asks the others (`ask`) and takes the first answer, so a
 *   Ctrl-click or a pasted link lands signed in while another tab of the UI is open;
 * - new tokens (sign-in, refresh) are sent to every tab (`session`): a refresh token works once,
 *   so a tab holding a spent one would, by presenting it, revoke the whole sign-in;
 * - signing out, or a session the server refused, ends it in every tab (`clear`).
 *
 * Nothing else can read the channel (same origin only), so the XSS exposure is that of
 * sessionStorage itself; docs/security.md says so. Refreshes are serialised across tabs by
 * `withRefreshLock`.
 */
export interface Session {
  accessToken: string;
  refreshToken: string;
  user: User;
}

const KEY = 'attune.session';
const CHANNEL = 'attune.session';
/** How long a tab without a session waits for another tab to answer before showing the login page. */
export const ASK_TIMEOUT_MS = 300;

type Reason = 'expired' | 'logout';
type Message = { type: 'ask' } | { type: 'session'; session: Session } | { type: 'clear'; reason?: Reason };
type Listener = (session: Session | null, reason?: Reason) => void;
const listeners = new Set<Listener>();

let channel: BroadcastChannel | null | undefined;
function bus(): BroadcastChannel | null {
  if (channel === undefined) {
    channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL) : null;
    // Node (the unit tests) has BroadcastChannel too: there it must not keep the process alive.
    (channel as { unref?: () => void } | null)?.unref?.();
    channel?.addEventListener('message', (ev: MessageEvent<Message>) => receive(ev.data));
  }
  return channel;
}

function receive(msg: Message): void {
  if (msg?.type === 'ask') {
    const session = loadSession();
    if (session) bus()?.postMessage({ type: 'session', session } satisfies Message);
  } else if (msg?.type === 'session' && msg.session?.accessToken) {
    store(msg.session);
  } else if (msg?.type === 'clear' && loadSession()) {
    remove(msg.reason);
  }
}

function store(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
  listeners.forEach((l) => l(session));
}

function remove(reason?: Reason): void {
  sessionStorage.removeItem(KEY);
  listeners.forEach((l) => l(null, reason));
}

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function saveTokens(tokens: Tokens): Session {
  const session = { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, user: tokens.user };
  store(session);
  bus()?.postMessage({ type: 'session', session } satisfies Message);
  return session;
}

/** Ends the session in this tab and in every other tab of the browser. */
export function clearSession(reason?: Reason): void {
  remove(reason);
  bus()?.postMessage({ type: 'clear', reason } satisfies Message);
}

export function onSessionChange(listener: Listener): () => void {
  bus();
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * This tab's session, or else the one another open tab holds (null when none answers in time).
 * Resolves at once when this tab has one or the browser has no BroadcastChannel.
 */
export function adoptSessionFromOtherTabs(timeoutMs = ASK_TIMEOUT_MS): Promise<Session | null> {
  const own = loadSession();
  const ch = bus();
  if (own || !ch) return Promise.resolve(own);
  return new Promise((resolve) => {
    const done = (session: Session | null) => {
      clearTimeout(timer);
      listeners.delete(onAnswer);
      resolve(session);
    };
    const onAnswer: Listener = (session) => session && done(session);
    const timer = setTimeout(() => done(loadSession()), timeoutMs);
    listeners.add(onAnswer);
    ch.postMessage({ type: 'ask' } satisfies Message);
  });
}

/**
 * Runs `fn` while no other tab of this browser refreshes (Web Locks; where the browser lacks
 * them, as on plain http to a remote host, it just runs). With the lock held, a tab first checks
 * whether another tab has renewed the tokens meanwhile.
 */
export function withRefreshLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  return locks ? locks.request('attune.refresh', fn) : fn();
}
