// End-to-end: every method of the core's registry (www/schema.js) is selectable and appears
// in results.json under its name; charts change while a run goes on; every export downloads a
// valid file; Export charts (PNG) one image of every chart shown, each chart's button that chart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { METHODS } from '../../www/schema.js';
import {
  useBrowser, openPage, waitForState, exportResults, fill, download, downloadJson, runRace,
} from './support/harness.mjs';

const env = useBrowser();

/** A PNG file's signature. @param {Buffer} body */
const assertPng = (body) => assert.deepEqual([...body.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');

test('every method of the registry runs side by side and appears in results.json under its name', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url);
  try {
    await waitForState(page, 'idle', 10_000);
    for (const { label } of METHODS) await page.getByRole('checkbox', { name: label, exact: true }).check();
    await fill(page, 'F-evaluation budget', 20_000);
    await fill(page, 'Max steps', 400);
    await fill(page, 'Log points', 10);
    // Watch the results table: at most one method per core computes at once; the others
    // say they wait for a core, and start later.
    await page.evaluate(() => {
      const seen = window.__seen = { maxRunning: 0, waiting: 0 };
      setInterval(() => {
        const rows = [...document.querySelectorAll('#results-body tr')].map((r) => r.textContent);
        seen.maxRunning = Math.max(seen.maxRunning, rows.filter((t) => t.includes('(running)')).length);
        seen.waiting = Math.max(seen.waiting, rows.filter((t) => t.includes('(waiting for a core)')).length);
      }, 10);
    });
    await runRace(page, { timeout: 180_000 });
    const { seen, cores } = await page.evaluate(() => ({ seen: window.__seen, cores: navigator.hardwareConcurrency }));
    assert.ok(seen.maxRunning >= 1 && seen.maxRunning <= cores, `${seen.maxRunning} methods ran at once on ${cores} cores`);
    if (cores < 8) assert.ok(seen.waiting >= 1, 'methods beyond the core count waited');
    const results = await exportResults(page);
    assert.deepEqual(results.runs.map((r) => r.method).sort(), METHODS.map((m) => m.name).sort());
    for (const run of results.runs) {
      assert.equal(run.error, null, `${run.method}: ${run.error}`);
      assert.ok(run.final.evals <= 20_000, `${run.method} within budget`);
      assert.ok(run.history.length >= 2, `${run.method} logged`);
      // Same data, seed and initial network: every method starts from the same loss.
      assert.equal(run.history[0].trainLoss, results.runs[0].history[0].trainLoss, run.method);
      // Every run says how it came out, and a run that ended above its start is never "improved".
      assert.ok(['reached', 'improved', 'stalled', 'worse', 'diverged', 'failed', 'stopped'].includes(run.final.outcome), `${run.method}: ${run.final.outcome}`);
      if (run.final.trainLoss > run.history[0].trainLoss) assert.notEqual(run.final.outcome, 'improved', run.method);
      assert.equal(typeof run.final.outcomeWhy, 'string');
    }
    // The table shows an outcome for every method (it redraws at most 4 times a second: wait).
    await page.waitForFunction((n) => [...document.querySelectorAll('#results-body tr .outcome')]
      .filter((m) => m.textContent).length === n, results.runs.length);
    const outcomes = await page.locator('#results-body tr .outcome').evaluateAll((marks) => marks.map((m) => m.textContent ?? ''));
    assert.equal(outcomes.length, results.runs.length);
    // By the race's rule (Converged when: within τ of the race's best, the default): converged,
    // or else the run's own outcome.
    assert.ok(outcomes.every((t) => /converged|improved|stalled|worse|diverged|stopped/.test(t)), outcomes.join(' | '));
    for (const { label } of METHODS) await page.getByRole('cell', { name: new RegExp(label.replace(/[()]/g, '\\$&')) }).first().waitFor();
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('the loss chart changes while a run goes on', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url);
  try {
    await waitForState(page, 'idle', 10_000);
    // A run longer than the test, logging often, so it is still going and adding points
    // between the snapshots.
    await fill(page, 'F-evaluation budget', 30_000_000);
    await fill(page, 'Max steps', 10_000_000);
    await fill(page, 'Log points', 2000);
    await page.getByRole('button', { name: 'Run' }).click();
    await waitForState(page, 'running', 10_000);
    const snap = () => page.evaluate(() => /** @type {HTMLCanvasElement} */ (document.getElementById('chart-loss')).toDataURL());
    const a = await snap();
    await page.waitForFunction((x) => /** @type {HTMLCanvasElement} */ (document.getElementById('chart-loss')).toDataURL() !== x, a,
      { timeout: 30_000, polling: 200 });
    const b = await snap();
    assert.notEqual(a, b, 'the loss chart was redrawn with new points');
    assert.equal(await page.locator('[role="status"]').getAttribute('data-state'), 'running', 'still running');
    await page.getByRole('button', { name: 'Stop' }).click();
    await waitForState(page, 'finished', 5_000);
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('each export downloads a valid file', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url);
  try {
    await waitForState(page, 'idle', 10_000);
    await page.getByRole('checkbox', { name: 'Analytic gradient', exact: true }).check();
    await fill(page, 'F-evaluation budget', 20_000);
    await runRace(page, { timeout: 60_000 });
    await page.getByRole('cell', { name: /Analytic gradient/ }).first().waitFor();

    const json = await download(page, 'Export results');
    assert.equal(json.name, 'results.json');
    const results = JSON.parse(json.body.toString('utf8'));
    assert.equal(results.schema, 4); // 2 added repeat, seed, summary and verdict to schema 1; 3 gradSE; 4 the rule, profiles and F's time
    assert.deepEqual(results.runs.map((r) => r.method), ['central', 'exact']);

    const csv = await download(page, 'Export curves (CSV)');
    const lines = csv.body.toString('utf8').trim().split('\n');
    assert.equal(lines[0], 'method,step,evals,monitorEvals,wallMs,trainLoss,testLoss,gradRelErr,gradCos');
    const rows = results.runs.reduce((n, r) => n + r.history.length, 0);
    assert.equal(lines.length - 1, rows, 'one CSV line per logged point');
    for (const line of lines.slice(1)) assert.equal(line.split(',').length, 9);

    const w = await downloadJson(page, 'Export weights (JSON)');
    const net = w.central ?? Object.values(w)[0];
    const found = JSON.stringify(net);
    assert.match(found, /"sizes":\[2,32,32,3\]/, 'the trained 2-32-32-3 network');

    // Export charts (PNG): ONE image of every chart shown, each drawn again at twice its size,
    // in rows as on the page; then each chart's own PNG button, that chart alone.
    /** @type {string[]} */
    const names = [];
    page.on('download', (d) => names.push(d.suggestedFilename()));
    const all = await download(page, 'Export charts (PNG)');
    assert.equal(all.name, 'charts.png');
    assertPng(all.body);
    const shown = await page.evaluate(() => {
      const rects = [...document.querySelectorAll('canvas')].filter((c) => c.offsetParent !== null)
        .map((c) => ({ id: c.id, r: c.getBoundingClientRect(), css: c.clientWidth }));
      /** @type {number[]} */
      const rowTops = [];
      for (const { r } of rects) if (!rowTops.some((t) => Math.abs(t - r.top) < 4)) rowTops.push(r.top);
      const height = rowTops.reduce((sum, t) => sum + Math.max(...rects.filter(({ r }) => Math.abs(r.top - t) < 4).map(({ r }) => r.height)), 0);
      const width = Math.max(...rects.map(({ r }) => r.right)) - Math.min(...rects.map(({ r }) => r.left));
      return { charts: rects.map(({ id, css }) => ({ id, css })), width, height };
    });
    assert.ok(shown.charts.length >= 6, `${shown.charts.length} charts shown`);
    assert.ok(shown.charts.some((c) => c.id === 'chart-profile'), 'the data profile shows with the loss chart');
    assert.ok(all.body.readUInt32BE(16) >= 2 * shown.width, `charts.png is ${all.body.readUInt32BE(16)} px wide; the charts ${shown.width} px on screen`);
    assert.ok(all.body.readUInt32BE(20) >= 2 * shown.height, `charts.png is ${all.body.readUInt32BE(20)} px high; the charts' rows ${shown.height} px on screen`);
    for (const { id, css } of shown.charts) {
      const figure = page.locator('figure', { has: page.locator(`#${id}`) });
      const [d] = await Promise.all([page.waitForEvent('download'), figure.getByRole('button', { name: /as PNG$/ }).click()]);
      assert.equal(d.suggestedFilename(), `${id}.png`);
      const body = await fs.readFile(await d.path());
      assertPng(body);
      // At least twice the chart's CSS width (IHDR: width at bytes 16-19, big-endian).
      assert.ok(body.readUInt32BE(16) >= 2 * css, `${id}: ${body.readUInt32BE(16)} px wide, on screen ${css} px`);
    }
    // One download for Export charts, then one per chart's button: nothing else.
    assert.deepEqual(names, ['charts.png', ...shown.charts.map((c) => `${c.id}.png`)]);
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});
