// The page's state and who is told when it changes. This is the only module with mutable
// state of its own: the other modules read it here, change it through set() and touch(),
// and keep anything else they need in objects made at boot.
//
// Listeners get the names of what changed. set() names the fields it changed; touch() names
// something changed in place (the runs of the comparison got rows, a setting was edited,
// the layout of the charts changed), which set() cannot see.

/**
 * The page's build of the wasm core (www/pkg/page.js): charts and share links.
 * @typedef {object} PageWasm
 * @property {(canvas: HTMLCanvasElement, specJson: string) => string} drawChart
 * @property {(text: string) => string} checkCsv       "" when the CSV is fine, else what is wrong
 * @property {(stateJson: string) => string} encodeState
 * @property {(fragment: string) => string} decodeState
 * @property {(raceJson: string) => string} summarizeRace  a race's summary, bands and verdict (src/race.rs)
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
};

/** @typedef {keyof PageState | 'runs' | 'edited' | 'layout' | 'methods'} Change */
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

/** @param {Set<Change>} changed */
function notify(changed) {
  for (const listener of listeners) listener(changed);
}
