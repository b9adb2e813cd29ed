// Smoke tests in the other engines people use: Firefox ESR (Gecko, driven over WebDriver BiDi
// by puppeteer-core) and WebKitGTK's MiniBrowser (WebKit, the engine behind Safari, driven
// over classic WebDriver by `WebKitWebDriver`, under Xvfb). In each, the first-visit race
// finishes with the same results.json as in Chromium (wall-clock fields aside), and a hostile
// problem script that arrives in a share link, made in Chromium, reaches no network, no
// storage of the page and not the page itself.
//
// Everything the tests do in a page goes through `evaluate` with self-contained functions, so
// one flow drives three different protocols. Run by `make test-browsers` (part of `make
// test`), which installs the browsers and runs this under xvfb-run.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import net from 'node:net';
import puppeteer from 'puppeteer-core';
import { serveStatic, launchBrowser, withoutWallClock } from '../e2e/support/harness.mjs';
import { hostileScript, checkReport, startBait } from '../e2e/support/hostile.mjs';

const WIDTH = 1280;
const HEIGHT = 900;
// Generous: the run itself takes seconds; a 2-core machine under load can be many times slower.
const RUN_TIMEOUT_MS = 240_000;

const FIREFOX = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';
const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER || '/usr/bin/WebKitWebDriver';
const MINIBROWSER = process.env.WEBKIT_MINIBROWSER || findMiniBrowser();

/** Debian puts MiniBrowser in /usr/lib/<multiarch>/webkit2gtk-4.<n>/: the newest found. */
function findMiniBrowser() {
  const found = [];
  for (const arch of readdirSync('/usr/lib')) {
    let dirs = [];
    try { dirs = readdirSync(`/usr/lib/${arch}`).filter((d) => /^webkit2gtk-4\.\d+$/.test(d)); } catch { continue; }
    for (const d of dirs) if (existsSync(`/usr/lib/${arch}/${d}/MiniBrowser`)) found.push(`/usr/lib/${arch}/${d}/MiniBrowser`);
  }
  return found.sort().at(-1) ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
}

/**
 * One page in one browser, whatever drives it. `evaluate` runs a self-contained function in
 * the page (its source is all that crosses for WebDriver) and returns its JSON-able result.
 * @typedef {{
 *   name: string,
 *   goto: (url: string) => Promise<void>,
 *   evaluate: <A, R>(fn: (arg: A) => R | Promise<R>, arg: A) => Promise<R>,
 *   close: () => Promise<void>,
 * }} Driver
 */

/** Chromium through playwright-core: the reference the others are compared with. @returns {Promise<Driver>} */
async function chromiumDriver() {
  const browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: WIDTH, height: HEIGHT } });
  const page = await context.newPage();
  return {
    name: 'Chromium',
    goto: async (url) => { await page.goto(url); },
    evaluate: (fn, arg) => /** @type {Promise<any>} */ (page.evaluate(/** @type {any} */ (fn), arg)),
    close: () => browser.close(),
  };
}

/** Firefox ESR through puppeteer-core over WebDriver BiDi. @returns {Promise<Driver>} */
async function firefoxDriver() {
  assert.ok(existsSync(FIREFOX), `${FIREFOX} is missing: run \`make setup-browsers\` (Debian's firefox-esr)`);
  const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true });
  const page = await browser.newPage();
  await page.setViewport({ width: WIDTH, height: HEIGHT });
  return {
    name: `Firefox ${await browser.version()}`,
    goto: async (url) => { await page.goto(url, { waitUntil: 'load' }); },
    evaluate: (fn, arg) => /** @type {Promise<any>} */ (page.evaluate(/** @type {any} */ (fn), arg)),
    close: () => browser.close(),
  };
}

