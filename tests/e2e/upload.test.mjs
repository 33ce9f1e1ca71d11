// The user's own data in a real browser: a CSV upload replaces MNIST, shows its counts and is
// searched; a malformed upload is refused with its row and column while the dataset in use
// stays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { siteAndBrowser, openLoadedPage, screenshotPath } from './harness.mjs';

const live = siteAndBrowser();

/** `n` 12×12 images of three classes (vertical bar, horizontal bar, diagonal) as CSV. */
function barsCsv(n) {
  const header = [...Array(144).keys()].map((i) => `p${i}`).concat('label').join(',');
  const rows = [header];
  for (let i = 0; i < n; i++) {
    const label = i % 3;
    const at = 2 + ((i * 5) % 8);
    const pixels = [];
    for (let r = 0; r < 12; r++) {
      for (let c = 0; c < 12; c++) {
        const on = label === 0 ? c === at : label === 1 ? r === at : (r + c) % 12 === at;
        pixels.push(on ? 200 + (i % 50) : (i * r + c) % 30);
      }
    }
    rows.push(pixels.concat(label).join(','));
  }
  return rows.join('\n') + '\n';
}

test('an uploaded CSV replaces MNIST and is searched', async () => {
  const { page, errors } = await openLoadedPage(live);
  await page.getByTestId('dataset-upload').setInputFiles({
    name: 'bars.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(barsCsv(1400)),
  });
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="dataset-summary"]').textContent.startsWith('bars.csv'),
  );
  const summary = await page.getByTestId('dataset-summary').textContent();
  assert.match(summary, /1,200 training and 200 test images, 12×12 grayscale, 3 classes/);
  assert.match(await page.getByTestId('class-counts').textContent(), /0: 400 · 1: 400 · 2: 400/);
  await page.getByTestId('quick-demo').click();
  await page.waitForFunction(
    () => document.querySelectorAll('[data-testid="trial-row"]').length >= 4,
    null,
    { timeout: 90_000 },
  );
  assert.ok((await page.getByTestId('pareto-point').count()) >= 1);
  const best = await page.evaluate(() =>
    Math.max(
      ...[...document.querySelectorAll('[data-testid="trial-row"] td:nth-child(4)')].map((td) =>
        parseFloat(td.textContent),
      ),
    ),
  );
  console.log(`bars.csv: best validation accuracy after 4+ trials ${best}%`);
  assert.ok(best > 60, `some candidate learns the bars: ${best}%`);
  await page.screenshot({ path: await screenshotPath('20-csv-searched.png'), fullPage: true });
  await page.getByTestId('stop-search').click();
  assert.deepEqual(errors, []);
  await page.close();
});

test('a malformed upload is refused with its row and column, and MNIST stays', async () => {
  const { page } = await openLoadedPage(live);
  const before = await page.getByTestId('dataset-summary').textContent();
  const bad = barsCsv(30).replace(/\n(\d+),(\d+),/, '\n$1,oops,');
  await page.getByTestId('dataset-upload').setInputFiles({
    name: 'bad.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(bad),
  });
  const error = page.getByTestId('dataset-error');
  await error.waitFor();
  assert.match(await error.textContent(), /bad\.csv: row 2, column 2/);
  assert.equal(await page.getByTestId('dataset-summary').textContent(), before);
  assert.match(before, /^MNIST/);
  await page.screenshot({ path: await screenshotPath('21-upload-refused.png') });
  await page.close();
});
