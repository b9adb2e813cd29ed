// Several F-workers per method ("Workers per method"): the same results.json with 1 or 2
// workers for a pure F, helpers that really run, and Stop that ends a multi-worker run at once
// and leaves no worker behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useBrowser, openPage, setScript, fill, waitForState, exportResults, withoutWallClock, textOf,
} from './support/harness.mjs';

const env = useBrowser();

/** A pure F costing about `loops / 200` µs a call here (a loop of arithmetic). */
const costly = (loops) => `// Costly: a loop of arithmetic per call.
function F(x, theta) {
  let s = 0;
  for (let i = 0; i < ${loops}; i++) s = s * 0.999 + (i & 7) * 1e-9;
  return [theta[0] * x[0] + theta[1] + s * 1e-6, theta[0] * theta[1]];
}
function thetaTrue(x) { return [Math.sin(x[0]), 0.5 * x[1]]; }
const problem = { xDim: 2, thetaDim: 2, samples: 256, xRange: [-1, 1], noise: 0 };
`;

// Until every method has answered the last Pause or Step (the status is aria-busy till then).
const waitForAnswers = (page) => page.waitForFunction(() => {
  const s = /** @type {HTMLElement | null} */ (document.querySelector('[role="status"]'));
  return s?.dataset.state === 'paused' && s.getAttribute('aria-busy') !== 'true';
}, null, { timeout: 15_000, polling: 50 });

/** The page's workers (the sandbox's, in its frame, included). */
const workerCount = (page) => page.workers().length;

/** Until the sandbox has ended every worker (it ends a run's worker and helpers with the run). */
async function waitForNoWorker(page) {
  const deadline = Date.now() + 10_000;
  while (workerCount(page) > 0 && Date.now() < deadline) await page.waitForTimeout(50);
  assert.equal(workerCount(page), 0, 'no worker is left running');
}

/**
 * An idle page made ready for a race: `methods` ticked or not ([label, on]), the script, and
 * `settings` filled ([label, value]).
 * @param {import('playwright-core').Page} page @param {[string, boolean][]} methods @param {string} script
 * @param {[string, string | number][]} settings
 */
async function prepareRace(page, methods, script, settings) {
  await waitForState(page, 'idle', 20_000);
  for (const [name, on] of methods) await page.getByRole('checkbox', { name, exact: true }).setChecked(on);
  await setScript(page, script);
  for (const [label, value] of settings) await fill(page, label, value);
}

async function runWith(workers, methods, script, budget) {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url);
  try {
    await prepareRace(page, methods, script, [['F-evaluation budget', budget], ['Workers per method', workers]]);
    // Every worker started for the race: each method's own, and its helpers.
    let started = 0;
    page.on('worker', () => { started++; });
    await page.getByRole('button', { name: 'Run' }).click();
    const end = await waitForState(page, ['finished', 'error'], 120_000);
    assert.equal(end, 'finished', await textOf(page.locator('[role="status"]')));
    const results = await exportResults(page);
    assert.deepEqual(consoleProblems, []);
    return { results, started };
  } finally {
    await context.close();
  }
}

test('one and two workers per method give the same results.json for a pure F', async () => {
  const methods = [['Central differences', true], ['SPSA', true]];
  const one = await runWith('1', methods, costly(4000), 8000);
  const two = await runWith('2', methods, costly(4000), 8000);
  assert.equal(two.started, 4, 'each of the two methods got a helper');
  assert.equal(one.started, 2, 'one worker per method');
  assert.equal(one.results.runs.length, 2);
  assert.deepEqual(withoutWallClock(two.results), withoutWallClock(one.results));
});

