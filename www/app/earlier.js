// Comparing with earlier races: "Load results" reads a results.json (schema 1 to 4) into a
// comparison that is over from the start, shown in the table and charts like a race that just
// ended, and puts the race back into the page: its script, its methods ticked, its settings
// (and the charts shown, when the file says), so that the page looks as it did when the race
// finished and Share link shares that race. The person's own script is kept as "My script"
// first. "Pin" keeps the current race as a faded overlay on the loss chart when the next one
// runs (Unpin or Reset clears it).
import { CHARTS, HISTORY_FIELDS } from '../schema.js';
import { Comparison, Run } from './comparison.js';
import { button, input, setProp, setText } from './dom.js';
import { METHOD, setSelectedMethods } from './methods.js';
import { keepMyScript } from './presets-ui.js';
import { applySettings, saveSettings, syncCharts, syncDataSource } from './settings-form.js';
import { state, set, subscribe, whenDrawn } from './state.js';
import { clearAlert, setStatus, showAlert } from './status.js';

const MAX_BYTES = 200e6; // a results.json of 20 repeats of 8 methods at 2,000 log points is ~30 MB
const SCHEMAS = [1, 2, 3, 4];

/** @param {unknown} v */
const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
/** @param {unknown} v */
const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * A results.json's text as a comparison that is over, or an Error that says what is wrong.
 * @param {string} text @param {string} name  the file's name
 * @param {number} id  the comparison's id
 * @returns {Comparison}
 */
export function comparisonFromResults(text, name, id) {
  /** @type {any} */
  let json;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`It is not JSON (${/** @type {Error} */ (e).message}).`);
  }
  if (!isObject(json) || !Array.isArray(json.runs) || !('schema' in json)) {
    throw new Error('It is not a results.json: that is an object with "schema" and "runs", as "Export results" writes it.');
  }
  if (!SCHEMAS.includes(json.schema)) {
    throw new Error(typeof json.schema === 'number' && json.schema > Math.max(...SCHEMAS)
      ? `It has schema ${json.schema}, from a newer version of the playground; this page reads schemas ${SCHEMAS.join(', ')}.`
      : `Its schema (${JSON.stringify(json.schema)}) is not one this page reads (${SCHEMAS.join(', ')}).`);
  }
  if (!json.runs.length) throw new Error('It holds no runs.');
  const config = isObject(json.config) ? json.config : {};
  /** @type {Map<string, number>} */
  const perMethod = new Map();
  const runs = json.runs.map((/** @type {any} */ raw, /** @type {number} */ i) => {
    if (!isObject(raw) || typeof raw.method !== 'string') throw new Error(`Run ${i + 1} has no method.`);
    if (!METHOD[raw.method]) throw new Error(`Run ${i + 1} names a method this page does not know: "${raw.method}".`);
    if (!Array.isArray(raw.history) || raw.history.some((/** @type {unknown} */ h) => !isObject(h))) {
      throw new Error(`Run ${i + 1} (${raw.method}) has no list of history entries.`);
    }
    perMethod.set(raw.method, (perMethod.get(raw.method) ?? 0) + 1);
    return raw;
  });
  const repeats = Math.max(...perMethod.values());
  const methods = Array.isArray(config.methods) && config.methods.every((/** @type {unknown} */ m) => typeof m === 'string' && METHOD[m])
    ? config.methods : [...perMethod.keys()];
  const c = new Comparison({
    id, script: typeof config.script === 'string' ? config.script : '', config, methods, paused: false, repeats, loaded: name,
  });
  /** @type {Map<string, number>} runs of each method so far: a schema-1 run's repeat */
  const seen = new Map();
  runs.forEach((/** @type {any} */ raw, /** @type {number} */ i) => {
    const nth = seen.get(raw.method) ?? 0;
    seen.set(raw.method, nth + 1);
    const repeat = Number.isInteger(raw.repeat) && raw.repeat >= 0 ? raw.repeat : nth;
    const run = new Run(raw.method, `loaded-${i}#${id}`, { repeat, seed: num(raw.seed) ?? num(config.seed), repeats });
    run.history = raw.history.map((/** @type {Record<string, unknown>} */ h) => Object.fromEntries(HISTORY_FIELDS.map((f) => [f, num(h[f])])));
    const f = isObject(raw.final) ? raw.final : {};
    const last = run.history.at(-1);
    run.status = {
      evals: num(f.evals) ?? last?.evals ?? 0, steps: num(f.steps) ?? last?.step ?? 0, wallMs: num(f.wallMs) ?? last?.wallMs ?? 0,
      monitorEvals: last?.monitorEvals ?? null, done: true, stopReason: typeof f.stopReason === 'string' ? f.stopReason : null,
      learningRate: num(raw.learningRate), tuning: isObject(raw.tuning) ? raw.tuning : null, skipped: num(f.skipped) ?? 0,
      fMs: num(f.fMs), fRows: num(f.fRows), // schema 4
      ...(typeof f.outcome === 'string' ? { outcome: f.outcome, outcomeWhy: typeof f.outcomeWhy === 'string' ? f.outcomeWhy : '' } : {}),
    };
    run.error = typeof raw.error === 'string' ? raw.error : null;
    run.ended = true;
    run.waiting = false;
    c.runs.set(run.runId, run);
  });
  c.endedAt = c.startedAt;
  return c;
}

