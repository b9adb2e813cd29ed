// The suite's profiles (www/app/suite-profiles.js) with the core's race summary (the page's
// wasm, www/pkg/page.js, loaded in node: skipped when it is not built). A suite results.json the
// page exported (tests/golden/suite-results.json: Rosenbrock and noisy Beale, Central
// differences, SPSA and ES, 2 repeats, three levels τ; its races kept to the fields the profiles
// read) gives the same curves again; a hand-made suite gives the data profile, performance
// profile and win-rate matrix worked out by hand; the CSV has a line per problem, method,
// repeat and τ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { raceInput, suiteCsv, suiteProfiles } from '../../www/app/suite-profiles.js';
import { summarizer as coreSummarizer } from '../../www/app/summarize.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WASM = path.join(root, 'www/pkg/page_bg.wasm');
const built = fs.existsSync(WASM);

/** The core's race summary, from the page's wasm. @returns {Promise<(race: any) => string>} */
async function summarizer() {
  const glue = /** @type {any} */ (await import(path.join(root, 'www/pkg/page.js')));
  glue.initSync({ module: fs.readFileSync(WASM) });
  return coreSummarizer(glue);
}

test('a suite results.json the page exported: its profiles recomputed from its races are the same curves', { skip: !built && 'www/pkg not built (make build)' }, async () => {
  const json = JSON.parse(fs.readFileSync(path.join(root, 'tests/golden/suite-results.json'), 'utf8'));
  const summarize = await summarizer();
  const again = suiteProfiles({ taus: json.suite.taus, methods: json.suite.methods, repeats: json.suite.repeats, races: json.races }, summarize);
  assert.deepEqual(again, json.profiles);
  assert.equal(again.instances, 4);
  assert.deepEqual(again.taus, [0.1, 0.01, 0.001]);
  // Each race's summary at each τ is the one its brackets came from: at τ = 0.1 the run that
  // reached f_L (the race's best) converged, so some curve rises on every problem.
  for (const race of json.races) {
    const s = JSON.parse(summarize(raceInput(race.results, 0.1)));
    assert.ok(s.summary.some((/** @type {any} */ m) => m.runs.some((/** @type {any} */ r) => r.evalsToTarget)), race.problem.id);
  }
});

/**
 * One run's results.json entry with losses at evaluation counts.
 * @param {string} method @param {number} repeat @param {[number, number][]} points  [evals, loss]
 */
const runOf = (method, repeat, points) => ({
  method, repeat, seed: 1 + repeat,
  history: points.map(([evals, trainLoss], step) => ({ step, evals, trainLoss, wallMs: step })),
  final: { trainLoss: points.at(-1)?.[1], evals: points.at(-1)?.[0], wallMs: points.length, fMs: null, fRows: null, stopReason: 'budget', outcome: 'improved' },
  error: null,
});

test('a hand-made suite: the data and performance profiles and the wins worked out by hand', { skip: !built && 'www/pkg not built (make build)' }, async () => {
  // τ = 0.1, every run starting at loss 1: the goal is f_L + 0.1 (1 − f_L).
  // P1 (unit 3, f_L 0.001, goal 0.1009): central converges at 60 and 30, SPSA never and at 30.
  // P2 (unit 4, f_L 0.002, goal 0.1018): central at 80 and never, SPSA at 40 and 40.
  const races = [
    { problem: { id: 'p1', name: 'P1', p: 2, xDim: 0, unit: 3 }, results: { config: { target: 0.05 }, runs: [
      runOf('central', 0, [[0, 1], [30, 0.5], [60, 0.001]]), runOf('spsa', 0, [[0, 1], [30, 0.9], [60, 0.2]]),
      runOf('central', 1, [[0, 1], [30, 0.05], [60, 0.01]]), runOf('spsa', 1, [[0, 1], [30, 0.09], [60, 0.08]]),
    ] } },
    { problem: { id: 'p2', name: 'P2', p: 3, xDim: 0, unit: 4 }, results: { config: { target: 0.05 }, runs: [
      runOf('central', 0, [[0, 1], [40, 0.3], [80, 0.05]]), runOf('spsa', 0, [[0, 1], [40, 0.002], [80, 0.002]]),
      runOf('central', 1, [[0, 1], [40, 0.6], [80, 0.4]]), runOf('spsa', 1, [[0, 1], [40, 0.1], [80, 0.05]]),
    ] } },
  ];
  const suite = { taus: [0.1], methods: ['central', 'spsa'], repeats: 2, races };
  const p = suiteProfiles(suite, await summarizer());
  assert.equal(p.instances, 4);
  assert.deepEqual(p.solved, [
    { problem: 'p1', tau: 0.1, method: 'central', evals: [60, 30] },
    { problem: 'p1', tau: 0.1, method: 'spsa', evals: [null, 30] },
    { problem: 'p2', tau: 0.1, method: 'central', evals: [80, null] },
    { problem: 'p2', tau: 0.1, method: 'spsa', evals: [40, 40] },
  ]);
  // Data profile, in units: central 20, 10, 20 of 4 instances; SPSA 10, 10, 10.
  assert.deepEqual(p.data[0].curves, [
    { method: 'central', points: [[10, 0.25], [20, 0.75]] },
    { method: 'spsa', points: [[10, 0.75]] },
  ]);
  // Performance profile: P1r0 central alone (1); P1r1 both 30 (1, 1); P2r0 80 against 40 (2, 1); P2r1 SPSA alone (1).
  assert.deepEqual(p.performance[0].curves, [
    { method: 'central', points: [[1, 0.5], [2, 0.75]] },
    { method: 'spsa', points: [[1, 0.75]] },
  ]);
  // Wins by the median over repeats: P1 central 45 against SPSA never; P2 central never against 40.
  assert.deepEqual(p.wins[0].scores, [
    [{ wins: 0, ties: 0, losses: 0 }, { wins: 1, ties: 0, losses: 1 }],
    [{ wins: 1, ties: 0, losses: 1 }, { wins: 0, ties: 0, losses: 0 }],
  ]);
  const csv = suiteCsv(suite, p).trim().split('\n');
  assert.equal(csv.length, 1 + 2 * 2 * 2);
  assert.equal(csv[1], 'p1,P1,2,3,central,0,0.1,60,20,0.001');
  assert.equal(csv[3], 'p1,P1,2,3,spsa,0,0.1,,,0.2');
});
