// End-to-end: failures of the user's code through the real page. An endless F is ended
// by the watchdog (a page setting) with a message naming the method and the step while a
// second method finishes, and Run works again; each kind of broken script ends in
// data-state="error" with a message that names the cause; nothing shown is lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openPage, setScript, waitForState, exportResults, fill } from './support/harness.mjs';
import { SETTINGS, METHODS } from '../../www/schema.js';

const env = useBrowser();

const alertText = (page) => page.locator('[role="alert"]').innerText();

const GOOD = `function F(x, theta) { return [theta[0] + theta[1] * x[0], theta[2] * Math.exp(0.5 * theta[0])]; }
function thetaTrue(x) { return [Math.sin(Math.PI * x[0]), 0.5 * Math.cos(Math.PI * x[1]), x[0] * x[1]]; }
function dF(x, theta) { const e = Math.exp(0.5 * theta[0]); return [[1, x[0], 0], [0.5 * theta[2] * e, 0, e]]; }
const problem = { xDim: 2, thetaDim: 3, samples: 256, xRange: [-1, 1], noise: 0, thetaBounds: null };
`;

// Each worker compiles its own copy, so the state is per method. F hangs on a central
// difference (two calls in a row whose theta differ in one component by under 1e-4) after
// 3,000 calls: only central differences make such pairs (the joint surrogate explores every
// component at once, and the reference uses dF), and by then central has logged. Each call
// also does ~20 µs of work, so 3,000 calls take well over one 30 ms chunk of the worker:
// central has sent what it logged before it hangs (a fast F hung inside the first chunk).
const HANGS_FOR_CENTRAL = GOOD.replace('function F(x, theta) {', `let calls = 0, last = null;
function F(x, theta) {
  const moved = last ? theta.filter((v, j) => v !== last[j]) : [];
  const central = moved.length === 1 && theta.some((v, j) => v !== last[j] && Math.abs(v - last[j]) < 1e-4);
  last = theta.slice();
  if (++calls > 3000 && central) for (;;) {}
  let work = 0;
  for (let i = 0; i < 20000; i++) work += Math.sqrt(i);
  theta = [theta[0] + 0 * work, theta[1], theta[2]];`);

test('an endless F is ended by the watchdog, named, while another method finishes; Run works again', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url);
  try {
    await waitForState(page, 'idle', 10_000);
    await setScript(page, HANGS_FOR_CENTRAL);
    await page.getByRole('checkbox', { name: 'Joint surrogate', exact: true }).check();
    await fill(page, 'F-evaluation budget', 2000);
    await fill(page, 'Log points', 10);
    await fill(page, 'Watchdog (s)', 2);
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Run' }).click();
    assert.equal(await waitForState(page, ['finished', 'error'], 60_000), 'finished');
    assert.ok(Date.now() - t0 < 30_000, 'ended well within the time');
    const text = await alertText(page);
    assert.match(text, /Central differences/);
    assert.match(text, /did not return for 2 s/);
    assert.match(text, /step \d+/);
    const results = await exportResults(page);
    const central = results.runs.find((r) => r.method === 'central');
    const joint = results.runs.find((r) => r.method === 'joint');
    assert.match(central.error, /did not return/);
    assert.ok(central.history.length >= 1, 'what central logged before it hung stays');
    assert.equal(joint.error, null);
    assert.ok(joint.final.evals > 0 && joint.history.length >= 2, 'the joint surrogate ran to its end');

    // Run works again afterwards, with a working script.
    await setScript(page, GOOD);
    await page.getByRole('button', { name: 'Run' }).click();
    assert.equal(await waitForState(page, ['finished', 'error'], 60_000), 'finished');
    const again = await exportResults(page);
    assert.ok(again.runs.every((r) => r.error === null));
    assert.deepEqual(consoleProblems.filter((m) => !/did not return/.test(m)), []);
  } finally {
    await context.close();
  }
});

