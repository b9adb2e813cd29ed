// The page's state and who is told when it changes. This is the only module with mutable
// state of its own: the other modules read it here, change it through set() and touch(),
// and keep anything else they need in objects made at boot. Also what reads or makes a part
// of it for several modules: the last diagnosis of a script, the sandbox runner.
//
// Listeners get the names of what changed. set() names the fields it changed; touch() names
// something changed in place (the runs of the comparison got rows, a setting was edited,
// the layout of the charts changed), which set() cannot see.
import { SandboxRunner } from '../runner.js';

/**
 * The page's build of the wasm core (www/pkg/page.js): charts and share links.
 * @typedef {object} PageWasm
 * @property {(canvas: HTMLCanvasElement, specJson: string) => string} drawChart
 * @property {(text: string) => string} checkCsv       "" when the CSV is fine, else what is wrong
 * @property {(stateJson: string) => string} encodeState
 * @property {(fragment: string) => string} decodeState
 * @property {(raceJson: string, counts: Uint32Array, points: Float64Array) => string} summarizeRace  a race's summary, bands and verdict (src/race.rs; called through app/summarize.js)
 */

/**
 * The editor's API (www/editor-src.js).
 * @typedef {ReturnType<typeof import('../editor-src.js').createEditor>} Editor
 */

/**
 * What the status element says: its data-state (DESIGN.md, "Page conventions") and text.
 * @typedef {'idle'|'running'|'paused'|'finished'|'error'} RunState
 */

/**
 * A diagnosis (Diagnose F): the script it was made for, its report (diagnosis.json) and the
 * settings' budget then (for the time a race will take).
 * @typedef {{script: string, report: Record<string, any>, budget: number}} Diagnosis
 */

/**
 * Networks loaded with Load weights (a weights.json): by method, or `*` for one network for
 * every method.
 * @typedef {{name: string, networks: Record<string, Record<string, any>>}} LoadedWeights
 */

/**
 * @typedef {object} PageState
 * @property {RunState} runState        the status element's data-state
 * @property {string} statusText        the status element's text
 * @property {import('./comparison.js').Comparison | null} comparison  the current race of methods
 * @property {number} comparisons       how many comparisons were started (their ids)
 * @property {Editor | null} editor     the problem-script editor, from boot on
 * @property {import('../runner.js').SandboxRunner | null} runner  made on the first need
 * @property {Promise<void> | null} runnerReady
 * @property {number} watchdogMs        how long an F may stay silent before its worker is ended
 * @property {PageWasm | null} wasm     the page's wasm module, once loaded
 * @property {unknown} chartError       why the wasm module did not load, if it did not
 * @property {string | null} linkPending    a share link's fragment waiting for the wasm module
 * @property {boolean} applyingLink     true while a link's state is put into the page
 * @property {string | null} sharedFragment  the fragment in the address bar for what the page shows
 * @property {ReadonlySet<string>} hiddenMethods  methods the charts leave out (clicked off in the legend)
 * @property {boolean} logLoss          the loss chart's y axis is logarithmic
 * @property {import('./comparison.js').Comparison | null} pinned  an earlier race drawn faded on the loss chart
 * @property {Diagnosis | null} diagnosis  the last diagnosis made
 * @property {string | null} diagnosing  the run id of a diagnosis in progress
 * @property {number} diagnoses         how many diagnoses were started (their run ids)
 * @property {LoadedWeights | null} loadedWeights  what the next Run starts from, if loaded
 */

/** @type {PageState} */
const current = {
  runState: 'idle',
  statusText: 'Loading…',
  comparison: null,
  comparisons: 0,
  editor: null,
  runner: null,
  runnerReady: null,
  watchdogMs: 10_000,
  wasm: null,
  chartError: null,
  linkPending: null,
  applyingLink: false,
  sharedFragment: null,
  hiddenMethods: new Set(),
  logLoss: true,
  pinned: null,
  diagnosis: null,
  diagnosing: null,
  diagnoses: 0,
  loadedWeights: null,
};

/** @typedef {keyof PageState | 'runs' | 'edited' | 'layout' | 'methods' | 'draw'} Change */
/** @typedef {(changed: Set<Change>) => void} Listener */

/** @type {Listener[]} */
const listeners = [];

/** The page's state. Read it anywhere; change it with set(). */
export const state = /** @type {Readonly<PageState>} */ (current);

/**
 * Changes fields of the state, then tells every listener which ones changed (none: no call).
 * @param {Partial<PageState>} patch
 */
export function set(patch) {
  /** @type {Set<Change>} */
  const changed = new Set();
  for (const [k, v] of Object.entries(patch)) {
    const key = /** @type {keyof PageState} */ (k);
    if (current[key] === v) continue;
    /** @type {Record<string, unknown>} */ (current)[key] = v;
    changed.add(key);
  }
  if (changed.size) notify(changed);
}

/**
 * Tells every listener that something changed in place: 'runs' (the comparison's runs got
 * rows, a status or an end), 'edited' (the script or a setting changed), 'layout' (which
 * charts show, or embed mode), 'methods' (which methods are selected).
 * @param {...Change} what
 */
export function touch(...what) {
  notify(new Set(what));
}

/**
 * Calls `listener` after every change, with the names of what changed.
 * @param {Listener} listener
 */
export function subscribe(listener) {
  listeners.push(listener);
}

/** Callbacks waiting for the page to show the state as it is now. @type {(() => void)[]} */
const drawWaiters = [];

/**
 * Calls `fn` once the results (the table, the verdict and every chart) have been drawn from
 * the state as it is now: the charts take the waiters when they next redraw (a 'draw' change
 * asks them to) and call them once that redraw's last chart is on its canvas. A race is
 * said to be finished only then.
 * @param {() => void} fn
 */
export function whenDrawn(fn) {
  drawWaiters.push(fn);
  touch('draw');
}

/** The callbacks waiting for the next redraw, taken (charts.js). */
export const takeDrawWaiters = () => drawWaiters.splice(0);

/** @param {Set<Change>} changed */
function notify(changed) {
  for (const listener of listeners) listener(changed);
}

/** The report of the last diagnosis if it was made for this script (for the runs' steps and
 * results.json), else null. @param {string} script */
export function diagnosisFor(script) {
  const d = current.diagnosis;
  return d && d.script === script ? d.report : null;
}

/** The sandbox runner, made on first need; resolves once the sandbox is ready. */
export function ensureRunner() {
  if (!current.runnerReady) {
    const runner = new SandboxRunner({ watchdogMs: current.watchdogMs });
    set({ runner, runnerReady: runner.ready });
  }
  return /** @type {Promise<void>} */ (current.runnerReady);
}
