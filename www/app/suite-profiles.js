// A suite's profiles from its races, computed from each race's results.json alone (so a suite
// results.json gives the same curves back: tests/js/suite-profiles.test.mjs). Pure: no page,
// no state; the core's race summary is passed in (app/summarize.js's summarizer of the page's wasm),
// called once per race and level τ, and its per-run brackets are all this module reads of a
// race: a run has converged at level τ when its training loss is at most f_L + τ(f_0 − f_L),
// f_L the best any run of that race reached, at the upper end of its bracket (the first log
// point at or below the goal). On those:
// - data profiles (Moré and Wild 2009): for each method, the share of the suite's problem ×
//   repeat instances it solved within α units of (p+1) evaluations, against α;
// - performance profiles (Dolan and Moré 2002): the share of instances where its evaluations
//   were within a factor r of the fewest any method needed on that instance, against r;
// - the win-rate matrix: for each pair of methods, on how many problems the first needed fewer
//   evaluations than the second (the median over repeats, a run that did not converge counting
//   as infinitely many), as many, or more.

/**
 * What a suite's profiles are computed from: for each race its problem (with the unit of
 * evaluations, (p+1) evaluations or (p+1) × the batch with x) and its results.json.
 * @typedef {{id: string, name: string, p: number, xDim: number, unit: number, source?: string}} ProblemInfo
 * @typedef {{problem: ProblemInfo, results: Record<string, any>}} SuiteRace
 * @typedef {{taus: number[], methods: string[], repeats: number, races: SuiteRace[]}} SuiteData
 */

/**
 * A profile curve: [x, share] steps, one per distinct x where the share rises.
 * @typedef {{method: string, points: number[][]}} Curve
 * @typedef {{wins: number, ties: number, losses: number}} Score
 * @typedef {object} SuiteProfiles
 * @property {number[]} taus
 * @property {string[]} methods
 * @property {number} instances   problems × repeats
 * @property {{tau: number, curves: Curve[]}[]} data        x: evaluations / unit
 * @property {{tau: number, curves: Curve[]}[]} performance  x: ratio to the best on the instance
 * @property {{tau: number, scores: Score[][]}[]} wins       scores[i][j]: methods[i] against methods[j]
 * @property {{problem: string, tau: number, method: string, evals: (number | null)[]}[]} solved
 *   per race, τ and method: each repeat's evaluations to converge (null: it did not)
 */

/** @param {unknown} v */
const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * The race summary's input (src/race.rs `RaceInput`) from a race's results.json, as race.js
 * builds it from the page's runs: the runs that ran, their logged losses and final state.
 * @param {Record<string, any>} results @param {number | null} tau  null: the fixed Target
 */
export function raceInput(results, tau) {
  const config = results.config ?? {};
  const target = typeof config.target === 'number' && config.target > 0 && config.target <= 1 ? config.target : 0.05;
  const runs = (Array.isArray(results.runs) ? results.runs : [])
    .filter((/** @type {any} */ r) => (r.history?.length ?? 0) > 0 || (num(r.final?.evals) ?? 0) > 0 || Boolean(r.error))
    .map((/** @type {any} */ r) => ({
      method: r.method,
      repeat: r.repeat ?? 0,
      history: r.history.map((/** @type {any} */ h) => ({ evals: h.evals, trainLoss: h.trainLoss, wallMs: h.wallMs })),
      final: {
        outcome: r.final?.outcome ?? null, stopReason: r.final?.stopReason ?? null, wallMs: r.final?.wallMs ?? 0,
        fMs: r.final?.fMs ?? null, fRows: r.final?.fRows ?? null, evals: r.final?.evals ?? 0,
      },
      error: r.error ?? null,
    }));
  return { target, tau, runs };
}

/**
 * Each repeat's evaluations to converge, per method, in one race at level τ.
 * @param {SuiteRace} race @param {number} tau @param {string[]} methods @param {number} repeats
 * @param {(race: any) => string} summarize
 * @returns {Map<string, (number | null)[]>}
 */
function solvedIn(race, tau, methods, repeats, summarize) {
  /** @type {any} */
  const summary = JSON.parse(summarize(raceInput(race.results, tau)));
  return new Map(methods.map((method) => {
    const ms = (summary.summary ?? []).find((/** @type {any} */ s) => s.method === method);
    const evals = Array.from({ length: repeats }, (_, repeat) => {
      const run = ms?.runs?.find((/** @type {any} */ r) => r.repeat === repeat);
      return num(run?.evalsToTarget?.hi);
    });
    return [method, evals];
  }));
}

