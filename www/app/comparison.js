// A comparison: several methods racing on the same data and F-evaluation budget, each run
// once per repeat (repeat r: seed + r, the data of the base seed), all queued on
// SandboxRunner (www/runner.js), which lets at most one worker per core compute. The page never
// runs the user's script itself (its CSP forbids eval). Also the controls that start, pause,
// step, stop and reset a comparison. A comparison loaded from a results.json (earlier.js) is
// one that is over from the start.
import { $ } from './dom.js';
import { decodeRows } from '../protocol.js';
import { METHOD, METHODS, selectedMethods, scriptHas } from './methods.js';
import { raceSummary } from './race.js';
import { SETTING_BY_ID, SettingsError } from './settings.js';
import { readSettings, readPageSetting, markInvalid } from './settings-form.js';
import { diagnosedSteps } from './diagnosis.js';
import { initialWeightsFor } from './weights.js';
import { ensureRunner, state, set, touch, whenDrawn } from './state.js';
import { setStatus, showAlert, clearAlert } from './status.js';

/**
 * One row of a run's history (protocol.js decodeRows).
 * @typedef {ReturnType<typeof decodeRows>[number]} HistoryRow
 */

/** One method's run in a comparison: one repeat of it. */
export class Run {
  /**
   * @param {string} method @param {string} runId
   * @param {{repeat?: number, seed?: number | null, repeats?: number}} [which]  repeat (0-based) of how many, and its seed
   */
  constructor(method, runId, { repeat = 0, seed = null, repeats = 1 } = {}) {
    this.method = method;
    this.runId = runId;
    this.repeat = repeat;
    this.seed = seed;
    /** How the page names this run: the method, and which repeat when there are several. */
    this.label = repeats > 1 ? `${METHOD[method].label} #${repeat + 1}` : METHOD[method].label;
    /** @type {HistoryRow[]} */
    this.history = [];
    /** @type {Record<string, any> | null} the worker's last status */
    this.status = null;
    /** @type {Record<string, any> | null} */
    this.fit = null;
    /** @type {{reference: string, rows: number[][]} | null} */
    this.sweep = null;
    /** @type {string | null} */
    this.weights = null;
    /** @type {string | null} */
    this.error = null;
    this.ended = false;
    this.waiting = true; // for a free core: at most one method per core computes at once
    /** When it got a core and when it ended, on the page's clock (performance.now), and
     * whether it was ever paused: the time a run takes beyond its own clock (its worker's
     * start, its first log point, the step-size sweep and fit after its last step), for the
     * time left. @type {number | null} */
    this.startedAt = null;
    /** @type {number | null} */
    this.endedAt = null;
    this.wasPaused = false;
  }

  get info() { return METHOD[this.method]; }

  get evals() { return this.status?.evals ?? this.history.at(-1)?.evals ?? 0; }

  get wallMs() { return this.status?.wallMs ?? this.history.at(-1)?.wallMs ?? 0; }

  /** The last logged values (results.json's `final`). */
  get final() {
    const last = this.history.at(-1);
    return {
      trainLoss: last?.trainLoss ?? null,
      testLoss: last?.testLoss ?? null,
      evals: last?.evals ?? 0,
      steps: last?.step ?? 0,
      wallMs: last?.wallMs ?? 0,
      // The run's time inside F and its calls of F (wall-clock: they differ run to run).
      fMs: this.status?.fMs ?? null,
      fRows: this.status?.fRows ?? null,
      stopReason: this.status?.stopReason ?? (this.error ? 'error' : null),
      // Samples dropped because F failed there (When F fails: skip the sample); only when any.
      ...(this.status?.skipped ? { skipped: this.status.skipped } : {}),
      ...this.outcome,
    };
  }

  /** How the run came out: the core's judgement once it ended (or `failed` when it could not
   * run at all), with one line of why. */
  get outcome() {
    const s = this.status;
    if (this.error && !s?.outcome) return { outcome: 'failed', outcomeWhy: 'F or the method failed: see the error' };
    if (s?.outcome) return { outcome: s.outcome, outcomeWhy: s.outcomeWhy ?? '' };
    if (this.ended && s?.stopReason === 'stopped') return { outcome: 'stopped', outcomeWhy: 'stopped before it logged' };
    return { outcome: null, outcomeWhy: null };
  }
}

