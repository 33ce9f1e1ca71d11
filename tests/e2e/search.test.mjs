// The search in a real browser: the quick demo reaches 5 trials with a Pareto front drawn and
// two workers busy at once, Pause holds the trials and Resume carries on, a selected
// candidate shows its layers and downloads as C that compiles and agrees, and an impossible
// budget is explained.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { siteAndBrowser, openLoadedPage, screenshotPath, runCli } from './harness.mjs';

const live = siteAndBrowser();

/** The files of a zip archive (stored or deflated), by name, read from its central directory. */
function readZip(zip) {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const files = {};
  let at = zip.readUInt32LE(end + 16);
  for (let i = 0; i < zip.readUInt16LE(end + 10); i++) {
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const local = zip.readUInt32LE(at + 42);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + size);
    files[name] = method === 8 ? zlib.inflateRawSync(data) : data;
    at += 46 + skip;
  }
  return files;
}

/** Resolves once `count` trial rows are in the table. */
async function waitForTrials(page, count, timeout = 120_000) {
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid="trial-row"]').length >= n,
    count,
    { timeout },
  );
}

/** The most workers seen busy at the same moment while `ms` pass. */
async function mostBusyWorkers(page, ms) {
  return page.evaluate(
    (ms) =>
      new Promise((resolve) => {
        let most = 0;
        const look = () => {
          const busy = document.querySelectorAll('[data-testid="worker-status"][data-busy="true"]');
          most = Math.max(most, busy.length);
        };
        const timer = setInterval(look, 20);
        setTimeout(() => {
          clearInterval(timer);
          resolve(most);
        }, ms);
      }),
    ms,
  );
}

