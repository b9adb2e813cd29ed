// A race read as a whole, by the core (src/race.rs through the page's wasm, summarizeRace):
// per method the median and range of the final and best training loss and of the
// F-evaluations to the target over its repeats, each method's median curve with its band, and
// the verdict, which names a winner only when its range is clear of the runner-up's. The page
// never ranks methods itself.
import { SETTING_BY_ID } from './settings.js';
import { state } from './state.js';
import { summarizeRace } from './summarize.js';

/** @typedef {import('./comparison.js').Comparison} Comparison */
/** @typedef {import('./comparison.js').Run} Run */

/**
 * A spread over repeats (null where the core wrote NaN: nothing to measure).
 * @typedef {{median: number | null, lo: number | null, hi: number | null, n?: number}} Spread
 */

/**
 * One method's summary (src/race.rs `MethodSummary`).
 * @typedef {object} MethodSummary
 * @property {string} method
 * @property {number} repeats
 * @property {Spread} finalTrainLoss
 * @property {Spread} bestTrainLoss
 * @property {Spread & {reached: number, bracketLo: number | null}} evalsToTarget  over the
 *   repeats that converged: the spread of their brackets' upper ends (`bracketLo`: the low end
 *   of the spread of their lower ends)
 * @property {Spread} msToTarget   time to converge
 * @property {Spread} ownMsPerEval  the method's own time per learning evaluation (outside F)
 * @property {Spread} fMsPerCall    F's own time per call
 * @property {number} lost   repeats that failed or diverged
 * @property {{repeat: number, evalsToTarget: {lo: number, hi: number} | null, msToTarget: number | null,
 *   ownMsPerEval: number | null, fMsPerCall: number | null, finalTrainLoss: number | null, lost: boolean}[]} runs
 */

/**
 * What summarizeRace returns.
 * @typedef {object} RaceSummary
 * @property {MethodSummary[]} summary
 * @property {{kind: 'relative', tau: number, best: number} | {kind: 'fixed', target: number}} rule
 * @property {{method: string, points: (number | null)[][]}[]} bands  [evals, median, lo, hi] per point
 * @property {{method: string, points: number[][]}[]} profiles  data profile: [evals, share of repeats converged]
 * @property {string} verdict
 * @property {string} timeNote  what the clock says beside the verdict (the winner's own work per
 *   evaluation against F's), '' when nothing
 * @property {string | null} winner
 * @property {string[]} tied
 */

const TARGET = /** @type {import('../schema-types.js').NumberSetting} */ (SETTING_BY_ID.target);

/**
 * The target a comparison is judged by: its settings' (a results.json of schema 1 has none:
 * the table's default).
 * @param {Comparison} c
 */
export function raceTarget(c) {
  const t = c.config?.target;
  return typeof t === 'number' && t > 0 && t <= 1 ? t : TARGET.default;
}

/**
 * The level τ a comparison's verdict is judged by (Moré and Wild), or null for the fixed
 * target. A results.json from before the setting (schema 1–3) was judged by the fixed target.
 * @param {Comparison} c
 */
export function raceTau(c) {
  const v = c.config?.convergence;
  if (v === undefined || v === null || v === 'start') return null;
  const tau = Number(v);
  return Number.isFinite(tau) && tau > 0 && tau < 1 ? tau : null;
}

/** The last summary of each comparison, with what it was computed from. @type {WeakMap<Comparison, {key: string, value: RaceSummary | null}>} */
const cache = new WeakMap();

/**
 * The core's summary of a comparison's runs (as results.json holds them), recomputed only
 * when a run logged, ended or failed since the last call. Null without the page's wasm.
 * @param {Comparison | null} c
 * @returns {RaceSummary | null}
 */
export function raceSummary(c) {
  const wasm = state.wasm;
  if (!c || !wasm) return null;
  // A run stopped while it waited for a core never ran: it is no repeat of its method.
  const runs = [...c.runs.values()].filter(ran);
  const key = runs.map((r) => `${r.history.length},${r.ended ? 1 : 0},${r.error ? 1 : 0},${r.status?.outcome ?? ''},${r.ended ? r.status?.fMs ?? '' : ''}`).join(';');
  const hit = cache.get(c);
  if (hit && hit.key === key) return hit.value;
  /** @type {RaceSummary | null} */
  let value = null;
  try {
    value = JSON.parse(summarizeRace(wasm, {
      target: raceTarget(c),
      tau: raceTau(c),
      runs: runs.map((r) => {
        const f = r.final;
        // An ended run is summarised from what its results.json holds (its last logged values),
        // so that a loaded file gives the same summary; a running one from its latest status.
        const clock = r.ended ? { wallMs: f.wallMs, fMs: f.fMs, fRows: f.fRows, evals: f.evals }
          : { wallMs: r.wallMs, fMs: r.status?.fMs ?? null, fRows: r.status?.fRows ?? null, evals: r.evals };
        return {
          method: r.method,
          repeat: r.repeat,
          history: r.history.map((h) => ({ evals: h.evals, trainLoss: h.trainLoss, wallMs: h.wallMs })),
          final: { outcome: r.outcome.outcome, stopReason: f.stopReason, ...clock },
          error: r.error,
        };
      }),
    }));
  } catch {
    value = null; // an older page build without summarizeRace: the page says less, and no verdict
  }
  cache.set(c, { key, value });
  return value;
}

/**
 * Whether a run ran at all: it logged, spent evaluations or failed (one stopped while it
 * waited for a core did none of these).
 * @param {Run} r
 */
export const ran = (r) => r.history.length > 0 || r.evals > 0 || Boolean(r.error);

/**
 * Whether a run diverged (its loss blew up): its curve does not set the charts' ranges.
 * @param {Run} r
 */
export const diverged = (r) => r.status?.stopReason === 'diverged' || r.outcome.outcome === 'diverged';

/**
 * The runs of each method, in the order the methods first appear.
 * @param {Run[]} runs
 * @returns {Map<string, Run[]>}
 */
export function byMethod(runs) {
  /** @type {Map<string, Run[]>} */
  const out = new Map();
  for (const r of runs) {
    const list = out.get(r.method);
    if (list) list.push(r);
    else out.set(r.method, [r]);
  }
  return out;
}
