// The page controller (ES module): editor, presets, settings, runs, charts, results, export.
// It never runs the user's script itself (the page's CSP forbids eval): every run goes through
// SandboxRunner (www/runner.js) into a sandboxed worker, one worker per selected method, all on
// the same data, seed and F-evaluation budget. Charts are drawn by the wasm core's drawChart.
// The acceptance interface (labels, role="status" with data-state, role="alert", button names,
// results.json schema) is fixed by issue 2 and DESIGN.md's "Page conventions".

import { createEditor } from './editor.bundle.js';
import { PRESETS, DEFAULT_PRESET } from './presets.js';
import { SandboxRunner } from './runner.js';
import { decodeRows } from './protocol.js';

// ------------------------------------------------------------------------------------------
// Methods: names, labels (DESIGN.md), one colour each used everywhere, and their explanations.

const METHODS = [
  { name: 'central', label: 'Central differences', color: '#2563eb', cost: '2p + 1',
    formula: 'g_j = [F(θ + h e_j) − F(θ − h e_j)] / 2h,  h = ∛ε·max(|θ_j|, 1)',
    about: 'Error O(h²) with one pair of calls per parameter. Exact enough on smooth F; blind on flat F and swamped on noisy F.' },
  { name: 'forward', label: 'Forward differences', color: '#0891b2', cost: 'p + 1',
    formula: 'g_j = [F(θ + h e_j) − F(θ)] / h,  h = √ε·max(|θ_j|, 1)',
    about: 'Half the calls of central differences, error O(h). The cheapest exact-ish estimate for small p.' },
  { name: 'spsa', label: 'SPSA', color: '#ea580c', cost: '2k + 1',
    formula: 'Δ ~ ±1 each;  g = mean_k [F(θ + cΔ) − F(θ − cΔ)] / 2c · Δ',
    about: 'Spall\'s simultaneous perturbation: every parameter moves at once, so the cost does not grow with p. Noisy, but many more steps for the same budget.' },
  { name: 'es', label: 'Evolution strategies', color: '#16a34a', cost: '2k + 1',
    formula: 'ε ~ N(0, I);  g = mean_k [F(θ + σε) − F(θ − σε)] / 2σ · ε',
    about: 'Antithetic Gaussian smoothing: the gradient of F blurred over σ. Sees through steps and noise; biased where F curves within σ.' },
  { name: 'surrogate', label: 'Surrogate (two-stage)', color: '#9333ea', cost: 'collecting',
    formula: 'fit F̃_ρ ≈ F on (x, θ) near π;  train π through frozen F̃',
    about: 'Spends the budget on samples of F, learns a differentiable copy, then trains through it for free. Several rounds follow the policy as it moves.' },
  { name: 'joint', label: 'Joint surrogate', color: '#dc2626', cost: '1 + explore',
    formula: 'L* = ‖Y − F̃(X, NN(X))‖² + λ‖F̃(X, NN(X)) − F(X, NN(X))‖²',
    about: 'ρ and π are trained together: F̃ keeps learning where the policy goes; exploration noise on θ teaches F̃ how F varies off the policy.' },
  { name: 'guided-es', label: 'Guided ES', color: '#a16207', cost: '2k + 1',
    formula: 'ε ~ N(0, α·I + (1 − α)·uuᵀ),  u = surrogate gradient / ‖·‖',
    about: 'Evolution strategies whose search leans toward the surrogate\'s gradient (Maheswaranathan et al. 2019): surrogate speed, ES honesty.' },
  { name: 'exact', label: 'Analytic gradient', color: '#334155', cost: '1 F + 1 dF',
    formula: 'g = J_Fᵀ ∂L/∂F,  J_F = dF(x, θ) from your script',
    about: 'The oracle: uses your dF. Every other method is measured against it (or against Richardson-extrapolated differences when there is no dF).' },
];
const METHOD = Object.fromEntries(METHODS.map((m) => [m.name, m]));
const DEFAULT_METHODS = ['central'];

// Settings: input id -> how to read it into the RunConfig. Defaults are the values in index.html.
const NUMBER_FIELDS = {
  budget: { label: 'F-evaluation budget', int: true, min: 1, max: 1e9 },
  seed: { label: 'Seed', int: true, min: 0, max: Number.MAX_SAFE_INTEGER },
  'learning-rate': { label: 'Learning rate', min: 0, exclusiveMin: true, max: 10 },
  'batch-size': { label: 'Batch size', int: true, min: 1, max: 4096 },
  clip: { label: 'Gradient clip', min: 0, max: 1e12 },
  'max-steps': { label: 'Max steps', int: true, min: 1, max: 1e7 },
  'log-points': { label: 'Log points', int: true, min: 2, max: 2000 },
  samples: { label: 'Samples', int: true, min: 4, max: 100000, optional: true },
  noise: { label: 'Noise', min: 0, max: 1e12, optional: true },
  'test-fraction': { label: 'Test fraction', min: 0, max: 0.9 },
  'h-rel': { label: 'h (relative step)', min: 0, max: 0.5 },
  k: { label: 'k (directions)', int: true, min: 1, max: 1024 },
  sigma: { label: 'sigma', min: 0, exclusiveMin: true, max: 100 },
  lambda: { label: 'lambda', min: 0, max: 1e6 },
  exploration: { label: 'Exploration', min: 0, max: 10 },
  rounds: { label: 'Rounds', int: true, min: 1, max: 100 },
  'collect-share': { label: 'Collect share', min: 0, exclusiveMin: true, max: 1 },
  alpha: { label: 'alpha', min: 0, max: 1 },
  watchdog: { label: 'Watchdog (s)', min: 0.5, max: 3600 },
};
// Charts that can be shown or hidden (checkbox `show-<key>`); a share link carries the choice.
const CHART_KEYS = ['loss', 'grad', 'cos', 'fit', 'theta', 'sweep'];
const PERSISTED_INPUTS = [...Object.keys(NUMBER_FIELDS), 'hidden', 'surrogate-hidden',
  'activation', 'optimizer', 'data-source', 'fit-only-rho', ...CHART_KEYS.map((k) => `show-${k}`)];
// Preset settings use short keys; map them to input ids.
const PRESET_KEYS = { budget: 'budget', sigma: 'sigma', k: 'k', hRel: 'h-rel', learningRate: 'learning-rate',
  batchSize: 'batch-size', maxSteps: 'max-steps', lambda: 'lambda', exploration: 'exploration' };

// Where each input's value sits in readSettings()'s object: share links put a decoded state
// back into the inputs through it, and readSettings() reads it out again unchanged.
const SETTING_PATHS = {
  budget: 'budget', seed: 'seed', 'max-steps': 'maxSteps', 'log-points': 'logPoints',
  'learning-rate': 'optimizer.learningRate', 'batch-size': 'optimizer.batchSize', clip: 'optimizer.clip',
  optimizer: 'optimizer.kind', hidden: 'network.hidden', activation: 'network.activation',
  'data-source': 'data.source', samples: 'data.samples', noise: 'data.noise',
  'test-fraction': 'data.testFraction', csv: 'data.csv',
  'h-rel': 'methodSettings.hRel', k: 'methodSettings.k', sigma: 'methodSettings.sigma',
  lambda: 'methodSettings.lambda', exploration: 'methodSettings.exploration', rounds: 'methodSettings.rounds',
  'collect-share': 'methodSettings.collectShare', 'surrogate-hidden': 'methodSettings.surrogateHidden',
  alpha: 'methodSettings.alpha', 'fit-only-rho': 'methodSettings.fitOnlyRho',
};

const STORAGE = { script: 'bbp.script', settings: 'bbp.settings', preset: 'bbp.preset', methods: 'bbp.methods' };
const REDRAW_MS = 250;        // charts redraw at most 4 times a second

// Share links (see "Share links" below).
const LINK_RE = /^#?v\d+\./;  // a fragment that is a share link (others, like #editor-panel, are not)
let linkPending = null;       // a link's fragment waiting for the wasm core
let applyingLink = false;     // true while a link's state is put into the page
let sharedFragment = null;    // the fragment the address bar holds for the current state

// ------------------------------------------------------------------------------------------
// Small helpers.

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'style') e.style.cssText = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
};
// Writes that leave an unchanged value alone: during a run the page is updated many times a
// second, and even a same-value write of textContent makes the browser lay the page out again.
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
function setProp(node, name, value) {
  if (node[name] !== value) node[name] = value;
}

