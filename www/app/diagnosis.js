// Diagnose F: runs the core's diagnosis (src/diagnose/) in the sandbox like a race of one,
// within a budget of F-evaluations per θ component said before it starts (60 unless the
// person asks for more), shows what it measured per θ component (noise, flat steps,
// noise-optimal steps beside the defaults, ECnoise's levels by order), the cost of a call,
// where F failed, the dF check and the recommendation; "Apply recommendation" adds the
// recommended methods to those ticked and fills their settings ("Use only this" ticks only
// them); the diagnosed steps go with the runs that use "Step from the diagnosis".
// The last diagnosis and the one in progress are the page's state (state.js: diagnosis,
// diagnosing).
import { $, button, darkMode, el, field, input, setText, download } from './dom.js';
import { fmtCount, fmtNum } from './format.js';
import { selectedMethods, setSelectedMethods, scriptHas, METHOD } from './methods.js';
import { PRESET_KEYS, SettingsError } from './settings.js';
import { readSettings, saveSettings, markInvalid } from './settings-form.js';
import { diagnosisFor, ensureRunner, state, set, subscribe, touch } from './state.js';
import { showAlert, clearAlert } from './status.js';

/** @typedef {import('./state.js').Diagnosis} Made */

/**
 * The diagnosed steps a run with "Step from the diagnosis" takes (0: none for a component).
 * @param {string} script
 * @returns {{central: number[], forward: number[]} | null}
 */
export function diagnosedSteps(script) {
  const r = diagnosisFor(script);
  if (!r) return null;
  const steps = (/** @type {string} */ k) => r.components.map((/** @type {any} */ c) => (Number.isFinite(c[k]) && c[k] > 0 ? c[k] : 0));
  return { central: steps('hCentral'), forward: steps('hForward') };
}

const status = () => $('diagnosis-status');

/** F-evaluations per θ component: the default, and what one may ask for (src/diagnose/mod.rs
 * BUDGET, MIN_BUDGET, MAX_BUDGET; the core clamps to the same). */
export const DIAGNOSIS_BUDGET = Object.freeze({ default: 60, min: 30, max: 600 });
/** Samples a budget pays for (src/diagnose/mod.rs samples_for). @param {number} budget */
export const diagnosisSamples = (budget) => Math.min(12, Math.max(3, Math.floor(budget / 20)));
const budgetInput = () => input('diagnose-budget');

/** The budget per component the input holds, within its range (the default when blank). */
function budgetPerComponent() {
  const v = Number(budgetInput().value);
  if (!budgetInput().value.trim() || !Number.isFinite(v)) return DIAGNOSIS_BUDGET.default;
  return Math.min(DIAGNOSIS_BUDGET.max, Math.max(DIAGNOSIS_BUDGET.min, Math.round(v)));
}

/** θ's dimension as the script's `problem` writes it (a quick look at the text: the page
 * cannot run the script), or null. @param {string} script */
export function thetaDimOf(script) {
  const m = /\bthetaDim\s*:\s*(\d+)/.exec(script);
  return m ? Number(m[1]) : null;
}

const count = (/** @type {number} */ n) => n.toLocaleString('en-US');

/** What the next Diagnose F may spend, said before it starts. */
function renderBudget() {
  const per = budgetPerComponent();
  const samples = diagnosisSamples(per);
  const p = thetaDimOf(state.editor?.getText() ?? '');
  setText($('diagnosis-budget-note'), p
    ? `At most ${count(per * p + samples)} F-evaluations: ${per} per θ component for ${p} components, and F once at each of ${samples} samples.`
    : `At most ${per} F-evaluations per θ component, and F once at each of ${samples} samples.`);
}