/** Readers of other results files, tried first: each takes the file's text and name and says
 * whether it was theirs (a suite's results: suite-ui.js). @type {((text: string, name: string) => boolean)[]} */
const otherReaders = [];

/** Lets Load results read another kind of results file too. @param {(text: string, name: string) => boolean} reader */
export const readOtherResults = (reader) => { otherReaders.push(reader); };

/**
 * Shows a results.json file as the page's comparison.
 * @param {File} file
 */
async function load(file) {
  if (state.comparison && !state.comparison.over) return; // the input is disabled while a race runs
  clearAlert();
  /** @type {Comparison} */
  let c;
  try {
    if (file.size > MAX_BYTES) throw new Error(`It has ${file.size} bytes; the limit is ${MAX_BYTES / 1e6} MB.`);
    const text = await file.text();
    if (otherReaders.some((read) => read(text, file.name))) return;
    c = comparisonFromResults(text, file.name, state.comparisons + 1);
  } catch (e) {
    showAlert({ title: `${file.name} cannot be shown.`, message: /** @type {Error} */ (e).message });
    return;
  }
  state.runner?.killAll(); // workers of a stopped race still finishing: their results would be dropped
  set({ comparison: c, comparisons: c.id });
  const restored = restoreRace(c);
  const n = c.runs.size;
  const m = new Set([...c.runs.values()].map((r) => r.method)).size;
  // Finished once the table, the verdict and the charts show it.
  setStatus('running', `Showing ${file.name}…`);
  whenDrawn(() => { if (state.comparison === c) setStatus('finished', `Loaded ${file.name}: ${n} run${n === 1 ? '' : 's'} of ${m} method${m === 1 ? '' : 's'}. ${c.summary()}`); });
  const previous = restored.replaced;
  if (previous !== null) {
    const editor = /** @type {import('./state.js').Editor} */ (state.editor);
    showAlert({ kind: 'notice', title: `Loaded the race's script from ${file.name}.`,
      message: 'Your own script stays under "My script" in the Preset menu.',
      actions: [{ label: 'Restore my script', run: () => { editor.setText(previous); } }] });
  }
}

/**
 * Puts a loaded race back into the page: its script in the editor, its methods ticked, its
 * settings in the inputs (a setting an older file lacks: its default), and the charts it
 * showed when the file says. The editor's script, if it is the person's own, is kept as
 * "My script" first; `replaced` is it, to offer back (null when nothing of theirs was replaced).
 * @param {Comparison} c
 * @returns {{replaced: string | null}}
 */
function restoreRace(c) {
  const editor = state.editor;
  if (!editor) return { replaced: null };
  const previous = editor.getText();
  const own = keepMyScript();
  /** @type {string | null} */
  let replaced = null;
  if (c.script.trim() && c.script !== previous) {
    editor.setText(c.script);
    if (own) replaced = previous;
  }
  setSelectedMethods(c.methods);
  const config = c.config;
  applySettings(config, { missingAsDefault: true });
  syncDataSource();
  const charts = Array.isArray(config.charts) && config.charts.every((/** @type {unknown} */ k) => typeof k === 'string' && CHARTS.includes(k))
    ? config.charts : undefined;
  syncCharts(charts);
  saveSettings();
  return { replaced };
}

/** Pin and Unpin, and whether they and Load results can be used now. */
function renderControls() {
  const pin = button('pin');
  const c = state.comparison;
  const pinned = Boolean(state.pinned);
  setText(pin, pinned ? 'Unpin' : 'Pin');
  setProp(pin, 'title', pinned
    ? 'Take the pinned race off the loss chart'
    : 'Keep this race on the loss chart, faded, when the next Run starts');
  setProp(pin, 'disabled', !pinned && !(c && [...c.runs.values()].some((r) => r.history.length)));
  setProp(input('load-results'), 'disabled', Boolean(c && !c.over));
}

/** Wires Load results and Pin. */
export function bindEarlier() {
  const file = input('load-results');
  file.addEventListener('change', () => {
    const chosen = file.files?.[0];
    file.value = ''; // the same file again is a change too
    if (chosen) load(chosen);
  });
  button('pin').addEventListener('click', () => {
    set({ pinned: state.pinned ? null : state.comparison });
  });
  subscribe((changed) => {
    if (changed.has('comparison') || changed.has('pinned') || changed.has('runs') || changed.has('runState')) renderControls();
  });
  renderControls();
}
