// End-to-end tests of Diagnose F as a person uses it: "Apply recommendation" adds the
// recommended method to the race already ticked ("Use only this" races it alone); a
// 40-parameter problem is diagnosed within the budget the page states before it starts (60
// F-evaluations per θ component and F once per sample, more only when asked); a failing F is
// said to fail where it does, never to be ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useBrowser, openReady, setScript, textOf, downloadJson, fill, screenshot,
} from './support/harness.mjs';

const env = useBrowser();

/** Presses Diagnose F and waits for its advice. */
async function diagnose(page) {
  await page.evaluate(() => { /** @type {HTMLElement} */ (document.getElementById('diagnosis-advice')).textContent = ''; });
  await page.getByRole('button', { name: 'Diagnose F' }).click();
  await page.locator('#diagnosis-advice').filter({ hasText: 'Recommended' }).waitFor({ timeout: 120_000 });
  await page.waitForFunction(() => document.getElementById('diagnosis')?.getAttribute('aria-busy') === 'false', null, { timeout: 10_000 });
}

/** The labels of the ticked methods. */
const ticked = (page) => page.evaluate(() => [...document.querySelectorAll('#method-list input[type=checkbox]:checked')]
  .map((b) => document.querySelector(`label[for="${b.id}"]`)?.textContent ?? b.id));

/** A count in the page's words ("2,403") as a number. */
const numberIn = (/** @type {string} */ text, /** @type {RegExp} */ re) => {
  const m = re.exec(text);
  assert.ok(m, `${re} in ${JSON.stringify(text)}`);
  return Number(m[1].replace(/,/g, ''));
};