/** A free loopback port (for WebKitWebDriver, which takes one on its command line). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (s.address());
      s.close(() => resolve(port));
    });
  });
}

/** WebKitGTK's MiniBrowser through WebKitWebDriver (classic W3C WebDriver over HTTP). @returns {Promise<Driver>} */
async function webkitDriver() {
  for (const [file, what] of [[WEBKIT_DRIVER, 'webkit2gtk-driver'], [MINIBROWSER, 'webkit2gtk-driver\'s MiniBrowser']]) {
    assert.ok(existsSync(file), `${file} is missing: run \`make setup-browsers\` (Debian's ${what})`);
  }
  assert.ok(process.env.DISPLAY, 'WebKitGTK needs a display: run under xvfb-run (as `make test-browsers` does)');
  const port = await freePort();
  const driver = spawn(WEBKIT_DRIVER, [`--port=${port}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  /** @param {string} method @param {string} path @param {unknown} [body] */
  const command = async (method, path, body) => {
    const response = await fetch(base + path, {
      method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = /** @type {{value: any}} */ (await response.json());
    if (json.value && typeof json.value === 'object' && 'error' in json.value) {
      throw new Error(`WebDriver ${method} ${path}: ${json.value.error}: ${json.value.message}`);
    }
    return json.value;
  };
  // The driver listens a moment after it starts: wait for its status, not for a time.
  for (let tries = 0; ; tries++) {
    try { if ((await command('GET', '/status')).ready) break; } catch (e) { if (tries > 600) throw e; }
    await new Promise((r) => { setTimeout(r, 50); });
  }
  const session = await command('POST', '/session', {
    capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] } } },
  });
  const id = session.sessionId;
  await command('POST', `/session/${id}/timeouts`, { script: RUN_TIMEOUT_MS, pageLoad: 60_000 });
  await command('POST', `/session/${id}/window/rect`, { width: WIDTH, height: HEIGHT });
  return {
    name: `WebKitGTK ${session.capabilities.browserVersion}`,
    goto: async (url) => { await command('POST', `/session/${id}/url`, { url }); },
    evaluate: async (fn, arg) => {
      // The page's CSP forbids eval, so the function's source becomes the script itself.
      const script = `const done = arguments[arguments.length - 1];
Promise.resolve().then(() => (${fn.toString()})(arguments[0]))
  .then((value) => done({ value }), (e) => done({ thrown: String(e && e.stack || e) }));`;
      const out = await command('POST', `/session/${id}/execute/async`, { script, args: [arg ?? null] });
      if (out && 'thrown' in out) throw new Error(`in ${session.capabilities.browserName}: ${out.thrown}`);
      return out?.value;
    },
    close: async () => {
      try { await command('DELETE', `/session/${id}`); } finally { driver.kill(); }
    },
  };
}

// ---- What the tests do in a page: self-contained functions, run there by `evaluate`. ----

/**
 * The status element's state and text, and whether the page is done starting up: Run enabled,
 * a link opened and the chart code warmed up (data-charts-warm, set last).
 */
const readStatus = () => {
  const s = /** @type {HTMLElement | null} */ (document.querySelector('[role="status"]'));
  const run = /** @type {HTMLButtonElement | null} */ (document.getElementById('run'));
  const started = !!run && !run.disabled && document.documentElement.dataset.chartsWarm === 'true';
  return { state: s?.dataset.state ?? '', text: s?.textContent ?? '', started };
};

/** Keeps every Blob the page makes a download of, instead of downloading it. */
const captureDownloads = () => {
  const w = /** @type {any} */ (window);
  if (w.smokeBlobs) return;
  w.smokeBlobs = [];
  const make = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (blob) => { w.smokeBlobs.push(blob); return make(blob); };
  HTMLAnchorElement.prototype.click = function click() { /* no download dialog */ };
};

/** Clicks the button with this id (as a person would, through its click event). */
const clickButton = (/** @type {string} */ id) => { /** @type {HTMLButtonElement} */ (document.getElementById(id)).click(); };

/** The text of the last Blob captured. */
const lastBlobText = () => /** @type {Blob} */ (/** @type {any} */ (window).smokeBlobs.at(-1)).text();

/** The page's alert text ('' when none is shown). */
const alertText = () => [...document.querySelectorAll('[role="alert"]')].map((a) => a.textContent ?? '').join('\n');

/**
 * Polls `fn` in the page until `done` accepts its value; fails after RUN_TIMEOUT_MS naming the
 * last value seen.
 * @template R
 * @param {Driver} d @param {() => R} fn @param {(v: R) => boolean} done @param {string} what
 */
async function waitInPage(d, fn, done, what) {
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  for (;;) {
    const v = await d.evaluate(fn, null);
    if (done(v)) return v;
    if (Date.now() > deadline) assert.fail(`${d.name}: gave up waiting for ${what}; last seen ${JSON.stringify(v)}`);
    await new Promise((r) => { setTimeout(r, 100); });
  }
}

/** Waits until the page is idle with its core loaded (Run enabled). */
const waitReady = (/** @type {Driver} */ d) => waitInPage(d, readStatus, (s) => s.state === 'idle' && s.started, 'an idle page done starting up');

/** Presses Run and waits for the race to end; returns the status at the end. */
async function runRace(/** @type {Driver} */ d) {
  await d.evaluate(clickButton, 'run');
  return waitInPage(d, readStatus, (s) => s.state === 'finished' || s.state === 'error', 'the race to end');
}

/** results.json as the page's Export results button makes it. */
async function exportResults(/** @type {Driver} */ d) {
  await d.evaluate(captureDownloads, null);
  await d.evaluate(clickButton, 'export');
  return JSON.parse(await d.evaluate(lastBlobText, null));
}

/** A first visit (nothing stored) and its default race, run to the end: its results.json. */
async function firstVisitRace(/** @type {Driver} */ d, /** @type {string} */ siteUrl) {
  await d.goto(`${siteUrl}index.html?clear`);
  await d.evaluate(() => { localStorage.clear(); }, null);
  await d.goto(siteUrl);
  await waitReady(d);
  const end = await runRace(d);
  assert.equal(end.state, 'finished', `${d.name}: ${end.text}`);
  return exportResults(d);
}

// A problem of + - * / alone and Math.pow: every engine computes arithmetic bit for bit alike,
// and the sandbox gives every engine the core's Math.pow (src/js_math.rs), so the whole
// results.json must match Chromium's exactly: the core is the same in every engine.
const ARITHMETIC_SCRIPT = `// Arithmetic and Math.pow: the same bits in every engine.
function F(x, theta) {
  const [a, b, c] = theta;
  const t = x[0];
  return [a + t * (b + t * c), a * b - Math.pow(1 + t * t, c)];
}
function dF(x, theta) {
  const [a, b, c] = theta;
  const t = x[0];
  return [[1, t, t * t], [b, a, -Math.pow(1 + t * t, c) * Math.log(1 + t * t)]];
}
function thetaTrue(x) { const t = x[0]; return [0.5 * t, 1 - t * t / 2, t / (1 + t * t)]; }
const problem = { xDim: 1, thetaDim: 3, samples: 128, xRange: [-1, 1], noise: 0.01 };
`;

/** Puts `script` in the editor as a paste would, sets the budget and (when given) which
 * methods are ticked. */
const setProblem = (/** @type {{script: string, budget: string, methods?: string[]}} */ { script, budget, methods }) => {
  if (methods) {
    for (const box of /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('#method-list input[type="checkbox"]'))) {
      if (box.checked !== methods.includes(box.value)) box.click();
    }
  }
  const content = /** @type {any} */ (document.querySelector('.cm-content'));
  const view = (content.cmTile ?? content.cmView)?.view;
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: script }, userEvent: 'input.paste' });
  const input = /** @type {HTMLInputElement} */ (document.getElementById('budget'));
  input.value = budget;
  input.dispatchEvent(new Event('change', { bubbles: true }));
};

/** Clicks Share link and waits for the link (read from the field the page fills). */
async function shareLink(/** @type {Driver} */ d) {
  await d.evaluate(clickButton, 'share');
  return waitInPage(d, () => /** @type {HTMLInputElement} */ (document.getElementById('share-url')).value,
    (v) => /#v1\./.test(v), 'the share link');
}

/** Opens a share link and runs it to the end; its results.json. */
async function runLink(/** @type {Driver} */ d, /** @type {string} */ link) {
  // Through a blank page: going to the URL already shown would only change nothing.
  await d.goto('about:blank');
  await d.goto(link);
  await waitReady(d);
  const end = await runRace(d);
  assert.equal(end.state, 'finished', `${d.name}: ${end.text}`);
  return exportResults(d);
}

/**
 * Where two results.json differ: paths whose values differ in kind or shape, and the largest
 * relative difference between numbers.
 * @param {unknown} a @param {unknown} b
 */
function differences(a, b, at = '$', out = { paths: /** @type {string[]} */ ([]), largest: 0, where: '' }) {
  if (typeof a === 'number' && typeof b === 'number') {
    const rel = a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
    if (rel > out.largest) { out.largest = rel; out.where = `${at}: ${a} vs ${b}`; }
  } else if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    if (Array.isArray(a) !== Array.isArray(b)) out.paths.push(at);
    for (const k of keys) differences(/** @type {any} */ (a)[k], /** @type {any} */ (b)[k], `${at}.${k}`, out);
  } else if (a !== b) {
    out.paths.push(`${at}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
  return out;
}

let site;
let bait;
/** @type {{firstVisit: any, arithmetic: any, arithmeticLink: string, hostileLink: string}} */
let reference;

before(async () => {
  site = await serveStatic();
  bait = await startBait();
  // The references, made in Chromium as a person would: the first-visit race; the arithmetic
  // problem run and shared; a share link carrying a hostile script with a budget it never ends.
  const chromium = await chromiumDriver();
  try {
    const firstVisit = await firstVisitRace(chromium, site.url);
    assert.ok(firstVisit.runs.length >= 3, 'the first visit races at least three methods');
    await chromium.evaluate(setProblem, { script: ARITHMETIC_SCRIPT, budget: '30000' });
    const arithmeticLink = await shareLink(chromium);
    const arithmetic = await runLink(chromium, arithmeticLink);
    // Central differences alone: the script has no dF, and a method failing for that would
    // end the race before the script's report.
    await chromium.evaluate(setProblem, { script: hostileScript(bait.url), budget: '1e9', methods: ['central'] });
    const hostileLink = await shareLink(chromium);
    reference = { firstVisit, arithmetic, arithmeticLink, hostileLink };
  } finally {
    await chromium.close();
  }
});

after(async () => {
  await bait?.close();
  await site?.close();
});

for (const [engine, open] of /** @type {const} */ ([['Firefox ESR', firefoxDriver], ['WebKitGTK', webkitDriver]])) {
  describe(`in ${engine}`, () => {
    /** @type {Driver} */
    let d;
    before(async () => { d = await open(); });
    after(async () => { await d?.close(); });

    test('a hostile script from a share link reaches no network, no storage of the page and not the page', async () => {
      const hitsBefore = bait.hits.length;
      const canary = `canary-${Math.random().toString(36).slice(2)}`;
      await d.goto(`${site.url}index.html?canary`);
      await d.evaluate((/** @type {string} */ c) => { localStorage.setItem('bbp-canary', c); document.cookie = `bbp=${c}`; }, canary);
      await d.goto(reference.hostileLink);
      await waitReady(d);
      const end = await runRace(d);
      assert.equal(end.state, 'error', `${d.name}: the hostile script ends its run by throwing its report (${end.text})`);
      const alert = await d.evaluate(alertText, null);
      checkReport(/REPORT\{.*\}/.exec(alert)?.[0] ?? alert, canary);
      assert.equal(await d.evaluate(() => localStorage.getItem('bbp-canary'), null), canary);
      // A whole normal run later, so that late requests (a retried socket, a slow import) had
      // time to show up.
      await runLink(d, reference.arithmeticLink);
      assert.deepEqual(bait.hits.slice(hitsBefore), [], 'the bait server must receive no request');
    });

    test('an arithmetic problem calling Math.pow, from a link, gives Chromium\'s results.json bit for bit', async () => {
      const results = await runLink(d, reference.arithmeticLink);
      const diff = differences(withoutWallClock(results), withoutWallClock(reference.arithmetic));
      assert.deepEqual(diff.paths, [], `${d.name}: results.json has the same fields and values`);
      assert.equal(diff.largest, 0, `${d.name}: every number equals Chromium's; the largest difference is at ${diff.where}`);
    });

    test('the first-visit race (a preset calling Math.sin and Math.exp) gives Chromium\'s results.json bit for bit', async () => {
      // Engines round Math.sin and Math.exp differently in the last bit (Firefox's differ), and
      // the joint surrogate's training carried that into curves a factor 2 apart; the sandbox
      // gives every engine the core's Math (src/wasm/math.rs), so they agree.
      const results = await firstVisitRace(d, site.url);
      const diff = differences(withoutWallClock(results), withoutWallClock(reference.firstVisit));
      assert.deepEqual(diff.paths, [], `${d.name}: results.json has the same fields, steps, counts and texts`);
      assert.equal(diff.largest, 0, `${d.name}: every number equals Chromium's; the largest difference is at ${diff.where}`);
    });
  });
}
