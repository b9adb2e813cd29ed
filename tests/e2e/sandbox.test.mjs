// End-to-end tests of the sandbox chain (www/runner.js -> www/sandbox.html -> www/worker/ ->
// wasm Session) in headless Chromium: results and error messages of ordinary runs, a hostile
// problem script that tries to reach the network, the page's storage and the page itself,
// a script that tries to break the worker's messaging or forge messages, and the watchdog.
//
// The runner is driven from a small test page written to a temp directory (outside the repo)
// that links the real www files, so a watchdog of 1.5 s and direct access to the runner's
// callbacks are possible; the page itself keeps the main page's CSP from DESIGN.md.
// Needs the wasm package in www/pkg (`make wasm`); SANDBOX_TEST_PKG=<dir> tests another build.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  serveStatic, launchBrowser, openPage, setScript, waitForState, wwwRoot, textOf,
} from './support/harness.mjs';
import { HISTORY_FIELDS } from '../../www/schema.js';
import { hostileScript, checkReport, startBait } from './support/hostile.mjs';

// Numbers in one history row, as a worker sends them (the core's history fields).
const ROW = HISTORY_FIELDS.length;

// The main page's CSP (DESIGN.md): no eval, no workers, connections only to itself.
const PAGE_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; "
  + "img-src 'self' data: blob:; connect-src 'self'; frame-src 'self'; worker-src 'none'; object-src 'none'; base-uri 'none'";

const TEST_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${PAGE_CSP}">
<link rel="icon" href="data:,">
<title>Sandbox runner test page</title>
<script type="module" src="test-page.js"></script>
</head><body><h1>Sandbox runner test page</h1></body></html>`;

// Exposes the runner to page.evaluate and records every callback per run.
const TEST_PAGE_JS = `import { SandboxRunner } from './runner.js';
const params = new URLSearchParams(location.search);
const runner = new SandboxRunner({ watchdogMs: Number(params.get('watchdog') || 10000),
  maxWorkers: params.get('workers') ? Number(params.get('workers')) : undefined });