/** Several methods' runs with one script and one set of settings. */
export class Comparison {
  /**
   * @param {{id: number, script: string, config: Record<string, any>, methods: string[], paused: boolean,
   *   repeats?: number, loaded?: string | null}} init  `loaded`: the name of the results.json it came from
   */
  constructor({ id, script, config, methods, paused, repeats = 1, loaded = null }) {
    this.id = id;
    this.script = script;
    this.config = config;
    this.methods = methods;
    this.paused = paused;
    /** Runs per method. */
    this.repeats = repeats;
    this.loaded = loaded;
    this.over = Boolean(loaded);
    this.stoppedByUser = false;
    /** @type {Map<string, Run>} by run id, in the order started */
    this.runs = new Map();
    /** Methods ticked but not started, and why (Analytic gradient for a script without dF).
     * @type {{method: string, why: string}[]} */
    this.notStarted = [];
    /** @type {Map<string, Run[]>} the runs that failed, by message */
    this.errorShown = new Map();
    this.startedAt = performance.now();
    /** @type {number | null} */
    this.endedAt = null;
  }

  /** The runs that have not ended. */
  activeRuns() {
    return [...this.runs.values()].filter((r) => !r.ended);
  }

  runningText() {
    const runs = [...this.runs.values()];
    const live = runs.filter((r) => !r.ended && !r.waiting);
    const waiting = runs.filter((r) => !r.ended && r.waiting);
    const names = live.map((r) => r.label);
    if (this.repeats > 1) {
      const done = runs.length - live.length - waiting.length;
      const wait = waiting.length ? ` ${waiting.length} wait${waiting.length === 1 ? 's' : ''} for a core.` : '';
      return `${names.length ? `Training ${names.join(', ')}…` : 'Waiting for a core…'} ${done} of ${runs.length} runs done.${wait}`;
    }
    const after = waiting.length
      ? ` ${waiting.map((r) => r.info.label).join(', ')} wait${waiting.length === 1 ? 's' : ''} for a core.` : '';
    if (!names.length) return waiting.length ? `Waiting for a core…${after}` : 'Finishing…';
    if (names.length === 1) return `Training with ${names[0]}…${after}`;
    return `Training ${names.length} methods side by side: ${names.join(', ')}…${after}`;
  }

  pausedText() {
    const runs = this.activeRuns();
    if (this.repeats > 1) {
      const steps = runs.map((r) => r.status?.steps ?? 0);
      const range = Math.min(...steps) === Math.max(...steps) ? `${steps[0] ?? 0}` : `${Math.min(...steps)}–${Math.max(...steps)}`;
      return `Paused ${runs.length} runs at step ${range}. Resume runs on; Step advances one step; Stop ends the run.`;
    }
    const at = runs.map((r) => `${runs.length > 1 ? `${r.info.label} ` : ''}at step ${r.status?.steps ?? 0}`);
    return `Paused ${at.join(', ')}. Resume runs on; Step advances one step; Stop ends the run.`;
  }

  /** Who won, in the core's words (summarizeRace's verdict: a winner only when its range is
   * clear of the runner-up's); '' without the page's wasm. */
  summary() {
    if (![...this.runs.values()].some((r) => r.history.length || r.error)) return 'Nothing was logged.';
    return raceSummary(this)?.verdict ?? '';
  }

  /** Ends the comparison and says how it went, once the table, the verdict and the charts
   * show its end (until then the status says it is finishing). */
  finish() {
    this.over = true;
    this.endedAt ??= performance.now();
    this.paused = false;
    if (state.runState === 'running' || state.runState === 'paused') setStatus('running', 'Finishing…');
    whenDrawn(() => {
      if (state.comparison === this) setStatus(...this.endText());
    });
    touch('runs');
  }

  /**
   * What the status says once the comparison is over.
   * @returns {[import('./state.js').RunState, string]}
   */
  endText() {
    const runs = [...this.runs.values()];
    const ok = runs.filter((r) => !r.error);
    const logged = runs.some((r) => r.history.length);
    if (this.stoppedByUser) {
      return logged ? ['finished', `Stopped. ${this.summary()}`] : ['idle', 'Stopped before anything was logged. Press Run to start again.'];
    }
    if (ok.length) {
      const failed = runs.length - ok.length;
      const what = this.repeats > 1 ? 'run' : 'method';
      const text = ['Finished.', this.summary(), failed ? `${failed} ${what}${failed > 1 ? 's' : ''} failed: see the table.` : ''];
      return ['finished', text.filter(Boolean).join(' ')];
    }
    // The first error first (the status shows its beginning), then that nothing is left.
    const first = runs[0]?.error ?? 'every method failed';
    return ['error', [`Error: ${first.split('\n')[0]}`, runs.length > 1 ? this.summary() : ''].filter(Boolean).join(' ')];
  }

