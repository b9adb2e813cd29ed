// End-to-end tests of share links in headless Chromium: a custom script shared and
// opened in a fresh browser shows the review notice, runs nothing by itself, and after Run gives
// the same results.json (wall-clock fields aside); preset links are short and open without the
// notice; corrupt, truncated and newer-version links show a message and leave a working page;
// golden links open with their recorded state; embed mode hides the editor and settings; a
// state too large for a link says so. (Preset texts are frozen: tests/js/presets.test.mjs.)
//
// Golden files read here (tests/golden/v1/) are written by `BLESS=1 cargo test --release
// --test share` (tests/share.rs), never by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { METHODS } from '../../www/schema.js';
import {
  useBrowser, openReady as openReadyIn, exportResults, screenshot, repoRoot, wwwRoot, fill, textOf, setScript,
  withoutWallClock, status, editorText, runRace,
} from './support/harness.mjs';

const { PRESETS } = await import(pathToFileURL(path.join(wwwRoot, 'presets.js')).href);
const goldenDir = path.join(repoRoot, 'tests/golden');

const env = useBrowser();

const alertBox = (page) => page.getByRole('alert');

/** Opens `url` in this file's browser, ready to run (wasm core loaded, page idle). @param {string} url */
const openReady = (url) => openReadyIn(env.browser, url);

