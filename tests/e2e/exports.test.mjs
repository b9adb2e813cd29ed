// End-to-end: every method of the core's registry (www/schema.js) is selectable and appears
// in results.json under its name; charts change while a run goes on; every export downloads a
// valid file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { METHODS } from '../../www/schema.js';
import {
  useBrowser, openPage, waitForState, exportResults, fill, download, downloadJson, runRace,
} from './support/harness.mjs';

const env = useBrowser();

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

    // One image per chart on show.
    const shown = await page.evaluate(() => [...document.querySelectorAll('canvas')].filter((c) => c.offsetParent !== null).length);
    const pngs = [];
    const all = new Promise((resolve) => {
      page.on('download', (d) => { pngs.push(d); if (pngs.length === shown) resolve(null); });
    });
    await page.getByRole('button', { name: 'Export charts (PNG)' }).click();
    await all;
    assert.ok(pngs.length >= 4, `${pngs.length} chart images`);
    assert.ok(pngs.some((d) => d.suggestedFilename() === 'chart-profile.png'), 'the data profile is exported with the charts');
    for (const d of pngs) {
      assert.match(d.suggestedFilename(), /\.png$/);
      const body = await fs.readFile(await d.path());
      assert.deepEqual([...body.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
      // At least twice the chart's CSS width (IHDR: width at bytes 16-19, big-endian).
      const width = body.readUInt32BE(16);
      const id = d.suggestedFilename().replace(/\.png$/, '');
      const css = await page.evaluate((i) => /** @type {HTMLElement} */ (document.getElementById(i)).clientWidth, id);
      assert.ok(width >= 2 * css, `${id}: ${width} px wide, on screen ${css} px`);
    }
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});