/** Starts a diagnosis of the script in the editor with the current settings. */
async function diagnose() {
  const editor = state.editor;
  if (!editor || state.diagnosing) return;
  clearAlert();
  const script = editor.getText();
  let config;
  try {
    if (!scriptHas(script, 'F')) throw new SettingsError(null, 'The script defines no function F to diagnose.');
    config = readSettings();
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e;
    markInvalid(e.id);
    showAlert({ title: 'The diagnosis could not start.', message: e.message });
    return;
  }
  await ensureRunner();
  const runner = state.runner;
  if (!runner) return;
  const runId = `diagnose-${state.diagnoses + 1}`;
  set({ diagnoses: state.diagnoses + 1, diagnosing: runId });
  button('diagnose').disabled = true;
  button('diagnose-stop').hidden = false;
  setText(status(), 'Diagnosing F…');
  $('diagnosis').setAttribute('aria-busy', 'true');
  const done = () => {
    set({ diagnosing: null });
    button('diagnose').disabled = false;
    button('diagnose-stop').hidden = true;
    $('diagnosis').setAttribute('aria-busy', 'false');
  };
  const budget = budgetPerComponent();
  const ended = runner.start(runId, JSON.stringify({ method: 'central', ...config, diagnose: { budget } }), script, {
    onProgress: (_rows, s) => setText(status(), capitalise(String(s.message ?? 'Diagnosing F…'))),
    onDiagnosis: (s, text) => {
      done();
      /** @type {Record<string, any> | null} */
      let report = null;
      try { report = JSON.parse(text); } catch { /* shown as stopped */ }
      if (!report || !Array.isArray(report.components)) {
        setText(status(), s.stopped ? 'Diagnosis stopped: nothing to show.' : 'The diagnosis sent nothing readable.');
        return;
      }
      const made = { script, report, budget: config.budget };
      set({ diagnosis: made });
      show(made);
    },
    // Stopped before its worker started (its core still loading, or no core free).
    onDone: () => {
      done();
      setText(status(), 'Diagnosis stopped: nothing to show.');
    },
    onError: (message) => {
      done();
      setText(status(), `The diagnosis failed: ${message}`);
      showAlert({ title: 'Diagnose F failed.', message });
    },
  }, { method: 'diagnose', label: 'Diagnose F', kind: 'diagnose' });
  // A Run or Reset ends every worker, this one too, without a word from it.
  ended.then((how) => {
    if (how !== 'killed' || state.diagnosing !== runId) return;
    done();
    setText(status(), 'The diagnosis was ended by a new race or Reset.');
  });
}

function stop() {
  if (state.diagnosing) state.runner?.control(state.diagnosing, 'stop');
}

const capitalise = (/** @type {string} */ s) => s.charAt(0).toUpperCase() + s.slice(1);
const num = (/** @type {unknown} */ v) => (typeof v === 'number' && Number.isFinite(v) ? fmtNum(v) : '—');

