/**
 * The missed-call badge (issue 10): how many calls this user missed and has not seen yet, beside
 * the "Recent calls" heading and in the tab's title, "(2) trucada", so a background tab shows it.
 *
 * Seen means the person had the chance to read them: the Recent calls list was on screen, in a
 * tab that is shown, for SEEN_MS together. A page merely open is not enough: on a phone the list is
 * below the fold, and a tab in the background is not looked at; and a badge that vanished the
 * moment the page appeared would tell nobody anything. The missed calls stay marked in the list
 * itself; only the badge goes.
 *
 * What was seen is the id of the newest missed call (ids only grow), kept in this browser's
 * localStorage per user: a reload or the next login here does not show old calls as new. It is
 * not secret (the node has the history anyway), and it is written only once something is seen, so
 * a user with no missed call leaves browser storage empty. Another browser keeps its own.
 */
import type { PastCall } from './api.js';
import { el, show } from './dom.js';
import { text } from './strings.js';

export interface MissedBadge {
  readonly root: HTMLElement;
  /** The history as just loaded, newest first. */
  update(calls: readonly PastCall[]): void;
}

const SEEN_MS = 2000;
const KEY_PREFIX = 'trucada.missedSeen.';

function stored(user: string): number {
  try {
    return Number(localStorage.getItem(KEY_PREFIX + user) ?? 0) || 0;
  } catch {
    return 0;
  }
}

function store(user: string, id: number): void {
  try {
    localStorage.setItem(KEY_PREFIX + user, String(id));
  } catch {
    // No storage (a private window, a full quota): seen for as long as this page lives.
  }
}

/** `watched`: the element that must be on screen for the missed calls to count as seen. */
export function createMissedBadge(user: string, watched: HTMLElement): MissedBadge {
  const root = el('span', { class: 'missed-badge' });
  let seenUpTo = stored(user);
  let newestMissed = 0;
  let unseen = 0;
  let onScreen = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const render = () => {
    root.textContent = String(unseen);
    root.setAttribute('aria-label', text('missedNotSeen', { n: unseen }));
    show(root, unseen > 0);
    document.title = unseen > 0 ? `(${unseen}) ${text('title')}` : text('title');
  };

  // The page may be gone (logout); then nothing of it may touch the title again.
  const gone = () => {
    if (watched.isConnected) return false;
    observer.disconnect();
    document.removeEventListener('visibilitychange', watch);
    clearTimeout(timer);
    return true;
  };

  const markSeen = () => {
    timer = undefined;
    if (gone() || !onScreen || document.visibilityState !== 'visible') return;
    seenUpTo = newestMissed;
    store(user, seenUpTo);
    unseen = 0;
    render();
  };

  function watch(): void {
    if (gone()) return;
    const looking = onScreen && document.visibilityState === 'visible' && unseen > 0;
    if (!looking) {
      clearTimeout(timer);
      timer = undefined;
    } else if (timer === undefined) timer = setTimeout(markSeen, SEEN_MS);
  }

  const observer = new IntersectionObserver((entries) => {
    onScreen = entries.some((e) => e.isIntersecting);
    watch();
  });
  observer.observe(watched);
  document.addEventListener('visibilitychange', watch);
  show(root, false);

  return {
    root,
    update(calls) {
      if (gone()) return;
      const missed = calls.filter((c) => c.direction === 'received' && c.outcome === 'missed');
      newestMissed = Math.max(seenUpTo, ...missed.map((c) => c.id));
      unseen = missed.filter((c) => c.id > seenUpTo).length;
      render();
      // A call missed just now gets its own SEEN_MS.
      clearTimeout(timer);
      timer = undefined;
      watch();
    },
  };
}
