// End-to-end tests of the charts a person sees after a race: the θ(x) chart with two-dimensional
// x (θ against the x component chosen in the menu beside it), a chart that cannot be drawn
// saying why in its place (the θ(x) chart of a calibration, xDim 0) instead of vanishing while
// its box stays ticked, and the charts shown recorded in results.json (config.charts) and
// ticked again by Load results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  useBrowser, openReady, setScript, fill, runRace, exportResults, waitForCharts, waitForState, textOf, status,
} from './support/harness.mjs';

const env = useBrowser();

// θ[0] follows x[1] only: drawn against x[1] it is a clean rising band, against x[0] a cloud.
const XDIM2 = `function F(x, theta) { return [theta[0] + 0.3 * theta[1] * x[0], theta[1] * x[1] + theta[0] * x[0]]; }
function thetaTrue(x) { return [x[1], 0.5 + 0.25 * x[0]]; }
const problem = { xDim: 2, thetaDim: 2, samples: 128, xRange: [-1, 1], noise: 0 };
`;

const CALIBRATION = `// No x: theta itself. A damped oscillation at 8 times.
function F(x, theta) {
  const out = [];
  for (let k = 0; k < 8; k++) out.push(theta[0] * Math.exp(-theta[1] * 0.25 * k));
  return out;
}
function thetaTrue() { return [1.5, 0.3]; }
const problem = { xDim: 0, thetaDim: 2, noise: 0, thetaBounds: [[0.1, 5], [0, 2]], theta0: [1, 0.5] };
`;

/** The θ(x) canvas's picture, to see it change. */
const thetaPicture = (page) => page.evaluate(() => /** @type {HTMLCanvasElement} */ (document.getElementById('chart-theta')).toDataURL());

test('θ(x) with xDim 2: drawn against the x component chosen beside the chart', async () => {
  const { page, context, consoleProblems } = await openReady(env.browser, env.url);
  try {
    await setScript(page, XDIM2);
    await fill(page, 'F-evaluation budget', 4000);
    await fill(page, 'Log points', 5);
    await runRace(page, { timeout: 60_000 });
    const chart = page.locator('#chart-theta');
    assert.equal(await chart.isVisible(), true, 'the θ(x) chart shows, as its box is ticked');
    assert.equal(await chart.getAttribute('title'), '', 'it is drawn, not a placeholder');
    const counts = await waitForCharts(page);
    assert.ok((counts.find((c) => c.id === 'chart-theta')?.colored ?? 0) > 50, JSON.stringify(counts));
    const menu = page.getByLabel('θ against', { exact: true });
    assert.deepEqual(await menu.locator('option').allTextContents(), ['x[0]', 'x[1]']);
    assert.equal(await menu.inputValue(), '0');

    const before = await thetaPicture(page);
    await menu.selectOption({ label: 'x[1]' });
    await page.waitForFunction((b) => /** @type {HTMLCanvasElement} */ (document.getElementById('chart-theta')).toDataURL() !== b, before);
    // The readout names the axis: θ against x[1].
    await chart.scrollIntoViewIfNeeded();
    const box = await chart.boundingBox();
    assert.ok(box);
    const readout = page.locator('#theta-figure .readout');
    let said = '';
    for (let i = 1; i < 40 && !/x\[1\]/.test(said); i++) {
      await page.mouse.move(box.x + (box.width * i) / 40, box.y + box.height / 2);
      if (await readout.isVisible()) said = await textOf(readout);
    }
    assert.match(said, /: x\[1\] -?[\d.e-]+, θ -?[\d.e-]+$/, said);
    await page.locator('#theta-figure').screenshot({ path: 'tests/e2e/artifacts/theta-xdim2.png' });
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('a calibration (xDim 0): the θ(x) chart stays where it is ticked and says why it has nothing to draw', async () => {
  const { page, context, consoleProblems } = await openReady(env.browser, env.url);
  try {
    const chart = page.locator('#chart-theta');
    assert.equal(await chart.isVisible(), true);
    assert.match(await chart.getAttribute('title') ?? '', /appears when a method finishes/);
    await setScript(page, CALIBRATION);
    await fill(page, 'F-evaluation budget', 2000);
    await fill(page, 'Log points', 5);
    await runRace(page, { timeout: 60_000 });
    assert.equal(await chart.isVisible(), true, 'still shown: its box is ticked');
    assert.match(await chart.getAttribute('title') ?? '', /xDim 0 \(calibration\), so θ is one vector/);
    assert.equal(await page.getByLabel('θ against', { exact: true }).isVisible(), false, 'no x to choose');
    await page.locator('#theta-figure').screenshot({ path: 'tests/e2e/artifacts/theta-calibration.png' });
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('results.json records the charts shown, and Load results ticks them again', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'charts-shown-'));
  const file = path.join(dir, 'results.json');
  const a = await openReady(env.browser, env.url);
  let raced;
  try {
    await setScript(a.page, XDIM2);
    await fill(a.page, 'F-evaluation budget', 2000);
    await fill(a.page, 'Log points', 5);
    await a.page.locator('#chart-options summary').click(); // open "Charts shown"
    await a.page.getByLabel('Cosine chart', { exact: true }).uncheck();
    await a.page.getByLabel('Step-size sweep chart', { exact: true }).uncheck();
    await runRace(a.page, { timeout: 60_000 });
    raced = await exportResults(a.page);
    assert.deepEqual(raced.config.charts, ['loss', 'grad', 'fit', 'theta']);
    assert.deepEqual(a.consoleProblems, []);
  } finally {
    await a.context.close();
  }
  await fs.writeFile(file, JSON.stringify(raced));

  // A fresh page shows every chart; the file ticks the race's charts again.
  const b = await openReady(env.browser, env.url);
  try {
    const { page } = b;
    assert.equal(await page.locator('#chart-cos').isVisible(), true);
    await page.getByLabel('Load results').setInputFiles(file);
    assert.equal(await waitForState(page, 'finished', 15_000), 'finished');
    assert.match(await textOf(status(page)), /Loaded results\.json/);
    await page.locator('#chart-options summary').click();
    const ticked = await page.locator('#chart-options input[type=checkbox]').evaluateAll((boxes) => boxes
      .filter((c) => /** @type {HTMLInputElement} */ (c).checked).map((c) => c.id));
    assert.deepEqual(ticked, ['show-loss', 'show-grad', 'show-fit', 'show-theta']);
    assert.equal(await page.locator('#chart-cos').isVisible(), false);
    assert.equal(await page.locator('#chart-sweep').isVisible(), false);
    // A loaded results.json holds no θ values: the θ(x) chart says so in its place.
    assert.match(await page.locator('#chart-theta').getAttribute('title') ?? '', /loaded results\.json holds no values/);
    assert.deepEqual((await exportResults(page)).config.charts, raced.config.charts);
    assert.deepEqual(b.consoleProblems, []);
  } finally {
    await b.context.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
});