/** Shows a diagnosis. @param {Made} made */
function show({ report, budget }) {
  $('diagnosis-body').hidden = false;
  const ms = report.msPerCall;
  // A component is unmeasured when F failed where it was to be measured (or the budget ran
  // out): never "none found", never one F ignores.
  const unmeasured = (/** @type {any} */ c) => c.measured === false;
  const failedHere = (/** @type {any} */ c) => (c.failures ?? 0) > 0 || unmeasured(c);
  const rows = report.components.map((/** @type {any} */ c) => el('tr', {},
    el('th', { scope: 'row' }, `θ${c.index}`),
    el('td', {}, c.noise !== null ? num(c.noise) : (unmeasured(c) ? 'not measured' : 'none found')),
    el('td', {}, c.flat ? `yes: F moves at ${num(c.flatStep)}`
      : c.flatStep === null ? (failedHere(c) ? 'F failed here' : 'F ignores it here') : 'no'),
    el('td', {}, num(c.hForward), el('small', {}, ` (default ${num(c.defaultForward)})`)),
    el('td', {}, num(c.hCentral), el('small', {}, ` (default ${num(c.defaultCentral)})`)),
    el('td', {}, c.failures ? `${c.failures}${c.failedRange ? ` at ${range(c.failedRange)}` : ''}` : (c.budgetReached ? 'budget reached' : '–'))));
  $('diagnosis-rows').replaceChildren(...rows);

  const most = Number.isFinite(report.maxEvals) ? ` (at most ${count(report.maxEvals)}: ${report.budget} per θ component and F once at each of ${report.samples} samples)` : '';
  const facts = [`${count(report.evals)} F-evaluations${most}${report.jacobianEvals ? ` and ${report.jacobianEvals} dF calls` : ''}.`];
  if (Number.isFinite(ms)) {
    facts.push(`F takes ${fmtNum(ms)} ms a call: a race of ${fmtCount(budget)} evaluations spends about ${seconds(ms * budget)} in F per method.`);
  }
  const f = report.failures;
  if (f.count) {
    const ex = f.example;
    facts.push(`${f.count} probe${f.count === 1 ? '' : 's'} failed: ${failuresInWords(report)}; e.g. at θ = [${ex.theta.map(fmtNum).join(', ')}]: ${ex.message}. Consider thetaBounds in the script's problem.`);
  } else {
    facts.push('No probe failed.');
  }
  const cut = report.components.filter((/** @type {any} */ c) => c.budgetReached);
  if (cut.length) {
    facts.push(`The budget ran out along ${cut.map((/** @type {any} */ c) => `θ${c.index}`).join(', ')} before every measurement there; a larger budget per component measures more.`);
  }
  const d = report.dfCheck;
  if (d) {
    facts.push(d.ok && !d.conclusive
      ? `dF agrees with Richardson differences within F's noise (relative error ${fmtNum(d.relErr)}), but the check cannot be sure.`
      : d.ok ? `dF matches Richardson differences (relative error ${fmtNum(d.relErr)}).`
      : `dF is wrong at output ${d.worst.output}, θ${d.worst.component}: it gives ${fmtNum(d.worst.df)} where differences give ${fmtNum(d.worst.reference)} (relative error ${fmtNum(d.relErr)} overall).`);
  }
  if (typeof report.dfNote === 'string') facts.push(report.dfNote);
  setText($('diagnosis-facts'), facts.join(' '));
  const rec = report.recommended;
  const names = rec.methods.map((/** @type {string} */ m) => METHOD[m]?.label ?? m).join(' and ');
  setText($('diagnosis-advice'), `Recommended: ${names}. ${rec.why}`);
  setText(status(), `Diagnosed: ${report.components.length} components, ${count(report.evals)} F-evaluations.`);
  drawLevels(report);
}

/** [lo, hi] of θ values, short. @param {number[]} r */
const range = ([lo, hi]) => (lo === hi ? fmtNum(lo) : `${fmtNum(lo)} to ${fmtNum(hi)}`);

/** Where F failed: at which samples' own θ, along which components at which values. */
function failuresInWords(/** @type {Record<string, any>} */ report) {
  const parts = [];
  const starts = report.failures.atStart ?? [];
  if (starts.length) parts.push(`at the start θ of ${starts.length} of ${report.samples ?? starts.length} samples`);
  for (const c of report.components.filter((/** @type {any} */ c) => c.failures > 0)) {
    parts.push(`along θ${c.index} (${c.failures} probe${c.failures === 1 ? '' : 's'}${c.failedRange ? `, θ${c.index} ${c.failedRange[0] === c.failedRange[1] ? '=' : 'from'} ${range(c.failedRange)}` : ''})`);
  }
  return parts.join(', ') || 'where is not known';
}