/** Clicks "Share link"; returns the URL in the "Share link URL" field, checked against the page. */
async function share(page) {
  await page.getByRole('button', { name: 'Share link' }).click();
  const field = page.getByLabel('Share link URL');
  await field.waitFor({ state: 'visible' });
  const url = await field.inputValue();
  assert.equal(url, page.url(), 'the link is put in the address bar');
  assert.match(url, /#v1\.[A-Za-z0-9_-]+(&embed)?$/);
  const info = await page.locator('#share-info').textContent();
  assert.ok(info.startsWith(`${url.length} characters`), `the length is reported: ${info}`);
  return url;
}


const SCRIPT = `// Shared from a forum answer: a kinked black box.
function F(x, theta) {
  return [Math.abs(theta[0] - 0.5 * x[0]) + theta[1] * x[0], Math.tanh(theta[1]) * x[0]];
}
function thetaTrue(x) { return [0.3 * x[0], Math.sin(2 * x[0])]; }
const problem = { xDim: 1, thetaDim: 2, samples: 96, xRange: [-1, 1], noise: 0, thetaBounds: null };
`;

test('share a custom script, open it in a fresh browser: notice, nothing runs, Run gives the same results', async () => {
  const a = await openReady(env.url);
  /** @type {Awaited<ReturnType<typeof openReady>> | null} */
  let b = null;
  try {
    const { page } = a;
    await setScript(page, SCRIPT);
    await page.getByRole('checkbox', { name: 'SPSA' }).check();
    await fill(page, 'F-evaluation budget', 6000);
    await fill(page, 'Seed', 7);
    await fill(page, 'Learning rate', 0.02);
    await fill(page, 'Hidden layers', '16,8');
    await fill(page, 'Samples', 64);
    await fill(page, 'Log points', 12);
    await page.locator('#chart-options summary').click();
    await page.getByLabel('Step-size sweep chart').uncheck();
    await runRace(page, { timeout: 60_000 });
    const first = await exportResults(page);
    assert.equal(first.runs.length, 2);

    const url = await share(page);
    assert.ok(url.length < 1200, `${url.length} characters`);
    // Changing the page afterwards takes the stale link out of the address bar.
    await fill(page, 'Seed', 8);
    assert.equal(new URL(page.url()).hash, '');
    assert.match(await textOf(page.locator('#share-info')), /changed since this link was made/);

    b = await openReady(url);
    const p2 = b.page;
    const alert = alertBox(p2);
    await alert.waitFor({ state: 'visible' });
    assert.match(await textOf(alert), /This code came from a link/);
    assert.match(await textOf(alert), /never runs by itself/);
    assert.equal(await editorText(p2), SCRIPT);
    // Nothing runs by itself: idle still once the page has done all it does at start-up
    // (opening the link, then warming its chart code up).
    await p2.waitForFunction(() => document.documentElement.dataset.chartsWarm === 'true', null, { timeout: 30_000 });
    assert.equal(await status(p2).getAttribute('data-state'), 'idle');
    assert.match(await textOf(p2.locator('#results-body')), /No results yet/);
    assert.equal(await p2.getByRole('checkbox', { name: 'SPSA' }).isChecked(), true);
    assert.equal(await p2.getByRole('checkbox', { name: 'Central differences' }).isChecked(), true);
    assert.equal(await p2.getByLabel('Seed', { exact: true }).inputValue(), '7');
    assert.equal(await p2.getByLabel('Hidden layers', { exact: true }).inputValue(), '16,8');
    assert.equal(await p2.locator('#chart-sweep').isVisible(), false, 'the hidden chart stays hidden');
    assert.equal(await p2.locator('#chart-loss').isVisible(), true);
    await screenshot(p2, 'share-opened-custom.png');

    await runRace(p2, { timeout: 60_000 });
    assert.equal(await alert.isVisible(), false, 'Run acts on the notice');
    const second = await exportResults(p2);
    assert.deepEqual(withoutWallClock(second), withoutWallClock(first));
    assert.deepEqual(a.consoleProblems, []);
    assert.deepEqual(b.consoleProblems, []);
  } finally {
    await a.context.close();
    await b?.context.close();
  }
});

test('preset links are short and open without the notice', async () => {
  const a = await openReady(env.url);
  const sizes = {};
  /** @type {Awaited<ReturnType<typeof openReady>> | null} */
  let b = null;
  try {
    const { page } = a;
    for (const p of PRESETS) {
      await page.getByLabel('Preset', { exact: true }).selectOption(p.id);
      const url = await share(page);
      const fragment = new URL(url).hash;
      sizes[p.id] = { url: url.length, fragment: fragment.length };
      assert.ok(url.length <= 600, `${p.id}: ${url.length} characters`);
    }
    console.log(`preset link sizes (characters): ${JSON.stringify(sizes)}`);
    await page.getByLabel('Preset', { exact: true }).selectOption('projectile');
    const url = await share(page);

    b = await openReady(url);
    const p2 = b.page;
    await p2.waitForFunction(() => /Opened a shared link/.test(document.querySelector('[role="status"]')?.textContent ?? ''), null, { timeout: 15_000 });
    assert.equal(await alertBox(p2).isVisible(), false, 'a preset link shows no notice');
    assert.equal(await p2.getByLabel('Preset', { exact: true }).inputValue(), 'projectile');
    assert.equal(await editorText(p2), PRESETS.find((p) => p.id === 'projectile').script);
    assert.equal(await p2.getByLabel('F-evaluation budget', { exact: true }).inputValue(), '80000');
    assert.equal(await p2.getByRole('checkbox', { name: 'SPSA' }).isChecked(), true);
    assert.match(await textOf(status(p2)), /Opened a shared link/);
    assert.deepEqual(a.consoleProblems, []);
    assert.deepEqual(b.consoleProblems, []);
  } finally {
    await a.context.close();
    await b?.context.close();
  }
});

test('corrupt, truncated and newer links show a message and leave a working page', async () => {
  // A valid custom link to damage.
  const golden = JSON.parse(await fs.readFile(path.join(goldenDir, 'v1/custom-every-setting.json'), 'utf8'));
  const link = golden.link;
  const flipped = `${link.slice(0, 60)}${link[60] === 'A' ? 'B' : 'A'}${link.slice(61)}`;
  const cases = [
    { hash: 'v1.garbage', want: /could not be opened/ },
    { hash: 'v9.eJyrVkrOzyspSk0uUbIqKSpN1VEqSCxRslIqLkksKU1Rqs0FAF5wCJo', want: /newer version/ },
    { hash: link.slice(0, Math.floor(link.length * 0.6)), want: /cut off|damaged/ },
    { hash: flipped, want: /damaged|could not be opened/ },
    // Data that is not a playground link, and a link whose "v1." was cut: said, not ignored.
    { hash: 'zz9.Q2hlY2sgdGhpcyBvdXQgaXQgaXMgbm90IGEgbGluaw', want: /not a whole share link/ },
    { hash: link.slice(3), want: /beginning was cut off/ },
  ];
  for (const [i, c] of cases.entries()) {
    const o = await openReady(`${env.url}#${c.hash}`);
    try {
      const { page } = o;
      const alert = alertBox(page);
      await alert.waitFor({ state: 'visible' });
      assert.match(await textOf(alert), c.want, `case ${i}`);
      if (i === 0 || i === 2) {
        // The page works: a short run finishes.
        await page.getByRole('button', { name: 'Dismiss' }).click();
        await fill(page, 'F-evaluation budget', 3000);
        await runRace(page, { timeout: 60_000 });
      }
      if (i === 2) await screenshot(page, 'share-truncated-link.png');
      assert.deepEqual(o.consoleProblems, []);
    } finally {
      await o.context.close();
    }
  }
});

test('golden links open in the page with their recorded state', async () => {
  const files = (await fs.readdir(path.join(goldenDir, 'v1'))).filter((f) => f.endsWith('.json')).sort();
  assert.ok(files.length >= 8);
  const ctx = await env.browser.newContext();
  const problems = [];
  try {
    for (const f of files) {
      const g = JSON.parse(await fs.readFile(path.join(goldenDir, 'v1', f), 'utf8'));
      const page = await ctx.newPage();
      page.on('console', (m) => { if (['error', 'warning'].includes(m.type())) problems.push(`${f}: ${m.text()}`); });
      page.on('pageerror', (e) => problems.push(`${f}: ${e.message}`));
      await page.goto(`${env.url}#${g.link}`);
      await page.waitForFunction(() => !(/** @type {HTMLButtonElement} */ (document.getElementById('share')).disabled), null, { timeout: 15_000 });
      const s = g.state;
      const script = s.script ?? PRESETS.find((p) => p.id === s.preset).script;
      assert.equal(await editorText(page), script, f);
      assert.equal(await page.getByLabel('F-evaluation budget', { exact: true }).inputValue(), String(s.settings.budget), f);
      assert.equal(await page.getByLabel('Seed', { exact: true }).inputValue(), String(s.settings.seed), f);
      assert.equal(await page.getByLabel('Learning rate', { exact: true }).inputValue(),
        String(s.settings.optimizer.learningRate), f);
      for (const { name: m } of METHODS) {
        assert.equal(await page.locator(`#m-${m}`).isChecked(), s.methods.includes(m), `${f}: ${m}`);
      }
      const alert = alertBox(page);
      const text = (await alert.isVisible()) ? await alert.textContent() : '';
      assert.doesNotMatch(text, /could not be put into the page exactly/, f);
      assert.equal(/came from a/.test(text), s.script !== null, `${f}: the notice shows for code, not presets`);
      if (g.warnings > 0) assert.match(text, /corrections|came from a/, f);
      assert.equal(await page.locator('body.embed').count(), s.embed ? 1 : 0, f);
      await page.close();
    }
    assert.deepEqual(problems, []);
  } finally {
    await ctx.close();
  }
});

test('embed mode hides the editor and settings; the notice offers the code', async () => {
  const g = JSON.parse(await fs.readFile(path.join(goldenDir, 'v1/custom-defaults.json'), 'utf8'));
  const o = await openReady(`${env.url}#${g.link}&embed`);
  try {
    const { page } = o;
    assert.equal(await page.locator('#editor-panel').isVisible(), false);
    assert.equal(await page.getByLabel('F-evaluation budget', { exact: true }).isVisible(), false);
    assert.equal(await page.getByRole('button', { name: 'Run' }).isVisible(), true);
    assert.equal(await page.locator('#chart-loss').isVisible(), true);
    assert.match(await page.locator('#embed-open').getAttribute('href') ?? '', /#v1\.[^&]+$/);
    const alert = alertBox(page);
    await alert.waitFor({ state: 'visible' });
    assert.match(await textOf(alert), /came from a link/);
    await screenshot(page, 'share-embed.png');
    await alert.getByRole('button', { name: 'Show the code' }).click();
    assert.equal(await page.locator('#editor-panel').isVisible(), true);
    assert.equal(await alert.isVisible(), true, 'the notice stays until Run');
    assert.deepEqual(o.consoleProblems, []);
  } finally {
    await o.context.close();
  }
  // The Embed mode box makes such a link.
  const p = await openReady(env.url);
  try {
    await share(p.page);
    await p.page.getByLabel('Embed mode').check();
    assert.match(await p.page.getByLabel('Share link URL').inputValue(), /&embed$/);
  } finally {
    await p.context.close();
  }
});

test('a problem too large for a link says so and the page keeps working', async () => {
  const o = await openReady(env.url);
  try {
    const { page } = o;
    await page.getByLabel('Data source').selectOption('csv');
    const rows = Array.from({ length: 9000 }, (_, i) => `${(i / 9000).toFixed(6)},${Math.sin(i).toFixed(6)},${Math.cos(i).toFixed(6)}`);
    const csv = page.getByLabel('CSV data', { exact: true });
    await csv.waitFor({ state: 'visible' });
    await csv.evaluate((e, text) => { /** @type {HTMLTextAreaElement} */ (e).value = text; e.dispatchEvent(new Event('input', { bubbles: true })); },
      `x,y1,y2\n${rows.join('\n')}\n`);
    await page.getByRole('button', { name: 'Share link' }).click();
    const alert = alertBox(page);
    await alert.waitFor({ state: 'visible' });
    assert.match(await textOf(alert), /too large for a link.*64 KiB/s);
    assert.equal(await status(page).getAttribute('data-state'), 'idle');
    assert.deepEqual(o.consoleProblems, []);
  } finally {
    await o.context.close();
  }
});

test('a link with %20 or spaces inserted (as mail programs do) opens with its script and no damage message', async () => {
  const golden = JSON.parse(await fs.readFile(path.join(goldenDir, 'v1/custom-every-setting.json'), 'utf8'));
  const link = golden.link;
  const half = Math.floor(link.length / 2);
  const o = await openReady(`${env.url}#${link.slice(0, half)}%20${link.slice(half, half + 20)}%20%20${link.slice(half + 20)}`);
  try {
    assert.equal(await editorText(o.page), golden.state.script);
    const alert = alertBox(o.page);
    const text = (await alert.isVisible()) ? await alert.textContent() : '';
    assert.doesNotMatch(text, /damaged|cut off|could not/, text);
    assert.match(text, /came from a/, 'the usual notice for code from a link');
    assert.deepEqual(o.consoleProblems, []);
  } finally {
    await o.context.close();
  }
});
