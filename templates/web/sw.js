/* FieldOps service worker: precaches the app shell, keeps the pages a technician needs readable
 * offline, and pushes the outbox from Background Sync where the browser has it. */
importScripts("/static/js/outbox.js");

const VERSION = "{{ version }}";
const SHELL_CACHE = `fieldops-shell-${VERSION}`;
const PAGE_CACHE = `fieldops-pages-${VERSION}`;
const SHELL = [
  "/offline/",
  "/static/css/app.css",
  "/static/css/workorders.css",
  "/static/js/app.js",
  "/static/js/outbox.js",
  "/static/js/offline.js",
  "/static/js/workorder.js",
  "/static/vendor/htmx-2.0.11.min.js",
  "/static/icons/icon-192.png",
  "/manifest.webmanifest",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) =>
      Promise.all(
        keys
          .filter((key) => key.startsWith("fieldops-") && ![SHELL_CACHE, PAGE_CACHE].includes(key))
          .map((key) => caches.delete(key)),
      ),
    ).then(() => self.clients.claim()),
  );
});

function cachePage(url) {
  return fetch(url, { credentials: "same-origin" }).then((response) => {
    // A redirect means the session ended (login page): never keep that as the job's page.
    if (!response.ok || response.redirected) return undefined;
    // Read the whole body first: a page is only "kept" once all of it is on the phone.
    return response.blob().then((blob) => caches.open(PAGE_CACHE).then((cache) =>
      cache.put(url, new Response(blob, { status: response.status, headers: response.headers }))));
  }).catch(() => undefined);
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data === "skip-waiting" || data.type === "skip-waiting") self.skipWaiting();
  if (data.type === "cache-pages" && Array.isArray(data.urls)) {
    event.waitUntil(Promise.all(data.urls.map(cachePage)));
  }
});

self.addEventListener("sync", (event) => {
  if (event.tag !== "fieldops-outbox") return;
  event.waitUntil(
    self.FieldOpsOutbox.sync().then(() =>
      self.clients.matchAll().then((clients) =>
        clients.forEach((client) => client.postMessage({ type: "outbox-synced" })))),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname.startsWith("/ws/")) return;

  if (url.pathname.startsWith("/static/")) {
    event.respondWith(
      caches.match(request).then((hit) => hit || fetch(request).then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(SHELL_CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })),
    );
    return;
  }

  if (request.mode === "navigate") {
    // Network first so people see fresh work; the last copy (or the offline page) without signal.
    event.respondWith(
      fetch(request).then((response) => {
        if (response.ok && !response.redirected) {
          const copy = response.clone();
          caches.open(PAGE_CACHE).then((cache) => cache.put(request.url, copy));
        }
        return response;
      }).catch(() => caches.match(request.url, { ignoreVary: true, ignoreSearch: false })
        .then((hit) => hit || caches.match("/offline/"))),
    );
  }
});
