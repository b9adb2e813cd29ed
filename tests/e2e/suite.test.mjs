// E2E: suites (docs/suites.md). The built-in Moré–Garbow–Hillstrom suite (four of its problems,
// one noisy, to stay within CI time) runs in the page with four methods and 3 repeats, and the
// profiles the page draws equal those recomputed from the downloaded suite results.json (the
// pure www/app/suite-profiles.js with the page's own summarizeRace); Load results shows that
// file back with the same curves. A suite of three scripts of the person's own is kept in the
// browser across a reload and opens from its link in a fresh browser, where it runs.
// Every wait is for a state, a row or a download, never for a duration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { artifactsDir, download, openReady, screenshot, setScript, useBrowser, waitForState } from './support/harness.mjs';

const env = useBrowser();

/** @param {import('playwright-core').Page} page @param {string[]} methods */
async function tick(page, methods) {
  for (const box of await page.locator('#method-list input[type="checkbox"]').all()) {
    const id = (await box.getAttribute('id')) ?? '';
    if (methods.includes(id.replace(/^m-/, ''))) await box.check();
    else await box.uncheck();
  }
}

/** @param {import('playwright-core').Page} page @param {string} id @param {string | number} value */
async function setInput(page, id, value) {
  const input = page.locator(`#${id}`);
  await input.fill(String(value));
  await input.dispatchEvent('change');
}

/** Runs the suite in the panel to its end; it must finish. @param {import('playwright-core').Page} page */
async function runSuite(page, timeout = 90_000) {
  await page.getByRole('button', { name: 'Race the suite' }).click();
  await page.waitForFunction(() => ['finished', 'stopped', 'error'].includes(document.getElementById('suite-status')?.dataset.state ?? ''),
    null, { timeout, polling: 100 });
  assert.equal(await page.locator('#suite-status').getAttribute('data-state'), 'finished', await page.locator('#suite-status').textContent() ?? '');
  // Every profile drawn.
  await page.waitForFunction(() => [...document.querySelectorAll('#suite-results canvas')].every((c) => /** @type {HTMLElement} */ (c).dataset.drawn === 'true'),
    null, { timeout: 15_000, polling: 100 });
}

/** What the page's profile canvases show, by id. @param {import('playwright-core').Page} page */
const drawnCurves = (page) => page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#suite-results canvas')]
  .map((c) => [c.id, JSON.parse(/** @type {HTMLElement} */ (c).dataset.curves ?? 'null')])));

/**
 * The profiles recomputed from a suite results.json, in the page: suite-profiles.js with the
 * page's wasm summarizeRace through app/summarize.js (the module the page loaded, so the same build).
 * @param {import('playwright-core').Page} page @param {any} json
 */
const recompute = (page, json) => page.evaluate(async ({ j, glueUrl, profilesUrl, summarizeUrl }) => {
  // Page-relative module URLs in variables: the type checker does not follow them.
  const glue = /** @type {any} */ (await import(glueUrl));
  const m = /** @type {typeof import('../../www/app/suite-profiles.js')} */ (await import(profilesUrl));
  const s = /** @type {typeof import('../../www/app/summarize.js')} */ (await import(summarizeUrl));
  return m.suiteProfiles({ taus: j.suite.taus, methods: j.suite.methods, repeats: j.suite.repeats, races: j.races }, s.summarizer(glue));
}, { j: json, glueUrl: './pkg/page.js', profilesUrl: './app/suite-profiles.js', summarizeUrl: './app/summarize.js' });

/** The curves of profiles by canvas id, as suite-view.js names them. @param {any} profiles */
function byCanvas(profiles) {
  /** @type {Record<string, any>} */
  const out = {};
  profiles.taus.forEach((/** @type {number} */ tau, /** @type {number} */ k) => {
    const id = String(tau).replace(/\W/g, '_');
    out[`suite-data-${id}`] = profiles.data[k].curves;
    out[`suite-perf-${id}`] = profiles.performance[k].curves;
  });
  return out;
}