function fmtNum(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a < 1e-3 || a >= 1e5) return v.toExponential(2).replace('e+', 'e');
  return Number(v.toPrecision(3)).toString();
}
function fmtCount(n) {
  if (!Number.isFinite(n)) return '–';
  if (n >= 1e6) return `${Number((n / 1e6).toPrecision(3))} M`;
  if (n >= 1e4) return `${Number((n / 1e3).toPrecision(3))} k`;
  return String(Math.round(n));
}
function fmtMs(ms) {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}
function median(values) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}
const storage = {
  get(k) { try { return localStorage.getItem(k); } catch { return null; } },
  set(k, v) { try { localStorage.setItem(k, v); } catch { /* storage full or disabled */ } },
};
function download(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
const jsonBlob = (v) => new Blob([JSON.stringify(v, null, 2)], { type: 'application/json' });

/** Quick textual checks of the script (the page cannot compile it). */
function scriptHas(script, name) {
  return new RegExp(`(^|[^.\\w$])(function\\s*\\*?\\s*${name}\\s*\\(|(const|let|var)\\s+${name}\\s*=)`, 'm').test(script);
}

// ------------------------------------------------------------------------------------------
// Alerts: messages for the user that stay until the user acts (Dismiss, or the next Run).

const alertBox = $('alert');
function showAlert({ title, message = '', detail = '', kind = 'error', actions = [] }) {
  alertBox.replaceChildren();
  alertBox.classList.toggle('notice', kind === 'notice');
  const body = el('div', { class: 'alert-body' },
    el('p', {}, el('strong', {}, title), message ? ` ${message}` : ''),
    detail ? el('pre', {}, detail) : null);
  const buttons = actions.map((a) => el('button', { type: 'button',
    onclick: (ev) => { a.run(); if (a.keep) ev.currentTarget.remove(); else clearAlert(); } }, a.label));
  alertBox.append(body, ...buttons,
    el('button', { type: 'button', class: 'dismiss', onclick: clearAlert }, 'Dismiss'));
  alertBox.hidden = false;
}
function clearAlert() {
  alertBox.replaceChildren();
  alertBox.hidden = true;
}

// ------------------------------------------------------------------------------------------
// Status: one role="status" element whose data-state the tests read.

const statusEl = $('status');
const statusText = $('status-text');
const STATUS_MAX = 140; // longer texts are cut here; the alert holds the whole message
function setState(state, text) {
  if (statusEl.dataset.state !== state) statusEl.dataset.state = state;
  setText(statusText, text.length > STATUS_MAX ? `${text.slice(0, STATUS_MAX - 1)}…` : text);
  setProp(statusEl, 'title', text);
  updateButtons();
}
const state = () => statusEl.dataset.state;

// ------------------------------------------------------------------------------------------
// Editor and presets.

const presetSelect = $('preset');
// A preset marked `hidden` (a retired text kept so that old share links still open) stays out of the menu.
for (const p of PRESETS) if (!p.hidden) presetSelect.append(el('option', { value: p.id }, p.name));
presetSelect.append(el('option', { value: 'custom' }, 'Custom script'));

function presetFor(script) {
  return PRESETS.find((p) => p.script === script) ?? null;
}

function renderStory(preset) {
  const box = $('story');
  if (!preset) {
    box.replaceChildren(el('p', {}, 'Your own script. Presets show the format: F, thetaTrue, dF and problem.'));
    return;
  }
  box.replaceChildren(el('p', {}, preset.story), el('p', { class: 'win' }, el('strong', {}, 'Who should win: '), preset.winners));
}

let saveTimer = 0;
let editor = null;
function onScriptChange(text) {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => {
    storage.set(STORAGE.script, text);
    $('saved-note').textContent = 'Saved in this browser.';
  }, 300);
  const p = presetFor(text);
  presetSelect.value = p && !p.hidden ? p.id : 'custom';
  if (!p && presetSelect.dataset.story !== 'custom') { renderStory(null); presetSelect.dataset.story = 'custom'; }
  if (p && presetSelect.dataset.story !== p.id) { renderStory(p); presetSelect.dataset.story = p.id; }
  markMethodAvailability(text);
  markLinkStale();
}

function applyPreset(preset, { methods = true } = {}) {
  const previous = editor.getText();
  const wasCustom = !presetFor(previous) && previous.trim() !== '';
  editor.setText(preset.script);
  renderStory(preset);
  presetSelect.value = preset.id;
  presetSelect.dataset.story = preset.id;
  if (methods) {
    setSelectedMethods(preset.methods);
    restoreDefaults({ keepMethods: true, quiet: true });
    for (const [k, v] of Object.entries(preset.settings ?? {})) {
      const id = PRESET_KEYS[k];
      if (id && $(id)) $(id).value = String(v);
    }
    saveSettings();
  }
  if (wasCustom) {
    showAlert({ kind: 'notice', title: `Loaded the preset "${preset.name}".`,
      message: 'Your own script was replaced; it can be brought back.',
      actions: [{ label: 'Restore my script', run: () => { editor.setText(previous); } }] });
  }
}

presetSelect.addEventListener('change', () => {
  const p = PRESETS.find((q) => q.id === presetSelect.value);
  if (p) applyPreset(p);
  else presetSelect.value = presetFor(editor.getText())?.id ?? 'custom';
});

// ------------------------------------------------------------------------------------------
// Methods list and explanation cards.

const methodList = $('method-list');
for (const m of METHODS) {
  const id = `m-${m.name}`;
  methodList.append(el('li', { 'data-method': m.name },
    el('input', { type: 'checkbox', id, value: m.name, 'aria-describedby': `${id}-cost` }),
    el('span', { class: 'swatch', style: `--c:${m.color}`, 'aria-hidden': 'true' }),
    el('label', { for: id }, m.label),
    el('span', { class: 'cost', id: `${id}-cost`, title: 'F-evaluations per sample per step' }, m.cost)));
  $('explain-cards').append(el('article', { class: 'card', style: `--c:${m.color}` },
    el('h3', {}, m.label, ' ', el('code', {}, m.name)),
    el('div', { class: 'formula' }, m.formula),
    el('p', { class: 'cost' }, `Cost per sample per step: ${m.cost} F-evaluations`),
    el('p', {}, m.about)));
}
methodList.addEventListener('change', () => { storage.set(STORAGE.methods, JSON.stringify(selectedMethods())); updateIdleText(); });

function selectedMethods() {
  return METHODS.filter((m) => $(`m-${m.name}`).checked).map((m) => m.name);
}
function setSelectedMethods(names) {
  for (const m of METHODS) $(`m-${m.name}`).checked = names.includes(m.name);
  storage.set(STORAGE.methods, JSON.stringify(selectedMethods()));
}
function markMethodAvailability(script) {
  const hasDf = scriptHas(script, 'dF');
  const li = methodList.querySelector('[data-method="exact"]');
  li.classList.toggle('unavailable', !hasDf);
  $('m-exact-cost').textContent = hasDf ? METHOD.exact.cost : 'needs dF';
}

// ------------------------------------------------------------------------------------------
// Settings: read, validate (messages name the field), persist.

class SettingsError extends Error {
  constructor(id, message) { super(message); this.id = id; }
}

function readNumber(id) {
  const spec = NUMBER_FIELDS[id];
  const input = $(id);
  const raw = input.value.trim();
  if (raw === '' && spec.optional) return undefined;
  const v = Number(raw);
  const range = spec.exclusiveMin ? `greater than ${spec.min}` : `at least ${spec.min}`;
  if (raw === '' || !Number.isFinite(v)) throw new SettingsError(id, `${spec.label} must be a number (${range}).`);
  if (spec.int && !Number.isInteger(v)) throw new SettingsError(id, `${spec.label} must be a whole number, got ${raw}.`);
  if (v < spec.min || (spec.exclusiveMin && v === spec.min)) throw new SettingsError(id, `${spec.label} must be ${range}, got ${raw}.`);
  if (v > spec.max) throw new SettingsError(id, `${spec.label} must be at most ${spec.max}, got ${raw}.`);
  return v;
}
function readLayers(id, label) {
  const raw = $(id).value.trim();
  if (raw === '') return [];
  const parts = raw.split(/[\s,;]+/).filter(Boolean);
  const widths = parts.map(Number);
  if (widths.some((w) => !Number.isInteger(w) || w < 1 || w > 512)) {
    throw new SettingsError(id, `${label}: write widths from 1 to 512 separated by commas, e.g. 32,32 (got "${raw}").`);
  }
  if (widths.length > 8) throw new SettingsError(id, `${label}: at most 8 layers, got ${widths.length}.`);
  return widths;
}

