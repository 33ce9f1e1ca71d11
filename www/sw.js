// The service worker that keeps the explorer working offline after one visit. Trunk hashes
// most file names, so nothing is listed here: at install it reads index.html for the files the
// page links (scripts, wasm, style, icon) and adds the workers and MNIST, all under one cache
// per build. Pages are network-first (a new build is picked up when online), everything else
// cache-first, and whatever is fetched is cached as it goes. `cargo xtask stamp` (Trunk's
// post-build hook) sets BUILD from the site's contents and names the worker's files by it, so
// a new build gets a new cache, the old ones are dropped, and a page only ever meets the
// worker of its own build.
const BUILD = 'dev';
const CACHE = `sparse-explorer-${BUILD}`;
const WORKER = BUILD === 'dev' ? 'worker' : `worker-${BUILD}`;
const ALWAYS = [
  './',
  `${WORKER}.js`,
  `${WORKER}_bg.wasm`,
  'data/mnist/train-images.idx3-ubyte.gz',
  'data/mnist/train-labels.idx1-ubyte.gz',
  'data/mnist/t10k-images.idx3-ubyte.gz',
  'data/mnist/t10k-labels.idx1-ubyte.gz',
];

async function precache() {
  const cache = await caches.open(CACHE);
  const page = await fetch('./', { cache: 'no-cache' });
  const html = await page.clone().text();
  await cache.put('./', page);
  const linked = [...html.matchAll(/(?:href|src)="([^"#]+)"/g)]
    .map((m) => m[1])
    .filter((url) => !url.startsWith('http') && !url.startsWith('data:'));
  // wasm-bindgen's loaders import their .wasm next to them (the page's is preloaded too).
  const wasm = linked
    .filter((u) => /app-[0-9a-f]+\.js$/.test(u))
    .map((u) => u.replace(/\.js$/, '_bg.wasm'));
  const wanted = [...new Set([...ALWAYS.slice(1), ...linked, ...wasm])];
  await Promise.all(
    wanted.map(async (url) => {
      const response = await fetch(url, { cache: 'no-cache' });
      if (response.ok) await cache.put(url, response);
    }),
  );
}

self.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys
            .filter((k) => k.startsWith('sparse-explorer-') && k !== CACHE)
            .map((k) => caches.delete(k)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    event.respondWith(
      fetch(request)
        .then((response) => {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put('./', copy));
          return response;
        })
        .catch(() => caches.match('./')),
    );
    return;
  }
  event.respondWith(
    caches.match(request, { ignoreSearch: true }).then(
      (hit) =>
        hit ||
        fetch(request).then((response) => {
          if (response.ok) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put(request, copy));
          }
          return response;
        }),
    ),
  );
});
