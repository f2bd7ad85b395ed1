/**
 * The page's service worker: keeps the page itself (index.html and the files it names) in the
 * browser, so that while the node restarts, or the mesh link to it flaps, opening the page still
 * shows it, saying the node cannot be reached and trying again, instead of a browser error. The
 * API and the SIP WebSocket are never answered from here: they are live or they fail.
 *
 * index.html is asked of the node first and taken from the cache only when that fails, because it
 * names the current build's hashed files; those never change, so they come from the cache. Each
 * build is one cache, named by its version; a new build installs a new one and drops the old.
 */
/** Set by the build (scripts/build.mjs): the files of this build, and a name for them. */
declare const SHELL: string[];
declare const VERSION: string;

// The WebWorker library types `self` as any worker's scope; this script runs only as a service worker.
const sw = self as unknown as ServiceWorkerGlobalScope;
const CACHE = `trucada-${VERSION}`;

sw.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => sw.skipWaiting()),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith('trucada-') && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => sw.clients.claim()),
  );
});

sw.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== sw.location.origin) return;
  if (request.mode === 'navigate') {
    event.respondWith(fetch(request).catch(() => caches.match('/index.html').then((cached) => cached ?? Response.error())));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(request).then((cached) => cached ?? fetch(request)));
  }
});
