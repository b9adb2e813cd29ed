// End-to-end tests of the results table after a race, as a person reads and uses it: the
// learning rate each method trained with and where it came from (its own, the shared one, or
// tuned by pilot runs around one of those), and a Python button in each row that downloads
// that method's policy (with repeats, the repeat with the median final loss, named in the
// file), whose `--check` gives the page's theta to 1e-12.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import { fmtNum } from '../../www/app/format.js';
import { useBrowser, openReady, setScript, fill, runRace, exportResults } from './support/harness.mjs';

const env = useBrowser();

const SCRIPT = `function F(x, theta) { return [theta[0] * x[0] + Math.sin(theta[1]), theta[1] * x[0] * x[0]]; }
function dF(x, theta) { return [[x[0], Math.cos(theta[1])], [0, x[0] * x[0]]]; }
function thetaTrue(x) { return [Math.cos(x[0]), 0.5 * x[0]]; }
const problem = { xDim: 1, thetaDim: 2, samples: 64, xRange: [-1, 1], noise: 0 };
`;

/** The results table's rows by method label: each cell's text and title, by column heading. */
async function tableRows(page) {
  return page.evaluate(() => {
    const heads = [...document.querySelectorAll('#results thead th')].map((th) => th.textContent ?? '');
    return [...document.querySelectorAll('#results-body tr')].map((tr) => Object.fromEntries(
      [...(/** @type {HTMLTableRowElement} */ (tr)).cells].map((td, i) => [heads[i], {
        text: (td.querySelector('.v')?.textContent ?? td.textContent ?? '').trim(),
        sub: (td.querySelector('.range')?.textContent ?? '').trim(),
        title: td.getAttribute('title') ?? '',
      }])));
  });
}

/** The table's row of the method labelled `label`. */
const rowOf = (rows, label) => {
  const row = rows.find((r) => r.Method.text.startsWith(label));
  assert.ok(row, `a row for ${label}`);
  return row;
};

test('the results table says which learning rate each method trained with: own, shared or tuned', async () => {
  const { page, context, consoleProblems } = await openReady(env.browser, env.url);
  try {
    await setScript(page, SCRIPT);
    await page.getByRole('checkbox', { name: 'SPSA', exact: true }).check();
    await fill(page, 'F-evaluation budget', 3000);
    await fill(page, 'Log points', 5);
    await fill(page, 'Learning rate', 0.02);
    await fill(page, 'Own learning rate of SPSA', 0.005);
    await runRace(page, { timeout: 60_000 });
    const a = await exportResults(page);
    assert.deepEqual(Object.fromEntries(a.runs.map((r) => [r.method, r.learningRate])), { central: 0.02, spsa: 0.005 });
    let rows = await tableRows(page);
    assert.equal(rowOf(rows, 'Central differences')['Learning rate'].text, '0.02 shared');
    assert.match(rowOf(rows, 'Central differences')['Learning rate'].title, /shared rate/);
    assert.equal(rowOf(rows, 'SPSA')['Learning rate'].text, '0.005 own');
    assert.match(rowOf(rows, 'SPSA')['Learning rate'].title, /own rate .* in place of the shared 0\.02/);

    // Tuned: the pilots' choice, and around which rate they tried.
    await page.getByRole('checkbox', { name: 'Tune learning rates', exact: true }).check();
    await runRace(page, { timeout: 90_000 });
    const b = await exportResults(page);
    rows = await tableRows(page);
    for (const [method, label, around] of [['central', 'Central differences', 'shared rate 0.02'], ['spsa', 'SPSA', 'own rate 0.005']]) {
      const run = b.runs.find((r) => r.method === method);
      assert.ok(run.tuning, `${method} tuned`);
      assert.equal(run.learningRate, run.tuning.chosen, `${method} trained at the rate its pilots chose`);
      const cell = rowOf(rows, label)['Learning rate'];
      assert.equal(cell.text, `${fmtNum(run.tuning.chosen)} tuned`, method);
      assert.match(cell.title, new RegExp(`around the ${around.replace('.', '\\.')} and chose ${fmtNum(run.tuning.chosen).replace('.', '\\.')}`), cell.title);
    }
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});

test('each row of the results table exports its method\'s policy as Python: with repeats the median repeat, named', async () => {
  const { page, context, consoleProblems } = await openReady(env.browser, env.url);
  try {
    await setScript(page, SCRIPT);
    await page.getByRole('checkbox', { name: 'SPSA', exact: true }).check();
    await page.getByRole('checkbox', { name: 'Analytic gradient', exact: true }).check();
    await fill(page, 'F-evaluation budget', 3000);
    await fill(page, 'Log points', 5);
    await fill(page, 'Repeats', 3);
    await runRace(page, { timeout: 120_000 });
    const results = await exportResults(page);
    // With repeats a row is a method's runs: its learning rate, the same in each, with no range.
    const rows = await tableRows(page);
    assert.equal(rowOf(rows, 'SPSA')['Learning rate'].text, '0.01');
    assert.equal(rowOf(rows, 'SPSA')['Learning rate'].sub, 'shared');

    for (const [method, label] of [['central', 'Central differences'], ['spsa', 'SPSA'], ['exact', 'Analytic gradient']]) {
      const row = page.locator('#results-body tr', { hasText: label });
      const [d] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: `Download the policy of ${label} as Python` }).click()]);
      assert.equal(d.suggestedFilename(), `policy-${method}.py`);
      const file = await d.path();
      const text = await fs.readFile(file, 'utf8');
      // The repeat with the median final training loss of the three, named in the header.
      const runs = results.runs.filter((r) => r.method === method).sort((x, y) => x.final.trainLoss - y.final.trainLoss);
      assert.equal(runs.length, 3);
      const header = text.slice(0, text.indexOf('"""', 3));
      assert.match(header, new RegExp(`method: ${method},`), header);
      assert.match(header, new RegExp(`repeat ${runs[1].repeat + 1} of 3 \\(seed ${runs[1].seed}\\): the repeat whose final training loss`), header);
      const out = JSON.parse(execFileSync('python3', [file, '--check'], { encoding: 'utf8' }));
      assert.ok(out.checks >= 1 && out.maxError <= 1e-12, `${method}: ${JSON.stringify(out)}`);
    }
    await page.locator('.table-wrap').screenshot({ path: 'tests/e2e/artifacts/results-table-python.png' });
    assert.deepEqual(consoleProblems, []);
  } finally {
    await context.close();
  }
});
