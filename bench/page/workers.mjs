// The page's workers, measured as a user meets them: (1) the skeleton CNN trained one epoch in
// design mode (opened from a link, unpruned), its images/s as the page reports it; (2) the
// quick demo (60 trials on 6,000 MNIST images) with 1 worker and then 2, its trials per minute
// from the click to Finished. Prints one JSON line. Run by bench/page/workers.sh, which builds
// the site first and runs the node figure for the skeleton beside it.
//   node bench/page/workers.mjs
import { serveStatic, launchChromium, distDir, SKELETON_DESIGN } from '../../tests/e2e/harness.mjs';

const site = await serveStatic(distDir());
const browser = await launchChromium();
/** A fresh page at `query`, with MNIST loaded. */
async function open(query) {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
  await page.goto(site.url + query);
  await page.getByTestId('sample-grid').waitFor({ timeout: 120_000 });
  return page;
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
    const page = await open(`?workers=${workers}`);
    const started = Date.now();
    await page.getByTestId('quick-demo').click();
    await page.waitForFunction(
      () => document.querySelector('[data-testid="search-status"]')?.textContent.startsWith('Finished'),
      null,
      { timeout: 30 * 60_000 },
    );
    const minutes = (Date.now() - started) / 60_000;
    const trials = await page.getByTestId('trial-row').count();
    summary[`quick_demo_${workers}_workers`] = {
      trials,
      minutes: Number(minutes.toFixed(2)),
      trials_per_minute: Number((trials / minutes).toFixed(1)),
    };
    await page.close();
  }
  summary.quick_demo_2_over_1 = Number(
    (summary.quick_demo_2_workers.trials_per_minute / summary.quick_demo_1_workers.trials_per_minute).toFixed(2),
  );
  console.log(JSON.stringify(summary));
} finally {
  await browser.close();
  await site.close();
}
