// End-to-end: calibration mode (xDim 0). A damped oscillation with no x trains with every
// method of the registry in the page, each ending within a hair of F's noise-free data (the
// native test tests/calibration.rs checks the theta itself within 1%); its share link gives
// the same results.json in a fresh page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { METHODS } from '../../www/schema.js';
import {
  useBrowser, openReady, setScript, fill, runRace, exportResults, withoutWallClock,
} from './support/harness.mjs';

const env = useBrowser();

const SCRIPT = `// Calibration: no x, theta itself. A damped oscillation at 12 times.
function F(x, theta) {
  const out = [];
  for (let k = 0; k < 12; k++) {
    const t = 0.25 * k;
    out.push(theta[0] * Math.exp(-theta[1] * t) * Math.cos(theta[2] * t));
  }
  return out;
}
function dF(x, theta) {
  const rows = [];
  for (let k = 0; k < 12; k++) {
    const t = 0.25 * k, e = Math.exp(-theta[1] * t), c = Math.cos(theta[2] * t), s = Math.sin(theta[2] * t);
    rows.push([e * c, -t * theta[0] * e * c, -t * theta[0] * e * s]);
  }
  return rows;
}
function thetaTrue() { return [1.5, 0.3, 2.0]; }
const problem = { xDim: 0, thetaDim: 3, noise: 0,
                  thetaBounds: [[0.1, 5], [0, 2], [0.5, 4]], theta0: [1, 0.5, 1.7] };
`;

test('a calibration with no x trains with every method, and its link reproduces it', async () => {
  const a = await openReady(env.browser, env.url);
  /** @type {Awaited<ReturnType<typeof openReady>> | null} */
  let b = null;
  try {
    const { page } = a;
    await setScript(page, SCRIPT);
    for (const { label } of METHODS) await page.getByRole('checkbox', { name: label, exact: true }).check();
    await fill(page, 'F-evaluation budget', 30_000);
    await fill(page, 'Max steps', 0);
    await runRace(page, { timeout: 300_000, what: 'calibration race' });
    const results = await exportResults(page);
    assert.equal(results.runs.length, METHODS.length);
    for (const run of results.runs) {
      assert.equal(run.error, null, `${run.method}: ${run.error}`);
      const first = run.history[0].trainLoss;
      const last = run.final.trainLoss;
      assert.ok(last < 1e-3 * first, `${run.method}: ${first} -> ${last}`);
    }
    await page.getByRole('button', { name: 'Share link' }).click();
    const field = page.getByLabel('Share link URL');
    await field.waitFor({ state: 'visible' });
    const url = await field.inputValue();
    b = await openReady(env.browser, url);
    await runRace(b.page, { timeout: 300_000, what: 'the linked race' });
    const again = await exportResults(b.page);
    assert.deepEqual(withoutWallClock(again), withoutWallClock(results));
  } finally {
    await a.context.close();
    await b?.context.close();
  }
});