const runs = {};
// Every callback of every run, in the order they came ("a:progress", "b:done", ...), and marks
// the test puts in between.
const log = [];
window.sbx = {
  runner, runs, log,
  ready: runner.ready.then(() => 'ready', (e) => 'failed: ' + e.message),
  start(runId, config, script, opts) {
    const r = runs[runId] = { progress: 0, rows: [], status: null, done: null, error: null, outcome: null, pausedSeen: 0, started: 0, waiting: true, stepsSeen: [] };
    return runner.start(runId, JSON.stringify(config), script, {
      onWaiting(w) { r.waiting = w; if (!w) r.started++; log.push(runId + ':waiting=' + w); },
      onProgress(rows, status) { r.progress++; r.rows.push(...rows); r.status = status; r.stepsSeen.push(status.steps); if (status.paused) r.pausedSeen++; log.push(runId + ':progress'); },
      onDone(status, fit, weights) { r.done = { status, fit, weightsChars: weights?.length ?? 0 }; log.push(runId + ':done'); },
      onError(message, line) { r.error = { message, line }; log.push(runId + ':error'); },
    }, opts).then((outcome) => { r.outcome = outcome; return r; });
  },
};
`;

// A window of the page's own origin that is NOT the sandbox frame: its messages must be dropped.
const EVIL_FRAME = '<!doctype html><meta charset="utf-8"><title>evil</title><script src="evil.js"></script>';
const EVIL_FRAME_JS = `for (let i = 0; i < 50; i++) {
  parent.postMessage({ type: 'error', runId: 'victim', message: 'FORGED by a same-origin frame', line: 1 }, '*');
  parent.postMessage({ type: 'done', runId: 'victim', status: {}, fit: { xDim: 1, yDim: 1, thetaDim: 1, yTrue: [], yPred: [], x: [], thetaLearned: [], thetaTrue: null }, weights: 'FORGED' }, '*');
}`;

const LINKED = ['runner.js', 'protocol.js', 'schema.js', 'sandbox.html', 'worker.bundle.js'];
const PKG = process.env.SANDBOX_TEST_PKG ? path.resolve(process.env.SANDBOX_TEST_PKG) : path.join(wwwRoot, 'pkg');

function config(method, over = {}) {
  return {
    method, data: { source: 'generated', samples: 64, noise: 0, testFraction: 0.25 },
    network: { hidden: [8], activation: 'tanh' },
    optimizer: { kind: 'adam', learningRate: 0.01, batchSize: 16, clip: 10 },
    budget: 20000, maxSteps: 200, seed: 1, logPoints: 20, ...over,
  };
}

// F never returns: the worker is stuck from its first call of F on.
const NEVER_RETURNS = 'function F(x, theta) { for (;;) {} }\nfunction thetaTrue(x) { return [x[0]]; }\nconst problem = { xDim: 1, thetaDim: 1 };\n';

const GOOD_SCRIPT = `// a small problem
function F(x, theta) { return [theta[0] + theta[1] * x[0], theta[0] * theta[1]]; }
function thetaTrue(x) { return [Math.sin(x[0]), 0.5 * x[1]]; }
function dF(x, theta) { return [[1, x[0]], [theta[1], theta[0]]]; }
const problem = { xDim: 2, thetaDim: 2, samples: 64, xRange: [-1, 1], noise: 0 };
`;

let site;
let bait;
let browser;
let tmp;

/** @param {{watchdog?: number, workers?: number | null}} [options] */
async function openRunnerPage({ watchdog = 10000, workers = null } = {}) {
  const opened = await openPage(browser, `${site.url}index.html?watchdog=${watchdog}${workers ? `&workers=${workers}` : ''}`);
  const state = await opened.page.evaluate(() => window.sbx.ready);
  assert.equal(state, 'ready', 'the sandbox runner should start');
  return opened;
}

const runs = (page) => page.evaluate(() => window.sbx.runs);
const waitFor = (page, fn, arg, timeout = 60_000) => page.waitForFunction(fn, arg, { timeout, polling: 50 });

before(async () => {
  assert.ok(existsSync(path.join(PKG, 'session_bg.wasm')),
    `${PKG} has no wasm package: build it first (make wasm)`);
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bbp-sandbox-test-'));
  for (const name of LINKED) await fs.symlink(path.join(wwwRoot, name), path.join(tmp, name));
  await fs.symlink(PKG, path.join(tmp, 'pkg'));
  await fs.writeFile(path.join(tmp, 'index.html'), TEST_PAGE);
  await fs.writeFile(path.join(tmp, 'test-page.js'), TEST_PAGE_JS);
  await fs.writeFile(path.join(tmp, 'evil.html'), EVIL_FRAME);
  await fs.writeFile(path.join(tmp, 'evil.js'), EVIL_FRAME_JS);
  site = await serveStatic(tmp);
  bait = await startBait();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await site?.close();
  await bait?.close();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('ordinary runs', () => {
  test('two methods run side by side and report progress, fit and weights; the console stays clean', async () => {
    const { page, context, consoleProblems } = await openRunnerPage();
    const frame = await page.evaluate(() => {
      const f = window.sbx.runner.iframe;
      return { sandbox: f.getAttribute('sandbox'), title: f.title, hidden: f.hidden };
    });
    assert.deepEqual(frame, { sandbox: 'allow-scripts', title: 'Sandbox for problem scripts', hidden: true });
    const [a, b] = await page.evaluate(([script, ca, cb]) => Promise.all([
      window.sbx.start('a', ca, script, { label: 'Central differences' }),
      window.sbx.start('b', cb, script, { label: 'Analytic gradient' }),
    ]), [GOOD_SCRIPT, config('central'), config('exact')]);
    for (const r of [a, b]) {
      assert.equal(r.error, null, r.error?.message);
      assert.equal(r.outcome, 'done');
      assert.ok(r.progress >= 1);
      assert.equal(r.rows.length % ROW, 0, `history rows are ${ROW} numbers each`);
      assert.ok(r.rows.length >= 2 * ROW, 'several history rows arrived');
      assert.ok(r.done.status.steps > 0 && r.done.status.evals > 0);
      assert.equal(r.done.status.done, true);
      // yDim was not in the config: the worker found 2 by calling F.
      assert.equal(r.done.fit.yDim, 2);
      assert.equal(r.done.fit.xDim, 2);
      assert.equal(r.done.fit.thetaDim, 2);
      assert.ok(r.done.weightsChars > 2);
    }
    assert.deepEqual(await page.evaluate(() => window.sbx.runner.activeRuns), []);
    assert.deepEqual(consoleProblems, []);
    await context.close();
  });

  test('pause stops the work, step runs exactly one step, a paused run is not killed, stop ends with results', async () => {
    const { page, context } = await openRunnerPage({ watchdog: 1500 });
    await page.evaluate(([script, c]) => { window.sbx.start('p', c, script); }, [GOOD_SCRIPT, config('spsa', { budget: 1e9, maxSteps: 10_000_000 })]);
    await waitFor(page, () => window.sbx.runs.p.progress >= 3);
    assert.equal(await page.evaluate(() => window.sbx.runner.control('p', 'pause')), true);
    await waitFor(page, () => window.sbx.runs.p.status.paused === true);
    const { steps: paused } = (await runs(page)).p.status;
    const heard = (await runs(page)).p.progress;
    await page.evaluate(() => window.sbx.runner.control('p', 'step'));
    await waitFor(page, (s) => window.sbx.runs.p.status.steps !== s, paused);
    let r = (await runs(page)).p;
    // From the pause's answer to the step's, the worker said nothing else.
    assert.equal(r.progress, heard + 1, 'no steps while paused');
    assert.equal(r.status.steps, paused + 1, 'step runs exactly one training step');
    // A run whose F never returns, started now, is ended by the watchdog. The paused run has
    // been silent for longer, and survives: silence is expected of a paused run.
    const hung = await page.evaluate(([script, c]) => window.sbx.start('hung', c, script), [NEVER_RETURNS, config('central')]);
    assert.equal(hung.outcome, 'killed', 'the watchdog ended the run beside it');
    r = (await runs(page)).p;
    assert.equal(r.error, null, r.error?.message);
    assert.equal(r.outcome, null);
    assert.equal(await page.evaluate(() => window.sbx.runner.control('p', 'resume')), true);
    await waitFor(page, (s) => window.sbx.runs.p.status.steps > s + 5, paused + 1);
    assert.equal(await page.evaluate(() => window.sbx.runner.control('p', 'stop')), true);
    await waitFor(page, () => window.sbx.runs.p.outcome !== null);
    r = (await runs(page)).p;
    assert.equal(r.outcome, 'done');
    assert.equal(r.done.status.stopReason, 'stopped');
    assert.ok(r.done.fit.yPred.length > 0);
    await context.close();
  });

  test('runs beyond maxWorkers wait their turn in order; a waiting run can be paused, stepped, resumed or stopped', async () => {
    const { page, context } = await openRunnerPage({ workers: 2 });
    const long = config('spsa', { budget: 1e9, maxSteps: 10_000_000 });
    await page.evaluate(([script, l, c, e]) => {
      window.sbx.start('a', l, script);
      window.sbx.start('b', l, script);
      window.sbx.start('c', c, script);
      window.sbx.start('d', e, script);
    }, [GOOD_SCRIPT, long, config('central'), config('exact')]);
    let r = await runs(page);
    assert.deepEqual(['a', 'b', 'c', 'd'].map((k) => r[k].waiting), [false, false, true, true], 'two at once');
    assert.deepEqual(await page.evaluate(() => window.sbx.runner.waitingRuns), ['c', 'd']);
    // Paused, d needs no core: it gets its worker at once, paused, and Step moves it.
    assert.equal(await page.evaluate(() => window.sbx.runner.control('d', 'pause')), true);
    assert.deepEqual(await page.evaluate(() => window.sbx.runner.waitingRuns), ['c']);
    await waitFor(page, () => window.sbx.runs.d.pausedSeen >= 1);
    await page.evaluate(() => window.sbx.runner.control('d', 'step'));
    await waitFor(page, () => window.sbx.runs.d.status.steps === 1);
    r = await runs(page);
    // Everything d said before the step's answer came with step 0.
    assert.deepEqual(r.d.stepsSeen.slice(0, -1).filter((s) => s !== 0), [], 'started paused: no step before Step');
    assert.equal(r.d.stepsSeen.at(-1), 1);
    assert.equal(r.c.progress, 0, 'a waiting run does no work');
    // Resumed while a and b compute: d waits again, paused, after c in turn order.
    assert.equal(await page.evaluate(() => window.sbx.runner.control('d', 'resume')), true);
    assert.deepEqual(await page.evaluate(() => window.sbx.runner.waitingRuns), ['c', 'd']);
    assert.equal((await runs(page)).d.waiting, true);
    await page.evaluate(() => window.sbx.log.push('mark:d-held'));
    // One core frees up: c (first in turn) starts and, being short, finishes; then d resumes.
    await page.evaluate(() => window.sbx.runner.control('a', 'stop'));
    await waitFor(page, () => window.sbx.runs.c.outcome === 'done');
    await waitFor(page, () => window.sbx.runs.d.outcome !== null);
    const log = await page.evaluate(() => window.sbx.log);
    const held = log.slice(log.indexOf('mark:d-held'), log.indexOf('c:done'));
    assert.ok(held.length > 1, `c ran while d was held: ${held}`);
    assert.deepEqual(held.filter((e) => e.startsWith('d:')), [], 'a held run does not compute');
    r = await runs(page);
    assert.equal(r.d.error, null, r.d.error?.message);
    assert.equal(r.d.outcome, 'done');
    assert.equal(r.d.done.status.done, true);
    assert.ok(r.d.done.status.steps > 1);
    // b and a new run e hold both cores; f waits. Pausing e frees its core for f; resumed,
    // e waits in turn.
    await page.evaluate(([script, l]) => { window.sbx.start('e', l, script); window.sbx.start('f', l, script); }, [GOOD_SCRIPT, long]);
    assert.deepEqual(await page.evaluate(() => window.sbx.runner.waitingRuns), ['f']);
    assert.equal(await page.evaluate(() => window.sbx.runner.control('e', 'pause')), true);
    assert.deepEqual(await page.evaluate(() => window.sbx.runner.waitingRuns), []);
    assert.equal((await runs(page)).f.waiting, false);
    assert.equal(await page.evaluate(() => window.sbx.runner.control('e', 'resume')), true);
    assert.deepEqual(await page.evaluate(() => window.sbx.runner.waitingRuns), ['e']);
    // g waits and is stopped before it ever starts.
    await page.evaluate(([script, l]) => { window.sbx.start('g', l, script); }, [GOOD_SCRIPT, long]);
    assert.deepEqual(await page.evaluate(() => window.sbx.runner.waitingRuns), ['e', 'g']);
    assert.equal(await page.evaluate(() => window.sbx.runner.control('g', 'stop')), true);
    r = await runs(page);
    assert.equal(r.g.outcome, 'done');
    assert.equal(r.g.started, 0);
    assert.equal(r.g.done.status.stopReason, 'stopped');
    assert.match(r.g.done.status.message, /waiting for a free core/);
    await page.evaluate(() => window.sbx.runner.stopAll());
    await waitFor(page, () => window.sbx.runner.activeRuns.length === 0);
    await context.close();
  });

  test('errors name the problem, the row and the line', async () => {
    const { page, context } = await openRunnerPage();
    const cases = {
      syntax: 'function F(x, theta) {\n  return [theta[0],\n    theta[1]];\n}}\nconst problem = { xDim: 1, thetaDim: 2 };',
      throws: 'function thetaTrue(x) { return [0.5, 0.5]; }\nfunction F(x, theta) {\n  const a = theta[0];\n  if (a > 0.1) return undefinedThing * 2;\n  return a;\n}\nconst problem = { xDim: 1, thetaDim: 2, xRange: [0, 1] };',
      count: 'function thetaTrue(x) { return [1, 1]; }\nfunction F(x, theta) { return theta[0] === 0 ? [1, 2, 3] : [1, 2]; }\nconst problem = { xDim: 1, thetaDim: 2 };',
      nan: 'function thetaTrue(x) { return [1]; }\nfunction F(x, theta) { return [x[0], theta[0] > 0.5 ? NaN : 1]; }\nconst problem = { xDim: 1, thetaDim: 1 };',
      noF: 'function G(x, theta) { return 1; }\nconst problem = { xDim: 1, thetaDim: 1 };',
      noDims: 'function F(x, theta) { return 1; }\nfunction thetaTrue(x) { return [0]; }\n',
      topLevel: 'const problem = { xDim: 1, thetaDim: 1 };\nfunction F(x, theta) { return 1; }\n\nnull.boom;\n',
      badDF: 'function thetaTrue(x) { return [1, 2]; }\nfunction F(x, theta) { return theta[0] * theta[1]; }\nfunction dF(x, theta) { return [[theta[1]], [theta[0]]]; }\nconst problem = { xDim: 1, thetaDim: 2 };',
      dfNaN: 'function thetaTrue(x) { return [1, 2]; }\nfunction F(x, theta) { return theta[0] * theta[1]; }\nfunction dF(x, theta) { return [[NaN, theta[0]]]; }\nconst problem = { xDim: 1, thetaDim: 2 };',
      ttCount: 'function thetaTrue(x) { return [1, 2, 3]; }\nfunction F(x, theta) { return theta[0]; }\nconst problem = { xDim: 1, thetaDim: 2 };',
      noReturn: 'function thetaTrue(x) { return [1]; }\nfunction F(x, theta) { theta[0] * x[0]; }\nconst problem = { xDim: 1, thetaDim: 1 };',
      badConfig: GOOD_SCRIPT,
    };
    const out = await page.evaluate(async ([cs, cfg, exact]) => {
      const res = {};
      for (const [name, script] of Object.entries(cs)) {
        const c = name === 'badDF' || name === 'dfNaN' ? exact : name === 'badConfig' ? { ...cfg, method: 'newton' } : cfg;
        res[name] = (await window.sbx.start(name, c, script)).error;
      }
      return res;
    }, [cases, config('central'), config('exact')]);
    if (process.env.SHOW_MESSAGES) console.log(out);
    assert.match(out.syntax.message, /^Syntax error in the problem script at line 4, column \d+: Unexpected token '}'/);
    assert.equal(out.syntax.line, 4);
    assert.match(out.throws.message, /^F threw at x=\[[-\d.e, ]+\], theta=\[[-\d.e, ]+\]: ReferenceError: undefinedThing is not defined$/);
    assert.equal(out.throws.line, 4);
    assert.match(out.count.message, /^F returned 2 numbers at x=\[[-\d.e, ]+\], theta=\[[-\d.e, ]+\]; expected yDim=3/);
    assert.match(out.nan.message, /^F returned NaN at x=\[[-\d.e, ]+\], theta=\[[-\d.e, ]+\] \(output 2 of 2\)/);
    assert.match(out.noF.message, /must define the black box as `function F\(x, theta\)/);
    assert.match(out.noDims.message, /Set problem\.xDim \(the length of x; 0 to calibrate theta itself\)/);
    assert.match(out.topLevel.message, /^The problem script threw while loading \(line 4\): TypeError/);
    assert.equal(out.topLevel.line, 4);
    assert.match(out.badDF.message, /^dF returned 2 rows at x=\[[-\d.e, ]+\], theta=\[[-\d.e, ]+\]; expected yDim=1 rows of thetaDim=2 numbers/);
    assert.match(out.dfNaN.message, /^dF returned NaN at x=\[[-\d.e, ]+\], theta=\[[-\d.e, ]+\] \(row 1, column 1\); every entry must be a finite number$/);
    assert.match(out.ttCount.message, /^thetaTrue returned 3 numbers at x=\[[-\d.e, ]+\]; expected thetaDim=2 numbers$/);
    assert.match(out.noReturn.message, /^F returned undefined \(is a `return` missing\?\) at x=\[0\], theta=\[0\]; F must return a number or an array of numbers\.$/);
    assert.match(out.badConfig.message, /method/i);
    assert.equal(out.badConfig.line, null);
    await context.close();
  });
});