test('the quick demo draws a Pareto front from 5 trials, two workers training at once', async () => {
  const { page, errors } = await openLoadedPage(live);
  const started = Date.now();
  await page.getByTestId('quick-demo').click();
  const workers = await page.getByTestId('worker-status').count();
  assert.ok(workers >= 2, `one worker per core (the machine has 2): ${workers}`);
  const most = await mostBusyWorkers(page, 4_000);
  assert.ok(most >= 2, `two workers busy at once, saw ${most}`);
  await waitForTrials(page, 5);
  const seconds = (Date.now() - started) / 1000;
  const points = await page.getByTestId('pareto-point').count();
  const front = await page.locator('[data-testid="pareto-point"][data-front="true"]').count();
  assert.ok(points >= 1 && front >= 1, `${points} points, ${front} on the front`);
  console.log(`quick demo: 5 trials in ${seconds.toFixed(1)} s, ${points} points, ${front} on the front`);
  await page.screenshot({ path: await screenshotPath('10-quick-demo.png'), fullPage: true });

  // Pareto members take the keyboard: focused, Enter selects one (nothing was selected yet).
  // The search goes on meanwhile, and a trial that finishes between the focus and the key can
  // take the member off the front (then it no longer takes the keyboard): try the next one.
  let selectedByKey = false;
  for (let attempt = 0; attempt < 3 && !selectedByKey; attempt++) {
    const member = page.locator('[data-testid="pareto-point"][data-front="true"]').first();
    const memberId = await member.getAttribute('data-trial');
    await member.focus();
    await page.keyboard.press('Enter');
    selectedByKey = await page
      .locator(`[data-testid="trial-row"][data-trial="${memberId}"].selected`)
      .waitFor({ timeout: 5_000 })
      .then(() => true, () => false);
  }
  assert.ok(selectedByKey, 'Enter on a focused Pareto member selects it');

  // A selected point shows the candidate's layers against the SRAM budget.
  await page.getByTestId('pareto-point').first().click();
  await page.getByTestId('candidate-view').waitFor();
  assert.ok((await page.getByTestId('layer-row').count()) >= 2);
  await page.getByTestId('confusion-matrix').waitFor();
  // Draw a vertical stroke (a "1") on the pad; the network classifies it.
  await page.getByTestId('digit-canvas').scrollIntoViewIfNeeded();
  const pad = await page.getByTestId('digit-canvas').boundingBox();
  await page.mouse.move(pad.x + pad.width / 2, pad.y + pad.height * 0.2);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) {
    await page.mouse.move(pad.x + pad.width / 2, pad.y + pad.height * (0.2 + 0.06 * i));
  }
  await page.mouse.up();
  assert.match(await page.getByTestId('digit-prediction').textContent(), /^It reads a \d\.$/);
  await page.getByTestId('candidate-view').screenshot({ path: await screenshotPath('11-candidate.png') });


  // Pause: no trial finishes while paused; Resume: trials finish again.
  await page.getByTestId('pause-search').click();
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="search-status"]').textContent.startsWith('Paused'),
  );
  const paused = await page.getByTestId('trial-row').count();
  await page.waitForTimeout(3000);
  // A trial may finish its last slice as Pause arrives; after that, nothing more.
  const afterPause = await page.getByTestId('trial-row').count();
  await page.waitForTimeout(3000);
  assert.equal(await page.getByTestId('trial-row').count(), afterPause, 'paused: nothing finishes');
  assert.ok(afterPause <= paused + 2);
  await page.screenshot({ path: await screenshotPath('12-paused.png'), fullPage: true });
  await page.getByTestId('resume-search').click();
  await waitForTrials(page, afterPause + 2);

  await page.getByTestId('stop-search').click();
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="search-status"]').textContent.startsWith('Stopped'),
  );
  const rows = await page.getByTestId('trial-row').count();
  const status = await page.getByTestId('search-status').textContent();
  console.log(`stopped after ${rows} trials: ${status}`);

  // The table and the card estimate latency on the board of the form (the Uno): verify below
  // measures a Pareto member's (which fits the Uno) under simavr.
  assert.equal(await page.getByTestId('trial-latency').count(), rows);
  await page.locator('[data-testid="pareto-point"][data-front="true"]').first().click();
  await page.getByTestId('candidate-latency').waitFor();
  const latency = await page.getByTestId('candidate-latency').textContent();
  const card = page.getByTestId('candidate-view');
  assert.equal(await card.getByTestId('layer-ms').count(), await card.getByTestId('layer-row').count());
  const estimatedMs = Number(latency.match(/^Latency: about ([\d.]+) ms per image on the Arduino Uno/)[1]);

  // The selected candidate's Download C (the search stopped): the int8 model as C99, which the
  // CLI's verify compiles for the host, a Cortex-M4 and M0 (qemu) and an ATmega328P (simavr),
  // and checks against the Rust int8 evaluator.
  const [zipped] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('download-c').click(),
  ]);
  assert.match(zipped.suggestedFilename(), /^sparse-explorer-trial-\d+-c\.zip$/);
  const files = readZip(fs.readFileSync(await zipped.path()));
  assert.deepEqual(Object.keys(files).sort(), ['README.md', 'model.c', 'model.h', 'model.json']);
  assert.match(files['model.h'].toString(), /#define MODEL_INPUT_SIZE 784UL/);
  // The card states the export's flash before the download, and the files agree.
  const footprint = await page.getByTestId('c-footprint').textContent();
  const weights = footprint.match(/^On the chip: (\d+) B of flash/)[1];
  assert.match(files['model.h'].toString(), new RegExp(`#define MODEL_WEIGHT_BYTES ${weights}UL`));
  const exported = fs.mkdtempSync(path.join(os.tmpdir(), 'page-export-'));
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(exported, name), bytes);
  const verify = runCli(['verify', exported, '--images', '300', '--emulated-images', '2', '--json']);
  assert.equal(verify.status, 0, verify.stdout + verify.stderr);
  const report = JSON.parse(verify.stdout.trim().split('\n').pop());
  assert.equal(report.host.identical, 300);
  assert.equal(report.cortex_m4.run.identical, 2);
  console.log(`page's C export: ${verify.stdout.trim().split('\n').slice(0, 3).join(' | ')}`);
  // Download .tflite: the bytes verify wrote from the same model.json and ran in LiteRT and
  // TensorFlow Lite Micro.
  const [tflite] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('download-tflite').click(),
  ]);
  assert.match(tflite.suggestedFilename(), /^sparse-explorer-trial-\d+\.tflite$/);
  const downloaded = fs.readFileSync(await tflite.path());
  assert.equal(downloaded.subarray(4, 8).toString(), 'TFL3');
  assert.ok(downloaded.equals(fs.readFileSync(path.join(exported, 'verify/tflite/model.tflite'))));
  assert.ok(report.tflite, `verify ran the .tflite: ${report.tflite_skipped}`);
  assert.equal(report.tflite.litert.same_class, 300);
  assert.equal(report.tflite.micro.same_class, 300);
  console.log(`page's .tflite: ${downloaded.length} B, TFLM arena ${report.tflite.arena_bytes} B`);
  assert.ok(report.avr, `a Pareto member of an Uno search runs on the AVR: ${report.avr_skipped}`);
  const measuredMs = report.avr.timing.latency_ms;
  console.log(`latency on the Uno: the page estimated ${estimatedMs} ms, simavr measured ${measuredMs.toFixed(1)} ms`);
  assert.ok(Math.abs(estimatedMs - measuredMs) <= 0.15 * measuredMs + 0.05, `${estimatedMs} vs ${measuredMs}`);
  fs.rmSync(exported, { recursive: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a reload offers the saved search, which resumes from IndexedDB', async () => {
  const { page, errors } = await openLoadedPage(live);
  await page.getByTestId('quick-demo').click();
  await waitForTrials(page, 6);
  await page.reload();
  await page.getByTestId('sample-grid').waitFor({ timeout: 60_000 });
  const offer = page.getByTestId('resume-run');
  await offer.waitFor({ timeout: 10_000 });
  await page.screenshot({ path: await screenshotPath('14-resume-offer.png') });
  await offer.click();
  // The saved trials are back at once (those in flight at the reload are lost), then more.
  await waitForTrials(page, 5, 10_000);
  const restored = await page.getByTestId('trial-row').count();
  await waitForTrials(page, restored + 3);
  const ids = await page.$$eval('[data-testid="trial-row"]', (rows) =>
    rows.map((r) => Number(r.dataset.trial)),
  );
  assert.equal(new Set(ids).size, ids.length, 'no trial twice');
  await page.screenshot({ path: await screenshotPath('15-resumed.png'), fullPage: true });
  await page.getByTestId('stop-search').click();
  assert.deepEqual(errors, []);
  await page.close();
});

