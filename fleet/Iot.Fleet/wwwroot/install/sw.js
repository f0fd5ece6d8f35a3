// The installer's page opens without signal (a basement, a rooftop, a phone on the gateway's setup hotspot): this
// service worker, scoped to /install/, keeps the page's own files on the phone and serves them from there first. It
// keeps nothing else: no API call (/api/…, always the network, so the outbox sees "no signal" as it should), no
// address with a query (a label's link carries the claim code: the page is stored and looked up as /install/ only),
// nothing the fleet marks no-store. Each file is refreshed in the background when the network answers, so a new
// fleet version reaches the phone at the next opening; change VERSION when the list of files changes.
const VERSION = "v1";
const CACHE = `iot-install-${VERSION}`;
const PAGE = "/install/";
const FILES = [
  PAGE, "/install/install.js", "/install/outbox.js",
  "/assets/site.css", "/assets/i18n.js", "/assets/words.js", "/assets/vendor/jsqr/jsQR.js",
];

self.addEventListener("install", event => {
  // "reload": past the browser's HTTP cache, so the copy is what the fleet serves now.
  event.waitUntil(caches.open(CACHE)
    .then(cache => cache.addAll(FILES.map(file => new Request(file, { cache: "reload", credentials: "omit" }))))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", event => {
  event.waitUntil(caches.keys()
    .then(keys => Promise.all(keys.filter(key => key.startsWith("iot-install-") && key !== CACHE).map(key => caches.delete(key))))
    .then(() => self.clients.claim()));
});

// Which stored file answers a request, or null: the network alone answers it.
function storedAs(request) {
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return null;
  if (request.mode === "navigate") return url.pathname === PAGE || url.pathname === `${PAGE}index.html` ? PAGE : null;
  return url.search === "" && FILES.includes(url.pathname) ? url.pathname : null;
}

// Only a plain answer of the fleet's own file is kept: not a redirect (to the sign-in page), not an error, not no-store.
const keepable = response => response.ok && response.type === "basic" && !response.redirected
  && !/no-store|private/i.test(response.headers.get("Cache-Control") ?? "");

async function refresh(key) {
  const response = await fetch(new Request(key, { cache: "no-cache", credentials: "omit" }));
  if (keepable(response)) await (await caches.open(CACHE)).put(key, response.clone());
  return response;
}

self.addEventListener("fetch", event => {
  const key = storedAs(event.request);
  if (!key) return;
  event.respondWith((async () => {
    const stored = await caches.match(key, { cacheName: CACHE });
    if (stored) {
      event.waitUntil(refresh(key).catch(() => {})); // no signal: the stored copy stays
      return stored;
    }
    return refresh(key);
  })());
});