test('Pause and Step answer during a two-worker run; Stop ends it within a second and leaves no worker running', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url);
  try {
    // About 1 ms a call: a run of minutes.
    await prepareRace(page, [['Central differences', false], ['SPSA', true]], costly(200_000),
      [['F-evaluation budget', 1e7], ['Workers per method', '2']]);
    await page.getByRole('button', { name: 'Run' }).click();
    // Under way with its helper: two workers, and steps taken.
    await page.waitForFunction(() => /step [1-9]/.test(document.querySelector('#results-body')?.textContent ?? '')
      || Number(document.querySelector('progress')?.getAttribute('value')) > 0, null, { timeout: 60_000, polling: 50 });
    assert.ok(workerCount(page) >= 2, `the run has its helper (${workerCount(page)} workers)`);
    // Nothing animates without end while the workers compute: an endless CSS animation (the
    // running dot's pulse was one) has the compositor draw every frame on the cores the workers
    // need (docs/speed.md). The dot still beats, with the progress.
    const endless = await page.evaluate(() => document.getAnimations()
      .filter((a) => a.playState === 'running' && a.effect?.getComputedTiming().iterations === Infinity)
      .map((a) => ('animationName' in a ? String(a.animationName) : a.id)));
    assert.deepEqual(endless, [], 'no endless animation while running');
    const beat = await page.evaluate(() => document.getElementById('status')?.dataset.beat);
    await page.waitForFunction((b) => document.getElementById('status')?.dataset.beat !== b, beat, { timeout: 10_000, polling: 50 });
    // Pause is answered while a batch is out with the helper; Step then takes exactly one step.
    const paused = Date.now();
    await page.getByRole('button', { name: 'Pause' }).click();
    await waitForAnswers(page);
    const pauseTook = Date.now() - paused;
    assert.ok(pauseTook < 1000, `Pause took ${pauseTook} ms`);
    const steps = Number((await textOf(page.locator('[role="status"]'))).match(/at step (\d+)/)?.[1]);
    await page.getByRole('button', { name: 'Step' }).click();
    await waitForAnswers(page);
    assert.match(await textOf(page.locator('[role="status"]')), new RegExp(`at step ${steps + 1}\\b`), 'Step took exactly one step');
    await page.getByRole('button', { name: 'Resume' }).click();
    await waitForState(page, 'running', 10_000);
    const clicked = Date.now();
    await page.getByRole('button', { name: 'Stop' }).click();
    assert.equal(await waitForState(page, ['finished', 'error'], 10_000), 'finished');
    const took = Date.now() - clicked;
    assert.ok(took < 1000, `Stop took ${took} ms`);
    await waitForNoWorker(page);
    const results = await exportResults(page);
    assert.equal(results.runs[0].final.stopReason, 'stopped');
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

// The run's own worker calls F once at (x = 1, theta = 0) to learn yDim before anything else;
// its helpers never do. This F hangs in a helper that gets a pair of Central differences'
// learning rows: two rows in a row at the same x, theta moved along one axis by its step
// (2 x 6e-6 relative; the monitors' Richardson reference moves by 1e-3). So Central
// differences hangs in its helper, never in its own worker, and SPSA never hangs. F costs
// about 20 µs a call, so that the run's worker shares its batches rather than keeping them.
const HANGS_IN_A_HELPER = `let probed = false;
let last = null;
function F(x, theta) {
  let s = 0;
  for (let i = 0; i < 4000; i++) s = s * 0.999 + (i & 7) * 1e-9;
  theta = [theta[0] + s * 0, theta[1], theta[2]];
  if (theta.every((t) => t === 0)) probed = true;
  if (!probed && last && last.x.every((v, i) => v === x[i])) {
    const moved = theta.map((t, j) => Math.abs(t - last.theta[j]) / Math.max(1, Math.abs(t)));
    if (moved.filter((d) => d > 0).length === 1 && Math.max(...moved) < 1e-4) for (;;) {}
  }
  last = { x: [...x], theta: [...theta] };
  return [theta[0] + theta[1] * x[0], theta[2] * Math.exp(0.5 * theta[0])];
}
function thetaTrue(x) { return [Math.sin(Math.PI * x[0]), 0.5 * Math.cos(Math.PI * x[1]), x[0] * x[1]]; }
function dF(x, theta) { const e = Math.exp(0.5 * theta[0]); return [[1, x[0], 0], [0.5 * theta[2] * e, 0, e]]; }
const problem = { xDim: 2, thetaDim: 3, samples: 256, xRange: [-1, 1], noise: 0 };
`;

test('a hung helper ends its method with the watchdog\'s message while another method finishes', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url);
  try {
    await prepareRace(page, [['Central differences', true], ['SPSA', true]], HANGS_IN_A_HELPER,
      [['F-evaluation budget', 20_000], ['Log points', 10], ['Watchdog (s)', 2], ['Workers per method', '2']]);
    await page.getByRole('button', { name: 'Run' }).click();
    const end = await waitForState(page, ['finished', 'error'], 60_000);
    const alert = await textOf(page.locator('[role="alert"]'));
    assert.equal(end, 'finished', alert);
    assert.match(alert, /Central differences: F did not return for 2 s \(stopped at step \d+\)/);
    const results = await exportResults(page);
    const central = results.runs.find((r) => r.method === 'central');
    const spsa = results.runs.find((r) => r.method === 'spsa');
    assert.match(central.error, /did not return/);
    assert.equal(spsa.error, null);
    assert.equal(spsa.final.stopReason, 'budget', 'SPSA ran to its end');
    // The sandbox ended the hung method's workers, its helper included.
    await waitForNoWorker(page);
    assert.deepEqual(consoleProblems.filter((m) => !/did not return/.test(m)), []);
  } finally {
    await context.close();
  }
});
