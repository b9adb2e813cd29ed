// End-to-end tests of a race's summary on the page: results.json schema 4 (the rule, the data
// profiles, the time note, each method's and each run's times; surrogateGradErr and F's time
// in the runs) and Load results reading schemas 1 to 4; the data profile beside the loss
// chart; the verdict with its time note, the table's columns, marks and ★ following the
// verdict; the gradient-error chart's 95% noise band and the surrogate's slope error; a
// method that cannot run is not started; and "finished" only once everything is drawn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  useBrowser, openReady, setScript, waitForState, exportResults, fill, textOf, status, runRace, waitForCharts,
  screenshot, withoutWallClock,
} from './support/harness.mjs';

const env = useBrowser();

// Small and fast: one x, two parameters, 64 samples (no dF).
const SMALL = `function F(x, theta) { return [theta[0] * x[0] + theta[1], Math.sin(theta[1])]; }
function thetaTrue(x) { return [Math.cos(x[0]), 0.5 * x[0]]; }
const problem = { xDim: 1, thetaDim: 2, samples: 64, xRange: [-1, 1], noise: 0, thetaBounds: null };
`;

/**
 * Opens the page with SMALL, the methods `labels` ticked (Central differences too, unless
 * `central` is false) and short runs.
 * @param {{labels?: string[], central?: boolean, repeats?: number, budget?: number, seed?: number}} [options]
 */
async function openSmall({ labels = ['SPSA'], central = true, repeats = 3, budget = 6000, seed = 7 } = {}) {
  const opened = await openReady(env.browser, env.url);
  const { page } = opened;
  await setScript(page, SMALL);
  await page.getByRole('checkbox', { name: 'Central differences', exact: true }).setChecked(central);
  for (const label of labels) await page.getByRole('checkbox', { name: label, exact: true }).check();
  await fill(page, 'F-evaluation budget', budget);
  await fill(page, 'Log points', 10);
  await fill(page, 'Seed', seed);
  await fill(page, 'Repeats', repeats);
  return opened;
}

/**
 * Watches the status element and records, at the very moment its data-state becomes
 * `finished` (a MutationObserver's callback runs before any timer or animation frame), what
 * the page shows: the verdict and time note, the table's rows, and each visible chart's
 * count of coloured pixels.
 * @param {import('playwright-core').Page} page
 */
const watchFinish = (page) => page.evaluate(() => {
  window.__atFinish = null;
  const s = /** @type {HTMLElement} */ (document.querySelector('[role="status"]'));
  const coloured = (/** @type {HTMLCanvasElement} */ c) => {
    const copy = document.createElement('canvas');
    copy.width = c.width;
    copy.height = c.height;
    const ctx = /** @type {CanvasRenderingContext2D} */ (copy.getContext('2d', { willReadFrequently: true }));
    ctx.drawImage(c, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - d[i + 2]) > 40) n++;
    return n;
  };
  new MutationObserver(() => {
    if (s.dataset.state !== 'finished' || window.__atFinish) return;
    const verdict = /** @type {HTMLElement} */ (document.getElementById('verdict'));
    window.__atFinish = {
      verdict: verdict.hidden ? '' : verdict.querySelector('.verdict-text')?.textContent ?? '',
      timeNote: verdict.hidden ? '' : verdict.querySelector('.time-note')?.textContent ?? '',
      rows: [...document.querySelectorAll('#results-body tr')].map((r) => r.textContent ?? ''),
      charts: [...document.querySelectorAll('canvas')].filter((c) => c.offsetParent !== null).map((c) => ({ id: c.id, coloured: coloured(c) })),
    };
  }).observe(s, { attributes: true, attributeFilter: ['data-state'] });
});