test('a saved search that cannot be read is shown and downloadable, never silently wiped', async () => {
  const { page, errors } = await openLoadedPage(live);
  const damaged = '{"schema": 99}';
  await page.evaluate(
    (text) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('sparse-explorer', 1);
        open.onupgradeneeded = () => open.result.createObjectStore('saved');
        open.onerror = reject;
        open.onsuccess = () => {
          const tx = open.result.transaction('saved', 'readwrite');
          tx.objectStore('saved').put(text, 'run');
          tx.oncomplete = () => {
            open.result.close();
            resolve();
          };
          tx.onerror = reject;
        };
      }),
    damaged,
  );
  await page.reload();
  const notice = page.getByTestId('saved-unreadable');
  await notice.waitFor({ timeout: 60_000 });
  assert.match(await notice.textContent(), /cannot be resumed: the saved search cannot be read/);
  assert.equal(await page.getByTestId('resume-run').count(), 0);
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('download-saved').click(),
  ]);
  assert.equal(fs.readFileSync(await file.path(), 'utf8'), damaged);
  await page.getByTestId('discard-unreadable').click();
  await notice.waitFor({ state: 'detached' });
  assert.deepEqual(errors, []);
  await page.close();
});

test('an impossible budget is explained and nothing is trained', async () => {
  const { page } = await openLoadedPage(live);
  await page.getByTestId('flash-bytes').fill('10');
  await page.getByTestId('flash-bytes').dispatchEvent('change');
  await page.getByTestId('sram-bytes').fill('10');
  await page.getByTestId('sram-bytes').dispatchEvent('change');
  await page.getByTestId('start-search').click();
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="search-status"]')?.textContent.includes('Failed'),
  );
  const status = await page.getByTestId('search-status').textContent();
  assert.match(status, /fits 10 bytes/);
  assert.equal(await page.getByTestId('trial-row').count(), 0);
  await page.getByTestId('flash-bytes').fill('0');
  await page.getByTestId('flash-bytes').dispatchEvent('change');
  assert.match(
    await page.getByTestId('setup-error').textContent(),
    /flash budget must be a whole number from 1/,
  );
  await page.screenshot({ path: await screenshotPath('13-impossible-budget.png') });
  await page.close();
});

test('the setup lives in the URL, and a link reproduces it', async () => {
  const { page } = await openLoadedPage(live, {
    query: '?board=custom&flash=5000&sram=1000&flash-measure=model-size&trials=7&algorithm=random&shift=1',
  });
  assert.equal(await page.getByTestId('shift').inputValue(), '1');
  assert.equal(await page.getByTestId('flash-measure').inputValue(), 'model-size');
  assert.equal(await page.getByTestId('flash-bytes').inputValue(), '5000');
  assert.equal(await page.getByTestId('sram-bytes').inputValue(), '1000');
  assert.equal(await page.getByTestId('trials').inputValue(), '7');
  assert.equal(await page.getByTestId('algorithm-select').inputValue(), 'random');
  assert.equal(await page.getByTestId('board-select').inputValue(), 'custom');
  await page.getByTestId('seed').fill('42');
  await page.waitForURL(/seed=42/);
  await page.getByTestId('board-select').selectOption('microbit-v1');
  await page.waitForURL(/board=microbit-v1/);
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('board'), 'microbit-v1');
  assert.equal(url.searchParams.get('flash'), await page.getByTestId('flash-bytes').inputValue());
  assert.equal(url.searchParams.get('flash-measure'), 'model-size', 'a board keeps the flash measure');
  await page.close();
});

