// End-to-end tests of the main page (www/index.html + app.js) in headless Chromium:
// the default script trains with Central differences until the loss falls tenfold, an F
// that throws ends in data-state="error" with its message shown, Stop ends a run at once,
// Pause/Resume/Step/Reset do what they say, the script survives a reload, and the page fits
// a 400 px screen. Runs are kept short (small budgets) except where the default is the point.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { METHODS } from '../../www/schema.js';
import {
  useBrowser, openPage, setScript, waitForState, exportResults, screenshot, fill, waitForCharts, textOf, status, runRace,
  waitForAnswers,
} from './support/harness.mjs';

const env = useBrowser();

const stateOf = (page) => status(page).getAttribute('data-state');

// How often `re` occurs in the text of element `id` (its title with `{ title: true }`), now
// or once it reaches `n`.
const countIn = (page, id, re, { title = false } = {}) => page.evaluate(([i, src, t]) => {
  const e = /** @type {HTMLElement} */ (document.getElementById(i));
  return ((t ? e.title : e.textContent ?? '').match(new RegExp(src, 'g')) ?? []).length;
}, [id, re.source, title]);
const waitForCount = (page, id, re, n, { title = false, timeout = 15_000 } = {}) => page.waitForFunction(([i, src, k, t]) => {
  const e = /** @type {HTMLElement} */ (document.getElementById(i));
  return ((t ? e.title : e.textContent ?? '').match(new RegExp(src, 'g')) ?? []).length === k;
}, [id, re.source, n, title], { timeout, polling: 50 });
// Until the results table's first row shows a logged loss (with `learned`: also F-evaluations
// spent on learning, so at least one step was taken).
const waitForLoggedRow = (page, { learned = false } = {}) => page.waitForFunction((l) => {
  const cells = /** @type {HTMLTableRowElement | null} */ (document.querySelector('#results-body tr'))?.cells;
  return Boolean(cells && /[0-9]/.test(cells[1]?.textContent ?? '') && (!l || /[1-9]/.test(cells[3]?.textContent ?? '')));
}, learned, { timeout: 15_000, polling: 50 });
// A run longer than any test: a budget and a step limit it will not reach.
async function endlessSettings(page) {
  await fill(page, 'F-evaluation budget', 500_000_000);
  await fill(page, 'Max steps', 10_000_000);
}

// A script that trains for a long time (a big budget is set by the tests that use it).
const SLOW = `function F(x, theta) { return [theta[0] * x[0] + theta[1], Math.sin(theta[1])]; }
function thetaTrue(x) { return [Math.cos(x[0]), 0.5 * x[0]]; }
const problem = { xDim: 1, thetaDim: 2, samples: 128, xRange: [-1, 1], noise: 0, thetaBounds: null };
`;

/** Starts a run of SLOW that does not end by itself, once the page is idle; returns once it runs. */
async function startEndlessRun(page) {
  await waitForState(page, 'idle', 10_000);
  await setScript(page, SLOW);
  await endlessSettings(page);
  await page.getByRole('button', { name: 'Run' }).click();
  await waitForState(page, 'running', 10_000);
}