  /** @param {Run} run */
  endRun(run) {
    run.ended = true;
    run.endedAt ??= performance.now();
    touch('runs');
    if (this.over) return;
    if (this.activeRuns().length === 0) this.finish();
    else if (state.runState === 'running') setStatus('running', this.runningText());
  }

  /**
   * A run failed: the message goes to the alert (once per message) and to the editor's line.
   * @param {Run} run @param {string} message @param {number | null} line
   */
  reportError(run, message, line) {
    if (line) state.editor?.showError(line, message);
    // The same error from several methods is one message that names them all.
    const runs = this.errorShown.get(message) ?? [];
    runs.push(run);
    this.errorShown.set(message, runs);
    if (this.errorShown.size > 1 && runs.length > 1) return; // the alert shows another error
    const others = [...this.runs.values()].filter((r) => !r.error && r !== run && !runs.includes(r)).length;
    const where = line ? ` (line ${line} of the script)` : '';
    const labels = [...new Set(runs.map((r) => r.info.label))];
    const who = labels.length === 1 ? labels[0] : `${labels.slice(0, -1).join(', ')} and ${labels.at(-1)}`;
    const every = others === 0 && this.errorShown.size === 1 && [...this.runs.values()].every((r) => r.error || runs.includes(r));
    showAlert({
      title: every && runs.length > 1 ? `Every method failed${where}: your script has an error.` : `${who} failed${where}.`,
      message: every ? 'Fix the script and press Run again.' : (others && this.errorShown.size === 1 ? 'The other methods go on.' : ''),
      detail: message,
    });
  }

  /**
   * What each run's worker reports, while this is the page's comparison.
   * @param {Run} run
   * @returns {import('../runner.js').RunHandlers}
   */
  handlers(run) {
    const current = () => state.comparison === this; // messages of an earlier comparison are dropped
    return {
      onWaiting: (waiting) => {
        if (!current()) return;
        run.waiting = waiting;
        if (!waiting) run.startedAt ??= performance.now();
        if (state.runState === 'running') setStatus('running', this.runningText());
        touch('runs');
      },
      onProgress: (rows, status) => {
        if (!current()) return;
        for (const r of decodeRows(rows)) run.history.push(r);
        run.status = status;
        if (state.runState === 'paused') setStatus('paused', this.pausedText());
        touch('runs');
      },
      onDone: (status, fit, weights, sweep) => {
        if (!current()) return;
        run.status = status;
        run.fit = fit;
        run.sweep = sweep;
        run.weights = weights;
        if (status?.stopReason === 'diverged' && status.message) {
          showAlert({ kind: 'notice', title: `${run.label} diverged.`, message: status.message.replace(/^diverged:\s*/, '') });
        }
        if (!run.ended) this.endRun(run);
        else touch('runs');
      },
      onError: (message, line) => {
        if (!current()) return;
        run.error = message;
        this.reportError(run, message, line);
        if (!run.ended) this.endRun(run);
        else { touch('runs'); if (this.over) this.finish(); }
      },
    };
  }
}

/** The page's comparison while it runs, else null. */
const live = () => (state.comparison && !state.comparison.over ? state.comparison : null);

/**
 * Checks the script and settings and starts every selected method (paused: before its first
 * step). A problem is shown in the alert and the status, and nothing starts. `race` runs
 * another script than the editor's, with these methods and the settings `adjust` makes of the
 * page's (a suite's race: suite-run.js). Resolves to the comparison started, or null.
 * @param {{paused?: boolean, race?: {script: string, methods: string[],
 *   adjust: (config: Record<string, any>) => Record<string, any>} | null}} [options]
 * @returns {Promise<Comparison | null>}
 */