describe('a hostile problem script', () => {
  test('reaches no network, no storage of the page and not the page itself', async () => {
    const { page, context } = await openRunnerPage();
    const canary = `canary-${Math.random().toString(36).slice(2)}`;
    await page.evaluate((c) => { localStorage.setItem('bbp-canary', c); document.cookie = `bbp=${c}`; }, canary);
    const script = hostileScript(bait.url);
    const r = await page.evaluate(([s, c]) => window.sbx.start('hostile', c, s),
      [script, config('central', { budget: 1e9, maxSteps: 10_000_000 })]);
    assert.ok(r.error, 'the script reports through an error it throws');
    checkReport(r.error.message, canary);
    assert.ok(!JSON.stringify(r).includes(canary));
    // The page keeps working: its storage is intact and a normal run still finishes.
    assert.equal(await page.evaluate(() => localStorage.getItem('bbp-canary')), canary);
    const after = await page.evaluate(([s, c]) => window.sbx.start('after', c, s), [GOOD_SCRIPT, config('forward')]);
    assert.equal(after.outcome, 'done', after.error?.message);
    // Checked after that run, so that late requests (a retried socket, a slow import) had
    // the whole run to show up.
    assert.deepEqual(bait.hits, [], 'the bait server must receive no request');
    await context.close();
  });

  test('cannot break the worker\'s messaging or forge messages, for itself or for another run', async () => {
    // The default watchdog (10 s): two workers booting the core on a loaded 2-core machine
    // took over 3 s once; a hijacked channel would still end the test, by the waits below.
    const { page, context } = await openRunnerPage({ watchdog: 10_000 });
    const script = `
const realPost = self.postMessage.bind(self);
const forged = (runId) => [
  { type: 'done', runId, status: { steps: -1 }, fit: { xDim: 1, yDim: 1, thetaDim: 1, yTrue: [], yPred: [], x: [], thetaLearned: [], thetaTrue: null }, weights: 'FORGED' },
  { type: 'error', runId, message: 'FORGED error', line: 1 },
  { type: 'progress', runId, rows: [1, 2, 3, 4, 5, 6, 7, 8], status: { steps: -1, paused: true } },
  { type: 'killed', runId }, { type: 'ready' },
];
const flood = () => { for (const id of ['victim', 'disrupt', undefined]) for (const m of forged(id)) realPost(m); };
flood();
// Try to take over the worker's channel: hide messages from it and replace postMessage.
self.addEventListener('message', (e) => e.stopImmediatePropagation(), { capture: true });
self.addEventListener('message', (e) => e.stopImmediatePropagation());
self.onmessage = () => { throw new Error('the script saw a control message'); };
self.postMessage = () => { throw new Error('hijacked postMessage'); };
try { Object.getPrototypeOf(self).postMessage = self.postMessage; } catch (e) {}
Object.defineProperty(MessageEvent.prototype, 'data', { get() { throw new Error('hijacked event.data'); } });
Event.prototype.stopImmediatePropagation = () => {};
JSON.parse = () => { throw new Error('hijacked JSON.parse'); };
JSON.stringify = () => '"hijacked"';
Error.stackTraceLimit = 0;
let calls = 0;
function F(x, theta) {
  if (++calls % 200 === 0) flood();
  return [theta[0] + x[0], theta[1] * x[0]];
}
function thetaTrue(x) { return [x[0], 1]; }
const problem = { xDim: 1, thetaDim: 2 };
`;
    await page.evaluate(([s, good, c, cv]) => {
      window.sbx.start('disrupt', c, s);
      window.sbx.start('victim', cv, good);
    }, [script, GOOD_SCRIPT, config('es', { budget: 1e9, maxSteps: 10_000_000 }), config('central', { maxSteps: 300 })]);
    // Same-origin windows other than the sandbox frame are not trusted either.
    await page.evaluate(() => new Promise((resolve) => {
      const f = document.createElement('iframe');
      f.src = 'evil.html';
      f.onload = resolve;
      document.body.append(f);
      window.postMessage({ type: 'error', runId: 'victim', message: 'FORGED by the page window', line: 1 }, '*');
    }));
    await waitFor(page, () => window.sbx.runs.disrupt.progress >= 3);
    await page.evaluate(() => window.sbx.runner.control('disrupt', 'pause'));
    await waitFor(page, () => window.sbx.runs.disrupt.status.paused === true);
    const paused = (await runs(page)).disrupt.status.steps;
    await page.evaluate(() => window.sbx.runner.control('disrupt', 'step'));
    await waitFor(page, (s) => window.sbx.runs.disrupt.status.steps === s + 1, paused);
    await page.evaluate(() => window.sbx.runner.control('disrupt', 'resume'));
    await waitFor(page, (s) => window.sbx.runs.disrupt.status.steps > s + 3, paused + 1);
    await page.evaluate(() => window.sbx.runner.control('disrupt', 'stop'));
    await waitFor(page, () => window.sbx.runs.disrupt.outcome && window.sbx.runs.victim.outcome);
    const all = await runs(page);
    const d = all.disrupt;
    assert.equal(d.error, null, d.error?.message);
    assert.equal(d.outcome, 'done');
    assert.equal(d.done.status.stopReason, 'stopped');
    assert.ok(d.done.status.steps > paused, 'the real session\'s status, not a forged one');
    assert.notEqual(d.done.weightsChars, 'FORGED'.length);
    const v = all.victim;
    assert.equal(v.error, null, v.error?.message);
    assert.equal(v.outcome, 'done');
    assert.ok(v.done.status.steps > 0);
    for (const r of [d, v]) {
      for (let i = 0; i < r.rows.length; i += ROW) assert.ok(r.rows[i] >= 0, 'no forged history row');
    }
    await context.close();
  });
});

