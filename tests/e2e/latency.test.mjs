// A latency bound typed in the page: the quick demo's Pareto members all run within it on the
// board's core, by the latency model the trials table shows; the bound travels in the URL; a
// custom budget, which names no core, refuses it with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { siteAndBrowser, openLoadedPage, screenshotPath } from './harness.mjs';

const live = siteAndBrowser();

test('a latency bound keeps the Pareto front within it, and needs a board with a core', async () => {
  const { page, errors } = await openLoadedPage(live);
  await page.getByTestId('max-latency').fill('100');
  await page.waitForURL(/max-latency-ms=100/);
  await page.getByTestId('quick-demo').click();
  await page.waitForFunction(
    () => document.querySelectorAll('[data-testid="trial-row"]').length >= 8,
    null,
    { timeout: 120_000 },
  );
  await page.getByTestId('stop-search').click();
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="search-status"]').textContent.startsWith('Stopped'),
  );
  const rows = await page.$$eval('[data-testid="trial-row"]', (trs) =>
    trs.map((tr) => ({
      member: tr.cells[0].textContent.includes('★'),
      ms: Number(tr.querySelector('[data-testid="trial-latency"]').textContent),
    })),
  );
  const members = rows.filter((r) => r.member);
  console.log(`latency bound 100 ms on the Uno: front ${members.map((r) => r.ms).join(', ')} ms`);
  assert.ok(members.length >= 1);
  for (const { ms } of members) assert.ok(ms > 0 && ms <= 100, `a Pareto member takes ${ms} ms`);
  await page.screenshot({ path: await screenshotPath('40-latency-bound.png'), fullPage: true });

  // A custom budget names no core, so the bound cannot be priced.
  await page.getByTestId('board-select').selectOption('custom');
  assert.match(
    await page.getByTestId('setup-error').textContent(),
    /A latency bound needs a board preset whose core the latency model prices/,
  );
  assert.deepEqual(errors, []);
  await page.close();
});