test('Apply recommendation adds the recommended method to a three-method race; "Use only this" keeps it alone', async () => {
  const { page, context, consoleProblems } = await openReady(env.browser, env.url);
  try {
    // The staircase preset: F is flat under small steps, ES is recommended.
    await page.selectOption('#preset', 'staircase');
    for (const label of ['Central differences', 'SPSA', 'Joint surrogate', 'Evolution strategies']) {
      const box = page.getByRole('checkbox', { name: label, exact: true });
      if ((await box.isChecked()) !== (label !== 'Evolution strategies')) await box.click();
    }
    assert.deepEqual((await ticked(page)).sort(), ['Central differences', 'Joint surrogate', 'SPSA']);
    await diagnose(page);
    assert.match(await textOf(page.locator('#diagnosis-advice')), /Recommended: Evolution strategies\./);

    await page.getByRole('button', { name: 'Apply recommendation' }).click();
    assert.deepEqual((await ticked(page)).sort(), ['Central differences', 'Evolution strategies', 'Joint surrogate', 'SPSA']);
    assert.match(await textOf(page.locator('#diagnosis-status')), /Evolution strategies added beside Central differences, SPSA, Joint surrogate/);
    // Applied again: the same four, nothing twice.
    await page.getByRole('button', { name: 'Apply recommendation' }).click();
    assert.equal((await ticked(page)).length, 4);

    await page.getByRole('button', { name: 'Use only this' }).click();
    assert.deepEqual(await ticked(page), ['Evolution strategies']);
    await screenshot(page, 'diagnosis-apply.png');
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

// 40 parameters and 20 outputs: every output mixes every parameter (tests/diagnose.rs has
// the same F natively).
const FORTY = `function F(x, theta) {
  const y = [];
  for (let k = 0; k < 20; k++) {
    let s = 0;
    for (let i = 0; i < 40; i++) s += theta[i] * Math.sin((i + 1) * 0.1 * (k + 1) * x[0]);
    y.push(Math.tanh(s) + 0.1 * theta[k % 40] ** 2);
  }
  return y;
}
function thetaTrue(x) { const t = []; for (let i = 0; i < 40; i++) t.push(0.2 * Math.sin(i + x[0])); return t; }
const problem = { xDim: 1, thetaDim: 40, samples: 64, xRange: [-1, 1], noise: 0 };
`;

test('a 40-parameter problem: the most Diagnose F may spend is said before it starts, and it spends no more', async () => {
  const { page, context, consoleProblems } = await openReady(env.browser, env.url);
  try {
    await setScript(page, FORTY);
    const note = page.locator('#diagnosis-budget-note');
    await note.filter({ hasText: '40 components' }).waitFor({ timeout: 10_000 });
    const before = await textOf(note);
    assert.match(before, /At most 2,403 F-evaluations: 60 per θ component for 40 components, and F once at each of 3 samples\./);
    assert.equal(await page.getByLabel('F-evaluations per θ component').inputValue(), '60');

    await diagnose(page);
    const statusText = await textOf(page.locator('#diagnosis-status'));
    const evals = numberIn(statusText, /Diagnosed: 40 components, ([\d,]+) F-evaluations/);
    assert.ok(evals <= 60 * 40 + 3, `${evals} F-evaluations`);
    const d = await downloadJson(page, 'Export diagnosis');
    assert.equal(d.evals, evals);
    assert.deepEqual([d.budget, d.samples, d.sharedEvals, d.maxEvals], [60, 3, 3, 2403]);
    assert.ok(d.components.every((/** @type {any} */ c) => c.measured && c.hCentral > 0), 'every component measured');
    assert.match(await textOf(page.locator('#diagnosis-facts')), /at most 2,403: 60 per θ component/);
    await screenshot(page, 'diagnosis-40.png');

    // More only when asked: 120 per component (6 samples), said before it starts.
    await fill(page, 'F-evaluations per θ component', 120);
    assert.match(await textOf(note), /At most 4,806 F-evaluations: 120 per θ component for 40 components, and F once at each of 6 samples\./);
    await diagnose(page);
    const more = await downloadJson(page, 'Export diagnosis');
    assert.deepEqual([more.budget, more.samples, more.maxEvals], [120, 6, 4806]);
    assert.ok(more.evals <= 4806 && more.evals > evals, `${more.evals} F-evaluations`);
    console.log(`40 parameters, 20 outputs: ${evals} F-evaluations at 60 per component, ${more.evals} at 120`);
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

// F = [sqrt(θ0)·y, y + θ1] with y³ + θ0·y = θ1 + x solved by Newton: it throws for θ0 < 0
// (and where Newton does not converge). The network starts near θ = 0, so F fails at some
// samples' start and along θ0.
const NEWTON = `function F(x, theta) {
  const a = theta[0], b = theta[1] + x[0];
  if (a < 0) throw new Error('theta0 < 0');
  let y = Math.cbrt(b);
  for (let i = 0; i < 60; i++) {
    const g = y * y * y + a * y - b;
    if (g === 0) return [Math.sqrt(a) * y, y + theta[1]];
    const step = g / (3 * y * y + a);
    y -= step;
    if (Math.abs(step) <= 1e-15 * (1 + Math.abs(y))) return [Math.sqrt(a) * y, y + theta[1]];
  }
  throw new Error('Newton did not converge');
}
function thetaTrue(x) { return [0.5 + 0.3 * x[0], x[0] * x[0]]; }
const problem = { xDim: 1, thetaDim: 2, samples: 64, xRange: [-1, 1], noise: 0 };
`;

test('a failing F: the probes that failed are counted and placed, no failing component is called ignored', async () => {
  const { page, context, consoleProblems } = await openReady(env.browser, env.url);
  try {
    await setScript(page, NEWTON);
    await diagnose(page);
    const d = await downloadJson(page, 'Export diagnosis');
    const facts = await textOf(page.locator('#diagnosis-facts'));
    assert.ok(d.failures.count > 0, JSON.stringify(d.failures));
    assert.match(facts, new RegExp(`${d.failures.count} probes? failed: `), facts);
    assert.doesNotMatch(facts, /No probe failed/);
    const rows = await page.locator('#diagnosis-rows tr').allTextContents();
    for (const [i, c] of d.components.entries()) {
      if (c.failures > 0 || !c.measured) assert.doesNotMatch(rows[i], /ignores/, rows[i]);
      if (c.failures > 0) assert.match(facts, new RegExp(`along θ${c.index} \\(${c.failures} probe`), facts);
    }
    const advice = await textOf(page.locator('#diagnosis-advice'));
    assert.match(advice, /F failed at \d+ probes/, advice);
    assert.equal(d.recommended.settings.onFailure, 'skip');
    if (d.components.some((/** @type {any} */ c) => !c.measured)) assert.doesNotMatch(advice, /smooth to rounding/);
    await screenshot(page, 'diagnosis-failing-f.png');
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});