test('a run exported from the page, or written by the CLI, opens in the page', async () => {
  const { page } = await openLoadedPage(live);
  await page.getByTestId('quick-demo').click();
  await waitForTrials(page, 4);
  await page.getByTestId('stop-search').click();
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="search-status"]').textContent.startsWith('Stopped'),
  );
  const rows = await page.getByTestId('trial-row').count();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('export-run').click(),
  ]);
  const exported = await download.path();
  const lines = fs.readFileSync(exported, 'utf8').trim().split('\n');
  assert.equal(lines.length, rows);
  assert.ok('int8_test_accuracy' in JSON.parse(lines[0]));

  const fresh = await live.browser.newPage({ viewport: { width: 1000, height: 1400 } });
  await fresh.goto(live.site.url);
  await fresh.getByTestId('import-run').setInputFiles(exported);
  await fresh.waitForFunction(
    (n) => document.querySelectorAll('[data-testid="trial-row"]').length === n,
    rows,
  );
  const cli = new URL('./fixtures/cli-trials.jsonl', import.meta.url).pathname;
  await fresh.getByTestId('import-run').setInputFiles(cli);
  await fresh.waitForFunction(() =>
    document.querySelector('[data-testid="search-status"]')?.textContent.startsWith('Opened cli-trials.jsonl: 12 trials'),
  );
  assert.equal(await fresh.getByTestId('trial-row').count(), 12);
  assert.ok((await fresh.getByTestId('pareto-point').count()) >= 1);
  // Searched under 2,048 B of SRAM, judged here against the Uno's 1,792 B: some are over.
  const over = await fresh.locator('[data-testid="pareto-point"][data-feasible="false"]').count();
  assert.ok(over >= 1, `${over} points over the budget`);
  await fresh.screenshot({ path: await screenshotPath('16-cli-run-opened.png'), fullPage: true });
  await fresh.close();
  await page.close();
});

test('a pool worker that crashes is replaced, its trial recorded as failed, and the search goes on', async () => {
  const { page } = await openLoadedPage(live);
  await page.getByTestId('quick-demo').click();
  await waitForTrials(page, 3);
  const workers = page.workers();
  assert.ok(workers.length >= 3, `the skeleton's worker and the pool's: ${workers.length}`);
  // The last pool worker throws (as a wasm trap would) and then never answers again.
  await workers[workers.length - 1].evaluate(() => {
    setTimeout(() => {
      setTimeout(() => {
        for (;;) {}
      }, 0);
      throw new Error('simulated crash');
    }, 0);
  });
  const lost = page.locator('[data-testid="trial-row"].failed td[title*="stopped answering"]');
  await lost.first().waitFor({ timeout: 20_000 });
  const before = await page.getByTestId('trial-row').count();
  await waitForTrials(page, before + 3, 60_000);
  assert.equal(await page.getByTestId('design-train').isEnabled(), true, 'the skeleton is not blamed');
  await page.screenshot({ path: await screenshotPath('17-worker-replaced.png'), fullPage: true });
  await page.getByTestId('stop-search').click();
  await page.close();
});

test('a full storage quota is said while the search goes on', async () => {
  const { page, errors } = await openLoadedPage(live);
  // A real quota, as a full disk would give: the browser refuses to commit the saves.
  const devtools = await page.context().newCDPSession(page);
  await devtools.send('Storage.overrideQuotaForOrigin', {
    origin: new URL(live.site.url).origin,
    quotaSize: 4096,
  });
  await page.getByTestId('quick-demo').click();
  const notice = page.getByTestId('save-error');
  await notice.waitFor({ timeout: 60_000 });
  const text = await notice.textContent();
  assert.match(text, /did not save the search \(IndexedDB .*quota/i, text);
  const before = await page.getByTestId('trial-row').count();
  await waitForTrials(page, before + 3);
  await page.screenshot({ path: await screenshotPath('18-quota-full.png') });
  await page.getByTestId('stop-search').click();
  assert.deepEqual(errors.filter((e) => !/quota/i.test(e)), []);
  await page.close();
});
