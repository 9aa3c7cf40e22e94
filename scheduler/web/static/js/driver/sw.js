// The driver view's service worker (served at /driver-sw.js, scope /driver): the page, its
// scripts, styles and icons, and the last day routes and run sheets fetched, so the view opens
// and shows the route with no connection. Network first (fresh when online), the cache when
// the network fails or is too slow; posts (driver events) are never touched: the page's
// IndexedDB outbox replays them.

const VERSION = "v1";
const SHELL = `kt-driver-shell-${VERSION}`;
const DATA = "kt-driver-data"; // main.js deletes it on logout
const NETWORK_TIMEOUT_MS = 6000;

/** Everything the page needs to start offline. */
const SHELL_FILES = [
  "/driver",
  "/manifest.webmanifest",
  "/static/css/app.css",
  "/static/css/driver.css",
  "/static/icons/icon.svg",
  "/static/icons/icon-192.png",
  "/static/js/api.js",
  "/static/js/i18n.js",
  "/static/js/driver/changes.js",
  "/static/js/driver/dialog.js",
  "/static/js/driver/dom.js",
  "/static/js/driver/login.js",
  "/static/js/driver/main.js",
  "/static/js/driver/outbox.js",
  "/static/js/driver/progress.js",
  "/static/js/driver/render.js",
  "/static/js/driver/report.js",
  "/static/js/driver/runsheet.js",
  "/static/js/driver/strings.js",
];
const DATA_PATHS = ["/api/driver/today", "/api/driver/runsheet"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(SHELL_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("kt-driver-shell-") && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === "/driver") {
    event.respondWith(networkFirst(request, SHELL, "/driver"));
  } else if (SHELL_FILES.includes(url.pathname)) {
    event.respondWith(networkFirst(request, SHELL, url.pathname));
  } else if (DATA_PATHS.includes(url.pathname)) {
    event.respondWith(networkFirst(request, DATA, request.url));
  }
});

/**
 * The network's answer (stored for later) or, when the network fails or takes too long, the
 * stored copy marked with an X-KT-Cached header; with neither, the network's failure.
 */
async function networkFirst(request, cacheName, key) {
  const cache = await caches.open(cacheName);
  const network = fetch(request).then((response) => {
    if (response.ok) cache.put(key, response.clone());
    return response;
  });
  try {
    return await withTimeout(network, NETWORK_TIMEOUT_MS);
  } catch (error) {
    const stored = await cache.match(key, { ignoreVary: true });
    if (stored) return marked(stored);
    return network; // still waiting (slow) or the original failure
  }
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

async function marked(response) {
  const headers = new Headers(response.headers);
  headers.set("X-KT-Cached", headers.get("Date") || "yes");
  return new Response(await response.blob(), { status: response.status, statusText: response.statusText, headers });
}