/**
 * Steps of a share against x: the sorted values, the share of `total` at or below each.
 * @param {number[]} values @param {number} total
 */
function steps(values, total) {
  const sorted = [...values].sort((a, b) => a - b);
  /** @type {number[][]} */
  const points = [];
  sorted.forEach((v, i) => {
    const share = (i + 1) / total;
    if (points.length && points[points.length - 1][0] === v) points[points.length - 1][1] = share;
    else points.push([v, share]);
  });
  return points;
}

/** The median of numbers that may be Infinity. @param {number[]} xs */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * The suite's profiles: data and performance profiles and the win-rate matrix at every τ.
 * @param {SuiteData} suite @param {(race: any) => string} summarize  the core's summary of a race (app/summarize.js summarizer)
 * @returns {SuiteProfiles}
 */
export function suiteProfiles(suite, summarize) {
  const { taus, methods, races } = suite;
  const repeats = Math.max(1, suite.repeats);
  const instances = races.length * repeats;
  /** @type {SuiteProfiles} */
  const out = { taus, methods, instances, data: [], performance: [], wins: [], solved: [] };
  for (const tau of taus) {
    const solved = races.map((race) => solvedIn(race, tau, methods, repeats, summarize));
    races.forEach((race, i) => {
      for (const method of methods) {
        out.solved.push({ problem: race.problem.id, tau, method, evals: /** @type {(number | null)[]} */ (solved[i].get(method)) });
      }
    });
    // Data profile: evaluations in units of the problem's (p+1).
    out.data.push({ tau, curves: methods.map((method) => {
      const units = races.flatMap((race, i) => /** @type {(number | null)[]} */ (solved[i].get(method))
        .filter((e) => e !== null).map((e) => /** @type {number} */ (e) / race.problem.unit));
      return { method, points: steps(units, instances) };
    }) });
    // Performance profile: the ratio to the fewest evaluations any method needed on that
    // instance (counts below 1, a run converged at its start, count as 1).
    /** @type {Map<string, number[]>} */
    const ratios = new Map(methods.map((m) => [m, []]));
    races.forEach((_, i) => {
      for (let repeat = 0; repeat < repeats; repeat++) {
        const at = methods.map((m) => /** @type {(number | null)[]} */ (solved[i].get(m))[repeat]);
        const done = /** @type {number[]} */ (at.filter((e) => e !== null));
        if (!done.length) continue;
        const best = Math.max(1, Math.min(...done));
        at.forEach((e, k) => { if (e !== null) ratios.get(methods[k])?.push(Math.max(1, e) / best); });
      }
    });
    out.performance.push({ tau, curves: methods.map((method) => ({ method, points: steps(ratios.get(method) ?? [], instances) })) });
    // Wins, problem by problem: the median evaluations over repeats (not converged: Infinity).
    const medians = races.map((_, i) => methods.map((m) => median(/** @type {(number | null)[]} */ (solved[i].get(m))
      .map((e) => (e === null ? Infinity : e)))));
    const scores = methods.map((_, a) => methods.map((__, b) => {
      const score = { wins: 0, ties: 0, losses: 0 };
      if (a === b) return score;
      for (const row of medians) {
        if (row[a] < row[b]) score.wins++;
        else if (row[a] > row[b]) score.losses++;
        else score.ties++;
      }
      return score;
    }));
    out.wins.push({ tau, scores });
  }
  return out;
}

/**
 * The suite as CSV: one line per problem, method, repeat and τ, with the evaluations to
 * converge (blank: it did not), in units of (p+1), and the run's final training loss.
 * @param {SuiteData} suite @param {SuiteProfiles} profiles
 */
export function suiteCsv(suite, profiles) {
  const lines = ['problem,name,p,unit,method,repeat,tau,evals_to_converge,units_to_converge,final_train_loss'];
  const quote = (/** @type {string} */ s) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  for (const row of profiles.solved) {
    const race = suite.races.find((r) => r.problem.id === row.problem);
    if (!race) continue;
    const { problem } = race;
    row.evals.forEach((e, repeat) => {
      const run = (race.results.runs ?? []).find((/** @type {any} */ r) => r.method === row.method && (r.repeat ?? 0) === repeat);
      const loss = num(run?.final?.trainLoss);
      lines.push([quote(problem.id), quote(problem.name), problem.p, problem.unit, row.method, repeat, row.tau,
        e ?? '', e === null ? '' : e / problem.unit, loss ?? ''].join(','));
    });
  }
  return `${lines.join('\n')}\n`;
}
