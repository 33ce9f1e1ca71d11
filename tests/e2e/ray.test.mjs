// A search run by Ray Tune through the Python package (`python -m sparse_explorer.tune`, Ray
// started on this machine) writes a run folder whose trials.jsonl opens in the page like the
// CLI's: every trial in the table, its Pareto members on the chart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { siteAndBrowser, openLoadedPage, screenshotPath } from './harness.mjs';

const live = siteAndBrowser();

test('a run folder written through Ray Tune opens in the page', async () => {
  const python = process.env.SPARSE_EXPLORER_PYTHON;
  assert.ok(python, 'SPARSE_EXPLORER_PYTHON names the Python with sparse_explorer and Ray (cargo xtask test sets it)');
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ray-run-')), 'run');
  const summary = execFileSync(
    python,
    ['-m', 'sparse_explorer.tune', '--board', 'arduino-uno', '--algorithm', 'random', '--trials', '4',
      '--seed', '2', '--train-images', '1200', '--test-images', '300', '--no-teacher', '--out', out],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 },
  );
  const { trials, pareto } = JSON.parse(summary.trim().split('\n').pop());
  assert.equal(trials, 4);

  const { page, errors } = await openLoadedPage(live);
  await page.getByTestId('import-run').setInputFiles(path.join(out, 'trials.jsonl'));
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="search-status"]')?.textContent.startsWith('Opened trials.jsonl: 4 trials'),
  );
  const ids = await page.$$eval('[data-testid="trial-row"]', (rows) =>
    rows.map((tr) => ({ id: Number(tr.dataset.trial), member: tr.cells[0].textContent.includes('★') })),
  );
  assert.deepEqual(ids.map((r) => r.id).sort(), [0, 1, 2, 3]);
  // The page judges the records against its own (the Uno's) budget: the run's front.
  assert.deepEqual(ids.filter((r) => r.member).map((r) => r.id).sort(), [...pareto].sort());
  assert.equal(await page.getByTestId('pareto-point').count(), pareto.length);
  await page.screenshot({ path: await screenshotPath('50-ray-run-opened.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});
