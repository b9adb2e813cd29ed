// End-to-end test of Load results as a person uses it: a results.json loaded into a page
// that holds another script (the person's own, typed) puts the race back (its script, its
// methods ticked, its settings), so that Share link shares that race; the person's script
// is kept under "My script".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  useBrowser, openReady, setScript, fill, runRace, exportResults, editorText, textOf, status,
  waitForState, screenshot,
} from './support/harness.mjs';

const env = useBrowser();

const RACED = `// The race's problem.
function F(x, theta) { return [theta[0] * x[0] + Math.sin(theta[1]), theta[1] * x[0] * x[0]]; }
function thetaTrue(x) { return [Math.cos(x[0]), 0.5 * x[0]]; }
const problem = { xDim: 1, thetaDim: 2, samples: 64, xRange: [-1, 1], noise: 0 };
`;

const MINE = `// My own work in progress, never saved anywhere else.
function F(x, theta) { return [theta[0] + theta[1] * x[0] * x[0]]; }
function thetaTrue(x) { return [0.1, x[0]]; }
const problem = { xDim: 1, thetaDim: 2, samples: 32, xRange: [-1, 1], noise: 0 };
`;

/** The ticked methods' names, the values of a few inputs, the charts ticked. */
const pageState = (page) => page.evaluate(() => ({
  methods: [...document.querySelectorAll('#method-list input[type=checkbox]:checked')].map((b) => /** @type {HTMLInputElement} */ (b).value),
  inputs: Object.fromEntries(['budget', 'seed', 'learning-rate', 'log-points', 'batch-size', 'hidden', 'method-rate-spsa']
    .map((id) => [id, /** @type {HTMLInputElement} */ (document.getElementById(id)).value])),
}));

test('Load results puts back the race: Share link opens its script and settings; my own script stays under "My script"', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'load-results-'));
  const file = path.join(dir, 'results.json');
  // The race, in a page of its own: two methods, settings away from their defaults.
  const a = await openReady(env.browser, env.url);
  let raced;
  let racedState;
  try {
    await setScript(a.page, RACED);
    await a.page.getByRole('checkbox', { name: 'SPSA', exact: true }).check();
    await fill(a.page, 'F-evaluation budget', 3000);
    await fill(a.page, 'Seed', 5);
    await fill(a.page, 'Log points', 6);
    await fill(a.page, 'Learning rate', 0.02);
    await fill(a.page, 'Own learning rate of SPSA', 0.005);
    await runRace(a.page, { timeout: 60_000 });
    raced = await exportResults(a.page);
    racedState = await pageState(a.page);
    assert.deepEqual(a.consoleProblems, []);
  } finally {
    await a.context.close();
  }
  await fs.writeFile(file, JSON.stringify(raced));
  assert.deepEqual(raced.config.methods, ['central', 'spsa']);

  // Another page: the person's own script typed, other methods and settings.
  const b = await openReady(env.browser, env.url);
  let link;
  try {
    const { page } = b;
    await setScript(page, MINE);
    await fill(page, 'Seed', 9);
    await fill(page, 'F-evaluation budget', 4000);
    await page.getByRole('checkbox', { name: 'Evolution strategies', exact: true }).check();

    await page.getByLabel('Load results').setInputFiles(file);
    assert.equal(await waitForState(page, 'finished', 15_000), 'finished');
    assert.match(await textOf(status(page)), /Loaded results\.json: 2 runs of 2 methods/);
    // The race is back: its script, methods and settings.
    assert.equal(await editorText(page), raced.config.script);
    assert.deepEqual(await pageState(page), racedState);
    // The person's script was replaced, not lost: the notice offers it back, the menu keeps it.
    const alert = page.getByRole('alert');
    assert.match(await textOf(alert), /Your own script stays under "My script"/);
    assert.equal(await alert.getByRole('button', { name: 'Restore my script' }).count(), 1);
    await screenshot(page, 'load-results-restored.png');

    // Share link shares the loaded race.
    await page.getByRole('button', { name: 'Share link' }).click();
    link = await page.locator('#share-url').inputValue();
    assert.ok(link.includes('#v1.'), link);

    // "My script" brings the person's own back, exactly.
    await page.selectOption('#preset', 'custom');
    assert.equal(await editorText(page), MINE);
    assert.deepEqual(b.consoleProblems, []);
  } finally {
    await b.context.close();
  }

  // The link, opened in a fresh browser: the loaded race's script and settings; Run gives
  // that race again (the same config, the same losses).
  const c = await openReady(env.browser, link);
  try {
    const { page } = c;
    await page.waitForFunction(() => /Opened a shared link/.test(document.querySelector('[role="status"]')?.textContent ?? ''), null, { timeout: 15_000 });
    assert.equal(await editorText(page), raced.config.script);
    assert.deepEqual(await pageState(page), racedState);
    await runRace(page, { timeout: 60_000 });
    const again = await exportResults(page);
    assert.deepEqual(again.config, raced.config);
    assert.deepEqual(again.runs.map((r) => r.final.trainLoss), raced.runs.map((r) => r.final.trainLoss));
    assert.deepEqual(c.consoleProblems, []);
  } finally {
    await c.context.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
});