test('Repeats 3: results.json schema 4 with the rule, profiles, times and surrogateGradErr; "finished" once the table, verdict and charts are drawn', async () => {
  const { page, context, consoleProblems } = await openSmall({ labels: ['Joint surrogate'], repeats: 3 });
  try {
    await watchFinish(page);
    await runRace(page);
    const at = await page.evaluate(() => window.__atFinish);
    const a = await exportResults(page);
    assert.equal(a.schema, 4);
    assert.equal(a.config.convergence, '0.01', 'the default rule');

    // The rule: relative to the race's best, which is the lowest loss any run logged.
    const lowest = Math.min(...a.runs.flatMap((r) => r.history.map((h) => h.trainLoss).filter((v) => v !== null)));
    assert.deepEqual(a.rule, { kind: 'relative', tau: 0.01, best: lowest });
    assert.match(a.verdict, /^Converged means a training loss within τ = 0\.01/);
    assert.equal(typeof a.timeNote, 'string');

    // The runs: F's time and calls in `final`; surrogateGradErr only where it was measured.
    for (const r of a.runs) {
      assert.ok(r.final.fMs > 0 && r.final.fRows > 0, `${r.method} #${r.repeat}: fMs ${r.final.fMs}, fRows ${r.final.fRows}`);
      const keys = Object.keys(r.history[0]);
      if (r.method === 'joint') {
        assert.ok(keys.includes('surrogateGradErr'), 'the joint surrogate measured its slopes');
        assert.ok(r.history.some((h) => h.surrogateGradErr > 0), 'and logged them');
      } else {
        assert.ok(!keys.includes('surrogateGradErr') && !keys.includes('surrogateErr'), `${r.method} has no surrogate`);
      }
    }

    // The summary per method and per run; the data profiles agree with the runs' brackets.
    assert.deepEqual(a.summary.map((s) => s.method), ['central', 'joint']);
    for (const s of a.summary) {
      assert.equal(s.runs.length, 3, s.method);
      assert.deepEqual(s.runs.map((r) => r.repeat), [0, 1, 2]);
      for (const k of ['msToTarget', 'ownMsPerEval', 'fMsPerCall']) assert.ok(k in s, `${s.method}.${k}`);
      assert.ok(s.ownMsPerEval.median > 0 && s.fMsPerCall.median > 0, `${s.method}: own ${s.ownMsPerEval.median} ms, F ${s.fMsPerCall.median} ms`);
      const his = s.runs.filter((r) => r.evalsToTarget).map((r) => r.evalsToTarget.hi).sort((x, y) => x - y);
      assert.equal(s.evalsToTarget.reached, his.length, s.method);
      for (const r of s.runs) {
        if (r.evalsToTarget) assert.ok(r.evalsToTarget.lo <= r.evalsToTarget.hi && r.msToTarget > 0, `${s.method} #${r.repeat}`);
        // The run's own history: its bracket's upper end is a log point at or below the goal.
        const run = a.runs.find((x) => x.method === s.method && x.repeat === r.repeat);
        const f0 = run.history[0].trainLoss;
        const goal = a.rule.best + a.rule.tau * (f0 - a.rule.best);
        const first = run.history.find((h) => h.trainLoss <= goal);
        assert.equal(r.evalsToTarget?.hi ?? null, first?.evals ?? null, `${s.method} #${r.repeat}: the first log point past the goal`);
      }
      const profile = a.profiles.find((p) => p.method === s.method);
      assert.ok(profile, `${s.method} has a data profile`);
      const shares = [...new Set(his)].map((e) => [e, his.filter((h) => h <= e).length / 3]);
      assert.deepEqual(profile.points.map(([e, share]) => [e, Number(share.toFixed(9))]), shares.map(([e, share]) => [e, Number(share.toFixed(9))]), s.method);
    }

    // "finished" came once everything was drawn: the verdict and time note as exported, a
    // row per method with its outcome, and every chart on show (the data profile among them)
    // with method colours on it.
    assert.ok(at, 'the status became finished');
    assert.equal(at.verdict, a.verdict);
    assert.equal(at.timeNote, a.timeNote);
    assert.equal(at.rows.length, 2);
    for (const row of at.rows) assert.match(row, /\d\/3 (converged|improved|stalled|worse|diverged)/, row);
    assert.ok(at.charts.some((c) => c.id === 'chart-profile'), 'the data profile is on show');
    for (const c of at.charts) assert.ok(c.coloured > 50, `${c.id} was drawn when the race said finished (${c.coloured} coloured pixels)`);

    // Loaded into a fresh page, the file gives itself back; schemas 1 to 3 load too.
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'summary-'));
    const fresh = await openReady(env.browser, env.url);
    try {
      const load = fresh.page.getByLabel('Load results');
      const file = path.join(dir, 'results.json');
      await fs.writeFile(file, JSON.stringify(a));
      await load.setInputFiles(file);
      assert.equal(await waitForState(fresh.page, 'finished', 10_000), 'finished');
      assert.deepEqual(await exportResults(fresh.page), a);
      for (const schema of [1, 2, 3]) {
        const old = structuredClone(a);
        old.schema = schema;
        delete old.config.convergence;
        for (const k of ['rule', 'profiles', 'timeNote']) delete old[k];
        for (const r of old.runs) {
          delete r.final.fMs;
          delete r.final.fRows;
          for (const h of r.history) {
            delete h.surrogateGradErr;
            if (schema < 3) delete h.gradSE;
            if (schema < 2) delete h.surrogateErr;
          }
          if (schema < 2) { delete r.repeat; delete r.seed; }
        }
        if (schema < 2) { delete old.summary; delete old.verdict; }
        const f = path.join(dir, `schema-${schema}.json`);
        await fs.writeFile(f, JSON.stringify(old));
        await load.setInputFiles(f);
        await fresh.page.waitForFunction((name) => document.querySelector('[role="status"]')?.getAttribute('data-state') === 'finished'
          && (document.getElementById('status-text')?.textContent ?? '').includes(name), `schema-${schema}.json`, { timeout: 10_000 });
        const again = await exportResults(fresh.page);
        // Read by the fixed Target, as it was made; the runs as they were.
        assert.equal(again.rule.kind, 'fixed', `schema ${schema}`);
        assert.equal(again.runs.length, 6, `schema ${schema}`);
        assert.deepEqual(again.runs.map((r) => r.history.map((h) => h.trainLoss)), a.runs.map((r) => r.history.map((h) => h.trainLoss)), `schema ${schema}`);
      }
      assert.deepEqual(fresh.consoleProblems, []);
    } finally {
      await fresh.context.close();
      await fs.rm(dir, { recursive: true, force: true });
    }

    // The same settings again: the same results.json, wall-clock fields aside.
    await runRace(page);
    assert.deepEqual(withoutWallClock(await exportResults(page)), withoutWallClock(a));
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('the verdict box, the table\'s columns, marks and ★ follow the core\'s summary; the data profile shows with the loss chart', async () => {
  const { page, context, consoleProblems } = await openSmall({ labels: ['SPSA'], repeats: 3 });
  try {
    await runRace(page);
    const a = await exportResults(page);
    await page.locator('#chart-options summary').click(); // open "Charts shown"
    await screenshot(page, 'race-summary-repeats-3.png');

    // The verdict, then the time note on its own line (when there is one).
    const verdict = page.locator('#verdict');
    assert.equal(await textOf(verdict.locator('.verdict-text')), a.verdict);
    assert.equal(await verdict.locator('.time-note').count(), a.timeNote ? 1 : 0);
    if (a.timeNote) assert.equal(await textOf(verdict.locator('.time-note')), a.timeNote);

    // The columns: the learning rate, to converge, time per evaluation (own + F), time to converge.
    const heads = await page.locator('#results thead th').allTextContents();
    assert.deepEqual(heads, ['Method', 'Train loss', 'Test loss', 'F-evals', 'Learning rate', 'To converge', 'Wall time', 'Time per eval', 'Time to converge', 'Median cos']);
    const rows = await page.locator('#results-body tr').evaluateAll((trs) => trs.map((tr) => ({
      cells: [...(/** @type {HTMLTableRowElement} */ (tr)).cells].map((c) => c.querySelector('.v')?.textContent ?? c.textContent ?? ''),
      outcome: tr.querySelector('.outcome')?.textContent ?? '',
      best: [...(/** @type {HTMLTableRowElement} */ (tr)).cells].map((c, i) => (c.classList.contains('best') ? i : -1)).filter((i) => i >= 0),
    })));
    assert.equal(rows.length, 2);
    const fmtCount = (/** @type {number} */ n) => (n >= 1e4 ? `${Number((n / 1e3).toPrecision(3))} k` : String(Math.round(n)));
    a.summary.forEach((s, i) => {
      const row = rows[i];
      assert.match(row.cells[0], new RegExp(s.method === 'central' ? 'Central differences' : 'SPSA'));
      // The median of the runs' bracket upper ends; "–" when none converged.
      assert.equal(row.cells[5], s.evalsToTarget.reached ? fmtCount(s.evalsToTarget.median) : '–', `${s.method}: to converge`);
      assert.match(row.cells[7], /^[\d.]+ (ns|µs|ms) \+ F [\d.]+ (ns|µs|ms)$/, `${s.method}: time per evaluation`);
      // The marks follow the race's rule: converged from the summary's brackets.
      const converged = s.runs.filter((r) => r.evalsToTarget).length;
      if (converged >= 2) assert.match(row.outcome, new RegExp(`✓ ${converged}/3 converged`), row.outcome);
      assert.doesNotMatch(row.outcome, /reached/, 'a τ rule has no "reached" mark');
      // ★ only for the verdict's winner, in the column it won on (to converge, or the
      // training loss when no method converged in every run).
      const label = s.method === 'central' ? 'Central differences' : 'SPSA';
      const isWinner = a.verdict.includes(`${label} wins:`);
      const column = a.summary.some((m) => !m.lost && m.evalsToTarget.reached === m.repeats) ? 5 : 1;
      assert.deepEqual(row.best, isWinner ? [column] : [], `${s.method}: ★ in ${row.best}; ${a.verdict}`);
    });

    // The data profile beside the loss chart, with both methods' colours; hidden with the loss chart.
    const profile = page.locator('#chart-profile');
    assert.equal(await profile.isVisible(), true);
    await page.getByLabel('Loss chart', { exact: true }).uncheck();
    await profile.waitFor({ state: 'hidden' });
    await page.getByLabel('Loss chart', { exact: true }).check();
    await profile.waitFor({ state: 'visible' });
    for (const c of await waitForCharts(page)) assert.ok(c.colored > 50, `${c.id} has method colours drawn on it`);
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('the gradient-error chart shades the 95% noise level (1.96·gradSE) and draws the surrogate\'s error on slopes, each named on hover', async () => {
  const { page, context, consoleProblems } = await openSmall({ labels: ['SPSA', 'Joint surrogate'], central: false, repeats: 1 });
  try {
    await runRace(page);
    const a = await exportResults(page);
    const spsa = a.runs.find((r) => r.method === 'spsa');
    const levels = spsa.history.filter((h) => h.gradSE > 0 && h.gradRelErr > 0).map((h) => 1.96 * h.gradSE);
    assert.ok(levels.length >= 3, 'SPSA measured its standard error');
    await waitForCharts(page);
    // Sweep the mouse over the chart and collect what the readout names.
    const canvas = page.locator('#chart-grad');
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    assert.ok(box);
    const readout = page.locator('#chart-grad ~ .readout');
    /** @type {Map<string, string>} */
    const seen = new Map();
    for (let y = box.y + 8; y < box.y + box.height - 8; y += 8) {
      for (let x = box.x + 8; x < box.x + box.width - 8; x += 12) {
        await page.mouse.move(x, y);
        if (!(await readout.isVisible())) continue;
        const text = await textOf(readout);
        const name = text.split(':').slice(0, -1).join(':');
        if (!seen.has(name)) seen.set(name, text);
      }
      if (['noise level', 'slopes', 'values'].every((w) => [...seen.keys()].some((k) => k.includes(w)))) break;
    }
    const names = [...seen.keys()];
    const noise = [...seen.values()].find((t) => /SPSA: 95% noise level \(1\.96·SE; above it means bias\)/.test(t));
    assert.ok(noise, `the band's top is named on hover: ${names.join(' | ')}`);
    // Its value is one of 1.96 gradSE (the readout shows three significant digits).
    const shown = Number(/relative L2 error ([-\d.e]+)/.exec(noise)?.[1]);
    assert.ok(levels.some((v) => Math.abs(v - shown) <= 0.006 * v), `${shown} is 1.96·gradSE at a log point (${levels.map((v) => v.toPrecision(3)).join(', ')})`);
    assert.ok(names.some((n) => /Joint surrogate: F̃ (error on )?slopes/.test(n)), `the surrogate's slope error is drawn: ${names.join(' | ')}`);
    assert.ok(names.some((n) => /Joint surrogate: F̃ values/.test(n)), `beside its error on values: ${names.join(' | ')}`);
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('a stalled run says so with its own mark', async () => {
  const { page, context, consoleProblems } = await openReady(env.browser, env.url);
  try {
    // An F that ignores θ: every gradient is zero, so the loss never moves.
    await setScript(page, `function F(x, theta) { return [x[0] + 0 * theta[0]]; }
function thetaTrue(x) { return [x[0], 0]; }
const problem = { xDim: 1, thetaDim: 2, samples: 64, xRange: [-1, 1], noise: 0.1, thetaBounds: null };
`);
    await fill(page, 'F-evaluation budget', 3000);
    await fill(page, 'Log points', 5);
    await page.getByLabel('Converged when', { exact: true }).selectOption('start');
    await runRace(page);
    const a = await exportResults(page);
    assert.equal(a.runs[0].final.outcome, 'stalled', a.runs[0].final.outcomeWhy);
    assert.deepEqual(a.rule, { kind: 'fixed', target: a.config.target });
    await page.locator('#results-body tr .outcome', { hasText: '→ stalled' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('#results-body tr .outcome').getAttribute('data-outcome'), 'stalled');
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('Analytic gradient ticked for a script without dF is not started: not counted, its row says why, the bar ends at 100%', async () => {
  const { page, context, consoleProblems } = await openSmall({ labels: ['SPSA', 'Analytic gradient'], repeats: 1, budget: 3000 });
  try {
    // Not counted in what Run trains.
    await page.waitForFunction(() => /Run trains with Central differences and SPSA \(Analytic gradient needs dF/.test(document.getElementById('status-text')?.textContent ?? ''), null, { timeout: 10_000 });
    await runRace(page);
    const text = await textOf(status(page));
    assert.doesNotMatch(text, /failed/, text);
    assert.match(await textOf(page.getByRole('alert')), /Analytic gradient needs dF: not started/);
    const row = page.locator('#results-body tr', { hasText: 'Analytic gradient' });
    await row.waitFor({ timeout: 10_000 });
    assert.match(await textOf(row), /Not started: the script has no dF/);
    const a = await exportResults(page);
    assert.deepEqual(a.runs.map((r) => r.method), ['central', 'spsa']);
    assert.deepEqual(a.config.methods, ['central', 'spsa']);
    // The progress counts the runs that were started: it ends at 100%.
    await page.waitForFunction(() => (document.getElementById('progress-text')?.textContent ?? '').startsWith('100%'), null, { timeout: 10_000 });
    assert.ok(Number(await page.locator('#progress').getAttribute('value')) >= 0.995);

    // Analytic gradient alone cannot run: nothing starts, and the message says why.
    await page.getByRole('checkbox', { name: 'Central differences', exact: true }).uncheck();
    await page.getByRole('checkbox', { name: 'SPSA', exact: true }).uncheck();
    await page.getByRole('button', { name: 'Run' }).click();
    await waitForState(page, 'error', 10_000);
    assert.match(await textOf(page.getByRole('alert')), /Analytic gradient needs dF, and the script has none/);
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});