describe('the watchdog', () => {
  test('ends an F that never returns, names the method and the step, while another method finishes', async () => {
    const { page, context } = await openRunnerPage({ watchdog: 1500 });
    const loops = `
let t0 = 0;
let calls = 0;
function F(x, theta) {
  // Hang after a while (after many calls, so some steps were taken, and after 400 ms, so the
  // worker has reported them); keep sending fake heartbeats, which must not fool the watchdog.
  t0 = t0 || Date.now();
  if (++calls > 5000 && Date.now() - t0 > 400) for (;;) { const t = Date.now(); while (Date.now() - t < 100); postMessage({ type: 'progress', rows: [], status: { steps: 1 } }); }
  return theta[0] * x[0];
}
function thetaTrue(x) { return [x[0]]; }
const problem = { xDim: 1, thetaDim: 1 };
`;
    const topLoop = 'function F(x, theta) { return 1; }\nconst problem = { xDim: 1, thetaDim: 1 };\nwhile (true) {}\n';
    const [hung, stuck, fine] = await page.evaluate(([l, t, g, c, cg]) => Promise.all([
      window.sbx.start('hung', c, l, { label: 'Central differences' }),
      window.sbx.start('stuck', c, t, { label: 'SPSA' }),
      window.sbx.start('fine', cg, g, { label: 'Forward differences' }),
    ]), [loops, topLoop, GOOD_SCRIPT, config('central', { budget: 1e9, maxSteps: 10_000_000 }), config('forward', { maxSteps: 400 })]);
    assert.equal(hung.outcome, 'killed');
    assert.match(hung.error.message, /^Central differences: F did not return for 1\.5 s \(stopped at step \d+\)\. Check F for an endless loop or memory use without bound\.$/);
    assert.ok(hung.status.steps > 0);
    assert.ok(hung.error.message.includes(`(stopped at step ${hung.status.steps})`));
    assert.equal(hung.error.line, null);
    assert.equal(stuck.outcome, 'killed');
    assert.match(stuck.error.message, /^SPSA: the problem script did not finish loading within 1\.5 s/);
    assert.equal(fine.outcome, 'done', fine.error?.message);
    assert.equal(fine.done.status.done, true);
    assert.deepEqual(await page.evaluate(() => window.sbx.runner.activeRuns), []);
    await context.close();
  });
});