/** @type {[string, string, RegExp][]} what is broken, the script, what the message must say */
const BROKEN = [
  ['F returns NaN', GOOD.replace('return [theta[0] + theta[1] * x[0]', 'return [NaN'), /NaN/],
  ['F returns the wrong length', GOOD.replace('function F(x, theta) {', 'function F(x, theta) { if (x[0] > 0.5) return [1, 2, 3];'), /3 numbers|expected yDim|yDim=2|length/i],
  ['F returns text', GOOD.replace('return [theta[0] + theta[1] * x[0]', "return ['a'"), /not a (finite )?number|number/i],
  ['thetaTrue throws', GOOD.replace('function thetaTrue(x) {', "function thetaTrue(x) { throw new Error('no truth today');"), /thetaTrue[\s\S]*no truth today|no truth today[\s\S]*thetaTrue/],
  ['a syntax error', GOOD.replace('function dF(x, theta) {', 'function dF(x, theta) {{'), /line \d+|syntax|Unexpected/i],
  ['F throws', GOOD.replace('function F(x, theta) {', "function F(x, theta) { if (theta[0] > 1e9 || x[0] > 0.9) throw new RangeError('sensor offline');"), /x=\[[\s\S]*sensor offline/],
];

for (const [what, script, cause] of BROKEN) {
  test(`a script where ${what} gives data-state="error" and a message naming the cause`, async () => {
    const { page, context } = await openPage(env.browser, env.url);
    try {
      await waitForState(page, 'idle', 10_000);
      await setScript(page, script);
      await fill(page, 'F-evaluation budget', 5000);
      await page.getByRole('button', { name: 'Run' }).click();
      assert.equal(await waitForState(page, ['finished', 'error'], 30_000), 'error');
      assert.match(await alertText(page), cause);
      // The script is still there for the user to fix.
      assert.match(await page.getByRole('textbox', { name: 'Problem script' }).innerText(), /function F/);
    } finally {
      await context.close();
    }
  });
}

const HOARDS = (alloc) => `const hoard = [];
function F(x, theta) { for (;;) hoard.push(${alloc}); }
function thetaTrue(x) { return [x[0]]; }
const problem = { xDim: 1, thetaDim: 1, samples: 64, xRange: [-1, 1], noise: 0, thetaBounds: null };
`;

for (const [what, alloc, cause] of /** @type {[string, string, RegExp][]} */ ([
  ['typed arrays', 'new Float64Array(1 << 20)', /allocation failed|did not return|did not finish/],
  ['plain arrays', 'new Array(1 << 20).fill(Math.random())', /allocation failed|did not return|did not finish|memory/],
])) {
  test(`an F that allocates ${what} without bound ends its run with a message; the page keeps working`, async () => {
    const { page, context } = await openPage(env.browser, env.url);
    try {
      await waitForState(page, 'idle', 10_000);
      await setScript(page, HOARDS(alloc));
      await fill(page, 'Watchdog (s)', 5);
      await page.getByRole('button', { name: 'Run' }).click();
      assert.equal(await waitForState(page, ['finished', 'error'], 60_000), 'error');
      assert.match(await alertText(page), cause);
      // The page still works: a good script runs to the end.
      await setScript(page, GOOD);
      await fill(page, 'F-evaluation budget', 5000);
      await page.getByRole('button', { name: 'Run' }).click();
      assert.equal(await waitForState(page, ['finished', 'error'], 60_000), 'finished');
    } finally {
      await context.close();
    }
  });
}

// A solver that cannot start from theta = 0, where the core first asks F how many outputs it
// has (yDim): it divides by theta[0]. The policy never outputs exactly 0, so training is fine.
const SINGULAR_AT_ZERO = `function F(x, theta) {
  if (theta[0] === 0) throw new Error('singular: theta[0] must not be 0');
  return [x[0] / theta[0], theta[1] * x[0]];
}
function thetaTrue(x) { return [1 + x[0], 0.5]; }
const problem = { xDim: 1, thetaDim: 2, samples: 64, xRange: [1, 2], noise: 0, thetaBounds: null };
`;

test('an F that throws at theta = 0, where yDim is probed, is asked elsewhere and the race runs', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url);
  try {
    await waitForState(page, 'idle', 10_000);
    await setScript(page, SINGULAR_AT_ZERO);
    await fill(page, 'F-evaluation budget', 5000);
    await page.getByRole('button', { name: 'Run' }).click();
    assert.equal(await waitForState(page, ['finished', 'error'], 60_000), 'finished',
      await page.locator('[role="status"]').innerText());
    const results = await exportResults(page);
    assert.ok(results.runs.length > 0 && results.runs.every((r) => r.final.stopReason === 'budget'),
      JSON.stringify(results.runs.map((r) => r.final)));
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('every number setting is refused outside the core\'s range, with the label and the bound', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url);
  try {
    await waitForState(page, 'idle', 10_000);
    // The core's table (www/schema.js, written from src/settings.rs and src/config.rs): its
    // methods are the page's checkboxes, and every number setting is refused outside its
    // range in the core's own words.
    const boxes = await page.locator('fieldset.methods input[type="checkbox"]').count();
    assert.equal(boxes, METHODS.length, 'one checkbox per method');
    for (const { label } of METHODS) await page.getByRole('checkbox', { name: label, exact: true }).waitFor();

    const details = page.locator('#method-settings');
    if (!(await details.evaluate((d) => /** @type {HTMLDetailsElement} */ (d).open))) await details.locator('summary').click();
    const numbers = SETTINGS.filter((s) => s.kind === 'number');
    assert.ok(numbers.length >= 18);
    for (const r of numbers) {
      const input = page.getByLabel(r.label, { exact: true });
      const before = await input.inputValue();
      // Above the maximum, and at or below the minimum.
      for (const value of [r.int ? r.max + 1 : r.max * 2 + 1, r.minExclusive ? r.min : r.min - (r.int ? 1 : 0.5)]) {
        await input.fill(String(value));
        await page.getByRole('button', { name: 'Run', exact: true }).click();
        const text = await alertText(page);
        assert.ok(text.includes(`${r.label} must be ${r.rangeText}, got ${value}`),
          `${r.label} = ${value}: the message names the setting and the core's range: ${text}`);
        assert.ok(text.includes(String(r.min)) && text.includes(String(r.max)), `${r.label}: the bounds ${r.min} and ${r.max}: ${text}`);
        assert.equal(await page.locator('[role="status"]').getAttribute('data-state'), 'error');
      }
      await input.fill(before);
    }
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});
