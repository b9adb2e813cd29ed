// Shared end-to-end test support: a static file server for www/ on a free loopback port,
// and headless Debian Chromium driven by playwright-core. Every test page collects its
// console errors and warnings so tests can assert a clean console. And what the tests do
// again and again: open a page ready to run (openReady), run a race to finished (runRace),
// download a file (download, downloadJson, exportResults), read the editor (editorText).
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../..');
export const wwwRoot = path.join(repoRoot, 'www');
export const artifactsDir = path.join(repoRoot, 'tests/e2e/artifacts');

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.json': 'application/json', '.ico': 'image/x-icon', '.csv': 'text/csv',
};

/**
 * A static file server on loopback.
 * @typedef {{url: string, requests: string[], close: () => Promise<void>}} StaticServer
 */

/**
 * Serves `root` on 127.0.0.1 at a free port.
 * @returns {Promise<StaticServer>}
 */
export async function serveStatic(root = wwwRoot) {
  /** @type {string[]} */
  const requests = [];
  const server = http.createServer(async (req, res) => {
    const url = req.url ?? '/';
    requests.push(url);
    const urlPath = decodeURIComponent(new URL(url, 'http://x').pathname);
    let file = path.join(root, urlPath);
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    if (urlPath.endsWith('/')) file = path.join(file, 'index.html');
    try {
      const body = await fs.readFile(file);
      res.writeHead(200, { 'content-type': /** @type {Record<string, string>} */ (MIME)[path.extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise((resolve) => { server.listen(0, '127.0.0.1', () => resolve(null)); });
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return { url: `http://127.0.0.1:${port}/`, requests, close: () => new Promise((r) => { server.close(() => r()); }) };
}

/** Launches headless Chromium with the flags this machine needs. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * One static server and one browser for a whole test file: registers node:test's before and
 * after hooks and returns `{browser, url}`, filled in once the file's tests start.
 */
export function useBrowser() {
  // Filled in by `before`, so the tests see them set.
  const env = /** @type {{browser: import('playwright-core').Browser, url: string, server: StaticServer}} */ (
    /** @type {unknown} */ ({ browser: null, url: null, server: null }));
  before(async () => {
    env.server = await serveStatic();
    env.url = env.server.url;
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
}

/**
 * Opens a page and records console errors/warnings and page errors (from every frame and worker).
 * Tests start with Central differences alone ticked, as if chosen on an earlier visit, so a
 * Run is one method unless the test ticks more; `firstVisit` opens the page as a new visitor
 * sees it (the page's own default race).
 * @param {import('playwright-core').Browser} browser
 * @param {string} url
 * @param {{width?: number, height?: number, firstVisit?: boolean, colorScheme?: 'light' | 'dark'}} [options]
 */
export async function openPage(browser, url, { width = 1280, height = 900, firstVisit = false, colorScheme = 'light' } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true, colorScheme });
  if (!firstVisit) {
    await context.addInitScript(() => {
      if (location.pathname.endsWith('sandbox.html')) return;
      try {
        if (localStorage.getItem('bbp.methods') === null) localStorage.setItem('bbp.methods', '["central"]');
      } catch { /* storage unavailable: the page's defaults apply */ }
    });
  }
  const page = await context.newPage();
  /** @type {string[]} */
  const consoleProblems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') consoleProblems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleProblems.push(`pageerror: ${e.message}`));
  await page.goto(url);
  return { context, page, consoleProblems };
}

/**
 * Opens a page (openPage, same options) and waits until it is ready to run: the wasm core
 * loaded (Share link enabled) and the page idle.
 * @param {import('playwright-core').Browser} browser
 * @param {string} url
 * @param {Parameters<typeof openPage>[2]} [options]
 */
export async function openReady(browser, url, options) {
  const opened = await openPage(browser, url, options);
  await opened.page.waitForFunction(() => !(/** @type {HTMLButtonElement} */ (document.getElementById('share')).disabled), null, { timeout: 15_000 });
  await waitForState(opened.page, 'idle', 10_000);
  return opened;
}

/** The status element (role="status": its data-state and text). @param {import('playwright-core').Page} page */
export const status = (page) => page.locator('[role="status"]');

/**
 * Presses Run and waits for the race to end; it must have finished (else the status's text,
 * after `what` when given, is the failure's message).
 * @param {import('playwright-core').Page} page
 * @param {{timeout?: number, what?: string}} [options]
 */
export async function runRace(page, { timeout = 120_000, what = '' } = {}) {
  await page.getByRole('button', { name: 'Run' }).click();
  const ended = await waitForState(page, ['finished', 'error'], timeout);
  assert.equal(ended, 'finished', `${what ? `${what}: ` : ''}${await textOf(status(page))}`);
}

/**
 * Until every method has answered the last Pause or Step (the status is aria-busy till then).
 * @param {import('playwright-core').Page} page
 */
export const waitForAnswers = (page) => page.waitForFunction(() => {
  const s = /** @type {HTMLElement | null} */ (document.querySelector('[role="status"]'));
  return s?.dataset.state === 'paused' && s.getAttribute('aria-busy') !== 'true';
}, null, { timeout: 15_000, polling: 50 });

/** Replaces the editor's text (the element named "Problem script"). */
export async function setScript(page, text) {
  const editor = page.getByRole('textbox', { name: 'Problem script' });
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  // insertText is one input event: fast, and CodeMirror does not auto-indent it.
  await page.keyboard.insertText(text);
}

/**
 * The text of what `locator` finds ('' for none).
 * @param {import('playwright-core').Locator} locator
 */
export const textOf = async (locator) => (await locator.textContent()) ?? '';

/** Sets the input labelled `label` to `value` and fires "change", as a person typing would. */
export async function fill(page, label, value) {
  const input = page.getByLabel(label, { exact: true });
  await input.fill(String(value));
  await input.dispatchEvent('change');
}

/** Waits until the status element's data-state is one of `states`. */
export async function waitForState(page, states, timeout = 120_000) {
  const list = Array.isArray(states) ? states : [states];
  await page.waitForFunction(
    (s) => s.includes(/** @type {HTMLElement | null} */ (document.querySelector('[role="status"]'))?.dataset.state ?? ''),
    list, { timeout, polling: 100 });
  return page.locator('[role="status"]').getAttribute('data-state');
}

/**
 * Waits until every chart on show has method colours drawn on it (more than 50 pixels whose
 * red and blue differ), or `timeout` ms pass; returns each visible canvas's count of such
 * pixels, for the test to check.
 */
export async function waitForCharts(page, timeout = 15_000) {
  // Pixels are read from a copy on a canvas made for reading, not from the page's own (the
  // browser warns in the console about repeated reads of a canvas). With `all`, the counts
  // only once every chart has colours, else false (waitForFunction polls until then). A
  // function, not a string: the page's CSP forbids eval, so a string predicate only throws.
  const counts = (/** @type {boolean} */ all) => {
    const list = [...document.querySelectorAll('canvas')]
      .filter((c) => c.offsetParent !== null)
      .map((c) => {
        const copy = document.createElement('canvas');
        copy.width = c.width;
        copy.height = c.height;
        const ctx = /** @type {CanvasRenderingContext2D} */ (copy.getContext('2d', { willReadFrequently: true }));
        ctx.drawImage(c, 0, 0);
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        let colored = 0;
        for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - d[i + 2]) > 40) colored++;
        return { id: c.id, colored };
      });
    return !all || list.every((c) => c.colored > 50) ? list : false;
  };
  await page.waitForFunction(counts, true, { timeout, polling: 200 })
    .catch(() => { /* the caller's check names the blank chart */ });
  return page.evaluate(counts, false);
}

/**
 * Clicks the button named `name`, which downloads one file: the file's suggested name, where
 * it was saved and its bytes.
 * @param {import('playwright-core').Page} page
 * @param {string} name
 */
export async function download(page, name) {
  const [d] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name }).click(),
  ]);
  const file = await d.path();
  return { name: d.suggestedFilename(), file, body: await fs.readFile(file) };
}