/** What is wrong with pasted CSV data (the core's reader, `problem::read_csv`), or null.
 * Without the page's wasm this early check is skipped: the run's own check still reports. */
function checkCsv(text) {
  return wasm ? wasm.checkCsv(text) || null : null;
}

/** Marks the input a SettingsError names, and opens the settings group that holds it. */
function markInvalid(id) {
  const input = id && $(id);
  if (!input) return;
  input.setAttribute('aria-invalid', 'true');
  const group = input.closest('details');
  if (group) group.open = true;
}

function readSettings() {
  for (const input of document.querySelectorAll('[aria-invalid="true"]')) input.removeAttribute('aria-invalid');
  const n = (id) => readNumber(id);
  const source = $('data-source').value;
  const csv = $('csv').value;
  if (source === 'csv') {
    const problem = checkCsv(csv);
    if (problem) throw new SettingsError('csv', problem);
  }
  const data = { source, testFraction: n('test-fraction'), csv: source === 'csv' ? csv : '' };
  const samples = n('samples');
  const noise = n('noise');
  if (samples !== undefined) data.samples = samples;
  if (noise !== undefined) data.noise = noise;
  const hidden = readLayers('hidden', 'Hidden layers');
  const surrogateHidden = readLayers('surrogate-hidden', 'Surrogate layers');
  return {
    data,
    network: { hidden, activation: $('activation').value },
    optimizer: { kind: $('optimizer').value, learningRate: n('learning-rate'), batchSize: n('batch-size'), clip: n('clip') },
    budget: n('budget'),
    maxSteps: n('max-steps'),
    seed: n('seed'),
    logPoints: n('log-points'),
    methodSettings: {
      hRel: n('h-rel'), k: n('k'), sigma: n('sigma'), lambda: n('lambda'), exploration: n('exploration'),
      rounds: n('rounds'), collectShare: n('collect-share'), surrogateHidden, alpha: n('alpha'),
      fitOnlyRho: $('fit-only-rho').checked,
    },
  };
}

const DEFAULT_VALUES = Object.fromEntries(PERSISTED_INPUTS.map((id) => {
  const e = $(id);
  return [id, e.type === 'checkbox' ? e.defaultChecked : (e.tagName === 'SELECT'
    ? (e.querySelector('option[selected]') ?? e.options[0]).value : e.defaultValue)];
}));

function saveSettings() {
  const values = {};
  for (const id of PERSISTED_INPUTS) values[id] = $(id).type === 'checkbox' ? $(id).checked : $(id).value;
  storage.set(STORAGE.settings, JSON.stringify(values));
}
function loadSettings() {
  try {
    const values = JSON.parse(storage.get(STORAGE.settings) ?? 'null');
    if (!values) return;
    for (const id of PERSISTED_INPUTS) {
      if (!(id in values)) continue;
      if ($(id).type === 'checkbox') $(id).checked = Boolean(values[id]);
      else $(id).value = String(values[id]);
    }
  } catch { /* ignore a corrupt entry */ }
}
function restoreDefaults({ keepMethods = false, quiet = false } = {}) {
  for (const id of PERSISTED_INPUTS) {
    if ($(id).type === 'checkbox') $(id).checked = DEFAULT_VALUES[id];
    else $(id).value = DEFAULT_VALUES[id];
    $(id).removeAttribute('aria-invalid');
  }
  if (!keepMethods) setSelectedMethods(DEFAULT_METHODS);
  syncDataSource();
  syncCharts();
  saveSettings();
  markLinkStale();
  if (!quiet) updateIdleText();
}
$('defaults').addEventListener('click', () => restoreDefaults());
for (const id of PERSISTED_INPUTS) $(id).addEventListener('change', () => { $(id).removeAttribute('aria-invalid'); saveSettings(); });

for (const k of CHART_KEYS) $(`show-${k}`).addEventListener('change', syncCharts);

function syncDataSource() {
  $('csv-box').hidden = $('data-source').value !== 'csv';
}
$('data-source').addEventListener('change', syncDataSource);
$('csv-file').addEventListener('change', async () => {
  const file = $('csv-file').files?.[0];
  if (!file) return;
  if (file.size > 20e6) {
    showAlert({ title: 'That CSV file is too large.', message: `It has ${fmtCount(file.size)} bytes; the limit is 20 MB.` });
    return;
  }
  $('csv').value = await file.text();
  const problem = checkCsv($('csv').value);
  if (problem) showAlert({ title: 'The CSV file has a problem.', message: problem });
});

// ------------------------------------------------------------------------------------------
// Runs.

let runner = null;            // SandboxRunner
let runnerReady = null;       // Promise
let session = null;           // the current comparison: {config, script, runs: Map, ...}
let runCounter = 0;

class Run {
  constructor(method, runId) {
    this.method = method;
    this.runId = runId;
    this.history = [];
    this.status = null;
    this.fit = null;
    this.weights = null;
    this.error = null;
    this.ended = false;
    this.waiting = true; // for a free core: at most one method per core computes at once
  }
  get info() { return METHOD[this.method]; }
  get evals() { return this.status?.evals ?? this.history.at(-1)?.evals ?? 0; }
  get wallMs() { return this.status?.wallMs ?? this.history.at(-1)?.wallMs ?? 0; }
}

function ensureRunner() {
  if (!runnerReady) {
    runner = new SandboxRunner({ watchdogMs });
    runnerReady = runner.ready;
  }
  return runnerReady;
}

let watchdogMs = 10_000;
async function startRun({ paused = false } = {}) {
  if (session && !session.over) return;
  if (linkPending) return; // a shared link is still being opened
  clearAlert();
  editor.clearErrors();
  const script = editor.getText();
  const methods = selectedMethods();
  let base;
  try {
    if (!script.trim()) throw new SettingsError(null, 'The problem script is empty. Pick a preset or write F(x, theta) and const problem = {…}.');
    if (!scriptHas(script, 'F')) {
      throw new SettingsError(null, 'The script defines no function F. Write `function F(x, theta) { … }` returning a number or an array.');
    }
    if (!methods.length) throw new SettingsError('m-central', 'Select at least one method to compare (under "Gradient estimates to compare").');
    base = readSettings();
    // A page setting, not part of the run: how long an F may stay silent before its worker ends.
    watchdogMs = 1000 * readNumber('watchdog');
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e;
    markInvalid(e.id);
    session = null;
    resetOutputs();
    showAlert({ title: 'The run could not start.', message: e.message });
    setState('error', `Could not start: ${e.message}`);
    if (e.id && $(e.id)) $(e.id).focus();
    return;
  }
  if (methods.includes('exact') && !scriptHas(script, 'dF')) {
    showAlert({ kind: 'notice', title: 'Analytic gradient needs dF.',
      message: 'Add `function dF(x, theta)` returning yDim rows of thetaDim numbers, or untick "Analytic gradient". The other methods run.' });
  }
  const syntax = editor.syntaxErrors();
  if (syntax.length) editor.showError(syntax[0].line, syntax[0].message);

  const sess = {
    id: ++runCounter, script, config: base, methods, over: false, paused,
    runs: new Map(), stoppedByUser: false, errorShown: new Set(),
    startedAt: performance.now(), endedAt: null,
  };
  // Workers of the last comparison still finishing after Stop would hold the workers this one
  // needs; their results would be dropped anyway.
  runner?.killAll();
  session = sess;
  resetOutputs();
  setState('running', `Starting ${methods.length === 1 ? METHOD[methods[0]].label : `${methods.length} methods`}…`);
  tickProgress();
  try {
    await ensureRunner();
  } catch (e) {
    if (session !== sess) return;
    sess.over = true;
    showAlert({ title: 'The sandbox did not start.', message: String(e?.message ?? e),
      detail: 'Reload the page. If it persists, check that www/pkg was built (make build).' });
    setState('error', 'Could not start the sandbox.');
    return;
  }
  if (session !== sess || sess.over) return; // stopped or reset while the sandbox was starting
  runner.watchdogMs = watchdogMs;
  for (const method of methods) {
    const runId = `${method}#${sess.id}`;
    const run = new Run(method, runId);
    sess.runs.set(runId, run);
    const config = { method, ...base };
    runner.start(runId, JSON.stringify(config), script, {
      onWaiting: (waiting) => onWaiting(sess, run, waiting),
      onProgress: (rows, status) => onProgress(sess, run, rows, status),
      onDone: (status, fit, weights, sweep) => onDone(sess, run, status, fit, weights, sweep),
      onError: (message, line) => onError(sess, run, message, line),
    }, { method, label: run.info.label });
    if (paused) runner.control(runId, 'pause');
  }
  if (paused) {
    setState('paused', 'Paused before the first step. Step advances one step; Resume runs on.');
  } else {
    setState('running', runningText());
  }
}

