// End-to-end tests of races you can trust: Repeats runs every method once per seed (seed + r,
// the data of the base seed) and results.json (schema 2) holds every run with its repeat and
// seed and the core's summary, the same again for the same settings; the loss chart draws
// each method's median with its band; the legend hides and shows a method; a results.json
// exported by the page loads into a fresh page; a pinned race stays on the loss chart; and
// with the default Max steps (0) every method spends its budget, or says why not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { METHODS } from '../../www/schema.js';
import {
  useBrowser, openPage, openReady, setScript, waitForState, exportResults, fill, textOf, withoutWallClock, status, runRace,
} from './support/harness.mjs';

const env = useBrowser();

// Small and fast: one x, two parameters, 64 samples.
const SMALL = `function F(x, theta) { return [theta[0] * x[0] + theta[1], Math.sin(theta[1])]; }
function thetaTrue(x) { return [Math.cos(x[0]), 0.5 * x[0]]; }
const problem = { xDim: 1, thetaDim: 2, samples: 64, xRange: [-1, 1], noise: 0, thetaBounds: null };
`;

/** A method's colour in the charts (the registry's `colour`, #rrggbb) as [r, g, b]. @param {string} name */
const rgbOf = (name) => {
  const hex = /** @type {{colour: string}} */ (METHODS.find((m) => m.name === name)).colour;
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
};
const COLORS = { central: rgbOf('central'), spsa: rgbOf('spsa') };

/** Opens the page with the small problem, SPSA and Central differences, and short runs. */
async function openSmall({ repeats = 3, budget = 6000, seed = 7 } = {}) {
  const opened = await openReady(env.browser, env.url);
  const { page } = opened;
  await setScript(page, SMALL);
  await page.getByRole('checkbox', { name: 'SPSA', exact: true }).check();
  await fill(page, 'F-evaluation budget', budget);
  await fill(page, 'Log points', 10);
  await fill(page, 'Seed', seed);
  await fill(page, 'Repeats', repeats);
  return opened;
}

/**
 * How many pixels of the loss chart are within `tol` (sum of channel differences) of `rgb`,
 * once that count is within [atLeast, atMost], or after `timeout` (the caller's check then
 * says what was seen). The page's CSP forbids eval: predicates are functions, not strings.
 * @param {import('playwright-core').Page} page @param {number[]} rgb
 * @param {{atLeast?: number, atMost?: number | null, tol?: number, timeout?: number}} [options]
 */
async function waitForPixels(page, rgb, { atLeast = 0, atMost = null, tol = 40, timeout = 15_000 } = {}) {
  await page.evaluate(() => {
    window.__countPixels = (c, t) => {
      // Read from a copy on a canvas made for reading (the browser warns about repeated
      // reads of the page's own canvas).
      const canvas = /** @type {HTMLCanvasElement} */ (document.getElementById('chart-loss'));
      const copy = document.createElement('canvas');
      copy.width = canvas.width;
      copy.height = canvas.height;
      const ctx = /** @type {CanvasRenderingContext2D} */ (copy.getContext('2d', { willReadFrequently: true }));
      ctx.drawImage(canvas, 0, 0);
      const d = ctx.getImageData(0, 0, copy.width, copy.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (Math.abs(d[i] - c[0]) + Math.abs(d[i + 1] - c[1]) + Math.abs(d[i + 2] - c[2]) < t) n++;
      }
      return n;
    };
  });
  await page.waitForFunction(({ c, t, lo, hi }) => {
    const n = window.__countPixels(c, t);
    return n >= lo && (hi === null || n <= hi);
  }, { c: rgb, t: tol, lo: atLeast, hi: atMost }, { timeout, polling: 100 }).catch(() => { /* the caller's check says what was seen */ });
  return page.evaluate(({ c, t }) => window.__countPixels(c, t), { c: rgb, t: tol });
}

/** The colour of a band: `rgb` at 18% over white (src/plot.rs draws bands with mix(0.18)). */
const faint = (rgb) => rgb.map((v) => Math.round(255 - 0.18 * (255 - v)));

