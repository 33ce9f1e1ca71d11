// Shared by the end-to-end tests: serves the built page (dist/) on a loopback port and
// launches Debian's Chromium through playwright-core, with flags for a closed network.
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.json': 'application/json',
  '.gz': 'application/gzip',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** Serves `root` on 127.0.0.1 at a free port; resolves to { url, close }. */
export async function serveStatic(root) {
  const server = http.createServer(async (req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = path.join(root, path.normalize(urlPath));
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if ((await fs.stat(file)).isDirectory()) file = path.join(file, 'index.html');
      const body = await fs.readFile(file);
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'content-length': body.length,
        'cache-control': 'no-cache',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(r)) };
}

/** Debian's Chromium, headless, with no background traffic. */
export function launchChromium() {
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** Where screenshots go: target/e2e/ (E2E_OUT), created on demand. */
export async function screenshotPath(name) {
  const dir = process.env.E2E_OUT || path.resolve(import.meta.dirname, '../../target/e2e');
  await fs.mkdir(dir, { recursive: true });
  return path.join(dir, name);
}

/**
 * Runs the CLI with `args`, to its end: `cargo xtask test` builds it first and names it
 * (SPARSE_EXPLORER); alone, cargo builds it here. Returns spawnSync's result (text output).
 */
export function runCli(args) {
  return process.env.SPARSE_EXPLORER
    ? spawnSync(process.env.SPARSE_EXPLORER, args, { encoding: 'utf8' })
    : spawnSync('cargo', ['run', '--release', '--quiet', '-p', 'sparse-cli', '--', ...args], {
        cwd: path.resolve(import.meta.dirname, '../..'),
        encoding: 'utf8',
      });
}

/** The skeleton CNN as design mode's link (`?design=`) carries it: unpruned, one epoch. */
export const SKELETON_DESIGN = JSON.stringify({
  architecture: {
    input: [1, 28, 28],
    classes: 10,
    layers: [
      { conv: { filters: 8, kernel: 3, stride: 1, padding: 'valid' } },
      { maxpool: { size: 2, stride: 2 } },
      { conv: { filters: 16, kernel: 3, stride: 1, padding: 'valid' } },
      { maxpool: { size: 2, stride: 2 } },
      { dense: { units: 10 } },
    ],
  },
  pruning: 'none',
  epochs: 1,
});

/** The built site: dist/ (E2E_DIST). */
export function distDir() {
  return process.env.E2E_DIST || path.resolve(import.meta.dirname, '../../dist');
}

/**
 * Serves the built site and launches Chromium for one test file (before/after hooks); the
 * returned object's `site` and `browser` are set once the hooks ran.
 */
export function siteAndBrowser() {
  const live = { site: null, browser: null };
  before(async () => {
    live.site = await serveStatic(distDir());
    live.browser = await launchChromium();
  });
  after(async () => {
    await live.browser?.close();
    await live.site?.close();
  });
  return live;
}

/**
 * A fresh page (own context) at the site with the dataset loaded; uncaught page errors and
 * console errors are collected in `errors` for the test to check.
 */
export async function openLoadedPage(live, { query = '', viewport = { width: 1000, height: 1400 } } = {}) {
  const page = await live.browser.newPage({ viewport });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(live.site.url + query);
  await page.getByTestId('sample-grid').waitFor({ timeout: 60_000 });
  return { page, errors };
}

/** What the page saved in IndexedDB under `key`, parsed (null if nothing is). */
export function savedJson(page, key) {
  return page.evaluate(
    (key) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('sparse-explorer');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const get = open.result.transaction('saved').objectStore('saved').get(key);
          get.onsuccess = () => resolve(get.result ? JSON.parse(get.result) : null);
          get.onerror = () => reject(get.error);
        };
      }),
    key,
  );
}
