// End-to-end tests of Diagnose F: on the noisy preset the diagnosis finds the noise, its
// recommendation (applied with one button) trains where Central differences with the default
// step do not; the diagnosis goes into results.json and diagnosis.json; a wrong dF is named;
// Stop ends a diagnosis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useBrowser, openReady, setScript, exportResults, textOf, runRace, downloadJson,
} from './support/harness.mjs';

const env = useBrowser();

const open = () => openReady(env.browser, env.url);

/** Presses Diagnose F and waits for its advice. */
async function diagnose(page) {
  await page.getByRole('button', { name: 'Diagnose F' }).click();
  await page.locator('#diagnosis-advice').filter({ hasText: 'Recommended' }).waitFor({ timeout: 60_000 });
  await page.waitForFunction(() => document.getElementById('diagnosis')?.getAttribute('aria-busy') === 'false', null, { timeout: 10_000 });
}

/** Runs the race to finished; its results.json. */
async function race(page) {
  await runRace(page, { timeout: 240_000 });
  return exportResults(page);
}

/** The first and the last logged training loss of each run. */
const losses = (results) => Object.fromEntries(results.runs.map((r) => {
  const train = r.history.map((h) => h.trainLoss).filter((v) => Number.isFinite(v));
  return [r.method, { first: train[0], last: train.at(-1), stop: r.final.stopReason, error: r.error }];
}));

