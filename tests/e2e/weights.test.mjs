// End-to-end tests of trained networks in and out: Load weights makes the next Run start where
// the exporting run ended (its first logged loss is that run's final one), and Export Python
// writes a file whose policy(x) gives the page's theta to 1e-12, run with python3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  useBrowser, openReady, setScript, exportResults, fill, textOf, runRace, download,
} from './support/harness.mjs';

const env = useBrowser();

// Bounds on theta: the exported file must squash into them as the page does.
const SCRIPT = `function F(x, theta) { return [theta[0] * x[0] + Math.sin(theta[1]), theta[1] * x[0] * x[0]]; }
function thetaTrue(x) { return [Math.cos(x[0]), 0.5 * x[0]]; }
const problem = { xDim: 1, thetaDim: 2, samples: 64, xRange: [-1, 1], noise: 0, thetaBounds: [[-2, 2], [-1, 1]] };
`;

async function openSmall() {
  const opened = await openReady(env.browser, env.url);
  const { page } = opened;
  await setScript(page, SCRIPT);
  await fill(page, 'F-evaluation budget', 3000);
  await fill(page, 'Log points', 5);
  await fill(page, 'Seed', 7);
  return opened;
}

/** Runs an exported policy file's `--check` with python3: its theta is the page's to 1e-12. */
function checkPython(file) {
  const out = JSON.parse(execFileSync('python3', [file, '--check'], { encoding: 'utf8' }));
  assert.ok(out.checks >= 1, JSON.stringify(out));
  assert.ok(out.maxError <= 1e-12, `Python's theta differs from the page's by ${out.maxError}`);
}

/** Runs the race to finished; its results.json. */
async function race(page) {
  await runRace(page, { timeout: 60_000 });
  return exportResults(page);
}

test('Load weights: the next Run starts from the exported network; Export Python reproduces theta to 1e-12', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'weights-'));
  const first = await openSmall();
  let end;
  try {
    const a = await race(first.page);
    const central = a.runs.find((r) => r.method === 'central');
    end = central.final.trainLoss;
    assert.ok(Number.isFinite(end));

    const w = await download(first.page, 'Export weights (JSON)');
    await fs.copyFile(w.file, path.join(dir, 'weights.json'));

    const p = await download(first.page, 'Export Python');
    assert.equal(p.name, 'policy-central.py');
    checkPython(p.file);
    // And it runs as a program: theta for given inputs, inside the bounds.
    const thetas = JSON.parse(execFileSync('python3', [p.file], { input: '[[0.5], [-1.0]]', encoding: 'utf8' }));
    assert.equal(thetas.length, 2);
    assert.ok(thetas.every((t) => t.length === 2 && Math.abs(t[0]) <= 2 && Math.abs(t[1]) <= 1), JSON.stringify(thetas));
    assert.deepEqual(first.consoleProblems, []);
  } finally {
    await first.context.close();
  }

  const next = await openSmall();
  try {
    await next.page.getByLabel('Load weights').setInputFiles(path.join(dir, 'weights.json'));
    await next.page.locator('#weights-note', { hasText: 'the next Run starts from' }).waitFor({ timeout: 10_000 });
    const b = await race(next.page);
    const start = b.runs.find((r) => r.method === 'central').history[0].trainLoss;
    assert.ok(Math.abs(start - end) <= 1e-9 * Math.abs(end), `first loss ${start}, the exporting run's final ${end}`);

    // A file that is not weights says so.
    const bad = path.join(dir, 'results.json');
    await fs.writeFile(bad, JSON.stringify({ schema: 2, runs: [] }));
    await next.page.getByLabel('Load weights').setInputFiles(bad);
    assert.match(await textOf(next.page.getByRole('alert')), /cannot be loaded as weights/);
    assert.deepEqual(next.consoleProblems, []);
  } finally {
    await next.context.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
});

// The same problem with dF: the analytic gradient beats SPSA clearly.
const WITH_DF = `${SCRIPT}function dF(x, theta) { return [[x[0], Math.cos(theta[1])], [0, x[0] * x[0]]]; }
`;

/** The method a results.json's verdict names as winner, else the lowest median final loss. */
function expectedPolicy(results) {
  const label = { exact: 'Analytic gradient', spsa: 'SPSA' };
  const winner = Object.keys(label).find((m) => results.verdict.startsWith(`${label[m]} wins`));
  if (winner) return winner;
  return [...results.summary].sort((a, b) => a.finalTrainLoss.median - b.finalTrainLoss.median)[0].method;
}

test('Export Python with Repeats 3: the winner\'s policy by default, its median repeat named in the header; any method on choice', async () => {
  const { page, context, consoleProblems } = await openReady(env.browser, env.url);
  try {
    await setScript(page, WITH_DF);
    await page.getByRole('checkbox', { name: 'Central differences', exact: true }).uncheck();
    await page.getByRole('checkbox', { name: 'Analytic gradient', exact: true }).check();
    await page.getByRole('checkbox', { name: 'SPSA', exact: true }).check();
    await fill(page, 'F-evaluation budget', 3000);
    await fill(page, 'Log points', 5);
    await fill(page, 'Repeats', 3);
    await runRace(page, { timeout: 120_000 });
    const results = await exportResults(page);
    const method = expectedPolicy(results);
    assert.equal(await page.locator('#export-python-method').inputValue(), method, 'the menu starts at the winner');

    const p = await download(page, 'Export Python');
    assert.equal(p.name, `policy-${method}.py`);
    // The repeat with the median final training loss of the three, named in the header.
    const runs = results.runs.filter((r) => r.method === method).sort((a, b) => a.final.trainLoss - b.final.trainLoss);
    assert.equal(runs.length, 3);
    const median = runs[1];
    const text = p.body.toString('utf8');
    const header = text.slice(0, text.indexOf('"""', 3));
    assert.match(header, new RegExp(`repeat ${median.repeat + 1} of 3 \\(seed ${median.seed}\\): the repeat whose final training loss`), header);
    checkPython(p.file);

    // Any other method, chosen in the menu beside the button.
    const other = method === 'exact' ? 'spsa' : 'exact';
    await page.selectOption('#export-python-method', other);
    const q = await download(page, 'Export Python');
    assert.equal(q.name, `policy-${other}.py`);
    checkPython(q.file);
    await page.locator('.exports').screenshot({ path: 'tests/e2e/artifacts/export-python-menu.png' });
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});