function activeRuns() {
  return session ? [...session.runs.values()].filter((r) => !r.ended) : [];
}

function runningText() {
  const runs = [...session.runs.values()];
  const live = runs.filter((r) => !r.ended && !r.waiting);
  const waiting = runs.filter((r) => !r.ended && r.waiting);
  const names = live.map((r) => r.info.label);
  const after = waiting.length
    ? ` ${waiting.map((r) => r.info.label).join(', ')} wait${waiting.length === 1 ? 's' : ''} for a core.` : '';
  if (!names.length) return waiting.length ? `Waiting for a core…${after}` : 'Finishing…';
  if (names.length === 1) return `Training with ${names[0]}…${after}`;
  return `Training ${names.length} methods side by side: ${names.join(', ')}…${after}`;
}

function onWaiting(sess, run, waiting) {
  if (session !== sess) return;
  run.waiting = waiting;
  if (state() === 'running') setState('running', runningText());
  scheduleRedraw();
}

function onProgress(sess, run, rows, status) {
  if (session !== sess) return; // a message from an earlier comparison
  for (const r of decodeRows(rows)) run.history.push(r);
  run.status = status;
  if (state() === 'paused') setState('paused', pausedText());
  scheduleRedraw();
}

function pausedText() {
  const runs = [...session.runs.values()].filter((r) => !r.ended);
  const at = runs.map((r) => `${runs.length > 1 ? `${r.info.label} ` : ''}at step ${r.status?.steps ?? 0}`);
  return `Paused ${at.join(', ')}. Resume runs on; Step advances one step; Stop ends the run.`;
}

function onDone(sess, run, status, fit, weights, sweep) {
  if (session !== sess) return;
  run.status = status;
  run.fit = fit;
  run.sweep = sweep;
  run.weights = weights;
  if (status?.stopReason === 'diverged' && status.message) {
    showAlert({ kind: 'notice', title: `${run.info.label} diverged.`, message: status.message.replace(/^diverged:\s*/, '') });
  }
  if (!run.ended) endRun(run);
  else scheduleRedraw();
}

function onError(sess, run, message, line) {
  if (session !== sess) return;
  run.error = message;
  reportRunError(run, message, line);
  if (!run.ended) endRun(run);
  else { scheduleRedraw(); if (sess.over) finishSession(); }
}

function reportRunError(run, message, line) {
  if (line) editor.showError(line, message);
  if (session.errorShown.has(message)) return; // the same error from several methods: once
  session.errorShown.add(message);
  const others = [...session.runs.values()].filter((r) => r !== run && !r.error).length;
  const where = line ? ` (line ${line} of the script)` : '';
  showAlert({
    title: `${run.info.label} failed${where}.`,
    message: others && session.errorShown.size === 1 ? 'The other methods go on.' : '',
    detail: message,
  });
}

function endRun(run) {
  run.ended = true;
  scheduleRedraw();
  if (session.over) return;
  if (activeRuns().length === 0) finishSession();
  else if (state() === 'running') setState('running', runningText());
}

function finishSession() {
  session.over = true;
  session.endedAt ??= performance.now();
  session.paused = false;
  const runs = [...session.runs.values()];
  const ok = runs.filter((r) => !r.error);
  const logged = runs.some((r) => r.history.length);
  if (session.stoppedByUser) {
    setState(logged ? 'finished' : 'idle', logged ? `Stopped. ${summary(ok)}` : 'Stopped before anything was logged. Press Run to start again.');
  } else if (ok.length) {
    const failed = runs.length - ok.length;
    setState('finished', `Finished. ${summary(ok)}${failed ? ` ${failed} method${failed > 1 ? 's' : ''} failed: see the table.` : ''}`);
  } else {
    const first = runs[0]?.error ?? 'every method failed';
    setState('error', `Error: ${first.split('\n')[0]}`);
  }
  tickProgress();
  scheduleRedraw();
}

function summary(runs) {
  let best = null;
  for (const r of runs) {
    const last = lastLogged(r);
    const v = last?.testLoss ?? last?.trainLoss;
    if (Number.isFinite(v) && (!best || v < best.v)) best = { r, v, test: last?.testLoss !== null && last?.testLoss !== undefined };
  }
  if (!best) return 'Nothing was logged.';
  return `Lowest ${best.test ? 'test' : 'training'} loss ${fmtNum(best.v)} with ${best.r.info.label}.`;
}

function lastLogged(run) {
  return run.history.at(-1) ?? null;
}

function pauseOrResume() {
  if (!session || session.over) return;
  if (state() === 'running') {
    for (const r of activeRuns()) runner.control(r.runId, 'pause');
    session.paused = true;
    setState('paused', pausedText());
  } else if (state() === 'paused') {
    for (const r of activeRuns()) runner.control(r.runId, 'resume');
    session.paused = false;
    setState('running', runningText());
  }
}

function step() {
  if (session && !session.over) {
    if (state() !== 'paused') return;
    for (const r of activeRuns()) runner.control(r.runId, 'step');
    return;
  }
  startRun({ paused: true }).then(() => {
    if (session && !session.over && state() === 'paused') {
      for (const r of activeRuns()) runner.control(r.runId, 'step');
    }
  });
}

function stop() {
  if (!session || session.over) return;
  session.stoppedByUser = true;
  // Each worker answers with its final 'done' (fit, weights), which fills in the details;
  // the runner's watchdog ends one that does not answer. The page is finished now.
  for (const r of activeRuns()) {
    if (runner) runner.control(r.runId, 'stop');
    r.ended = true;
  }
  finishSession();
}

function reset() {
  if (session && !session.over) {
    session.stoppedByUser = true;
    session.over = true;
  }
  runner?.killAll();
  session = null;
  resetOutputs();
  clearAlert();
  editor.clearErrors();
  setState('idle', idleText());
}

function idleText() {
  const methods = selectedMethods();
  if (!methods.length) return 'Ready. Select a method, then press Run.';
  const names = methods.map((m) => METHOD[m].label);
  return `Ready. Run trains with ${names.length > 2 ? `${names.length} methods` : names.join(' and ')}.`;
}
function updateIdleText() {
  if (state() === 'idle') setState('idle', idleText());
}

function updateButtons() {
  const s = statusEl.dataset.state;
  const live = session && !session.over;
  setProp($('run'), 'disabled', Boolean(live) || Boolean(linkPending));
  setProp($('share'), 'disabled', !wasm || Boolean(linkPending));
  setProp($('pause'), 'disabled', !live);
  setText($('pause-label'), s === 'paused' ? 'Resume' : 'Pause');
  setProp($('pause'), 'title', s === 'paused' ? 'Resume every paused method' : 'Pause every running method');
  setProp($('step'), 'disabled', Boolean(live) && s !== 'paused');
  setProp($('stop'), 'disabled', !live);
  const hasData = Boolean(session && [...session.runs.values()].some((r) => r.history.length || r.error));
  setProp($('export'), 'disabled', !hasData);
  setProp($('export-csv'), 'disabled', !hasData);
  setProp($('export-png'), 'disabled', !hasData);
  setProp($('export-weights'), 'disabled', !(session && [...session.runs.values()].some((r) => r.weights)));
  // A keyboard user whose focused button just became disabled keeps a place in the toolbar.
  const focused = document.activeElement;
  if (focused instanceof HTMLButtonElement && focused.disabled && focused.closest('.controls')) {
    const next = ['stop', 'pause', 'run', 'step'].map($).find((b) => !b.disabled);
    next?.focus();
  }
}

$('run').addEventListener('click', () => startRun());
$('pause').addEventListener('click', pauseOrResume);
$('step').addEventListener('click', step);
$('stop').addEventListener('click', stop);
$('reset').addEventListener('click', reset);

// ------------------------------------------------------------------------------------------
// Progress toward the budget, evaluations per second, time left.