export async function startComparison({ paused = false, race = null } = {}) {
  const editor = state.editor;
  if (live() || state.linkPending || !editor) return null; // running, or a shared link is still being opened
  clearAlert();
  editor.clearErrors();
  const script = race ? race.script : editor.getText();
  const selected = race ? race.methods : selectedMethods();
  // A method that cannot run (Analytic gradient without dF) is not started: its row says why.
  const notStarted = cannotRun(selected, script);
  const methods = selected.filter((m) => !notStarted.some((n) => n.method === m));
  let config;
  /** Workers per method for this comparison (null: auto). @type {number | null} */
  let workersPerMethod = null;
  try {
    if (!script.trim()) throw new SettingsError(null, 'The problem script is empty. Pick a preset or write F(x, theta) and const problem = {…}.');
    if (!scriptHas(script, 'F')) {
      throw new SettingsError(null, 'The script defines no function F. Write `function F(x, theta) { … }` returning a number or an array.');
    }
    if (!selected.length) throw new SettingsError(`m-${METHODS[0].name}`, 'Select at least one method to compare (under "Gradient estimates to compare").');
    if (!methods.length) {
      const names = notStarted.map((n) => METHOD[n.method].label).join(' and ');
      throw new SettingsError(`m-${notStarted[0].method}`, `${names} need${notStarted.length === 1 ? 's' : ''} dF, and the script has none: add \`function dF(x, theta)\` returning yDim rows of thetaDim numbers, or select another method.`);
    }
    config = readSettings();
    if (race) config = race.adjust(config);
    const seedSpec = /** @type {import('../schema-types.js').NumberSetting} */ (SETTING_BY_ID.seed);
    if (config.seed + (config.repeats ?? 1) - 1 > seedSpec.max) {
      throw new SettingsError('seed', `Repeat r runs with Seed + r: with Repeats ${config.repeats}, Seed must be at most ${seedSpec.max - config.repeats + 1}.`);
    }
    // "Step from the diagnosis": the steps of the last diagnosis of this script (the core
    // says what to do when there is none).
    if (config.methodSettings?.autoStep) {
      const steps = diagnosedSteps(script);
      if (steps) config.methodSettings.diagnosedSteps = steps;
    }
    // Page settings, not part of the run: how long an F may stay silent before its worker
    // ends, and how many F-workers each method may use (blank: auto).
    set({ watchdogMs: 1000 * /** @type {number} */ (readPageSetting('watchdog')) });
    workersPerMethod = /** @type {number | undefined} */ (readPageSetting('workers')) ?? null;
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e;
    markInvalid(e.id);
    set({ comparison: null });
    showAlert({ title: 'The run could not start.', message: e.message });
    setStatus('error', `Could not start: ${e.message}`);
    if (e.id === 'csv') {
      // The box may be far from the alert: its message goes right under it, in view.
      const note = $('csv-error');
      note.textContent = e.message;
      note.hidden = false;
      note.scrollIntoView({ block: 'center' });
    }
    if (e.id) document.getElementById(e.id)?.focus({ preventScroll: e.id === 'csv' });
    return null;
  }
  if (notStarted.length) {
    const labels = notStarted.map((n) => METHOD[n.method].label);
    showAlert({ kind: 'notice', title: `${labels.join(' and ')} need${labels.length === 1 ? 's' : ''} dF: not started.`,
      message: `Add \`function dF(x, theta)\` returning yDim rows of thetaDim numbers, or untick ${labels.map((l) => `"${l}"`).join(' and ')}. The other methods run.` });
  }
  const syntax = race ? [] : editor.syntaxErrors();
  if (syntax.length) editor.showError(syntax[0].line, syntax[0].message);

  const repeats = Math.max(1, config.repeats ?? 1);
  const comparison = new Comparison({ id: state.comparisons + 1, script, config, methods, paused, repeats });
  comparison.notStarted = notStarted;
  // Workers of the last comparison still finishing after Stop would hold the workers this one
  // needs; their results would be dropped anyway.
  state.runner?.killAll();
  set({ comparison, comparisons: comparison.id });
  const what = methods.length === 1 ? METHOD[methods[0]].label : `${methods.length} methods`;
  setStatus('running', `Starting ${what}${repeats > 1 ? ` × ${repeats} repeats` : ''}…`);
  try {
    await ensureRunner();
  } catch (e) {
    if (state.comparison !== comparison) return null;
    comparison.over = true;
    showAlert({ title: 'The sandbox did not start.', message: String(/** @type {Error} */ (e)?.message ?? e),
      detail: 'Reload the page. If it persists, check that www/pkg was built (make build).' });
    setStatus('error', 'Could not start the sandbox.');
    return null;
  }
  const runner = state.runner;
  if (state.comparison !== comparison || comparison.over || !runner) return null; // stopped or reset while the sandbox was starting
  runner.watchdogMs = state.watchdogMs;
  // Auto: at most the cores left when every run of the race that computes at once has one.
  const computingAtOnce = Math.min(runner.maxWorkers, methods.length * repeats);
  const workers = workersPerMethod === null
    ? { count: Math.max(1, Math.floor(runner.maxWorkers / computingAtOnce)), auto: true }
    : { count: workersPerMethod, auto: false };
  // Repeat by repeat, so that every method gets its first run early. Repeats share the data
  // (dataSeed: the base seed) but not the network's start, minibatches or estimator noise.
  const base = config.seed;
  for (let repeat = 0; repeat < repeats; repeat++) {
    for (const method of methods) {
      const runId = `${method}${repeat ? `.${repeat}` : ''}#${comparison.id}`;
      const seed = base + repeat;
      const run = new Run(method, runId, { repeat, seed, repeats });
      comparison.runs.set(runId, run);
      // Loaded weights (Load weights): the method's own network, else the file's only one.
      const initialWeights = initialWeightsFor(method) ?? undefined;
      runner.start(runId, JSON.stringify({ method, ...config, seed, dataSeed: base, initialWeights }), script, comparison.handlers(run), { method, label: run.label, workers });
      if (paused) {
        run.wasPaused = true;
        runner.control(runId, 'pause');
      }
    }
  }
  if (paused) {
    setStatus('paused', 'Paused before the first step. Step advances one step; Resume runs on.');
  } else {
    setStatus('running', comparison.runningText());
  }
  return comparison;
}

