// The page as a teacher, in a real browser: a student builds a network from nothing in design
// mode, breaks the SRAM budget and reads why, fixes it, trains it and finds it on the Pareto
// chart; a searched candidate shows its lineage and its pruning; the lesson path is reachable
// by link and skippable; and axe-core finds no serious or critical accessibility violation on
// the loaded page, during a search and in design mode, at 1280 and 390 px wide.
import fs from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { siteAndBrowser, openLoadedPage, screenshotPath } from './harness.mjs';

const live = siteAndBrowser();
const AXE = fs.readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');

/** The serious and critical axe-core violations on the page as it stands, one line each. */
async function seriousViolations(page) {
  // Evaluated through the DevTools protocol: the page's Content-Security-Policy (its own
  // scripts only) rightly refuses an injected script tag.
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) {
    await page.evaluate(AXE);
  }
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3),
    }));
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.join(', ')}`);
}

/** Types `value` into the numeric field labelled `label` and commits it. */
async function setField(page, label, value) {
  const field = page.getByLabel(label, { exact: true });
  await field.fill(String(value));
  await field.dispatchEvent('change');
}

test('a network built from nothing is judged, fixed, trained and put on the chart', async () => {
  const { page, errors } = await openLoadedPage(live, { viewport: { width: 1280, height: 1400 } });
  const designer = page.getByTestId('designer');
  await designer.scrollIntoViewIfNeeded();
  // From nothing: the starter's hidden layers go, leaving the input and the output layer.
  while ((await page.getByTestId('design-layer').count()) > 0) {
    await page.getByRole('button', { name: 'Remove layer 1' }).click();
  }
  const cost = page.getByTestId('design-cost');
  const emptyCost = await cost.textContent();
  await page.getByTestId('design-add-kind').selectOption('conv');
  await page.getByTestId('design-add-layer').click();
  await assert.doesNotReject(cost.filter({ hasNotText: emptyCost }).waitFor(), 'the cost follows each change');
  // A wide first layer: its activations break the Uno's SRAM, and the page says where.
  await setField(page, 'filters of layer 1', 16);
  const why = page.getByTestId('design-error');
  await why.waitFor();
  const reason = await why.textContent();
  console.log(`design mode explains: ${reason}`);
  assert.match(reason, /activations need \d+ B of SRAM at conv 3×3×16/);
  assert.match(await cost.textContent(), /working memory \d+ B/);
  // The design's latency on the Uno, by the latency model: fewer filters take less time.
  const latencyMs = async () =>
    Number((await cost.textContent()).match(/about ([\d.]+) ms per image on the ATmega328P/)[1]);
  const wide = await latencyMs();
  await page.screenshot({ path: await screenshotPath('31-design-over-budget.png'), fullPage: true });
  // Fixed: fewer filters, and a pool so the output layer gets fewer inputs.
  await setField(page, 'filters of layer 1', 4);
  await page.getByTestId('design-add-kind').selectOption('maxpool');
  await page.getByTestId('design-add-layer').click();
  await why.waitFor({ state: 'detached' });
  assert.equal(await page.getByTestId('design-layer').count(), 2);
  const narrow = await latencyMs();
  console.log(`design mode's latency on the Uno: ${wide} ms with 16 filters, ${narrow} ms with 4 and a pool`);
  assert.ok(narrow < wide / 2, `${narrow} ms against ${wide} ms`);
  assert.match(page.url(), /design=/, 'the design travels in the URL');
  await page.getByTestId('design-train').click();
  await page.getByTestId('test-accuracy').waitFor({ timeout: 5 * 60_000 });
  const accuracy = parseFloat(await page.getByTestId('test-accuracy').textContent());
  console.log(`the student's network: ${accuracy}% test accuracy after one epoch`);
  assert.ok(accuracy > 80, `${accuracy}%`);
  const own = page.getByTestId('pareto-point-own');
  await own.first().waitFor();
  assert.equal(await own.count(), 1);
  assert.equal(await own.getAttribute('data-feasible'), 'true');
  await page.screenshot({ path: await screenshotPath('32-design-trained.png'), fullPage: true });
  assert.deepEqual(await seriousViolations(page), [], 'design mode is accessible');
  // The same link opens the same design.
  const fresh = await live.browser.newPage({ viewport: { width: 1000, height: 1400 } });
  await fresh.goto(page.url());
  await fresh.getByTestId('design-cost').filter({ hasText: 'with every weight' }).waitFor();
  assert.equal(await fresh.getByTestId('design-layer').count(), 2);
  await fresh.close();
  assert.deepEqual(errors, []);
  await page.close();
});

