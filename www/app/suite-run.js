// Running a suite: every problem in turn raced through the page's own Run path
// (comparison.js startComparison with the problem's script, the suite's methods and the page's
// settings with the suite's budget and repeats), on the page's runner and workers, each race
// shown in the charts and table as it runs. When a race is finished its results.json (the very
// object Export results writes) is kept; the suite's results.json is those races, the suite and
// the profiles computed from them (suite-profiles.js).
import { startComparison, stop } from './comparison.js';
import { resultsJson } from './results.js';
import { state, subscribe } from './state.js';
import { dims, scriptOf, suiteJson, unitOf } from './suite-model.js';
import { suiteProfiles } from './suite-profiles.js';

/** @typedef {import('./suite-model.js').Suite} Suite */
/** @typedef {import('./suite-profiles.js').SuiteRace} SuiteRace */
/** @typedef {import('./comparison.js').Comparison} Comparison */

/**
 * Where one problem of a running suite is.
 * @typedef {{state: 'waiting' | 'running' | 'done' | 'stopped' | 'failed', note: string}} ProblemProgress
 */

/** Checks waiting for the page's state, each dropped once it returns true. @type {(() => boolean)[]} */
const waiters = [];
subscribe(() => {
  for (const w of waiters.splice(0)) if (!w()) waiters.push(w);
});

/**
 * Resolves once the race is over and the page says so (finished or error, its table, verdict
 * and charts drawn), or once another comparison replaced it (Reset, Load results).
 * @param {Comparison} c
 */
function whenOver(c) {
  const over = () => state.comparison !== c || (c.over && ['finished', 'error', 'idle'].includes(state.runState));
  return new Promise((resolve) => {
    if (over()) { resolve(undefined); return; }
    waiters.push(() => { if (!over()) return false; resolve(undefined); return true; });
  });
}

/** One run of a suite: its races so far and where each problem is. */
export class SuiteRun {
  /** @param {Suite} suite */
  constructor(suite) {
    this.suite = suite;
    /** @type {SuiteRace[]} */
    this.races = [];
    /** @type {ProblemProgress[]} */
    this.progress = suite.problems.map(() => ({ state: 'waiting', note: '' }));
    /** @type {Comparison | null} the race running now */
    this.current = null;
    this.stopped = false;
    this.over = false;
    /** @type {string | null} why the suite could not go on */
    this.error = null;
  }

  /** The share of the current race's budget spent (0 to 1), or null. */
  currentShare() {
    const c = this.current;
    if (!c || c.over) return null;
    const runs = [...c.runs.values()];
    const budget = typeof c.config.budget === 'number' ? c.config.budget : 0;
    if (!runs.length || !budget) return 0;
    return Math.min(1, runs.reduce((s, r) => s + r.evals, 0) / (budget * runs.length));
  }

  /** Stops the race running now and starts no other. */
  stop() {
    this.stopped = true;
    if (this.current && !this.current.over) stop();
  }
}

/**
 * Races every problem of the suite in turn; `changed` is called whenever a problem starts or
 * ends. Resolves when the suite is over (done, stopped or unable to go on).
 * @param {SuiteRun} run @param {() => void} changed
 */
export async function runSuite(run, changed) {
  const { suite } = run;
  for (let i = 0; i < suite.problems.length && !run.stopped; i++) {
    const entry = suite.problems[i];
    const script = scriptOf(entry);
    const d = script ? dims(script) : null;
    if (!script || !d) {
      run.progress[i] = { state: 'failed', note: script ? 'its problem does not say thetaDim and xDim as numbers' : 'this page does not have it' };
      changed();
      continue;
    }
    let unit = d.p + 1;
    run.progress[i] = { state: 'running', note: '' };
    changed();
    const c = await startComparison({ race: { script, methods: suite.methods, adjust: (config) => {
      unit = unitOf(d, config.optimizer?.batchSize ?? 1);
      // The data come from the script (a calibration problem has none): not the page's CSV.
      const data = { source: 'generated', testFraction: config.data?.testFraction ?? 0.2, csv: '' };
      return { ...config, data, budget: Math.max(1, Math.round(suite.budget * unit)), repeats: suite.repeats };
    } } });
    if (!c) {
      run.progress[i] = { state: 'failed', note: 'the race could not start (see the message above)' };
      run.error = `${entry.name}: the race could not start.`;
      break;
    }
    run.current = c;
    changed();
    await whenOver(c);
    run.current = null;
    if (state.comparison !== c) {
      run.progress[i] = { state: 'stopped', note: 'replaced before it ended' };
      run.stopped = true;
      break;
    }
    if (c.stoppedByUser) run.stopped = true; // Stop (the page's or the suite's) ends the suite
    const results = resultsJson();
    const logged = Array.isArray(results.runs) && results.runs.some((/** @type {any} */ r) => r.history?.length);
    if (logged) run.races.push({ problem: { id: entry.id, name: entry.name, source: entry.source, p: d.p, xDim: d.xDim, unit }, results });
    const failed = results.runs.filter((/** @type {any} */ r) => r.error).length;
    run.progress[i] = c.stoppedByUser
      ? { state: 'stopped', note: logged ? 'stopped; what it logged counts' : 'stopped before it logged' }
      : { state: logged ? 'done' : 'failed', note: failed ? `${failed} run${failed === 1 ? '' : 's'} failed` : '' };
    changed();
  }
  run.over = true;
  changed();
}

/**
 * A suite's results.json: the suite (problems, methods, repeats, budget, τ levels, settings),
 * every race's results.json, and the profiles computed from them.
 * @param {Suite} suite @param {SuiteRace[]} races @param {(json: string) => string} summarize
 */
export function suiteResults(suite, races, summarize) {
  const data = { taus: suite.taus, methods: suite.methods, repeats: suite.repeats, races };
  return { suiteSchema: 1, suite: suiteJson(suite), races, profiles: suiteProfiles(data, summarize) };
}
