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
    const out = JSON.parse(execFileSync('python3', [p.file, '--check'], { encoding: 'utf8' }));
    assert.ok(out.checks >= 1, JSON.stringify(out));
    assert.ok(out.maxError <= 1e-12, `Python's theta differs from the page's by ${out.maxError}`);
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