test('a searched candidate shows its lineage and what pruning removed', async () => {
  const { page, errors } = await openLoadedPage(live, { viewport: { width: 1280, height: 1400 } });
  await page.getByTestId('quick-demo').click();
  // Mobo morphs the Pareto members after its first 8 random trials.
  await page.waitForFunction(
    () => document.querySelectorAll('[data-testid="trial-row"]').length >= 14,
    null,
    { timeout: 180_000 },
  );
  assert.deepEqual(await seriousViolations(page), [], 'the page is accessible during a search');
  await page.getByTestId('stop-search').click();
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="search-status"]').textContent.startsWith('Stopped'),
  );
  // The quick demo's candidates all learn: none ends at chance.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('export-run').click(),
  ]);
  const records = fs
    .readFileSync(await download.path(), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  const atChance = records.filter((r) => r.status === 'trained' && r.val_accuracy < 0.2);
  assert.deepEqual(atChance.map((r) => r.id), [], 'no quick-demo candidate stays at chance');
  // The first trained trial with a parent: its lineage goes back at least one step.
  const rows = page.getByTestId('trial-row');
  let chosen = null;
  for (let i = 0; i < (await rows.count()) && !chosen; i++) {
    await rows.nth(i).click();
    if ((await page.getByTestId('lineage-node').count()) >= 2 && (await page.getByTestId('pruning-figure').count()) === 1) {
      chosen = await rows.nth(i).getAttribute('data-trial');
    }
  }
  assert.ok(chosen, 'some trained trial has a parent');
  const nodes = await page.getByTestId('lineage-node').allTextContents();
  console.log(`lineage of trial ${chosen}: ${nodes.join(' | ')}`);
  assert.match(nodes[0], /sampled at random/);
  assert.match(nodes[nodes.length - 1], /(morphed|trained on from its weights)/);
  const layers = await page.getByTestId('pruning-layer').allTextContents();
  assert.ok(layers.length >= 1);
  assert.match(layers[0], /kept \d+ of \d+ weights/);
  await page.getByTestId('pruning-figure').scrollIntoViewIfNeeded();
  await page.screenshot({ path: await screenshotPath('33-lineage-pruning.png'), fullPage: true });
  // An ancestor is one click away.
  await page.getByTestId('lineage-node').first().getByRole('button').click();
  assert.equal(await page.getByTestId('lineage').count(), 0, 'the first ancestor has no lineage');
  // Build on it: design mode opens with its layers.
  await page.getByTestId('open-in-designer').click();
  await page.getByTestId('designer').waitFor();
  assert.ok((await page.getByTestId('design-layer').count()) >= 1);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the lesson path is reachable by link, steps on, and can be skipped', async () => {
  const { page, errors } = await openLoadedPage(live, { query: '?lesson=3' });
  const step = page.getByTestId('lesson-step');
  assert.match(await step.textContent(), /Lesson 3 of 5: Prune it/);
  await page.getByTestId('lesson-next').click();
  assert.match(await step.textContent(), /Lesson 4 of 5: Let the search work/);
  assert.match(page.url(), /lesson=4/);
  await page.screenshot({ path: await screenshotPath('34-lesson.png') });
  await page.getByTestId('lesson-close').click();
  assert.equal(await step.count(), 0);
  assert.doesNotMatch(page.url(), /lesson=/);
  await page.getByTestId('lesson-start').click();
  assert.match(await step.textContent(), /Lesson 1 of 5: What fits a chip/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('no serious accessibility violation, and the layout holds at 1280 and 390 px', async () => {
  for (const width of [1280, 390]) {
    const { page, errors } = await openLoadedPage(live, { viewport: { width, height: 900 } });
    assert.deepEqual(await seriousViolations(page), [], `the loaded page at ${width} px`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than a ${width} px screen`);
    await page.screenshot({ path: await screenshotPath(`35-page-${width}px.png`), fullPage: true });
    // Keyboard: Tab reaches the search's buttons and the designer's.
    const reached = new Set();
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press('Tab');
      reached.add(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')));
    }
    for (const id of ['quick-demo', 'start-search', 'design-add-layer', 'design-train']) {
      assert.ok(reached.has(id), `Tab reaches ${id} at ${width} px`);
    }
    assert.deepEqual(errors, []);
    await page.close();
  }
});