/** Milliseconds in words. @param {number} ms */
function seconds(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** ECnoise's levels by order, one line per component: the noise floor is where they flatten. */
function drawLevels(/** @type {Record<string, any>} */ report) {
  const canvas = /** @type {HTMLCanvasElement} */ ($('chart-ecnoise'));
  const wasm = state.wasm;
  if (!wasm) return;
  const w = canvas.clientWidth || 480;
  const h = canvas.clientHeight || 200;
  canvas.width = 2 * w;
  canvas.height = 2 * h;
  const palette = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#a16207', '#64748b'];
  const series = report.components
    .filter((/** @type {any} */ c) => c.levels.length && c.levels.every((/** @type {number} */ v) => v > 0))
    .slice(0, palette.length)
    .map((/** @type {any} */ c, /** @type {number} */ i) => ({
      label: `θ${c.index}`, color: palette[i], light: false, band: [],
      points: c.levels.map((/** @type {number} */ v, /** @type {number} */ k) => [k + 1, v]),
    }));
  const spec = { title: '', xLabel: 'order of the difference', yLabel: 'noise level', logX: false, logY: true, kind: 'line', series, dark: darkMode() };
  try { wasm.drawChart(canvas, JSON.stringify(spec)); } catch { /* the table says it all */ }
}

/**
 * Applies the recommendation: its methods added to those ticked (`only`: instead of them),
 * and its settings filled.
 * @param {{only?: boolean}} [options]
 */
function apply({ only = false } = {}) {
  const rec = state.diagnosis?.report.recommended;
  if (!rec) return;
  const before = selectedMethods();
  setSelectedMethods(only ? rec.methods : [...before, ...rec.methods]);
  for (const [k, v] of Object.entries(rec.settings ?? {})) {
    const id = PRESET_KEYS[k];
    if (!id || !document.getElementById(id)) continue;
    const f = field(id);
    if (f instanceof HTMLInputElement && f.type === 'checkbox') f.checked = Boolean(v);
    else f.value = String(v);
    f.closest('details')?.setAttribute('open', '');
  }
  saveSettings();
  touch('edited');
  const label = (/** @type {string} */ m) => METHOD[m]?.label ?? m;
  const filled = Object.keys(rec.settings ?? {}).length ? ', settings filled' : '';
  const added = rec.methods.filter((/** @type {string} */ m) => !before.includes(m));
  const kept = before.filter((m) => !rec.methods.includes(m));
  setText(status(), only
    ? `Applied: only ${rec.methods.map(label).join(', ')} ticked${filled}. Press Run.`
    : `Applied: ${added.length ? `${added.map(label).join(', ')} added` : `${rec.methods.map(label).join(', ')} already ticked`}${kept.length ? ` beside ${kept.map(label).join(', ')}` : ''}${filled}. Press Run.`);
}

function exportDiagnosis() {
  const made = state.diagnosis;
  if (!made) return;
  download('diagnosis.json', new Blob([JSON.stringify(made.report, null, 1)], { type: 'application/json' }));
}

/** Wires the buttons. */
export function bindDiagnosis() {
  button('diagnose').addEventListener('click', () => { diagnose(); });
  button('diagnose-stop').addEventListener('click', stop);
  // The recommendation joins the race by default; "Use only this" races it alone.
  const applyButton = button('apply-recommendation');
  applyButton.title = 'Tick the recommended methods beside those already ticked, and fill their settings';
  applyButton.addEventListener('click', () => apply());
  applyButton.after(el('button', {
    id: 'apply-only', type: 'button', title: 'Tick only the recommended methods (untick the others), and fill their settings', onclick: () => apply({ only: true }),
  }, 'Use only this'));
  // Failed probes per component (index.html's table has the first five columns).
  document.querySelector('.diagnosis-table thead tr')?.append(el('th', { scope: 'col', title: 'Probes along this component where F threw or gave NaN or infinity, and the values of the component there' }, 'Failed'));
  // The budget: said before it starts, changed only when asked.
  status().after(el('div', { class: 'field diagnosis-budget' },
    el('label', { for: 'diagnose-budget' }, 'F-evaluations per θ component'),
    el('input', {
      id: 'diagnose-budget', type: 'number', min: DIAGNOSIS_BUDGET.min, max: DIAGNOSIS_BUDGET.max, step: 10,
      value: DIAGNOSIS_BUDGET.default, 'aria-describedby': 'diagnosis-budget-note', autocomplete: 'off',
    }),
    el('small', { id: 'diagnosis-budget-note', 'aria-live': 'polite' })));
  budgetInput().addEventListener('input', renderBudget);
  budgetInput().addEventListener('change', () => {
    budgetInput().value = String(budgetPerComponent());
    renderBudget();
  });
  subscribe((changed) => { if (changed.has('edited') || changed.has('editor')) renderBudget(); });
  renderBudget();
  button('export-diagnosis').addEventListener('click', exportDiagnosis);
}