let progressTimer = 0;
function tickProgress() {
  clearTimeout(progressTimer);
  const bar = $('progress');
  const text = $('progress-text');
  if (!session) {
    bar.value = 0;
    text.textContent = 'Not started';
    return;
  }
  const runs = [...session.runs.values()];
  const budget = session.config.budget;
  let frac = 0;
  let evals = 0;
  let left = 0;
  const rates = []; // evaluations per ms of each run computing now
  for (const r of runs) {
    evals += r.evals;
    const complete = r.ended && r.status?.done && !r.error; // ended by budget or max steps
    frac += complete ? 1 : Math.min(1, r.evals / budget);
    if (!r.ended && r.evals > 0 && r.wallMs > 0) {
      rates.push(r.evals / r.wallMs);
      left = Math.max(left, (budget - r.evals) / rates.at(-1));
    }
  }
  // Runs waiting for a worker take about one budget each, spread over the workers.
  const waiting = runs.filter((r) => !r.ended && r.waiting).length;
  if (waiting && rates.length) {
    const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
    left += (waiting * budget) / mean / (runner?.maxWorkers ?? 1);
  }
  frac = runs.length ? frac / runs.length : 0;
  setProp(bar, 'value', frac);
  // While runs compute: the sum of their rates. After: all evaluations over the elapsed time
  // (runs that waited for a core ran after others, so the longest run's time would overstate it).
  const elapsed = (session.endedAt ?? performance.now()) - session.startedAt;
  const rate = rates.length ? rates.reduce((a, b) => a + b, 0) * 1000 : elapsed > 0 ? evals / (elapsed / 1000) : 0;
  const parts = [`${Math.round(frac * 100)}%`, `${fmtCount(evals)} evals`];
  if (rate > 0) parts.push(`${fmtCount(rate)}/s`);
  if (!session.over && left > 0 && state() === 'running') parts.push(`~${fmtMs(left)} left`);
  setText(text, parts.join(' · '));
  setProp(text, 'title', text.textContent); // in full, when the bar is too narrow for it
  if (!session.over) progressTimer = setTimeout(tickProgress, 250);
}

// ------------------------------------------------------------------------------------------
// Charts (wasm drawChart), redrawn at most ~10 times a second.

const charts = {
  loss: $('chart-loss'), grad: $('chart-grad'), cos: $('chart-cos'), fit: $('chart-fit'), theta: $('chart-theta'),
  sweep: $('chart-sweep'),
};
const PLACEHOLDER = {
  loss: 'The loss appears here while the methods train.',
  grad: 'Gradient-estimate error appears at each log point.',
  cos: 'Cosine with the reference gradient.',
  fit: 'The fit appears when a method finishes.',
  theta: 'θ(x) appears when a method finishes.',
  sweep: 'The step-size sweep appears when Central, Forward differences or Analytic gradient finishes.',
};
let chartsReady = false;
let wasm = null;              // the wasm-bindgen module (drawChart), loaded at start-up
let chartError = null;
let lastDraw = 0;
let drawQueued = false;

function scheduleRedraw() {
  updateButtons();
  if (drawQueued) return;
  drawQueued = true;
  const wait = Math.max(0, REDRAW_MS - (performance.now() - lastDraw));
  // A plain task, not an animation frame: redraw() updates the DOM and queues the charts,
  // which are then drawn one per frame (draw()), so no frame does both.
  setTimeout(() => {
    drawQueued = false;
    lastDraw = performance.now();
    redraw();
  }, wait);
}

// Canvas sizes come from a ResizeObserver, so drawing never forces a layout of the page
// (reading getBoundingClientRect per chart per redraw did, and made long main-thread tasks).
const canvasSize = new Map();
const resizeObserver = new ResizeObserver((entries) => {
  for (const e of entries) {
    const box = e.contentBoxSize?.[0];
    canvasSize.set(e.target, {
      w: Math.round(box ? box.inlineSize : e.contentRect.width),
      h: Math.round(box ? box.blockSize : e.contentRect.height),
    });
  }
  scheduleRedraw();
});
for (const canvas of Object.values(charts)) resizeObserver.observe(canvas);

/** Matches the canvas's pixels to its laid-out size; false while it is hidden. */
function sizeCanvas(canvas) {
  const size = canvasSize.get(canvas);
  if (!size || size.w === 0 || size.h === 0) return false;
  const w = Math.max(200, size.w);
  const h = Math.max(150, size.h);
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  return true;
}

function placeholder(canvas, text) {
  if (!sizeCanvas(canvas)) return;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#7b8194';
  ctx.font = '13px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(text, canvas.width / 2, canvas.height / 2, canvas.width - 20);
}

// The first drawChart calls run on wasm's baseline compiler and are several times slower:
// draw throwaway charts off screen while the page is idle, before the user's first run.
function warmUpCharts() {
  const idle = window.requestIdleCallback ?? ((f) => setTimeout(f, 200));
  const canvas = document.createElement('canvas');
  canvas.width = 480;
  canvas.height = 280;
  const points = Array.from({ length: 60 }, (_, i) => [i * 1000 + 1, Math.exp(-i / 10)]);
  const series = [{ label: 'a', color: '#2563eb', points }, { label: '', color: '#dc2626', points, light: true }];
  // Every kind of chart the page draws, a few times each, so each reaches the optimising tier.
  const kinds = [
    { logY: true }, { logX: true, logY: true }, { kind: 'scatter', diagonal: true }, {},
  ].map((k) => JSON.stringify({ title: 'warm-up', xLabel: 'x', yLabel: 'y', series, ...k }));
  let left = 4 * kinds.length;
  const once = () => {
    try {
      wasm.drawChart(canvas, kinds[left % kinds.length]);
    } catch { return; /* the real draw reports problems */ }
    if (--left > 0) idle(once);
    else document.documentElement.dataset.chartsWarm = 'true'; // for tests and make bench
  };
  idle(once);
}

// Charts are drawn one per animation frame, each from the newest spec, so a redraw of six
// charts never makes one long task.
const pendingCharts = new Map();
const drawnCharts = {}; // key -> what is on that canvas now (size and spec), to skip same redraws
let chartFrame = 0;
function draw(key, spec) {
  pendingCharts.set(key, spec);
  if (!chartFrame) chartFrame = requestAnimationFrame(drawNextChart);
}
function drawNextChart() {
  chartFrame = 0;
  const next = pendingCharts.keys().next();
  if (next.done) return;
  const spec = pendingCharts.get(next.value);
  pendingCharts.delete(next.value);
  // A chart whose spec and size are what it already shows costs no frame: go to the next.
  if (!drawNow(next.value, spec)) { drawNextChart(); return; }
  if (pendingCharts.size) chartFrame = requestAnimationFrame(drawNextChart);
}

/** Draws one chart; false when the canvas already showed exactly this. */
function drawNow(key, spec) {
  const canvas = charts[key];
  const size = canvasSize.get(canvas);
  const json = JSON.stringify(spec);
  const drawn = `${size?.w}x${size?.h} ${chartsReady} ${chartError ? 1 : 0} ${json}`;
  if (drawnCharts[key] === drawn && canvas.width > 0) return false;
  drawnCharts[key] = drawn;
  const hasPoints = spec.series.some((s) => s.points.length > 0);
  if (!chartsReady || !hasPoints) {
    plotted[key] = null;
    placeholder(canvas, chartError && hasPoints ? 'Charts are unavailable (see the message above).' : PLACEHOLDER[key]);
    return true;
  }
  if (!sizeCanvas(canvas)) return true;
  try {
    const geometry = JSON.parse(wasm.drawChart(canvas, json) || 'null');
    plotted[key] = geometry ? { geometry, spec } : null;
  } catch (e) {
    plotted[key] = null;
    placeholder(canvas, `Could not draw this chart: ${String(e?.message ?? e).slice(0, 120)}`);
  }
  return true;
}