/** The JSON file the button named `name` downloads, parsed. @param {import('playwright-core').Page} page @param {string} name */
export async function downloadJson(page, name) {
  return JSON.parse((await download(page, name)).body.toString('utf8'));
}

/** Clicks "Export results" and returns the parsed results.json. @param {import('playwright-core').Page} page */
export const exportResults = (page) => downloadJson(page, 'Export results');

/**
 * The editor's whole text (CodeMirror renders only the lines in view), from its view object.
 * @param {import('playwright-core').Page} page
 * @returns {Promise<string>}
 */
export const editorText = (page) => page.evaluate(() => {
  // CodeMirror hangs its view on the content element (cmTile in newer versions, cmView before).
  const content = /** @type {any} */ (document.querySelector('.cm-content'));
  return String((content.cmTile ?? content.cmView)?.view.state.doc.toString());
});

export async function screenshot(page, name) {
  await fs.mkdir(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, name);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The fields of results.json read from the clock (or, as F's calls with helpers, from how
 * work was shared): the only ones two runs of a link may differ in. In each run's history and
 * `final`; in each method's `summary` entry and each of its `runs`; and the time note. */
export const WALL_CLOCK = Object.freeze({
  history: ['wallMs'],
  final: ['wallMs', 'fMs', 'fRows'],
  summary: ['msToTarget', 'ownMsPerEval', 'fMsPerCall'],
  top: ['timeNote'],
});

/** results.json without its wall-clock fields (WALL_CLOCK). */
export function withoutWallClock(results) {
  const copy = structuredClone(results);
  const drop = (/** @type {Record<string, unknown> | undefined} */ o, /** @type {readonly string[]} */ keys) => {
    if (o) for (const k of keys) delete o[k];
  };
  for (const run of copy.runs) {
    for (const h of run.history) drop(h, WALL_CLOCK.history);
    drop(run.final, WALL_CLOCK.final);
  }
  for (const s of copy.summary ?? []) {
    drop(s, WALL_CLOCK.summary);
    for (const r of s.runs ?? []) drop(r, WALL_CLOCK.summary);
  }
  drop(copy, WALL_CLOCK.top);
  return copy;
}
