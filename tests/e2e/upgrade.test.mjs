// A new deploy replaces the old one cleanly. After a visit to one build (its service worker
// installed, a search saved in IndexedDB), a changed build is served; the reload gets the new
// page, the worker of that build (never the old one from the old cache), a cache named by the
// new build with the old one dropped, and the saved search is still offered and resumes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serveStatic, launchChromium, distDir, screenshotPath } from './harness.mjs';

/** The build id `cargo xtask stamp` gave the site in `dir` (from its service worker). */
function buildOf(dir) {
  const found = fs.readFileSync(path.join(dir, 'sw.js'), 'utf8').match(/const BUILD = '([0-9a-f]{16})';/);
  assert.ok(found, 'the built site is stamped');
  return found[1];
}

/** Makes the copy of a build in `dir` a new deploy: what the stamp names by the build (the
 * worker's files, the start-up script, the page's pointers and the cache) gets id `to`. */
function redeploy(dir, from, to) {
  for (const name of ['worker-ID.js', 'worker-ID_bg.wasm', 'start-ID.js']) {
    fs.renameSync(path.join(dir, name.replace('ID', from)), path.join(dir, name.replace('ID', to)));
  }
  for (const name of ['index.html', 'sw.js']) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replaceAll(from, to));
  }
}

async function waitForTrials(page, count, timeout = 120_000) {
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid="trial-row"]').length >= n,
    count,
    { timeout },
  );
}

const live = { site: null, browser: null, root: null };
before(async () => {
  live.root = fs.mkdtempSync(path.join(os.tmpdir(), 'sparse-explorer-deploy-'));
  fs.cpSync(distDir(), live.root, { recursive: true });
  live.site = await serveStatic(live.root);
  live.browser = await launchChromium();
});
after(async () => {
  await live.browser?.close();
  await live.site?.close();
  fs.rmSync(live.root, { recursive: true, force: true });
});

test('a new build gets its own worker and cache, and the saved search is still offered', async () => {
  const old = buildOf(live.root);
  const next = [...old].reverse().join('');
  const context = await live.browser.newContext({ viewport: { width: 1000, height: 1400 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  const requested = [];
  context.on('request', (r) => requested.push(new URL(r.url()).pathname));
  await page.goto(live.site.url);
  await page.getByTestId('sample-grid').waitFor({ timeout: 60_000 });
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  assert.deepEqual(await page.evaluate(() => caches.keys()), [`sparse-explorer-${old}`]);
  await page.getByTestId('quick-demo').click();
  await waitForTrials(page, 3);

  redeploy(live.root, old, next);
  requested.length = 0;
  await page.reload();
  await page.getByTestId('sample-grid').waitFor({ timeout: 60_000 });
  assert.equal(
    await page.evaluate(() => document.querySelector('meta[name="sparse-explorer-worker"]').content),
    `worker-${next}.js`,
  );
  // The new service worker installs, takes over and drops the old build's cache.
  await page.waitForFunction(
    async (name) => (await caches.keys()).join() === name,
    `sparse-explorer-${next}`,
    { timeout: 60_000, polling: 250 },
  );
  const offer = page.getByTestId('resume-run');
  await offer.waitFor({ timeout: 10_000 });
  await offer.click();
  await waitForTrials(page, 2, 10_000);
  const restored = await page.getByTestId('trial-row').count();
  await waitForTrials(page, restored + 2);
  await page.screenshot({ path: await screenshotPath('40-after-upgrade.png'), fullPage: true });
  await page.getByTestId('stop-search').click();
  assert.ok(requested.some((p) => p.endsWith(`worker-${next}.js`)), requested.join(' '));
  assert.ok(!requested.some((p) => p.includes(`worker-${old}`)), requested.join(' '));
  assert.deepEqual(errors, []);
  await context.close();
});