// The same checks through the real page (www/index.html + app.js): the editor, Run, the
// alert and the status element, with the page's own 10 s watchdog.
describe('through the real page', { skip: !existsSync(path.join(wwwRoot, 'index.html')) && 'www/index.html does not exist yet' }, () => {
  let www;
  before(async () => { www = await serveStatic(wwwRoot); });
  after(async () => { await www?.close(); });

  async function runOnPage(page, script, budget) {
    await setScript(page, script);
    await fillInput(page, 'F-evaluation budget', budget);
    await page.getByRole('button', { name: 'Run' }).click();
    return waitForState(page, ['finished', 'error'], 90_000);
  }
  async function fillInput(page, label, value) {
    const input = page.getByLabel(label, { exact: true });
    await input.fill(String(value));
    await input.dispatchEvent('change');
  }
  const SMALL = `function F(x, theta) { return [theta[0] * x[0] + theta[1]]; }
function thetaTrue(x) { return [Math.cos(x[0]), 0.5 * x[0]]; }
const problem = { xDim: 1, thetaDim: 2, samples: 64, xRange: [-1, 1], noise: 0 };
`;

  test('a hostile script fails alone: no request leaves, the page\'s storage stays unread, the page works on', async () => {
    const { page, context } = await openPage(browser, www.url);
    try {
      await waitForState(page, 'idle', 20_000);
      const canary = `canary-${Math.random().toString(36).slice(2)}`;
      await page.evaluate((c) => { localStorage.setItem('bbp-canary', c); document.cookie = `bbp=${c}`; }, canary);
      const hitsBefore = bait.hits.length;
      assert.equal(await runOnPage(page, hostileScript(bait.url), 1e9), 'error');
      const alert = await textOf(page.getByRole('alert'));
      checkReport(/REPORT\{.*\}/.exec(alert)?.[0] ?? alert, canary);
      assert.equal(await page.evaluate(() => localStorage.getItem('bbp-canary')), canary);
      assert.equal(await runOnPage(page, SMALL, 3000), 'finished', await textOf(page.locator('[role="status"]')));
      // Checked after that run, so that late requests had the whole run to show up.
      assert.deepEqual(bait.hits.slice(hitsBefore), [], 'the bait server must receive no request');
    } finally {
      await context.close();
    }
  });

  test('an F that never returns is ended by the page\'s watchdog, which says where it stopped', async () => {
    const { page, context } = await openPage(browser, www.url);
    try {
      await waitForState(page, 'idle', 20_000);
      // Hangs after a fixed number of calls (about step 600 of 3000), not after a time: the
      // run must be well under way, whatever the machine's speed.
      const hang = SMALL.replace('function F(x, theta) {', 'let calls = 0;\nfunction F(x, theta) {\n  if (++calls > 100000) for (;;);');
      assert.equal(await runOnPage(page, hang, 1e9), 'error');
      assert.match(await textOf(page.getByRole('alert')),
        /Central differences: F did not return for 10 s \(stopped at step \d+\)\. Check F for an endless loop or memory use without bound\./);
      await page.getByRole('alert').getByRole('button', { name: 'Dismiss' }).click();
      assert.equal(await runOnPage(page, SMALL, 3000), 'finished', await textOf(page.locator('[role="status"]')));
    } finally {
      await context.close();
    }
  });
});
