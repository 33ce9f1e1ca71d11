// The user's own data in a real browser: a CSV upload replaces MNIST, shows its counts and is
// searched (with a teacher trained first, which a resume keeps); a malformed upload is refused
// with its row and column while the dataset in use stays.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { siteAndBrowser, openLoadedPage, screenshotPath, runCli, savedJson } from './harness.mjs';

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

/** Uploads `n` rows of bars as bars.csv and waits until it is the dataset in use. */
async function uploadBars(page, n) {
  await page.getByTestId('dataset-upload').setInputFiles({
    name: 'bars.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(barsCsv(n)),
  });
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="dataset-summary"]').textContent.startsWith('bars.csv'),
  );
}

/** The trials the page exports (its Export button), parsed. */
async function exportedTrials(page) {
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('export-run').click(),
  ]);
  return fs
    .readFileSync(await file.path(), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

test('Start search trains a teacher first, distils every trial from it, and a resume keeps it', async () => {
  const { page, errors } = await openLoadedPage(live, {
    query: '?trials=16&epochs=1&max-epochs=1&workers=2&algorithm=random',
  });
  assert.equal(await page.getByTestId('teacher').isChecked(), true, 'a teacher by default');
  await uploadBars(page, 1400);
  await page.getByTestId('start-search').click();
  await page.waitForFunction(
    () => document.querySelectorAll('[data-testid="trial-row"]').length >= 2,
    null,
    { timeout: 120_000 },
  );
  const status = await page.getByTestId('search-status').textContent();
  const taught = /distilled from a teacher of ([\d.]+)% validation accuracy/.exec(status);
  assert.ok(taught, status);
  console.log(`bars.csv teacher: ${taught[1]}% validation accuracy`);
  assert.ok(Number(taught[1]) > 60, `the teacher learns the bars: ${taught[1]}%`);
  const saved = await savedJson(page, 'teacher');
  assert.ok(saved, 'the teacher is saved in IndexedDB');
  assert.deepEqual(saved.architecture.input, [1, 12, 12]);
  assert.equal(saved.architecture.classes, 3);
  // Pause mid-search, so the reload below has trials left to run.
  await page.getByTestId('pause-search').click();
  await page.waitForFunction(
    () => /^Paused/.test(document.querySelector('[data-testid="search-status"]')?.textContent ?? ''),
    null,
    { timeout: 60_000 },
  );
  const before = await page.getByTestId('trial-row').count();
  assert.ok(before < 16, `trials left for the resume: ${before} of 16 done`);
  await page.screenshot({ path: await screenshotPath('22-teacher.png'), fullPage: true });

  // A reload mid-search: the same data again, then Resume reads the teacher back.
  await page.reload();
  await page.getByTestId('sample-grid').waitFor({ timeout: 60_000 });
  await uploadBars(page, 1400);
  await page.getByTestId('resume-run').click();
  await page.waitForFunction(
    () =>
      /^Finished/.test(
        document.querySelector('[data-testid="search-status"]')?.textContent ?? '',
      ),
    null,
    { timeout: 120_000 },
  );
  assert.match(
    await page.getByTestId('search-status').textContent(),
    /distilled from the saved teacher/,
  );
  const records = await exportedTrials(page);
  assert.equal(records.length, 16);
  const failed = records.filter((r) => r.status !== 'trained');
  assert.deepEqual(failed.map((r) => r.reason), [], 'every trial trained');

  // The page and the CLI drive one search: on the same data, seed and (default) budget, the
  // CLI asks the same first 10 candidates.
  const run = await savedJson(page, 'run');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-same-search-'));
  fs.writeFileSync(path.join(dir, 'bars.csv'), barsCsv(1400));
  const cli = runCli([
    'search', '--dataset', path.join(dir, 'bars.csv'), '--board', 'arduino-uno',
    '--algorithm', 'random', '--trials', '10', '--epochs', '1', '--max-epochs', '1',
    '--seed', '1', '--no-teacher', '--workers', '1', '--out', path.join(dir, 'run'),
  ]);
  assert.equal(cli.status, 0, cli.stdout + cli.stderr);
  const state = JSON.parse(fs.readFileSync(path.join(dir, 'run', 'state.json'), 'utf8'));
  const genomes = (search) => search.trials.slice(0, 10).map((t) => JSON.stringify(t.candidate.genome));
  assert.deepEqual(genomes(state), genomes(run.search));
  fs.rmSync(dir, { recursive: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a time-limited search finishes its leaders in its last minutes, then stops', async () => {
  const { page, errors } = await openLoadedPage(live, {
    query: '?trials=100000&minutes=1&epochs=1&max-epochs=27&workers=2&algorithm=random&teacher=0',
  });
  assert.equal(await page.getByTestId('minutes').inputValue(), '1');
  await uploadBars(page, 1400);
  await page.getByTestId('start-search').click();
  const started = Date.now();
  await page.waitForFunction(
    () =>
      /finishing the leaders/.test(
        document.querySelector('[data-testid="search-status"]')?.textContent ?? '',
      ),
    null,
    { timeout: 90_000 },
  );
  await page.screenshot({ path: await screenshotPath('23-finishing-leaders.png'), fullPage: true });
  await page.waitForFunction(
    () => /^Finished/.test(document.querySelector('[data-testid="search-status"]')?.textContent ?? ''),
    null,
    { timeout: 120_000 },
  );
  const minutes = (Date.now() - started) / 60_000;
  assert.ok(minutes < 2, `a 1-minute search ended after ${minutes.toFixed(2)} minutes`);
  const records = await exportedTrials(page);
  const byId = new Map(records.map((r) => [r.id, r]));
  // New candidates train 1 epoch and promotions climb one rung (×3) at a time: a network
  // trained on by any other factor was a leader finished in the closing minutes (to 27
  // epochs, or as many as the time left allowed). A leader already at 9 epochs is finished to
  // 27, a ×3 step, so a network trained on to 27 that started in the closing share (the last
  // 15% of the minute, where a leader is finished first whenever one is left) counts too.
  const closing = 0.85 * 60;
  const leaps = records.filter((r) => {
    const parent = r.parent == null ? undefined : byId.get(r.parent);
    const finishedInClosingShare = r.epochs === 27 && r.search_seconds - r.train_seconds >= closing;
    return (
      parent &&
      r.epochs > parent.epochs &&
      (r.epochs !== 3 * parent.epochs || finishedInClosingShare)
    );
  });
  assert.ok(leaps.length >= 1, `no leader finished among ${records.length} trials`);
  assert.deepEqual(errors, []);
  await page.close();
});
