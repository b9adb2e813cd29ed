// End-to-end tests of work that is never lost and a first visit that races: a script of the
// person's own survives choosing a preset and a reload ("My script" in the Preset menu); a
// fresh page has at least three methods ticked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openPage, setScript, waitForState, editorText, runRace } from './support/harness.mjs';

const env = useBrowser();

const MINE = `// My own black box.
function F(x, theta) { return [theta[0] * Math.cos(x[0]) + theta[1]]; }
function thetaTrue(x) { return [0.7, 0.1 * x[0]]; }
const problem = { xDim: 1, thetaDim: 2, samples: 64, xRange: [-1, 1], noise: 0 };
`;

test('a fresh page ticks at least three methods, Analytic gradient among them when the script has dF', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url, { firstVisit: true });
  try {
    await waitForState(page, 'idle', 15_000);
    const ticked = await page.locator('#method-list input[type=checkbox]:checked').count();
    assert.ok(ticked >= 3, `${ticked} methods ticked`);
    assert.equal(await page.locator('#m-exact').isChecked(), true, 'the default preset has dF');
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('my own script survives choosing a preset and a reload, and comes back from "My script"', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url);
  try {
    await waitForState(page, 'idle', 15_000);
    await setScript(page, MINE);
    // Saved a moment after the last edit.
    await page.locator('#saved-note', { hasText: 'Saved in this browser' }).waitFor({ timeout: 10_000 });
    await page.selectOption('#preset', 'pharma');
    assert.notEqual(await editorText(page), MINE);
    await page.reload();
    await waitForState(page, 'idle', 15_000);
    assert.notEqual(await editorText(page), MINE, 'the preset shown last is what reloads');
    await page.selectOption('#preset', { label: 'My script' });
    assert.equal(await editorText(page), MINE);
    // And back and forth once more, exactly.
    await page.selectOption('#preset', 'smooth');
    await page.selectOption('#preset', { label: 'My script' });
    assert.equal(await editorText(page), MINE);
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('when the script fails for every method, one message says so (not "the other methods go on")', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url);
  try {
    await waitForState(page, 'idle', 15_000);
    await setScript(page, `function F(x, theta) { throw new Error('my simulator is broken'); }
function thetaTrue(x) { return [0.5]; }
const problem = { xDim: 1, thetaDim: 1, yDim: 1, samples: 16, xRange: [-1, 1], noise: 0 };
`);
    await page.getByRole('checkbox', { name: 'SPSA', exact: true }).check();
    await page.getByRole('checkbox', { name: 'Evolution strategies', exact: true }).check();
    await page.getByRole('button', { name: 'Run' }).click();
    assert.equal(await waitForState(page, ['finished', 'error'], 60_000), 'error');
    const alert = page.getByRole('alert');
    await alert.filter({ hasText: 'Every method failed' }).waitFor({ timeout: 10_000 });
    const text = await alert.textContent();
    assert.match(text ?? '', /my simulator is broken/);
    assert.doesNotMatch(text ?? '', /other methods go on/);
    assert.ok(consoleProblems.every((p) => /my simulator is broken/.test(p)), consoleProblems.join('\n'));
  } finally {
    await context.close();
  }
});

test('at 1280, 1024 and 400 px the run controls and status stay in view beside the results, with no sideways scrolling', async () => {
  for (const width of [1280, 1024, 400]) {
    const { page, context, consoleProblems } = await openPage(env.browser, env.url, { width, height: 800 });
    try {
      await waitForState(page, 'idle', 15_000);
      await page.locator('#results').scrollIntoViewIfNeeded();
      const seen = await page.evaluate(() => {
        const inView = (/** @type {string} */ id) => {
          const r = /** @type {HTMLElement} */ (document.getElementById(id)).getBoundingClientRect();
          return r.width > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
        };
        return {
          run: inView('run'), stop: inView('stop'), status: inView('status'), results: inView('results'),
          overflow: document.documentElement.scrollWidth - window.innerWidth,
          header: /** @type {HTMLElement} */ (document.querySelector('.topbar')).getBoundingClientRect().height,
        };
      });
      assert.deepEqual({ ...seen, header: undefined }, { run: true, stop: true, status: true, results: true, overflow: 0, header: undefined }, `${width} px`);
      assert.ok(seen.header <= 140, `${width} px: the header is ${seen.header} px tall`);
      assert.deepEqual(consoleProblems, []);
    } finally {
      await context.close();
    }
  }
});

test('dark mode follows the system: a dark page and dark charts', async () => {
  const { page, context, consoleProblems } = await openPage(env.browser, env.url, { colorScheme: 'dark' });
  try {
    await waitForState(page, 'idle', 15_000);
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = (bg.match(/\d+/g) ?? []).map(Number);
    assert.ok(r + g + b < 120, `the page is dark: ${bg}`);
    await runRace(page, { timeout: 120_000 });
    // The loss chart's corner (its background) is dark once drawn.
    await page.waitForFunction(() => {
      const canvas = /** @type {HTMLCanvasElement} */ (document.getElementById('chart-loss'));
      const copy = document.createElement('canvas');
      copy.width = canvas.width;
      copy.height = canvas.height;
      const ctx = /** @type {CanvasRenderingContext2D} */ (copy.getContext('2d'));
      ctx.drawImage(canvas, 0, 0);
      const [pr, pg, pb] = ctx.getImageData(3, 3, 1, 1).data;
      return pr + pg + pb < 150;
    }, null, { timeout: 15_000, polling: 200 });
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});
