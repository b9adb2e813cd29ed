// The core's race summary (src/race.rs through the page's wasm, summarizeRace) called with a
// race's log points apart from its JSON: `[evals, trainLoss, wallMs]` per point, run after
// run, in one Float64Array (each run's count in a Uint32Array), so that every number reaches
// the core bit for bit (the page's .wasm reads JSON numbers with serde_json's fast float
// reader, an ulp off at times: Cargo.toml). Pure: the page, the suite and the tests use it.

/** A number as it crosses: missing (null, absent) as NaN. @param {unknown} v */
const num = (v) => (typeof v === 'number' ? v : NaN);

/** @typedef {{summarizeRace: (raceJson: string, counts: Uint32Array, points: Float64Array) => string}} Summarizes */

/**
 * The core's summary (its JSON) of a race as results.json holds races: `{target, tau, runs:
 * [{method, repeat, history: [{evals, trainLoss, wallMs}], final, error}]}`.
 * @param {Summarizes} wasm @param {any} race
 * @returns {string}
 */
export function summarizeRace(wasm, race) {
  /** @type {number[]} */
  const points = [];
  /** @type {number[]} */
  const counts = [];
  const runs = (Array.isArray(race?.runs) ? race.runs : []).map((/** @type {any} */ r) => {
    const { history, ...rest } = r ?? {};
    const h = Array.isArray(history) ? history : [];
    for (const p of h) points.push(num(p?.evals), num(p?.trainLoss), num(p?.wallMs));
    counts.push(h.length);
    return rest;
  });
  return wasm.summarizeRace(JSON.stringify({ ...race, runs }), new Uint32Array(counts), new Float64Array(points));
}

/**
 * The same as a function of the race alone (what suite-profiles.js takes).
 * @param {Summarizes} wasm
 * @returns {(race: any) => string}
 */
export const summarizer = (wasm) => (race) => summarizeRace(wasm, race);
