// ES with the surrogate as a control variate (cv-es) in the page, on a 16-parameter problem
// with dF (so the gradient's error is measured against the exact one): half ES's median
// gradient error at equal evaluations once the surrogate has data, and every stochastic
// estimate's standard error (gradSE) in results.json and on the gradient-error chart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useBrowser, openPage, setScript, fill, waitForState, exportResults, screenshot, waitForCharts, runRace,
} from './support/harness.mjs';

const env = useBrowser();

// The curve renderer of the 'curve' preset, with its Jacobian.
const CURVE_WITH_DF = `// 16 control heights of a curve, rendered into 20 saturating pixels; with dF.
const CONTROLS = 16, PIXELS = 20, WIDTH = 0.09;
function basis(u, j) { const c = j / (CONTROLS - 1); return Math.exp(-((u - c) * (u - c)) / (2 * WIDTH * WIDTH)); }
function heights(x, theta) {
  const h = new Array(PIXELS);
  for (let i = 0; i < PIXELS; i++) {
    const u = i / (PIXELS - 1) + 0.08 * x[0];
    h[i] = 0;
    for (let j = 0; j < CONTROLS; j++) h[i] += theta[j] * basis(u, j);
  }
  return h;
}
function F(x, theta) { return heights(x, theta).map(Math.tanh); }
function dF(x, theta) {
  const h = heights(x, theta);
  return h.map((v, i) => {
    const u = i / (PIXELS - 1) + 0.08 * x[0];
    const d = 1 - Math.tanh(v) ** 2;
    return Array.from({ length: CONTROLS }, (_, j) => d * basis(u, j));
  });
}
function thetaTrue(x) {
  return Array.from({ length: CONTROLS }, (_, j) => {
    const c = j / (CONTROLS - 1);
    return 0.6 * Math.sin(2 * Math.PI * c + 1.5 * x[0]) + 0.2 * Math.cos(5 * c) * x[0];
  });
}
const problem = { xDim: 1, thetaDim: 16, samples: 256, xRange: [-1, 1], noise: 0 };
`;

/** The median of the gradient's relative error after the first quarter of the log points. */
function medianError(run) {
  const h = run.history;
  // After the first quarter of the evaluations (log points are dense early now, so a quarter
  // of the rows would be only the first few percent of the budget, before F~ has data).
  const from = 0.25 * h[h.length - 1].evals;
  const e = h.filter((r) => r.evals >= from).map((r) => r.gradRelErr).filter(Number.isFinite).sort((a, b) => a - b);
  return e[Math.floor(e.length / 2)];
}

test('cv-es halves ES\'s median gradient error on a 16-parameter problem, and each estimate carries its standard error', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url);
  try {
    await waitForState(page, 'idle', 20_000);
    /** @type {[string, boolean][]} */
    const picks = [['Central differences', false], ['Evolution strategies', true], ['ES with surrogate control variate', true]];
    for (const [name, on] of picks) await page.getByRole('checkbox', { name, exact: true }).setChecked(on);
    await setScript(page, CURVE_WITH_DF);
    await fill(page, 'F-evaluation budget', 60000);
    await fill(page, 'Log points', 40);
    await runRace(page, { timeout: 180_000 });
    const results = await exportResults(page);
    const run = (m) => results.runs.find((r) => r.method === m);
    const es = run('es');
    const cv = run('cv-es');
    const [a, b] = [medianError(es), medianError(cv)];
    assert.ok(b <= 0.5 * a, `median relative error: ES ${a.toFixed(3)}, cv-es ${b.toFixed(3)}`);
    // The same evaluations at every log point: a fair comparison.
    assert.deepEqual(cv.history.map((h) => h.evals), es.history.map((h) => h.evals));
    for (const r of [es, cv]) assert.ok(r.history.every((h) => h.gradSE > 0), `${r.method}: a standard error at every log point`);
    const counts = await waitForCharts(page, 5_000);
    const grad = Array.isArray(counts) ? counts.find((c) => c.id === 'chart-grad') : undefined;
    assert.ok((grad?.colored ?? 0) > 50, JSON.stringify(counts));
    await page.locator('#chart-grad').scrollIntoViewIfNeeded();
    await screenshot(page, 'control-variate.png');
    await page.locator('#chart-grad').screenshot({ path: 'tests/e2e/artifacts/control-variate-grad.png' });
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});