test('the default script trains with Central differences: loss falls tenfold, clean console', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url);
  try {
    await waitForState(page, 'idle', 10_000);
    assert.equal(await page.getByRole('checkbox', { name: 'Central differences' }).isChecked(), true);
    assert.equal(await page.getByRole('checkbox', { name: 'SPSA' }).isChecked(), false);
    assert.match(await textOf(page.getByRole('textbox', { name: 'Problem script' })), /function F\(x, theta\)/);

    await runRace(page, { timeout: 90_000 });
    assert.match(await textOf(status(page)), /Finished/);

    const results = await exportResults(page);
    assert.equal(results.schema, 4); // 2 added repeat, seed, summary and verdict to schema 1; 3 gradSE; 4 the rule, profiles and F's time
    assert.equal(typeof results.config, 'object');
    assert.equal(results.runs.length, 1);
    const run = results.runs[0];
    assert.equal(run.method, 'central');
    assert.equal(run.error, null);
    assert.ok(run.history.length >= 2, 'several history rows');
    const keys = ['step', 'evals', 'monitorEvals', 'wallMs', 'trainLoss', 'testLoss', 'gradRelErr', 'gradCos', 'gradSE'];
    for (const h of run.history) assert.deepEqual(Object.keys(h).sort(), [...keys].sort());
    // Central differences are deterministic: no standard error.
    assert.ok(run.history.every((h) => h.gradSE === null));
    assert.deepEqual(Object.keys(run.final).sort(), ['evals', 'fMs', 'fRows', 'outcome', 'outcomeWhy', 'steps', 'stopReason', 'testLoss', 'trainLoss', 'wallMs']);
    assert.ok(run.final.fMs > 0 && run.final.fRows > 0, `F's time and calls: ${run.final.fMs} ms, ${run.final.fRows} calls`);
    const first = run.history[0].trainLoss;
    const last = run.history.at(-1);
    assert.equal(run.final.trainLoss, last.trainLoss, 'final repeats the last logged values');
    assert.equal(run.final.evals, last.evals);
    assert.ok(run.final.trainLoss <= first / 10, `train loss ${first} -> ${run.final.trainLoss}: less than tenfold`);
    assert.ok(run.final.evals <= results.config.budget, 'learning evaluations stay within the budget');

    // The results table shows the run; the charts were drawn (the fit too, after 'done').
    await page.getByRole('cell', { name: /Central differences/ }).waitFor();
    for (const c of await waitForCharts(page)) assert.ok(c.colored > 50, `${c.id} has method colours drawn on it`);

    assert.equal(await page.locator('[role="status"]').count(), 1, 'exactly one role="status"');
    await screenshot(page, 'page-after-run-1280.png');
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('while a run goes on, the page updates in place: rows keep their elements, charts add nothing to the page', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url);
  try {
    await waitForState(page, 'idle', 10_000);
    await setScript(page, SLOW);
    await endlessSettings(page);
    await fill(page, 'Log points', 2000);
    await page.getByRole('button', { name: 'Run' }).click();
    await waitForState(page, 'running', 10_000);
    await page.waitForFunction(() => /\(running\)/.test(document.getElementById('results-body')?.textContent ?? ''), null, { timeout: 15_000 });
    const before = await page.evaluate(() => {
      // Whatever is added to or removed from <body> itself from now on (plotters' own legend
      // measured its text with a <span> appended to <body>: a forced layout per label).
      window.__bodyChanges = [];
      new MutationObserver((list) => {
        for (const m of list) for (const n of [...m.addedNodes, ...m.removedNodes]) window.__bodyChanges.push(n.nodeName);
      }).observe(document.body, { childList: true });
      window.__row = /** @type {HTMLTableRowElement} */ (document.querySelector('#results-body tr'));
      return { evals: window.__row.cells[3].textContent, chart: /** @type {HTMLCanvasElement} */ (document.getElementById('chart-loss')).toDataURL() };
    });
    await page.waitForFunction((e) => window.__row.cells[3].textContent !== e, before.evals, { timeout: 15_000 });
    await page.waitForFunction((c) => /** @type {HTMLCanvasElement} */ (document.getElementById('chart-loss')).toDataURL() !== c,
      before.chart, { timeout: 15_000, polling: 200 });
    const after = await page.evaluate(() => ({
      same: document.querySelector('#results-body tr') === window.__row,
      changes: window.__bodyChanges,
      chart: /** @type {HTMLCanvasElement} */ (document.getElementById('chart-loss')).toDataURL(),
    }));
    assert.equal(after.same, true, 'the row element was updated, not rebuilt');
    assert.notEqual(after.chart, before.chart, 'the loss chart was redrawn meanwhile');
    assert.deepEqual(after.changes, [], 'drawing charts added nothing to <body>');
    await page.getByRole('button', { name: 'Stop' }).click();
    assert.equal(await waitForState(page, ['finished', 'idle'], 10_000), 'finished');
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

// As many methods as the machine has cores, plus `extra` (at most every method of the
// registry): Central differences, ticked already, and the next ones in the core's order.
async function selectCoresPlus(page, extra) {
  const n = Math.min(METHODS.length, extra + await page.evaluate(() => navigator.hardwareConcurrency));
  for (const { label } of METHODS.slice(0, n)) await page.getByRole('checkbox', { name: label, exact: true }).check();
  return n;
}

test('Run right after Stop starts at once: workers still finishing the stopped runs are let go', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url);
  try {
    await waitForState(page, 'idle', 10_000);
    // F never returns: a stopped worker never answers, and only the watchdog (10 s) would
    // end it. Its worker is stuck from the start, whenever that is.
    await setScript(page, `function F(x, theta) {
  for (;;) {}
}
function thetaTrue(x) { return [Math.cos(x[0]), 0.5 * x[0]]; }
const problem = { xDim: 1, thetaDim: 2, samples: 128, xRange: [-1, 1], noise: 0, thetaBounds: null };
`);
    const n = await selectCoresPlus(page, 0); // every core in use
    await endlessSettings(page);
    await page.getByRole('button', { name: 'Run' }).click();
    await waitForCount(page, 'results-body', /\(running\)/, n);
    await page.getByRole('button', { name: 'Stop' }).click();
    await waitForState(page, ['finished', 'idle'], 10_000);
    await page.getByRole('button', { name: 'Run' }).click();
    // Every new method gets a core long before the old workers' watchdog would free them.
    await waitForCount(page, 'results-body', /\(running\)/, n, { timeout: 5000 });
    assert.equal(await countIn(page, 'results-body', /waiting for a core/), 0);
    await page.getByRole('button', { name: 'Reset' }).click();
    await waitForState(page, 'idle', 10_000);
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('Step moves every method one step, also those beyond the machine\'s cores', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url);
  try {
    await waitForState(page, 'idle', 10_000);
    const n = await selectCoresPlus(page, 2); // more methods than cores
    await endlessSettings(page);
    await page.getByRole('button', { name: 'Step' }).click();
    await waitForCount(page, 'status', /at step 1\b/, n, { title: true, timeout: 30_000 });
    await page.getByRole('button', { name: 'Step' }).click();
    await waitForCount(page, 'status', /at step 2\b/, n, { title: true, timeout: 30_000 });
    // Resume: no more than one method per core computes; the others say they wait.
    await page.getByRole('button', { name: 'Resume' }).click();
    await waitForState(page, 'running', 5000);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    await waitForCount(page, 'results-body', /waiting for a core/, n - Math.min(cores, n), { timeout: 5000 });
    assert.equal(await countIn(page, 'results-body', /\(running\)/), Math.min(cores, n));
    await page.getByRole('button', { name: 'Stop' }).click();
    await waitForState(page, ['finished', 'idle'], 10_000);
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('an F that throws gives data-state="error" and shows the message', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url);
  try {
    await waitForState(page, 'idle', 10_000);
    await setScript(page, `let calls = 0;
function F(x, theta) {
  calls += 1;
  if (calls > 300) throw new Error('sensor offline');
  return [theta[0] + x[0]];
}
function thetaTrue(x) { return [x[0] * x[0]]; }
const problem = { xDim: 1, thetaDim: 1, samples: 64, xRange: [-1, 1], noise: 0, thetaBounds: null };
`);
    await fill(page, 'F-evaluation budget', 20000);
    await page.getByRole('button', { name: 'Run' }).click();
    assert.equal(await waitForState(page, ['finished', 'error'], 30_000), 'error');
    const alert = page.getByRole('alert');
    await alert.waitFor({ state: 'visible' });
    assert.match(await textOf(alert), /sensor offline/);
    assert.match(await textOf(alert), /F threw/);
    assert.match(await textOf(status(page)), /sensor offline/);
    // The failed method keeps its error in results.json.
    const results = await exportResults(page);
    assert.match(results.runs[0].error, /sensor offline/);
    // The message stays until the user acts on it (exporting is not acting on it).
    assert.ok(await alert.isVisible());
    await alert.getByRole('button', { name: 'Dismiss' }).click();
    assert.equal(await alert.isVisible(), false);
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('Stop ends a run at once; what was logged stays', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url);
  try {
    await startEndlessRun(page);
    await waitForLoggedRow(page);
    await page.getByRole('button', { name: 'Stop' }).click();
    // The click's handler ends the comparison: no wait for the workers (Stop is disabled at
    // once); the state says finished once the table, verdict and charts show the end.
    assert.equal(await page.getByRole('button', { name: 'Stop' }).isEnabled(), false, 'the comparison ended at once');
    assert.equal(await waitForState(page, 'finished', 5_000), 'finished');
    assert.match(await textOf(status(page)), /Stopped/);
    assert.equal(await page.getByRole('button', { name: 'Run' }).isEnabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Stop' }).isEnabled(), false);
    // The workers really stopped: each answered with its last word (the trained network, so
    // Weights is enabled), after which nothing more arrives.
    await page.waitForFunction(() => !(/** @type {HTMLButtonElement} */ (document.getElementById('export-weights')).disabled), null, { timeout: 15_000 });
    const a = await exportResults(page);
    const b = await exportResults(page);
    assert.ok(a.runs[0].history.length >= 1);
    assert.deepEqual(b.runs[0].final, a.runs[0].final);
    assert.equal(await stateOf(page), 'finished');
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('Pause toggles to Resume, Step advances while paused, Reset returns to idle', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url);
  try {
    await startEndlessRun(page);
    await waitForLoggedRow(page, { learned: true }); // a step was taken: the pause names it
    await page.getByRole('button', { name: 'Pause' }).click();
    assert.equal(await stateOf(page), 'paused');
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    await waitForAnswers(page);
    const before = await textOf(status(page));
    const steps = Number(before.match(/at step (\d+)/)?.[1]);
    assert.ok(steps > 0, `the paused status names the step: ${before}`);
    await page.getByRole('button', { name: 'Step' }).click();
    await waitForAnswers(page);
    // Exactly one more: nothing moved while paused, and Step took one step.
    assert.match(await textOf(status(page)), new RegExp(`at step ${steps + 1}\\b`), 'Step advanced exactly one step; nothing moves while paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    assert.equal(await stateOf(page), 'running');
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    await page.getByRole('button', { name: 'Reset' }).click();
    assert.equal(await stateOf(page), 'idle');
    assert.match(await textOf(page.locator('#results-body')), /No results yet/);
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('the script survives a reload; the page fits 400 px', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url, { width: 400, height: 800 });
  try {
    await waitForState(page, 'idle', 10_000);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than a 400px screen`);
    await setScript(page, SLOW.replace('Math.cos', 'Math.tanh'));
    // The editor saves a moment after the last keystroke.
    await page.waitForFunction(() => localStorage.getItem('bbp.script')?.includes('Math.tanh'), null, { timeout: 10_000 });
    await page.reload();
    await waitForState(page, 'idle', 10_000);
    assert.match(await textOf(page.getByRole('textbox', { name: 'Problem script' })), /Math\.tanh\(x\[0\]\)/);
    assert.equal(await page.getByLabel('Preset', { exact: true }).inputValue(), 'custom');
    await screenshot(page, 'page-400.png');
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('every preset runs its suggested methods to finished (small budget)', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url);
  try {
    await waitForState(page, 'idle', 10_000);
    const ids = await page.locator('#preset option').evaluateAll((os) => os.map((o) => /** @type {HTMLOptionElement} */ (o).value).filter((v) => v !== 'custom'));
    assert.ok(ids.length >= 6, `${ids.length} presets`);
    for (const id of ids) {
      await page.getByLabel('Preset', { exact: true }).selectOption(id);
      const methods = await page.locator('#method-list input:checked').evaluateAll((e) => e.map((x) => /** @type {HTMLInputElement} */ (x).value));
      assert.ok(methods.length >= 2, `${id} suggests two methods`);
      assert.ok((await textOf(page.locator('#story'))).length > 80, `${id} has a story`);
      await fill(page, 'F-evaluation budget', 15_000);
      await fill(page, 'Log points', 8); // monitoring evaluations would outweigh so small a budget
      await runRace(page, { timeout: 60_000, what: id });
      const results = await exportResults(page);
      assert.deepEqual(results.runs.map((r) => r.method), methods);
      for (const r of results.runs) {
        assert.equal(r.error, null, `${id}/${r.method}: ${r.error}`);
        assert.ok(r.history.length >= 2 && Number.isFinite(r.final.trainLoss), `${id}/${r.method} logged a loss`);
      }
    }
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('CSV data with an error names the row and column', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url);
  try {
    await waitForState(page, 'idle', 10_000);
    await page.getByLabel('Data source').selectOption('csv');
    const rows = ['x1,x2,y1,y2'];
    for (let i = 0; i < 10; i++) rows.push(`${i / 10},${-i / 10},${i},${2 * i}`);
    rows[4] = '0.3,-0.3,oops,6';
    await page.getByLabel('CSV data', { exact: true }).fill(rows.join('\n'));
    await page.getByRole('button', { name: 'Run' }).click();
    assert.equal(await waitForState(page, ['finished', 'error'], 10_000), 'error');
    assert.match(await textOf(page.getByRole('alert')), /row 5, column 3: "oops" is not a finite number/);
    assert.equal(await page.getByLabel('CSV data', { exact: true }).getAttribute('aria-invalid'), 'true');
    // The message also stands right under the box, in view with it (at 400 px too).
    const note = page.locator('#csv-error');
    assert.match(await textOf(note), /row 5, column 3/);
    await page.setViewportSize({ width: 400, height: 800 });
    await page.getByRole('button', { name: 'Run' }).click();
    await page.waitForFunction(() => {
      const r = /** @type {HTMLElement} */ (document.getElementById('csv-error')).getBoundingClientRect();
      return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
    }, null, { timeout: 10_000 });
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});
