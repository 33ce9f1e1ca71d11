// The page's search, measured as a user runs it: the built site in headless Chromium, MNIST,
// SpArSe's budget (2,800 B model size, 2,048 B SRAM), 2 workers, started from the setup form
// with its defaults (a teacher trained first) and a time limit of MINUTES (default 60; its last
// 15% finish the leaders), waiting for the trials in flight to end. Writes
// OUT (default bench/page/out/) trials.jsonl (the page's own export of the run) and page.png,
// and prints the Pareto member with the best validation accuracy: its int8 test accuracy,
// model size and working memory, and the teacher's validation accuracy.
//   node bench/page/full-search.mjs    (run by bench/page/run.sh, which builds the site first)
import fs from 'node:fs/promises';
import path from 'node:path';
import { serveStatic, launchChromium, distDir } from '../../tests/e2e/harness.mjs';

const MINUTES = Number(process.env.MINUTES ?? 60);
const SEED = process.env.SEED ?? '1';
const WORKERS = process.env.WORKERS ?? '2';
const OUT = process.env.OUT ?? path.resolve(import.meta.dirname, 'out');
const BUDGET = { modelSize: 2800, workingMemory: 2048 };

/** The members of `records` no other fitting trained record beats on every objective, each
 * network at its latest measure (a fitting record that trained its parent on, more epochs in
 * all, supersedes it), as the search judges them. */
function paretoFront(records) {
  const fitting = records.filter(
    (r) =>
      r.status === 'trained' &&
      r.model_size_bytes <= BUDGET.modelSize &&
      r.working_memory_bytes <= BUDGET.workingMemory,
  );
  const epochs = new Map(records.map((r) => [r.id, r.epochs]));
  const superseded = new Set(
    fitting
      .filter((r) => r.parent != null && epochs.get(r.parent) != null && r.epochs > epochs.get(r.parent))
      .map((r) => r.parent),
  );
  const latest = fitting.filter((r) => !superseded.has(r.id));
  const objectives = (r) => [1 - r.val_accuracy, r.model_size_bytes, r.working_memory_bytes];
  const dominates = (a, b) =>
    a.every((v, k) => v <= b[k]) && a.some((v, k) => v < b[k]);
  return latest.filter((r) => !latest.some((o) => dominates(objectives(o), objectives(r))));
}

const site = await serveStatic(distDir());
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1600 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const query = `?board=custom&flash=2800&sram=2048&flash-measure=model-size&algorithm=mobo&trials=100000&minutes=${MINUTES}&seed=${SEED}&workers=${WORKERS}`;
  await page.goto(site.url + query);
  await page.getByTestId('sample-grid').waitFor({ timeout: 120_000 });
  await page.getByTestId('start-search').click();
  const started = Date.now();
  const trials = () => page.getByTestId('trial-row').count();
  const status = () => page.getByTestId('search-status').textContent();
  // The page stops starting trials at MINUTES; the trials in flight then finish (a few
  // minutes at most), after which it says Finished.
  const give_up = (MINUTES + 15) * 60_000;
  while (!(await status()).startsWith('Finished') && Date.now() - started < give_up) {
    await page.waitForTimeout(Math.min(60_000, give_up - (Date.now() - started)));
    const minutes = ((Date.now() - started) / 60_000).toFixed(1);
    console.log(`${minutes} min: ${await trials()} trials; ${await status()}`);
  }
  const lastStatus = await status();
  if (!lastStatus.startsWith('Finished')) {
    throw new Error(`the search did not finish within ${MINUTES + 15} minutes: ${lastStatus}`);
  }
  await fs.mkdir(OUT, { recursive: true });
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('export-run').click(),
  ]);
  const file = path.join(OUT, 'trials.jsonl');
  await download.saveAs(file);
  await page.screenshot({ path: path.join(OUT, 'page.png'), fullPage: true });
  const records = (await fs.readFile(file, 'utf8'))
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
  const front = paretoFront(records);
  const epochs = {};
  for (const r of records) epochs[r.epochs] = (epochs[r.epochs] ?? 0) + 1;
  const summary = {
    minutes: MINUTES,
    wall_minutes: Number(((Date.now() - started) / 60_000).toFixed(1)),
    seed: Number(SEED),
    workers: Number(WORKERS),
    trials: records.length,
    failed: records.filter((r) => r.status !== 'trained').length,
    trials_by_epochs: epochs,
    pareto: front.length,
    // The status line names the teacher once it is trained (Start search distils by default).
    teacher_val_accuracy: Number(/teacher of ([\d.]+)%/.exec(lastStatus)?.[1] ?? NaN) / 100,
    page_errors: errors,
  };
  if (front.length > 0) {
    const best = front.reduce((a, b) => (b.val_accuracy > a.val_accuracy ? b : a));
    Object.assign(summary, {
      best_trial: best.id,
      val_accuracy: best.val_accuracy,
      int8_test_accuracy: best.int8_test_accuracy,
      model_size_bytes: best.model_size_bytes,
      working_memory_bytes: best.working_memory_bytes,
      epochs: best.epochs,
    });
  }
  console.log(JSON.stringify(summary));
} finally {
  await browser.close();
  await site.close();
}
