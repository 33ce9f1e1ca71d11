// Offline in a real browser: after one visit the service worker has cached the page, its
// workers and MNIST, so a reload with the network off still loads the data and searches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { siteAndBrowser, openLoadedPage, screenshotPath } from './harness.mjs';

const live = siteAndBrowser();

test('a reload with the network off still loads MNIST and runs a search', async () => {
  const context = await live.browser.newContext({ viewport: { width: 1000, height: 1400 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(live.site.url);
  await page.getByTestId('sample-grid').waitFor({ timeout: 60_000 });
  // The service worker is active once its install has cached everything.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  const cached = await page.evaluate(async () => {
    // One cache, named by the build.
    const names = await caches.keys();
    if (names.length !== 1 || !/^sparse-explorer-[0-9a-f]{16}$/.test(names[0])) return names;
    const cache = await caches.open(names[0]);
    return (await cache.keys()).map((r) => new URL(r.url).pathname);
  });
  assert.ok(cached.some((p) => p.endsWith('train-images.idx3-ubyte.gz')), cached.join(' '));
  assert.ok(cached.some((p) => p.endsWith('.wasm')), cached.join(' '));

  await context.setOffline(true);
  const reached = await page.evaluate(() =>
    fetch(`not-cached-${Date.now()}`).then(
      () => true,
      () => false,
    ),
  );
  assert.equal(reached, false, 'the network is really off');
  await page.reload();
  await page.getByTestId('sample-grid').waitFor({ timeout: 60_000 });
  assert.match(await page.getByTestId('dataset-summary').textContent(), /^MNIST/);
  await page.getByTestId('quick-demo').click();
  await page.waitForFunction(
    () => document.querySelectorAll('[data-testid="trial-row"]').length >= 2,
    null,
    { timeout: 90_000 },
  );
  await page.screenshot({ path: await screenshotPath('30-offline.png'), fullPage: true });
  await page.getByTestId('stop-search').click();
  assert.deepEqual(errors, []);
  await context.close();
});
