// Diagnose F: runs the core's diagnosis (src/diagnose.rs) in the sandbox like a race of one,
// shows what it measured per θ component (noise, flat steps, noise-optimal steps beside the
// defaults, ECnoise's levels by order), the cost of a call, failures, the dF check and the
// recommendation; "Apply recommendation" ticks the methods and fills their settings; the
// diagnosed steps go with the runs that use "Step from the diagnosis".
// The last diagnosis and the one in progress are the page's state (state.js: diagnosis,
// diagnosing).
import { $, button, darkMode, el, field, setText, download } from './dom.js';
import { fmtCount, fmtNum } from './format.js';
import { setSelectedMethods, scriptHas, METHOD } from './methods.js';
import { PRESET_KEYS, SettingsError } from './settings.js';
import { readSettings, saveSettings, markInvalid } from './settings-form.js';
import { diagnosisFor, ensureRunner, state, set, touch } from './state.js';
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
  const ended = runner.start(runId, JSON.stringify({ method: 'central', ...config }), script, {
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
  const rows = report.components.map((/** @type {any} */ c) => el('tr', {},
    el('th', { scope: 'row' }, `θ${c.index}`),
    el('td', {}, c.noise === null ? 'none found' : num(c.noise)),
    el('td', {}, c.flat ? `yes: F moves at ${num(c.flatStep)}` : (c.flatStep === null ? 'F ignores it here' : 'no')),
    el('td', {}, num(c.hForward), el('small', {}, ` (default ${num(c.defaultForward)})`)),
    el('td', {}, num(c.hCentral), el('small', {}, ` (default ${num(c.defaultCentral)})`))));
  $('diagnosis-rows').replaceChildren(...rows);

  const facts = [`${fmtCount(report.evals)} F-evaluations${report.jacobianEvals ? ` and ${report.jacobianEvals} dF calls` : ''}.`];
  if (Number.isFinite(ms)) {
    facts.push(`F takes ${fmtNum(ms)} ms a call: a race of ${fmtCount(budget)} evaluations spends about ${seconds(ms * budget)} in F per method.`);
  }
  const f = report.failures;
  if (f.count) {
    const ex = f.example;
    facts.push(`${f.count} probes failed, e.g. at θ = [${ex.theta.map(fmtNum).join(', ')}]: ${ex.message}. Consider thetaBounds in the script's problem.`);
  } else {
    facts.push('No probe failed.');
  }
  const d = report.dfCheck;
  if (d) {
    facts.push(d.ok && !d.conclusive
      ? `dF agrees with Richardson differences within F's noise (relative error ${fmtNum(d.relErr)}), but the noise is too large for the check to be sure.`
      : d.ok ? `dF matches Richardson differences (relative error ${fmtNum(d.relErr)}).`
      : `dF is wrong at output ${d.worst.output}, θ${d.worst.component}: it gives ${fmtNum(d.worst.df)} where differences give ${fmtNum(d.worst.reference)} (relative error ${fmtNum(d.relErr)} overall).`);
  }
  if (typeof report.dfNote === 'string') facts.push(report.dfNote);
  setText($('diagnosis-facts'), facts.join(' '));
  const rec = report.recommended;
  const names = rec.methods.map((/** @type {string} */ m) => METHOD[m]?.label ?? m).join(' and ');
  setText($('diagnosis-advice'), `Recommended: ${names}. ${rec.why}`);
  setText(status(), `Diagnosed: ${report.components.length} components, ${fmtCount(report.evals)} F-evaluations.`);
  drawLevels(report);
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

/** Ticks the recommended methods and fills their settings. */
function apply() {
  const rec = state.diagnosis?.report.recommended;
  if (!rec) return;
  setSelectedMethods(rec.methods);
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
  setText(status(), `Applied: ${rec.methods.map((/** @type {string} */ m) => METHOD[m]?.label ?? m).join(', ')} ticked${Object.keys(rec.settings ?? {}).length ? ', settings filled' : ''}. Press Run.`);
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
  button('apply-recommendation').addEventListener('click', apply);
  button('export-diagnosis').addEventListener('click', exportDiagnosis);
}