/**
 * Sends a control to every run that has not ended.
 * @param {Comparison} c @param {'pause'|'resume'|'step'|'stop'} action
 */
function control(c, action) {
  for (const r of c.activeRuns()) state.runner?.control(r.runId, action);
  touch('runs');
}

export function pauseOrResume() {
  const c = live();
  if (!c) return;
  if (state.runState === 'running') {
    control(c, 'pause');
    for (const r of c.activeRuns()) r.wasPaused = true;
    c.paused = true;
    setStatus('paused', c.pausedText());
  } else if (state.runState === 'paused') {
    control(c, 'resume');
    c.paused = false;
    setStatus('running', c.runningText());
  }
}

/** One step of every method; with nothing running, starts a comparison paused first. */
export function step() {
  const c = live();
  if (c) {
    if (state.runState === 'paused') control(c, 'step');
    return;
  }
  startComparison({ paused: true }).then(() => {
    const started = live();
    if (started && state.runState === 'paused') control(started, 'step');
  });
}

export function stop() {
  const c = live();
  if (!c) return;
  c.stoppedByUser = true;
  // Each worker answers with its final 'done' (fit, weights), which fills in the details;
  // the runner's watchdog ends one that does not answer. The page is finished now.
  for (const r of c.activeRuns()) {
    state.runner?.control(r.runId, 'stop');
    r.ended = true;
  }
  c.finish();
}

/** Ends any comparison at once and clears the results; the script and settings stay. */
export function reset() {
  const c = live();
  if (c) {
    c.stoppedByUser = true;
    c.over = true;
  }
  state.runner?.killAll();
  set({ comparison: null, pinned: null });
  clearAlert();
  state.editor?.clearErrors();
  setStatus('idle', idleText());
}

/**
 * The selected methods that cannot run on `script`, and why: those that need dF when it has
 * none. They are not started.
 * @param {string[]} methods @param {string} script
 * @returns {{method: string, why: string}[]}
 */
export function cannotRun(methods, script) {
  if (scriptHas(script, 'dF')) return [];
  return methods.filter((m) => METHOD[m].needsDf)
    .map((method) => ({ method, why: 'the script has no dF(x, theta), which it needs' }));
}

/** What Run would do now. */
export function idleText() {
  const selected = selectedMethods();
  if (!selected.length) return 'Ready. Select a method, then press Run.';
  const skipped = cannotRun(selected, state.editor?.getText() ?? '');
  const methods = selected.filter((m) => !skipped.some((n) => n.method === m));
  const unable = skipped.map((n) => METHOD[n.method].label).join(' and ');
  const needs = `${unable} need${skipped.length === 1 ? 's' : ''} dF`;
  if (!methods.length) return `Ready. ${needs}, which the script lacks: add dF or select another method.`;
  const names = methods.map((m) => METHOD[m].label);
  return `Ready. Run trains with ${names.length > 2 ? `${names.length} methods` : names.join(' and ')}${skipped.length ? ` (${needs}, which the script lacks)` : ''}.`;
}

/** Keeps the idle text in step with the selected methods. */
export function updateIdleText() {
  if (state.runState === 'idle') setStatus('idle', idleText());
}