// Hover readout: the nearest plotted point to the mouse, from the geometry drawChart returns.
const plotted = {};
function toPixel(g, x, y) {
  const t = (v, lo, hi, log) => (log ? (Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)) : (v - lo) / (hi - lo));
  return [g.left + t(x, g.xMin, g.xMax, g.logX) * (g.right - g.left), g.bottom - t(y, g.yMin, g.yMax, g.logY) * (g.bottom - g.top)];
}
function nearestPoint(key, px, py) {
  const p = plotted[key];
  if (!p) return null;
  const g = p.geometry;
  if (px < g.left - 8 || px > g.right + 8 || py < g.top - 8 || py > g.bottom + 8) return null;
  let best = null;
  for (const s of p.spec.series) {
    if (!s.label && !s.hoverLabel) continue;
    for (const [x, y] of s.points) {
      if ((g.logX && !(x > 0)) || (g.logY && !(y > 0))) continue;
      const [qx, qy] = toPixel(g, x, y);
      const d = (qx - px) ** 2 + (qy - py) ** 2;
      if (!best || d < best.d) best = { d, x, y, qx, qy, s };
    }
  }
  return best && best.d < 40 * 40 ? best : null;
}
for (const [key, canvas] of Object.entries(charts)) {
  const fig = canvas.parentElement;
  const tip = el('div', { class: 'readout', hidden: true, 'aria-hidden': 'true' });
  const dot = el('div', { class: 'readout-dot', hidden: true, 'aria-hidden': 'true' });
  fig.append(dot, tip);
  const hide = () => { tip.hidden = true; dot.hidden = true; };
  canvas.addEventListener('mousemove', (ev) => {
    const rect = canvas.getBoundingClientRect();
    const px = ((ev.clientX - rect.left) * canvas.width) / rect.width;
    const py = ((ev.clientY - rect.top) * canvas.height) / rect.height;
    const hit = nearestPoint(key, px, py);
    if (!hit) { hide(); return; }
    const spec = plotted[key].spec;
    tip.textContent = `${hit.s.label || hit.s.hoverLabel}: ${spec.xLabel.split(' (')[0]} ${fmtNum(hit.x)}, ${spec.yLabel.split(' (')[0]} ${fmtNum(hit.y)}`;
    const x = canvas.offsetLeft + (hit.qx * rect.width) / canvas.width;
    const y = canvas.offsetTop + (hit.qy * rect.height) / canvas.height;
    dot.style.cssText = `left:${x}px;top:${y}px;--c:${hit.s.color}`;
    dot.hidden = false;
    tip.hidden = false;
    // Keep the readout inside the figure.
    const half = tip.offsetWidth / 2;
    tip.style.left = `${Math.min(Math.max(x, half), fig.clientWidth - half)}px`;
    tip.style.top = `${y}px`;
  });
  canvas.addEventListener('mouseleave', hide);
}

const positive = (v) => Number.isFinite(v) && v > 0;

function redraw() {
  const runs = session ? [...session.runs.values()] : [];
  renderLegend(runs);
  renderTable(runs);
  tickProgressOnce();
  const loss = [];
  const grad = [];
  const cos = [];
  for (const r of runs) {
    const c = r.info.color;
    const train = r.history.filter((h) => positive(h.trainLoss)).map((h) => [h.evals, h.trainLoss]);
    const test = r.history.filter((h) => positive(h.testLoss)).map((h) => [h.evals, h.testLoss]);
    loss.push({ label: r.info.label, color: c, points: train, light: false });
    if (test.length) loss.push({ label: '', hoverLabel: `${r.info.label} (test)`, color: c, points: test, light: true });
    grad.push({ label: '', hoverLabel: r.info.label, color: c, light: false,
      points: r.history.filter((h) => positive(h.gradRelErr)).map((h) => [h.evals, h.gradRelErr]) });
    cos.push({ label: '', hoverLabel: r.info.label, color: c, light: false,
      points: r.history.filter((h) => Number.isFinite(h.gradCos)).map((h) => [h.evals, h.gradCos]) });
  }
  draw('loss', { title: 'Loss', xLabel: 'F-evaluations (learning)', yLabel: 'MSE', logX: false, logY: true, kind: 'line', series: loss });
  draw('grad', { title: 'Gradient-estimate error', xLabel: 'F-evaluations (learning)', yLabel: 'relative L2 error', logX: false, logY: true, kind: 'line', series: grad });
  draw('cos', { title: 'Gradient cosine', xLabel: 'F-evaluations', yLabel: 'cos(estimate, reference)', logX: false, logY: false, kind: 'line', series: cos });
  drawFit(runs);
  drawSweep(runs);
}

/** Error of finite differences against h at the final policy: truncation (right) against
 * round-off (left). Drawn from the first finished run that measured it. */
function drawSweep(runs) {
  const run = runs.find((r) => r.sweep && r.sweep.rows.length);
  const series = [];
  if (run) {
    const pts = (col) => run.sweep.rows.filter((r) => positive(r[col])).map((r) => [r[0], r[col]]);
    series.push({ label: 'Central differences', color: METHOD.central.color, points: pts(1), light: false });
    series.push({ label: 'Forward differences', color: METHOD.forward.color, points: pts(2), light: false });
  }
  const against = run?.sweep.reference === 'dF' ? 'dF' : 'Richardson';
  draw('sweep', { title: `Step-size sweep (vs ${against})`, xLabel: 'relative step h', yLabel: 'relative error of dL/dθ', logX: true, logY: true, kind: 'line', series });
}

function drawFit(runs) {
  const withFit = runs.filter((r) => r.fit);
  const series = [];
  const MAX_POINTS = 1500;
  for (const r of withFit) {
    const { yTrue, yPred } = r.fit;
    const stride = Math.max(1, Math.ceil(yTrue.length / MAX_POINTS));
    const pts = [];
    for (let i = 0; i < yTrue.length; i += stride) {
      if (Number.isFinite(yTrue[i]) && Number.isFinite(yPred[i])) {
        pts.push([yTrue[i], yPred[i]]);
      }
    }
    series.push({ label: '', hoverLabel: r.info.label, color: r.info.color, points: pts, light: false });
  }
  draw('fit', { title: 'Fit (test set)', xLabel: 'observed y', yLabel: 'predicted F(x, NN(x))', logX: false, logY: false, kind: 'scatter', diagonal: true, series });

  // θ(x) against thetaTrue for one-dimensional x: the first three components.
  const oneD = withFit.filter((r) => r.fit.xDim === 1);
  $('theta-figure').hidden = oneD.length === 0;
  if (!oneD.length) return;
  const tseries = [];
  const shownTrue = new Set();
  for (const r of oneD) {
    const { x, thetaLearned, thetaTrue, thetaDim } = r.fit;
    const order = x.map((v, i) => i).sort((a, b) => x[a] - x[b]);
    for (let j = 0; j < Math.min(3, thetaDim); j++) {
      if (thetaTrue && !shownTrue.has(j)) {
        shownTrue.add(j);
        tseries.push({ label: '', hoverLabel: `thetaTrue[${j}]`, color: '#9aa1b1', light: true,
          points: order.map((i) => [x[i], thetaTrue[i * thetaDim + j]]) });
      }
      tseries.push({ label: '', hoverLabel: `${r.info.label} θ[${j}]`, color: r.info.color, light: false,
        points: order.map((i) => [x[i], thetaLearned[i * thetaDim + j]]) });
    }
  }
  draw('theta', { title: 'θ(x) learned and true', xLabel: 'x', yLabel: 'θ', logX: false, logY: false, kind: 'line', series: tseries });
}

function renderLegend(runs) {
  const box = $('legend');
  const key = runs.map((r) => r.method).join(',');
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  box.replaceChildren(...runs.map((r) => el('span', { class: 'item' },
    el('span', { class: 'line', style: `--c:${r.info.color}`, 'aria-hidden': 'true' }), r.info.label)),
  runs.length ? el('span', { class: 'item muted' },
    el('span', { class: 'line', style: '--c:#5d6374', 'aria-hidden': 'true' }), 'train',
    el('span', { class: 'line light', style: '--c:#5d6374', 'aria-hidden': 'true' }), 'test') : '');
}

function tickProgressOnce() {
  if (session && session.over) tickProgress();
}

// ------------------------------------------------------------------------------------------
// Results table.

function finalOf(run) {
  const last = lastLogged(run);
  return {
    trainLoss: last?.trainLoss ?? null,
    testLoss: last?.testLoss ?? null,
    evals: last?.evals ?? 0,
    steps: last?.step ?? 0,
    wallMs: last?.wallMs ?? 0,
  };
}