test('Repeats 3: three runs per method with seeds s, s+1, s+2, a summary per method, the same results.json again', async () => {
  const { page, context, consoleProblems } = await openSmall({ repeats: 3, seed: 7 });
  try {
    await runRace(page);
    const a = await exportResults(page);
    assert.equal(a.schema, 4);
    assert.equal(a.config.repeats, 3);
    for (const method of ['central', 'spsa']) {
      const runs = a.runs.filter((r) => r.method === method);
      assert.deepEqual(runs.map((r) => r.repeat), [0, 1, 2], method);
      assert.deepEqual(runs.map((r) => r.seed), [7, 8, 9], method);
      for (const r of runs) {
        assert.equal(r.error, null, `${method} #${r.repeat}: ${r.error}`);
        assert.ok(r.history.length >= 2, `${method} #${r.repeat} logged`);
      }
      // Repeats share the data, not the network's start: the first losses differ run to run.
      assert.equal(new Set(runs.map((r) => r.history[0].trainLoss)).size, 3, `${method}: three different starts`);
    }
    // The stochastic method's repeats differ all along (its noise has another seed too).
    const spsa = a.runs.filter((r) => r.method === 'spsa').map((r) => JSON.stringify(r.history.map((h) => h.trainLoss)));
    assert.equal(new Set(spsa).size, 3, 'the SPSA repeats differ');

    assert.deepEqual(a.summary.map((s) => s.method).sort(), ['central', 'spsa']);
    for (const s of a.summary) {
      assert.equal(s.repeats, 3, s.method);
      for (const k of ['finalTrainLoss', 'bestTrainLoss']) {
        const { lo, median, hi } = s[k];
        assert.ok(lo <= median && median <= hi, `${s.method} ${k}: ${lo} <= ${median} <= ${hi}`);
      }
    }
    assert.equal(typeof a.verdict, 'string');
    assert.ok(a.verdict.length > 20, a.verdict);
    // The status line's sentence after the race is the core's verdict.
    assert.ok((await status(page).getAttribute('title'))?.includes(a.verdict), 'the status says the verdict');

    // One row per method, with how its three runs came out.
    await page.waitForFunction(() => [...document.querySelectorAll('#results-body tr .outcome')]
      .filter((m) => /\d\/3/.test(m.textContent ?? '')).length === 2, null, { timeout: 15_000 });
    assert.equal(await page.locator('#results-body tr').count(), 2);

    // The same settings again: the same results.json, wall-clock fields aside.
    await runRace(page);
    const b = await exportResults(page);
    assert.deepEqual(withoutWallClock(b), withoutWallClock(a));
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('the loss chart draws a band with Repeats 3, not with 1; the legend hides and shows a method; the loss axis goes linear', async () => {
  const { page, context, consoleProblems } = await openSmall({ repeats: 1 });
  try {
    // Pixels of the band's colour: with one run per method only a few, where a line's
    // anti-aliased edge happens to pass through it.
    const band = faint(COLORS.central);
    await runRace(page);
    assert.ok(await waitForPixels(page, COLORS.central, { atLeast: 51 }) > 50, 'Central differences is drawn');
    const single = await waitForPixels(page, band, { tol: 12 });
    // The legend's entries are buttons, pressed while their method shows.
    assert.equal(await page.getByRole('button', { name: 'SPSA', exact: true }).getAttribute('aria-pressed'), 'true');

    await fill(page, 'Repeats', 3);
    await runRace(page);
    const want = 4 * single + 300;
    const banded = await waitForPixels(page, band, { atLeast: want + 1, tol: 12 });
    assert.ok(banded > want, `the band of Central differences is drawn: ${banded} pixels of its colour, against ${single} with one run`);

    // Hiding SPSA takes its colour off the chart; showing it brings it back.
    const spsa = page.getByRole('button', { name: /^SPSA/ });
    assert.ok(await waitForPixels(page, COLORS.spsa, { atLeast: 51 }) > 50, 'SPSA is drawn');
    await spsa.click();
    assert.equal(await spsa.getAttribute('aria-pressed'), 'false');
    assert.equal(await waitForPixels(page, COLORS.spsa, { atMost: 0 }), 0, 'SPSA hidden');
    await spsa.click();
    assert.equal(await spsa.getAttribute('aria-pressed'), 'true');
    assert.ok(await waitForPixels(page, COLORS.spsa, { atLeast: 51 }) > 50, 'SPSA shown again');

    // The loss axis: log by default; unticked, the chart is redrawn linear.
    const log = page.getByRole('checkbox', { name: 'Log loss axis' });
    assert.equal(await log.isChecked(), true);
    const before = await page.evaluate(() => /** @type {HTMLCanvasElement} */ (document.getElementById('chart-loss')).toDataURL());
    await log.uncheck();
    await page.waitForFunction((x) => /** @type {HTMLCanvasElement} */ (document.getElementById('chart-loss')).toDataURL() !== x,
      before, { timeout: 15_000, polling: 100 });
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('a results.json exported by the page loads into a fresh page; a file that is not one says so', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'races-'));
  const first = await openSmall({ repeats: 2, budget: 3000 });
  let exported;
  try {
    await runRace(first.page);
    exported = await exportResults(first.page);
    assert.deepEqual(first.consoleProblems, []);
  } finally {
    await first.context.close();
  }
  const file = path.join(dir, 'results.json');
  await fs.writeFile(file, JSON.stringify(exported));
  const notResults = path.join(dir, 'weights.json');
  await fs.writeFile(notResults, JSON.stringify({ central: { sizes: [1, 2] } }));

  const { page, context, consoleProblems } = await openReady(env.browser, env.url);
  try {
    const load = page.getByLabel('Load results');

    await load.setInputFiles(notResults);
    assert.match(await textOf(page.getByRole('alert')), /weights\.json cannot be shown.*not a results\.json/s);
    assert.equal(await status(page).getAttribute('data-state'), 'idle', 'nothing was loaded');

    await load.setInputFiles(file);
    assert.equal(await waitForState(page, 'finished', 10_000), 'finished');
    assert.match(await textOf(status(page)), /Loaded results\.json: 4 runs of 2 methods/);
    await page.waitForFunction(() => document.querySelectorAll('#results-body tr .outcome').length === 2
      && [...document.querySelectorAll('#results-body tr .outcome')].every((m) => /\d\/2/.test(m.textContent ?? '')), null, { timeout: 15_000 });
    const table = await textOf(page.locator('#results-body'));
    assert.match(table, /Central differences/);
    assert.match(table, /SPSA/);
    // Exported again, it is the file it came from.
    assert.deepEqual(await exportResults(page), exported);
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('Pin keeps the race on the loss chart when the next one runs; Reset clears it', async () => {
  const { page, context, consoleProblems } = await openSmall({ repeats: 1, budget: 3000 });
  try {
    const pin = page.locator('#pin');
    assert.equal(await pin.isDisabled(), true, 'nothing to pin yet');
    await runRace(page);
    await pin.click();
    assert.equal(await textOf(pin), 'Unpin');
    await fill(page, 'Seed', 8);
    await runRace(page);
    await page.locator('#legend', { hasText: 'pinned earlier race' }).waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Reset' }).click();
    await waitForState(page, 'idle', 10_000);
    assert.equal(await textOf(pin), 'Pin');
    assert.equal(await pin.isDisabled(), true);
    assert.doesNotMatch(await textOf(page.locator('#legend')), /pinned/);
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('with Max steps 0 (the default) every method spends at least 95% of its budget, or says why not', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url);
  try {
    await waitForState(page, 'idle', 10_000);
    assert.equal(await page.getByLabel('Max steps', { exact: true }).inputValue(), '0');
    for (const label of ['Analytic gradient', 'Central differences', 'Joint surrogate']) {
      await page.getByRole('checkbox', { name: label, exact: true }).check();
    }
    const budget = 20_000;
    await fill(page, 'F-evaluation budget', budget);
    await runRace(page, { timeout: 180_000 });
    const results = await exportResults(page);
    assert.deepEqual(results.runs.map((r) => r.method).sort(), ['central', 'exact', 'joint']);
    let spent = 0;
    for (const r of results.runs) {
      spent += r.final.evals;
      const why = r.final.stopReason;
      assert.ok(r.final.evals >= 0.95 * budget || (why && why !== 'budget'),
        `${r.method} spent ${r.final.evals} of ${budget}, stopReason ${why}`);
    }
    // The progress bar says the share of the budget spent.
    const want = Math.round((100 * spent) / (budget * results.runs.length));
    await page.waitForFunction((w) => (document.getElementById('progress-text')?.textContent ?? '').startsWith(`${w}%`), want, { timeout: 10_000 });
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('Tune learning rates: every run carries its tuning record, and the table counts the pilots apart', async () => {
  const { page, context } = await openSmall({ repeats: 1, budget: 6000 });
  try {
    await page.getByRole('checkbox', { name: 'Tune learning rates', exact: true }).check();
    await runRace(page);
    const results = await exportResults(page);
    assert.equal(results.runs.length, 2);
    const lr = results.config.optimizer.learningRate;
    for (const run of results.runs) {
      const t = run.tuning;
      assert.ok(t, `${run.method} has a tuning record`);
      assert.equal(t.grid.length, 5);
      assert.ok(t.grid.includes(lr), 'the shared rate is on the grid');
      assert.ok(t.grid.includes(t.chosen), `${run.method} chose ${t.chosen} from the grid`);
      // The pilots spent their stated share (0.2 of the budget) at most, apart from the budget.
      assert.ok(t.evals > 0 && t.evals <= 0.2 * 6000, `${run.method} pilots spent ${t.evals}`);
      assert.ok(run.final.evals <= 6000);
    }
    // The table redraws at most 4 times a second: wait for the cell to say what the pilots spent.
    await page.waitForFunction(() => /in learning-rate pilots/.test(
      document.querySelector('#results-body tr')?.querySelectorAll('td')[3]?.getAttribute('title') ?? ''));
  } finally {
    await context.close();
  }
});

test('a method\'s own learning rate replaces the shared one for it alone, travels in a link and is refused out of range', async () => {
  const { page, context, consoleProblems } = await openSmall({ repeats: 1, budget: 3000 });
  try {
    const own = page.getByLabel('Own learning rate of SPSA');
    assert.equal(await own.getAttribute('placeholder'), 'shared');
    await own.fill('0');
    await page.getByRole('button', { name: 'Run' }).click();
    assert.match(await textOf(page.getByRole('alert')), /Own learning rate of SPSA must be greater than 0 and at most 10, got 0/);
    assert.equal(await own.getAttribute('aria-invalid'), 'true');

    await own.fill('0.001');
    await runRace(page);
    const a = await exportResults(page);
    assert.deepEqual(a.config.optimizer.methodRates, { spsa: 0.001 });
    const rate = Object.fromEntries(a.runs.map((r) => [r.method, r.learningRate]));
    assert.deepEqual(rate, { central: 0.01, spsa: 0.001 });

    // A link carries it into a fresh page.
    await page.getByRole('button', { name: 'Share link' }).click();
    const url = await page.getByLabel('Share link URL').inputValue();
    const fresh = await openPage(env.browser, url);
    try {
      await waitForState(fresh.page, 'idle', 15_000);
      await fresh.page.waitForFunction(() => /** @type {HTMLInputElement} */ (document.getElementById('method-rate-spsa')).value === '0.001', null, { timeout: 15_000 });
      assert.equal(await fresh.page.getByLabel('Own learning rate of Central differences').inputValue(), '');
      assert.deepEqual(fresh.consoleProblems, []);
    } finally {
      await fresh.context.close();
    }
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});