test('the built-in suite: four methods, 3 repeats; the profiles drawn equal a recomputation from the suite results.json', async () => {
  const { page, context, consoleProblems } = await openReady(env.browser, env.url);
  try {
    const methods = ['central', 'forward', 'spsa', 'es'];
    await tick(page, methods);
    await setInput(page, 'log-points', 20);
    for (const id of ['mgh-rosenbrock', 'mgh-beale', 'mgh-helical-valley', 'mgh-box-3d-noisy']) {
      await page.locator('#suite-add').selectOption(`mgh:${id}`);
      await page.getByRole('button', { name: 'Add', exact: true }).click();
    }
    await assert.doesNotReject(page.locator('#suite-problems li').nth(3).waitFor());
    await setInput(page, 'suite-repeats', 3);
    await setInput(page, 'suite-budget', 60);
    await setInput(page, 'suite-taus', '0.1, 0.01');
    await runSuite(page);
    const progress = await page.locator('#suite-progress li').evaluateAll((lis) => lis.map((li) => /** @type {HTMLElement} */ (li).dataset.state));
    assert.deepEqual(progress, ['done', 'done', 'done', 'done']);

    const file = await download(page, 'Export suite results');
    assert.equal(file.name, 'suite-results.json');
    const json = JSON.parse(file.body.toString('utf8'));
    await fs.mkdir(artifactsDir, { recursive: true });
    await fs.writeFile(path.join(artifactsDir, 'suite-results.json'), file.body);
    assert.equal(json.suiteSchema, 1);
    assert.deepEqual(json.suite.methods, methods);
    assert.equal(json.races.length, 4);
    for (const race of json.races) {
      assert.equal(race.results.schema, 4);
      assert.equal(race.results.runs.length, 12, `${race.problem.id}: 4 methods × 3 repeats`);
      assert.equal(race.problem.unit, race.problem.p + 1, 'calibration: (p+1) evaluations a unit');
      assert.equal(race.results.config.budget, 60 * race.problem.unit);
      assert.equal(race.results.config.repeats, 3);
    }
    assert.equal(json.profiles.instances, 12);

    // The curves drawn are the file's, and a recomputation from its races gives them again.
    const drawn = await drawnCurves(page);
    assert.deepEqual(drawn, byCanvas(json.profiles));
    const again = await recompute(page, json);
    assert.deepEqual(again, json.profiles);
    // Each method solved something at τ = 0.1 (f_L is the race's best: some run reaches it).
    const solvedAny = json.profiles.data[0].curves.some((/** @type {any} */ c) => c.points.length > 0);
    assert.ok(solvedAny, 'some method converged somewhere');
    // The win-rate matrix: each pair's wins, ties and losses add up to the problems.
    for (const w of json.profiles.wins) {
      w.scores.forEach((/** @type {any[]} */ row, /** @type {number} */ i) => row.forEach((s, j) => {
        if (i !== j) assert.equal(s.wins + s.ties + s.losses, 4);
        if (i !== j) assert.equal(s.wins, w.scores[j][i].losses);
      }));
    }
    assert.equal(await page.locator('table.suite-wins').count(), 2);
    await screenshot(page, 'suite-profiles.png');

    // The CSV: a line per problem, method, repeat and τ.
    const csv = (await download(page, 'Export suite CSV')).body.toString('utf8').trim().split('\n');
    assert.equal(csv.length, 1 + 4 * 4 * 3 * 2);

    // Load results shows the suite back, with the same curves.
    await page.locator('#suite-results').evaluate((e) => e.replaceChildren());
    await page.locator('#load-results').setInputFiles(path.join(artifactsDir, 'suite-results.json'));
    await page.waitForFunction(() => (document.getElementById('suite-status')?.textContent ?? '').startsWith('Loaded suite-results.json'),
      null, { timeout: 15_000, polling: 100 });
    await page.waitForFunction(() => document.querySelectorAll('#suite-results canvas').length > 0
      && [...document.querySelectorAll('#suite-results canvas')].every((c) => /** @type {HTMLElement} */ (c).dataset.drawn === 'true'),
    null, { timeout: 15_000, polling: 100 });
    assert.deepEqual(await drawnCurves(page), byCanvas(json.profiles));
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

/** A small calibration script of the person's own: fit a and b of a*exp(-b*t) at `n` times. @param {number} n @param {number} a @param {number} b */
const own = (n, a, b) => `// My decay fit with ${n} times.
function F(x, theta) {
  const out = [];
  for (let i = 0; i < ${n}; i++) out.push(theta[0] * Math.exp(-theta[1] * i / ${n}) - ${a} * Math.exp(-${b} * i / ${n}));
  return out;
}
const problem = { xDim: 0, thetaDim: 2, theta0: [1, 1] };
`;

test('a suite of three scripts of the person\'s own: kept across a reload, opened from its link in a fresh browser, run there', async () => {
  const { page, context, consoleProblems } = await openReady(env.browser, env.url);
  const scripts = [own(5, 2, 0.5), own(8, 1.5, 2), own(12, 0.7, 3)];
  const names = ['Decay five', 'Decay eight', 'Decay twelve'];
  try {
    await tick(page, ['central', 'spsa']);
    for (let i = 0; i < 3; i++) {
      await setScript(page, scripts[i]);
      await page.locator('#suite-name').fill(names[i]);
      await page.getByRole('button', { name: 'Add the editor\'s script' }).click();
      await page.locator('#suite-problems li').nth(i).waitFor();
    }
    const listed = async (/** @type {import('playwright-core').Page} */ p) => p.locator('#suite-problems .suite-problem-name').allTextContents();
    assert.deepEqual(await listed(page), names);
    await setInput(page, 'suite-repeats', 1);
    await setInput(page, 'suite-budget', 40);

    // Kept in this browser: a reload shows the same suite.
    await page.reload();
    await page.waitForFunction(() => !(/** @type {HTMLButtonElement} */ (document.getElementById('share')).disabled), null, { timeout: 15_000 });
    await waitForState(page, 'idle', 10_000);
    assert.deepEqual(await listed(page), names);
    assert.equal(await page.locator('#suite-budget').inputValue(), '40');

    // Shared by link: a fresh browser (no storage) opens the same suite, methods and scripts.
    await page.getByRole('button', { name: 'Share suite link' }).click();
    // The link is made asynchronously (deflate): wait for the field to hold it.
    await page.waitForFunction(() => /** @type {HTMLInputElement} */ (document.getElementById('suite-link')).value !== '', null, { timeout: 10_000 });
    const url = await page.locator('#suite-link').inputValue();
    assert.match(url, /#suite\./);
    const fresh = await env.browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    try {
      const other = await fresh.newPage();
      /** @type {string[]} */
      const problems = [];
      other.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text()); });
      other.on('pageerror', (e) => problems.push(e.message));
      await other.goto(url);
      await other.waitForFunction(() => !(/** @type {HTMLButtonElement} */ (document.getElementById('share')).disabled), null, { timeout: 15_000 });
      await other.locator('#suite-problems li').nth(2).waitFor();
      assert.deepEqual(await listed(other), names);
      const kept = await other.evaluate(() => JSON.parse(localStorage.getItem('bbp.suite') ?? 'null'));
      assert.deepEqual(kept.problems.map((/** @type {any} */ p) => p.script), scripts);
      assert.deepEqual(kept.methods, ['central', 'spsa']);
      assert.equal(await other.locator('#m-spsa').isChecked(), true);
      assert.equal(await other.locator('[role="alert"]').isVisible(), false, 'no damaged-link message');
      await runSuite(other, 60_000);
      const json = JSON.parse((await download(other, 'Export suite results')).body.toString('utf8'));
      assert.deepEqual(json.races.map((/** @type {any} */ r) => r.results.config.script), scripts);
      assert.deepEqual(await recompute(other, json), json.profiles);
      assert.deepEqual(problems, []);
    } finally {
      await fresh.close();
    }
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});
