// The page's workers, measured as a user meets them: (1) the skeleton CNN trained one epoch in
// design mode (opened from a link, unpruned), its images/s as the page reports it; (2) the
// quick demo (60 trials on 6,000 MNIST images) with 1 worker and then 2, its trials per minute
// from the click to Finished; (3) the same RANDOM_TRIALS random candidates (seed 1, one epoch
// of all 50,000 training images, no promotion, no teacher) searched with 1 worker and then 2:
// trials per minute from the click to Finished, and the trials' summed own seconds (a trial
// that slows down beside another shows there). Prints one JSON line. Run by
// bench/page/workers.sh, which builds the site first and runs the node figure for the
// skeleton beside it.
//   node bench/page/workers.mjs   (RANDOM_TRIALS=40)
import { serveStatic, launchChromium, distDir, SKELETON_DESIGN, savedJson } from '../../tests/e2e/harness.mjs';

const RANDOM_TRIALS = Number(process.env.RANDOM_TRIALS ?? 40);

const site = await serveStatic(distDir());
const browser = await launchChromium();
/** A fresh page at `query`, with MNIST loaded. */
async function open(query) {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
  await page.goto(site.url + query);
  await page.getByTestId('sample-grid').waitFor({ timeout: 120_000 });
  return page;
}

/** Clicks `button` on a fresh page at `query`; the trials and minutes until Finished, and the
 *  search as saved in IndexedDB. */
async function searchUntilFinished(query, button) {
  const page = await open(query);
  const started = Date.now();
  await page.getByTestId(button).click();
  await page.waitForFunction(
    () => document.querySelector('[data-testid="search-status"]')?.textContent.startsWith('Finished'),
    null,
    { timeout: 30 * 60_000 },
  );
  const minutes = (Date.now() - started) / 60_000;
  const trials = await page.getByTestId('trial-row').count();
  const saved = await savedJson(page, 'run');
  await page.close();
  return {
    trials,
    minutes: Number(minutes.toFixed(2)),
    trials_per_minute: Number((trials / minutes).toFixed(1)),
    train_seconds: Number(saved.records.reduce((sum, r) => sum + r.train_seconds, 0).toFixed(1)),
    candidates: saved.search.trials.map((t) => JSON.stringify(t.candidate.genome)),
  };
}
try {
  const summary = {};
  const design = await open(`?design=${encodeURIComponent(SKELETON_DESIGN)}`);
  await design.getByTestId('design-cost').filter({ hasText: 'with every weight' }).waitFor();
  await design.getByTestId('design-train').click();
  await design.getByTestId('test-accuracy').waitFor({ timeout: 30 * 60_000 });
  const trained = await design.getByTestId('run-status').textContent();
  summary.browser_worker_skeleton_images_per_s = Number(/\(([\d.]+) images\/s in the worker\)/.exec(trained)[1]);
  summary.browser_worker_skeleton_test_accuracy = await design.getByTestId('test-accuracy').textContent();
  await design.close();
  for (const workers of [1, 2]) {
    const { candidates, ...run } = await searchUntilFinished(`?workers=${workers}`, 'quick-demo');
    summary[`quick_demo_${workers}_workers`] = run;
  }
  summary.quick_demo_2_over_1 = Number(
    (summary.quick_demo_2_workers.trials_per_minute / summary.quick_demo_1_workers.trials_per_minute).toFixed(2),
  );
  const random = [];
  for (const workers of [1, 2]) {
    const query = `?algorithm=random&trials=${RANDOM_TRIALS}&epochs=1&max-epochs=1&teacher=0&seed=1&workers=${workers}`;
    random.push(await searchUntilFinished(query, 'start-search'));
  }
  const [one, two] = random;
  const same = JSON.stringify([...one.candidates].sort()) === JSON.stringify([...two.candidates].sort());
  for (const [i, { candidates, ...run }] of random.entries()) {
    summary[`random_${i + 1}_workers`] = run;
  }
  summary.random_same_candidates = same;
  summary.random_2_over_1 = Number((two.trials_per_minute / one.trials_per_minute).toFixed(2));
  summary.random_train_seconds_2_over_1 = Number((two.train_seconds / one.train_seconds).toFixed(2));
  console.log(JSON.stringify(summary));
} finally {
  await browser.close();
  await site.close();
}
