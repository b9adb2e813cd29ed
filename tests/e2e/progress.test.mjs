// End-to-end test of the time left the progress shows: a race of two methods whose own work
// per evaluation differs five- to fifty-fold (SPSA with 40 directions, whose step shares
// one network pass among 81 evaluations a sample, against the Joint surrogate, which trains
// its surrogate at every evaluation), three repeats each on two cores, so that the runs of one
// method take about twice as long as the other's and the waiting runs must be scheduled as
// the runner starts them. The "~… left" read when the bar first passes 10% is within 30% of
// the time the race really took from then on. (Not Central differences: its runs end with the
// step-size sweep, work outside the run's clock that nothing tells the page about before the
// first such run ends.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openReady, setScript, waitForState, exportResults, fill, textOf, status } from './support/harness.mjs';

const env = useBrowser();

// Forty parameters: the coefficients of a sine and a cosine series in x, with dF (so that
// the reference gradient costs no F-evaluations), and a loop that makes F cost about 20 µs a
// call, a simulator's cost: what the methods spend beside F then shows as it does in use.
const FORTY = `// 40 coefficients of two series in x; about 20 µs a call.
function F(x, theta) {
  let s = 0;
  for (let i = 0; i < 4000; i++) s = s * 0.999 + (i & 7) * 1e-9;
  let a = 0;
  let b = 0;
  for (let j = 0; j < 40; j++) {
    a += theta[j] * Math.sin((j + 1) * x[0]);
    b += theta[j] * Math.cos((j + 1) * x[0]) / (j + 1);
  }
  return [a / 8 + s * 1e-9, b / 8];
}
function dF(x, theta) {
  const a = [];
  const b = [];
  for (let j = 0; j < 40; j++) {
    a.push(Math.sin((j + 1) * x[0]) / 8);
    b.push(Math.cos((j + 1) * x[0]) / (j + 1) / 8);
  }
  return [a, b];
}
function thetaTrue(x) { return Array.from({ length: 40 }, (_, j) => 0.5 * Math.sin(x[0] + j)); }
const problem = { xDim: 1, thetaDim: 40, samples: 128, xRange: [-1, 1], noise: 0, thetaBounds: null };
`;

/** "~1 min 5 s left", "~12.3 s left", "~800 ms left" in ms. @param {string} text */
function leftMs(text) {
  const m = /~([^·]+?) left/.exec(text);
  assert.ok(m, `the progress says the time left: ${text}`);
  const t = m[1];
  const min = /^(\d+) min (\d+) s$/.exec(t);
  if (min) return 60_000 * Number(min[1]) + 1000 * Number(min[2]);
  const s = /^([\d.]+) s$/.exec(t);
  if (s) return 1000 * Number(s[1]);
  const ms = /^(\d+) ms$/.exec(t);
  assert.ok(ms, `a duration: ${t}`);
  return Number(ms[1]);
}

/**
 * Runs the race once in a fresh page; returns the report and whether the time left said at 10%
 * was within 30% of what the race then took (the other checks fail the test at once).
 */
async function race() {
  const { page, context, consoleProblems } = await openReady(env.browser, env.url);
  try {
    await setScript(page, FORTY);
    await page.getByRole('checkbox', { name: 'Central differences', exact: true }).uncheck();
    await page.getByRole('checkbox', { name: 'SPSA', exact: true }).check();
    await page.getByRole('checkbox', { name: 'Joint surrogate', exact: true }).check();
    await page.locator('#method-settings summary').click();
    await fill(page, 'k (directions)', 40);
    await fill(page, 'F-evaluation budget', 30_000);
    await fill(page, 'Repeats', 3);
    await fill(page, 'Log points', 20);
    // When the bar first passes 10% (and what its text said then), and when the race finished.
    await page.evaluate(() => {
      /** @type {Window['__pace']} */
      const pace = { clicked: 0, tenth: null, finished: null, log: [] };
      window.__pace = pace;
      const bar = /** @type {HTMLProgressElement} */ (document.getElementById('progress'));
      const text = /** @type {HTMLElement} */ (document.getElementById('progress-text'));
      const s = /** @type {HTMLElement} */ (document.querySelector('[role="status"]'));
      document.getElementById('run')?.addEventListener('click', () => { pace.clicked = performance.now(); });
      new MutationObserver(() => {
        const said = text.textContent ?? '';
        if (pace.log.at(-1)?.text !== said) pace.log.push({ at: performance.now(), text: said });
        if (!pace.tenth && bar.value > 0.1 && /left/.test(said)) {
          pace.tenth = { at: performance.now(), text: text.textContent ?? '', value: bar.value };
        }
        if (pace.finished === null && s.dataset.state === 'finished') pace.finished = performance.now();
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await page.getByRole('button', { name: 'Run' }).click();
    assert.equal(await waitForState(page, ['finished', 'error'], 300_000), 'finished', await textOf(status(page)));
    const pace = await page.evaluate(() => window.__pace);
    const results = await exportResults(page);
    assert.ok(pace.tenth && pace.finished, JSON.stringify(pace));

    // The two methods' own work per evaluation is far apart.
    const own = Object.fromEntries(results.summary.map((s) => [s.method, s.ownMsPerEval.median]));
    const ratio = own.joint / own.spsa;
    const said = leftMs(pace.tenth.text);
    const took = pace.finished - pace.tenth.at;
    const total = pace.finished - pace.clicked;
    const elapsed = pace.tenth.at - pace.clicked;
    const report = `at ${(100 * pace.tenth.value).toFixed(1)}% (${(elapsed / 1000).toFixed(2)} s in) it said ~${(said / 1000).toFixed(2)} s left; `
      + `the race took ${(took / 1000).toFixed(2)} s more (${(total / 1000).toFixed(2)} s in all); own work per evaluation `
      + `${(1000 * own.joint).toFixed(2)} µs (joint) against ${(1000 * own.spsa).toFixed(3)} µs (SPSA), ${ratio.toFixed(0)}x`;
    console.log(report);
    // What it said along the way, against what was left.
    for (const p of [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9]) {
      const e = pace.log.find((x) => Number(/^(\d+)%/.exec(x.text)?.[1]) >= 100 * p && /left/.test(x.text));
      if (e) console.log(`  ${e.text}   (really ${((pace.finished - e.at) / 1000).toFixed(2)} s left)`);
    }
    assert.ok(ratio > 5, `the methods' work per evaluation differs: ${report}`);
    assert.deepEqual(consoleProblems, []);
    return { report, within: Math.abs(said - took) <= 0.3 * took };
  } finally {
    await context.close();
  }
}

test('the time left at 10% is within 30% of the time the race then took (two methods 5-50x apart in work per evaluation)', async () => {
  // Another race only when one missed, three at most: with other processes on the machine
  // its speed changes mid-race (beside two busy processes: 15% done in 1.0 s, said 4.7 s left,
  // took 8.4 s; or said 16.1 s at 12%, took 5.4 s), which the estimate, made from each
  // method's pace so far, cannot foresee. On an idle machine the first race is within 3-15%;
  // an estimator that is wrong by itself misses all three.
  const missed = [];
  for (let i = 0; i < 3; i++) {
    const r = await race();
    if (r.within) return;
    missed.push(r.report);
    console.log(`missed (${r.report})`);
  }
  assert.fail(`within 30% in none of three races: ${missed.join('; then ')}`);
});