function renderTable(runs) {
  const body = $('results-body');
  if (!runs.length) {
    if (body.dataset.key !== '') {
      body.dataset.key = '';
      body.replaceChildren(el('tr', { class: 'empty' }, el('td', { colspan: 6 }, 'No results yet. Press Run.')));
    }
    return;
  }
  const rows = runs.map((r) => {
    const f = finalOf(r);
    return {
      r,
      cols: {
        train: f.trainLoss, test: f.testLoss, evals: r.evals, wall: r.wallMs,
        cos: median(r.history.map((h) => h.gradCos).filter((v) => v !== null)),
      },
    };
  });
  const best = {};
  // Evaluations are the shared budget, not a score: that column is not ranked.
  const better = { train: (a, b) => a < b, test: (a, b) => a < b, wall: (a, b) => a < b, cos: (a, b) => a > b };
  if (runs.length > 1) {
    for (const k of Object.keys(better)) {
      for (const row of rows) {
        const v = row.cols[k];
        // A run that failed, diverged or never started (stopped while waiting) is not a best.
        if (!Number.isFinite(v) || row.r.error || row.r.status?.stopReason === 'diverged' || !(row.r.evals > 0)) continue;
        if (best[k] === undefined || better[k](v, best[k])) best[k] = v;
      }
    }
  }
  const models = rows.map(({ r, cols }) => {
    const diverged = r.status?.stopReason === 'diverged';
    const about = [r.status?.message, ...(Array.isArray(r.status?.notes) ? r.status.notes.slice(0, 5) : [])].filter(Boolean).join('\n');
    const monitor = r.status?.monitorEvals ?? lastLogged(r)?.monitorEvals;
    const cell = (k, text, title = '') => ({ text, title, best: best[k] !== undefined && cols[k] === best[k] });
    return {
      // Rows are rebuilt only when this changes; otherwise their cells are updated in place.
      key: `${r.method}|${r.error ? 'failed' : ''}|${r.ended ? '' : r.waiting ? 'waiting' : 'running'}|${diverged ? 'diverged' : ''}`,
      r, diverged, about,
      cells: r.error ? [{ text: `Failed: ${r.error.split('\n')[0]}`, title: '', best: false }] : [
        cell('train', fmtNum(cols.train)),
        cell('test', fmtNum(cols.test)),
        cell('evals', fmtCount(cols.evals), `${cols.evals} learning evaluations${Number.isFinite(monitor) ? `, ${monitor} for monitoring` : ''}`),
        cell('wall', fmtMs(cols.wall), wallTitle(r.status, cols.wall)),
        cell('cos', fmtNum(cols.cos)),
      ],
    };
  });
  const key = models.map((m) => m.key).join(';');
  if (body.dataset.key !== key) {
    body.dataset.key = key;
    body.replaceChildren(...models.map(resultRow));
  }
  models.forEach((m, i) => fillResultRow(body.rows[i], m));
}

/** How a run's time split between F and everything else (the network, the estimator). */
function wallTitle(status, wall) {
  const inF = status?.fMs;
  if (!Number.isFinite(inF) || !(wall > 0)) return '';
  const share = Math.min(100, Math.round((100 * inF) / wall));
  return `${fmtMs(inF)} (${share}%) inside F; the rest in the network, the estimator and the optimiser`;
}

/** The skeleton of one results row; fillResultRow puts the numbers in. */
function resultRow({ r, diverged }) {
  const name = el('td', {}, el('span', { class: 'swatch', style: `--c:${r.info.color}`, 'aria-hidden': 'true' }), r.info.label,
    r.ended ? null : el('span', { class: 'muted' }, r.waiting ? ' (waiting for a core)' : ' (running)'),
    diverged ? el('span', { class: 'muted' }, ' (diverged)') : null);
  if (r.error) return el('tr', { class: 'failed' }, name, el('td', { colspan: 5, class: 'err' }));
  return el('tr', {}, name, ...Array.from({ length: 5 }, () => el('td')));
}

function fillResultRow(tr, { about, cells }) {
  setProp(tr.cells[0], 'title', about);
  cells.forEach((c, i) => {
    const td = tr.cells[i + 1];
    setText(td, c.text);
    setProp(td, 'title', c.title);
    if (td.classList.contains('best') !== c.best) td.classList.toggle('best', c.best);
  });
}

// ------------------------------------------------------------------------------------------
// Export: results.json (issue 2's schema), curves.csv, weights.json, charts as PNG.

function resultsJson() {
  const runs = session ? [...session.runs.values()] : [];
  return {
    schema: 1,
    config: session ? { ...session.config, methods: session.methods, script: session.script } : {},
    runs: runs.map((r) => ({
      method: r.method,
      history: r.history.map((h) => ({
        step: h.step, evals: h.evals, monitorEvals: h.monitorEvals, wallMs: h.wallMs,
        trainLoss: h.trainLoss, testLoss: h.testLoss, gradRelErr: h.gradRelErr, gradCos: h.gradCos,
      })),
      final: finalOf(r),
      error: r.error ?? null,
    })),
  };
}

$('export').addEventListener('click', () => download('results.json', jsonBlob(resultsJson())));
$('export-csv').addEventListener('click', () => {
  const cols = ['method', 'step', 'evals', 'monitorEvals', 'wallMs', 'trainLoss', 'testLoss', 'gradRelErr', 'gradCos'];
  const lines = [cols.join(',')];
  for (const r of session ? session.runs.values() : []) {
    for (const h of r.history) lines.push([r.method, ...cols.slice(1).map((c) => (h[c] === null ? '' : h[c]))].join(','));
  }
  download('curves.csv', new Blob([`${lines.join('\n')}\n`], { type: 'text/csv' }));
});
$('export-weights').addEventListener('click', () => {
  const out = {};
  for (const r of session ? session.runs.values() : []) {
    if (!r.weights) continue;
    try { out[r.method] = JSON.parse(r.weights); } catch { out[r.method] = r.weights; }
  }
  download('weights.json', jsonBlob(out));
});
$('export-png').addEventListener('click', () => {
  for (const [key, canvas] of Object.entries(charts)) {
    if (canvas.offsetParent === null) continue;
    canvas.toBlob((blob) => { if (blob) download(`chart-${key}.png`, blob); }, 'image/png');
  }
});

// ------------------------------------------------------------------------------------------
// Output reset, layout changes.

function resetOutputs() {
  $('theta-figure').hidden = true;
  $('legend').dataset.key = '';
  redraw();
  tickProgress();
}

// Layout changes reach the charts through each canvas's ResizeObserver (above); the output
// panel as a whole is not observed: it changes height whenever the results table does.

// ------------------------------------------------------------------------------------------
// Share links (issue 5). The whole state goes into the URL fragment, written and read by the
// wasm core (src/share.rs): `#v1.` + base64url(zlib(JSON)), then `&embed` in embed mode. A
// script equal to a built-in preset travels as the preset's id (preset texts are frozen:
// tests/golden/preset-hashes.json). Code from a link never runs by itself: a script that is
// not a preset is shown with a notice and waits for Run.

const shownCharts = () => CHART_KEYS.filter((k) => $(`show-${k}`).checked);
function syncCharts() {
  for (const k of CHART_KEYS) charts[k].closest('figure').classList.toggle('chart-off', !$(`show-${k}`).checked);
  scheduleRedraw();
}

/** The page's state for a link: readSettings() as a run would use them, plus what is shown. */
function gatherState() {
  const script = editor.getText();
  const preset = presetFor(script);
  return {
    script: preset ? null : script, preset: preset ? preset.id : null, methods: selectedMethods(),
    settings: readSettings(), charts: shownCharts(), embed: $('share-embed').checked,
  };
}

/** Puts decoded settings into the inputs (the inverse of readSettings, through SETTING_PATHS). */
function applySettings(settings) {
  for (const [id, path] of Object.entries(SETTING_PATHS)) {
    const v = path.split('.').reduce((o, k) => (o === null || o === undefined ? undefined : o[k]), settings);
    const input = $(id);
    if (input.type === 'checkbox') input.checked = Boolean(v);
    else input.value = v === undefined || v === null ? '' : (Array.isArray(v) ? v.join(',') : String(v));
    input.removeAttribute('aria-invalid');
  }
}

/** JSON with object keys sorted: equal values give equal text. */
function canonicalJson(v) {
  return JSON.stringify(v, (k, x) => (x && typeof x === 'object' && !Array.isArray(x)
    ? Object.fromEntries(Object.keys(x).sort().map((q) => [q, x[q]])) : x));
}