test('noisy preset: Diagnose F finds the noise, Apply recommendation trains 5x down where default Central differences do not', async () => {
  const { page, context, consoleProblems } = await open();
  try {
    await page.selectOption('#preset', 'noisy');
    await diagnose(page);
    const advice = await textOf(page.locator('#diagnosis-advice'));
    assert.match(advice, /noisy/i, advice);
    // Every component's noise is measured (a number, not "none found").
    const rows = await page.locator('#diagnosis-rows tr').allTextContents();
    assert.ok(rows.length === 2 && rows.every((r) => !/none found/.test(r)), rows.join(' | '));

    await page.getByRole('button', { name: 'Apply recommendation' }).click();
    assert.equal(await page.getByRole('checkbox', { name: 'Central differences', exact: true }).isChecked(), true);
    assert.equal(await page.getByRole('checkbox', { name: 'Step from the diagnosis' }).isChecked(), true);
    const applied = await race(page);
    assert.ok(applied.diagnosis && applied.diagnosis.schema === 1, 'results.json carries the diagnosis');
    assert.ok(applied.diagnosis.components.every((c) => c.noise > 0));
    const a = losses(applied);
    for (const m of applied.config.methods) {
      assert.equal(a[m].error, null, `${m}: ${a[m].error}`);
      assert.ok(a[m].last <= a[m].first / 5, `${m} with the recommendation: ${a[m].first} -> ${a[m].last}`);
    }

    // The same race with Central differences at its default step.
    await page.getByRole('checkbox', { name: 'Step from the diagnosis' }).uncheck();
    await page.getByRole('checkbox', { name: 'Evolution strategies', exact: true }).uncheck();
    const plain = losses(await race(page));
    assert.ok(plain.central.stop === 'diverged' || !(plain.central.last <= plain.central.first / 5),
      `default Central differences on noisy F: ${JSON.stringify(plain.central)}`);
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('a dF with a wrong entry is named; Export diagnosis downloads diagnosis.json; Stop ends a diagnosis', async () => {
  const { page, context, consoleProblems } = await open();
  try {
    await setScript(page, `function F(x, theta) { return [theta[0] * x[0] + Math.sin(theta[1]), theta[0] * theta[1]]; }
function dF(x, theta) { return [[x[0], Math.cos(theta[1])], [theta[1], 2 * theta[0]]]; }
function thetaTrue(x) { return [0.5 + 0.2 * x[0], 0.3]; }
const problem = { xDim: 1, thetaDim: 2, samples: 64, xRange: [-1, 1], noise: 0 };
`);
    await diagnose(page);
    const facts = await textOf(page.locator('#diagnosis-facts'));
    assert.match(facts, /dF is wrong at output 1, θ1/, facts);
    assert.doesNotMatch(await textOf(page.locator('#diagnosis-advice')), /Recommended: Analytic gradient/);
    const d = await downloadJson(page, 'Export diagnosis');
    assert.equal(d.schema, 1);
    assert.deepEqual([d.dfCheck.ok, d.dfCheck.worst.output, d.dfCheck.worst.component], [false, 1, 1]);
    assert.ok(d.evals > 0 && d.msPerCall > 0 && d.recommended.method);

    // An F of about 10 ms a call and four components (a diagnosis works one component at a
    // time, about a second each here): Stop, pressed once the second one has begun, ends it
    // before the last.
    await setScript(page, `function F(x, theta) { let s = 0; for (let i = 0; i < 1e6; i++) s += Math.sin(i * theta[0]); return [s * 1e-12 + theta[0] * x[0] + theta[1] + theta[2] * theta[3]]; }
function thetaTrue(x) { return [0.5, 0.1, 0.2, 0.3]; }
const problem = { xDim: 1, thetaDim: 4, samples: 16, xRange: [-1, 1], noise: 0 };
`);
    await page.getByRole('button', { name: 'Diagnose F' }).click();
    await page.locator('#diagnosis-status').filter({ hasText: /diagnosing θ1 of 4/i }).waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Stop diagnosis' }).click();
    await page.locator('#diagnosis-status').filter({ hasText: 'Diagnosis stopped' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.getByRole('button', { name: 'Diagnose F' }).isDisabled(), false);
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('Diagnose F\'s core is fetched when Diagnose F is pressed, not with the runs\' core; Stop works while it loads; a failed fetch says how to build it, and the next press tries again', async () => {
  const { page, context } = await open();
  try {
    // What the page loaded before the press: the runs' core, not Diagnose F's.
    const loaded = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname));
    assert.ok(loaded.some((p) => p.endsWith('/pkg/session_bg.wasm')), loaded.join(' '));
    assert.ok(!loaded.some((p) => p.includes('/pkg/diagnose')), loaded.join(' '));
    const fetched = [];
    page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
    const asked = () => fetched.filter((p) => p.endsWith('/pkg/diagnose_bg.wasm')).length;
    // The file is held back, then missing.
    /** @type {(v?: unknown) => void} */
    let release = () => {};
    const held = new Promise((resolve) => { release = resolve; });
    const diagnoseWasm = '**/pkg/diagnose_bg.wasm';
    await page.route(diagnoseWasm, async (route) => {
      await held;
      await route.fulfill({ status: 404, body: 'gone' });
    });
    const where = page.locator('#diagnosis-status');
    const pressable = () => page.getByRole('button', { name: 'Diagnose F' }).isDisabled().then((d) => !d);

    const requested = page.waitForRequest((r) => r.url().endsWith('/pkg/diagnose_bg.wasm'));
    await page.getByRole('button', { name: 'Diagnose F' }).click();
    await requested;
    await page.getByRole('button', { name: 'Stop diagnosis' }).click();
    await where.filter({ hasText: 'Diagnosis stopped' }).waitFor({ timeout: 10_000 });
    assert.equal(await pressable(), true);
    release();

    await page.getByRole('button', { name: 'Diagnose F' }).click();
    await where.filter({ hasText: 'The diagnosis failed' }).waitFor({ timeout: 30_000 });
    const said = await textOf(where);
    assert.match(said, /pkg\/diagnose_bg\.wasm \(HTTP 404\)\. Build it with `make build`/, said);
    // The held fetch may still have been out at the press (then the press shared it): one or two.
    const failedFetches = asked();
    assert.ok(failedFetches >= 1 && failedFetches <= 2, fetched.join(' '));
    assert.equal(await pressable(), true);

    // Dismiss the alert, then the file is back: the next press fetches it again and diagnoses.
    await page.keyboard.press('Escape');
    await page.unroute(diagnoseWasm);
    await diagnose(page);
    assert.equal(asked(), failedFetches + 1, fetched.join(' '));
  } finally {
    await context.close();
  }
});