function shareLink() {
  if (!wasm || linkPending) return;
  let state;
  try {
    state = gatherState();
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e;
    markInvalid(e.id);
    showAlert({ title: 'The link could not be made.', message: e.message });
    return;
  }
  let fragment;
  try {
    fragment = wasm.encodeState(JSON.stringify(state));
  } catch (e) {
    showAlert({ title: 'The link could not be made.', message: String(e?.message ?? e) });
    return;
  }
  sharedFragment = fragment;
  history.replaceState(null, '', `#${fragment}`);
  const url = location.href;
  $('share-box').hidden = false;
  $('share-url').value = url;
  const info = $('share-info');
  info.classList.remove('stale');
  const what = state.preset
    ? `The preset "${PRESETS.find((p) => p.id === state.preset).name}" travels by its name.`
    : 'The script travels in the link; whoever opens it reads it before it runs.';
  const long = url.length > 2000 ? ' Some sites cut links longer than about 2,000 characters.' : '';
  const base = `${url.length} characters. ${what}${long}`;
  info.textContent = base;
  const copied = (ok) => {
    if (sharedFragment !== fragment) return;
    info.textContent = `${base} ${ok ? 'Copied to the clipboard.' : 'Select the link and copy it (Ctrl+C).'}`;
  };
  try {
    navigator.clipboard.writeText(url).then(() => copied(true), () => copied(false));
  } catch { copied(false); }
}

function copyShareField() {
  const field = $('share-url');
  field.focus();
  field.select();
  const done = (ok) => {
    $('share-info').textContent = ok ? 'Copied to the clipboard.' : 'Select the link and copy it (Ctrl+C).';
  };
  try {
    navigator.clipboard.writeText(field.value).then(() => done(true), () => done(false));
  } catch { done(false); }
}

/** The page no longer matches the link in the address bar: take the link away from it. */
function markLinkStale() {
  if (applyingLink || !sharedFragment) return;
  sharedFragment = null;
  if (LINK_RE.test(location.hash)) history.replaceState(null, '', location.pathname + location.search);
  if (!$('share-box').hidden) {
    $('share-info').textContent = 'The page changed since this link was made: press Share link again for a link to what you see now.';
    $('share-info').classList.add('stale');
  }
}

function setEmbed(on) {
  document.body.classList.toggle('embed', on);
  $('embed-note').hidden = !on;
  if (on) $('embed-open').href = location.href.replace(/&embed(=[^&]*)?/, '');
  scheduleRedraw();
}

/** Opens a link's fragment: decodes it (wasm) and applies it, or says why it cannot. */
function openLink(fragment) {
  let decoded;
  try {
    decoded = JSON.parse(wasm.decodeState(fragment));
  } catch (e) {
    setState('idle', idleText());
    showAlert({ title: 'This share link could not be opened.', message: String(e?.message ?? e),
      detail: 'The page kept the problem and settings it had; everything works as usual.' });
    return;
  }
  applyState(decoded.state, decoded.warnings, decoded.damaged);
  sharedFragment = fragment;
}

function applyState(state, linkWarnings, damaged) {
  const warnings = [...linkWarnings];
  const previous = editor.getText();
  const previousCustom = previous.trim() !== '' && !presetFor(previous);
  let script = state.script;
  if (script === null) {
    const named = PRESETS.find((p) => p.id === state.preset);
    if (state.preset && !named) {
      warnings.push(`The link names the preset "${state.preset}", which this version of the playground does not have; the default problem is shown instead.`);
    }
    script = (named ?? DEFAULT_PRESET).script;
  }
  if (session) reset(); // a new problem: the previous run's results go
  applyingLink = true;
  try {
    editor.setText(script);
    setSelectedMethods(state.methods);
    applySettings(state.settings);
    for (const k of CHART_KEYS) $(`show-${k}`).checked = state.charts.includes(k);
    syncDataSource();
    syncCharts();
    saveSettings();
    $('share-embed').checked = state.embed;
    setEmbed(state.embed);
  } finally {
    applyingLink = false;
  }
  // The inputs must give back exactly what the link holds: the same run for everyone.
  try {
    if (canonicalJson(readSettings()) !== canonicalJson(state.settings)) {
      warnings.push('Some settings could not be put into the page exactly; check them before you run.');
    }
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e;
    warnings.push(e.message);
  }
  const preset = presetFor(script);
  const actions = [];
  if (previousCustom && previous !== script) {
    actions.push({ label: 'Restore my script', run: () => editor.setText(previous) });
  }
  const detail = warnings.join('\n');
  if (!preset) {
    if (state.embed) actions.unshift({ label: 'Show the code', run: () => setEmbed(false), keep: true });
    showAlert({ kind: 'notice', title: `This code came from a ${damaged ? 'damaged ' : ''}link.`,
      message: 'Read it before you press Run: code from a link never runs by itself.', detail, actions });
    setState('idle', 'Opened a shared link with its own code: read it, then press Run.');
  } else {
    if (warnings.length) {
      showAlert({ kind: 'notice', title: damaged ? 'This share link is damaged.' : 'The share link was opened with corrections.',
        message: 'Check the settings before you run.', detail, actions });
    } else if (actions.length) {
      showAlert({ kind: 'notice', title: `Opened a shared link: the preset "${preset.name}".`,
        message: 'Your own script was replaced; it can be brought back.', actions });
    }
    setState('idle', `Opened a shared link: ${preset.name}. Press Run.`);
  }
}

$('share').addEventListener('click', shareLink);
$('share-copy').addEventListener('click', copyShareField);
$('share-embed').addEventListener('change', () => { if (!$('share-box').hidden) shareLink(); });
for (const type of ['input', 'change']) {
  document.querySelector('main').addEventListener(type, (ev) => {
    if (!ev.target.closest('#share-box')) markLinkStale();
  });
}
window.addEventListener('hashchange', () => {
  if (!LINK_RE.test(location.hash) || location.hash.slice(1) === sharedFragment) return;
  if (wasm) openLink(location.hash.slice(1));
  else { linkPending = location.hash.slice(1); updateButtons(); }
});

// ------------------------------------------------------------------------------------------
// Start-up: editor (saved script or the default preset), settings, wasm for the charts.

function boot() {
  loadSettings();
  try {
    const saved = JSON.parse(storage.get(STORAGE.methods) ?? 'null');
    setSelectedMethods(Array.isArray(saved) && saved.length ? saved : DEFAULT_METHODS);
  } catch { setSelectedMethods(DEFAULT_METHODS); }
  syncDataSource();

  const saved = storage.get(STORAGE.script);
  const initial = saved && saved.trim() ? saved : DEFAULT_PRESET.script;
  editor = createEditor($('editor'), { doc: initial, onChange: onScriptChange, onRun: () => startRun() });
  const p = presetFor(initial);
  presetSelect.value = p && !p.hidden ? p.id : 'custom';
  presetSelect.dataset.story = p ? p.id : 'custom';
  renderStory(p);
  markMethodAvailability(initial);
  if (saved && !p) $('saved-note').textContent = 'Your script from last time, restored from this browser.';
  syncCharts();
  if (LINK_RE.test(location.hash)) linkPending = location.hash.slice(1);

  setState('idle', linkPending ? 'Opening the shared link…' : idleText());
  tickProgress();
  redraw();

  // The charts need the wasm module; the page starts the sandbox (and its own fetch of the
  // same bytes) lazily on the first Run.
  // Imported dynamically so that a missing build leaves a working editor and a clear message.
  Promise.all([
    import('./pkg/page.js'),
    fetch('pkg/page_bg.wasm').then((res) => {
      if (!res.ok) throw new Error(`pkg/page_bg.wasm: HTTP ${res.status}`);
      return res.arrayBuffer();
    }),
  ])
    .then(async ([glue, bytes]) => {
      await glue.default({ module_or_path: bytes });
      wasm = glue;
      chartsReady = true;
      warmUpCharts();
      if (linkPending) {
        const fragment = linkPending;
        linkPending = null;
        openLink(fragment);
      }
      scheduleRedraw();
    })
    .catch((e) => {
      chartError = e;
      const link = linkPending ? ' The shared link cannot be opened without it.' : '';
      linkPending = null;
      setState('idle', idleText());
      showAlert({ title: 'The WebAssembly core did not load.', message: `Charts and runs need it.${link}`,
        detail: `${e?.message ?? e}\nBuild it with \`make build\` (or \`make wasm\`), then reload.` });
    });
  ensureRunner().catch(() => { /* reported when the user presses Run */ });
}

boot();
