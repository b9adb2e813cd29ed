// The Suite panel: build a suite (problems of the built-in Moré–Garbow–Hillstrom suite, presets,
// the editor's script or "My script" under a name, script files), run it (suite-run.js: every
// problem raced in turn through the page's Run path), watch its progress problem by problem,
// and read its profiles (suite-view.js). The suite being built is kept in this browser; Save
// suite file and Open suite file move it as a file, Share suite link as a link when it fits
// (built-in problems travel as ids, scripts whole). Export suite results writes every race's
// results.json with the profiles; Load results (earlier.js) shows such a file back.
import { PRESETS } from '../presets.js';
import { MGH, mghProblem } from '../suites.js';
import { $, button, download, el, input, setProp, setText, storage } from './dom.js';
import { readOtherResults } from './earlier.js';
import { METHOD, selectedMethods, setSelectedMethods } from './methods.js';
import { myScript, presetFor } from './presets-ui.js';
import { applySettings, readSettings, saveSettings } from './settings-form.js';
import { state, subscribe } from './state.js';
import { clearAlert, showAlert } from './status.js';
import { summarizer } from './summarize.js';
import {
  LINK_PREFIX, MAX_LINK, decodeSuiteLink, dims, emptySuite, encodeSuiteLink, parseTaus, readSuite, scriptOf, suiteJson,
} from './suite-model.js';
import { suiteCsv } from './suite-profiles.js';
import { SuiteRun, runSuite, suiteResults } from './suite-run.js';
import { renderProfiles } from './suite-view.js';

/** @typedef {import('./suite-model.js').Suite} Suite */
/** @typedef {import('./suite-model.js').SuiteEntry} SuiteEntry */

const KEY = 'bbp.suite';
const known = (/** @type {string} */ m) => Boolean(METHOD[m]);

/** The suite being built (kept in this browser). @type {Suite} */
let suite = emptySuite();
/** The suite running now or last. @type {SuiteRun | null} */
let run = null;
/** The last suite results shown (run here or loaded). @type {Record<string, any> | null} */
let shown = null;

/** The suite's panel, built once. */
function buildPanel() {
  const box = $('suite');
  const mghOptions = MGH.map((q) => el('option', { value: `mgh:${q.id}` }, q.name));
  const presetOptions = PRESETS.filter((p) => !p.hidden).map((p) => el('option', { value: `preset:${p.id}` }, p.name));
  box.replaceChildren(
    el('div', { class: 'panel-head' }, el('h2', { id: 'suite-title' }, 'Suite: which method wins across problems')),
    el('p', { class: 'muted' }, 'A suite races the methods ticked above on every problem in turn, with the settings above, '
      + 'and draws Moré and Wild\'s data profiles, Dolan and Moré\'s performance profiles and a win-rate matrix. '
      + 'Each problem gets the same budget in units of its (p+1) F-evaluations.'),
    el('div', { class: 'suite-build' },
      el('div', { class: 'field' }, el('label', { for: 'suite-add' }, 'Problem'),
        el('select', { id: 'suite-add' },
          el('optgroup', { label: 'Moré–Garbow–Hillstrom (calibration, no x)' }, ...mghOptions),
          el('optgroup', { label: 'Presets' }, ...presetOptions),
          el('option', { value: 'mine' }, 'My script'))),
      el('button', { id: 'suite-add-one', type: 'button' }, 'Add'),
      el('button', { id: 'suite-add-mgh', type: 'button', title: 'Every problem of the built-in suite, smooth' }, 'Add the built-in suite'),
      el('button', { id: 'suite-add-mgh-noisy', type: 'button', title: 'Every problem of the built-in suite, noisy: residuals × (1 + 1e-3 ε)' }, 'Add its noisy versions')),
    el('div', { class: 'suite-build' },
      el('div', { class: 'field' }, el('label', { for: 'suite-name' }, 'Name'),
        el('input', { id: 'suite-name', type: 'text', autocomplete: 'off', placeholder: 'of the editor\'s script' })),
      el('button', { id: 'suite-add-editor', type: 'button' }, 'Add the editor\'s script'),
      el('span', { class: 'file-button', title: 'Add problem scripts (.js) from files' },
        el('input', { id: 'suite-add-files', type: 'file', accept: '.js,.txt,text/javascript,text/plain', multiple: true }),
        el('label', { for: 'suite-add-files' }, 'Add script files'))),
    el('ol', { id: 'suite-problems', class: 'suite-problems', 'aria-label': 'Problems of the suite' }),
    el('div', { class: 'grid2 suite-settings' },
      el('div', { class: 'field' }, el('label', { for: 'suite-repeats' }, 'Repeats per problem'),
        el('input', { id: 'suite-repeats', type: 'number', min: '1', max: '20', step: '1' })),
      el('div', { class: 'field' }, el('label', { for: 'suite-budget' }, 'Budget per problem, × (p+1) F-evaluations'),
        el('input', { id: 'suite-budget', type: 'number', min: '1', max: '1000000', step: '10', 'aria-describedby': 'suite-budget-help' }),
        el('small', { id: 'suite-budget-help' }, 'p = thetaDim; with x, (p+1) × the batch size.')),
      el('div', { class: 'field' }, el('label', { for: 'suite-taus' }, 'Levels τ'),
        el('input', { id: 'suite-taus', type: 'text', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'suite-taus-help' }),
        el('small', { id: 'suite-taus-help' }, 'Converged: loss ≤ f_L + τ(f_0 − f_L), f_L the best of the race.'))),
    el('p', { id: 'suite-methods', class: 'muted' }),
    el('div', { class: 'suite-actions' },
      el('button', { id: 'suite-run', type: 'button', class: 'primary' }, 'Race the suite'),
      el('button', { id: 'suite-stop', type: 'button', disabled: true }, 'End the suite'),
      el('button', { id: 'suite-share', type: 'button' }, 'Share suite link'),
      el('button', { id: 'suite-save', type: 'button' }, 'Save suite file'),
      el('span', { class: 'file-button' }, el('input', { id: 'suite-open', type: 'file', accept: '.json,application/json' }),
        el('label', { for: 'suite-open' }, 'Open suite file')),
      el('button', { id: 'suite-clear', type: 'button', class: 'link' }, 'Clear suite')),
    el('div', { id: 'suite-link-box', class: 'share-box', hidden: true },
      el('div', { class: 'share-row' }, el('label', { for: 'suite-link' }, 'Suite link URL'),
        el('input', { id: 'suite-link', type: 'text', readonly: true, spellcheck: 'false', autocomplete: 'off' })),
      el('p', { id: 'suite-link-info', class: 'share-info', 'aria-live': 'polite' })),
    el('p', { id: 'suite-status', class: 'suite-status', 'aria-live': 'polite', 'data-state': 'idle' }),
    el('ol', { id: 'suite-progress', class: 'suite-progress', 'aria-label': 'Progress of the suite, problem by problem' }),
    el('div', { class: 'suite-exports' },
      el('button', { id: 'suite-export', type: 'button', disabled: true, title: 'Every race\'s results.json, the suite and its profiles' }, 'Export suite results'),
      el('button', { id: 'suite-csv', type: 'button', disabled: true, 'aria-label': 'Export suite CSV' }, 'Suite CSV')),
    el('div', { id: 'suite-results', class: 'suite-results' }),
  );
}

/** Keeps the suite in this browser. */
const save = () => storage.set(KEY, JSON.stringify(suiteJson(suite)));

/**
 * Says how the suite is doing; `data-state` is what the tests wait for.
 * @param {'idle' | 'running' | 'finished' | 'stopped' | 'error'} kind @param {string} text
 */
function status(kind, text) {
  const p = $('suite-status');
  p.dataset.state = kind;
  setText(p, text);
}

const running = () => Boolean(run && !run.over);

/** The problem list, the settings' inputs and the buttons, from the suite. */
function render() {
  const list = $('suite-problems');
  list.replaceChildren(...suite.problems.map((p, i) => {
    const script = scriptOf(p);
    const d = script ? dims(script) : null;
    const what = p.source === 'mgh' ? 'built-in' : p.source === 'preset' ? 'preset' : 'own script';
    return el('li', {}, el('span', { class: 'suite-problem-name' }, p.name),
      el('span', { class: 'muted' }, ` ${what}${d ? `, p = ${d.p}` : ', p unknown'}`),
      el('button', { type: 'button', class: 'link', 'aria-label': `Remove ${p.name}`, disabled: running(),
        onclick: () => { suite.problems.splice(i, 1); changed(); } }, 'Remove'));
  }));
  if (!suite.problems.length) list.append(el('li', { class: 'muted empty' }, 'No problems yet: add the built-in suite, presets or your own scripts.'));
  input('suite-repeats').value = String(suite.repeats);
  input('suite-budget').value = String(suite.budget);
  if (document.activeElement !== $('suite-taus')) input('suite-taus').value = suite.taus.join(', ');
  renderMethods();
  const busy = running() || Boolean(state.comparison && !state.comparison.over);
  setProp(button('suite-run'), 'disabled', busy || !suite.problems.length);
  setProp(button('suite-stop'), 'disabled', !running());
  setProp(button('suite-export'), 'disabled', !shown);
  setProp(button('suite-csv'), 'disabled', !shown);
  for (const id of ['suite-add-one', 'suite-add-mgh', 'suite-add-mgh-noisy', 'suite-add-editor', 'suite-clear']) setProp(button(id), 'disabled', running());
}

function renderMethods() {
  const ms = running() ? suite.methods : selectedMethods();
  setText($('suite-methods'), ms.length ? `Methods: ${ms.map((m) => METHOD[m].label).join(', ')} (the ones ticked above).`
    : 'Methods: tick them above, under "Gradient estimates to compare".');
}

/** The suite changed: kept, shown, and any link to it is stale. */
function changed() {
  save();
  render();
  $('suite-link-box').hidden = true;
}

/**
 * Adds problems, skipping those already in the suite.
 * @param {SuiteEntry[]} entries
 */
function add(...entries) {
  for (const e of entries) if (!suite.problems.some((p) => p.id === e.id)) suite.problems.push(e);
  changed();
}

/** A fresh id for a script of the person's own. */
function ownId() {
  let n = suite.problems.length + 1;
  while (suite.problems.some((p) => p.id === `own-${n}`)) n++;
  return `own-${n}`;
}

/**
 * A script as a suite entry: a built-in one by its id, else carried whole under `name`.
 * @param {string} script @param {string} name
 * @returns {SuiteEntry}
 */
function entryFor(script, name) {
  const mgh = MGH.find((q) => q.script === script);
  if (mgh) return { source: 'mgh', id: mgh.id, name: mgh.name };
  const preset = presetFor(script);
  if (preset) return { source: 'preset', id: preset.id, name: preset.name };
  return { source: 'script', id: ownId(), name, script };
}

/** @param {string} script @param {string} name */
function addScript(script, name) {
  if (!script.trim()) { showAlert({ title: 'That script is empty.', message: 'Write F(x, theta) and const problem = {…} first.' }); return; }
  if (!dims(script)) {
    showAlert({ title: `"${name}" cannot join the suite.`, message: 'Its `const problem = {…}` must say xDim and thetaDim as plain numbers: the suite needs p for the budget.' });
    return;
  }
  const same = suite.problems.find((p) => scriptOf(p) === script);
  if (same) { showAlert({ kind: 'notice', title: `That script is already in the suite, as "${same.name}".` }); return; }
  add(entryFor(script, name));
}

/** The page's training settings now (null when they have an error: the run says it). */
function currentSettings() {
  try {
    const s = readSettings();
    return { ...s, data: { ...s.data, csv: '' } };
  } catch {
    return null;
  }
}

/**
 * Puts a suite into the panel (from a link or a file): its methods ticked and its settings in
 * the page's inputs.
 * @param {Suite} next @param {string} from
 */
function adopt(next, from) {
  suite = next;
  if (next.methods.length) setSelectedMethods(next.methods);
  if (next.settings) {
    applySettings(next.settings);
    saveSettings();
  }
  changed();
  status('idle', `Opened the suite from ${from}: ${next.problems.length} problem${next.problems.length === 1 ? '' : 's'}. Press Race the suite.`);
}

/** Runs the suite. */
async function start() {
  if (running() || !suite.problems.length) return;
  clearAlert();
  try {
    suite.taus = parseTaus(input('suite-taus').value);
  } catch (e) {
    showAlert({ title: 'The suite could not start.', message: /** @type {Error} */ (e).message });
    input('suite-taus').focus();
    return;
  }
  suite.methods = selectedMethods();
  if (!suite.methods.length) {
    showAlert({ title: 'The suite could not start.', message: 'Tick at least one method under "Gradient estimates to compare".' });
    return;
  }
  suite.settings = currentSettings();
  save();
  const r = new SuiteRun(structuredClone(suite));
  run = r;
  shown = null;
  $('suite-results').replaceChildren();
  status('running', `Running the suite: ${suite.problems.length} problems × ${suite.methods.length} methods × ${suite.repeats} repeats.`);
  render();
  await runSuite(r, () => { renderProgress(); render(); });
  const wasm = state.wasm;
  if (r.races.length && wasm) {
    shown = suiteResults(r.suite, r.races, summarizer(wasm));
    renderProfiles($('suite-results'), shown.profiles, r.suite.budget, wasm);
  }
  const done = r.progress.filter((p) => p.state === 'done').length;
  if (r.error) status('error', `The suite stopped: ${r.error} ${done} of ${r.suite.problems.length} problems raced.`);
  else if (r.stopped) status(r.races.length ? 'stopped' : 'idle', `Suite stopped after ${done} of ${r.suite.problems.length} problems${r.races.length ? ': the profiles below are of those raced' : ''}.`);
  else status('finished', `Suite finished: ${done} of ${r.suite.problems.length} problems raced, ${r.suite.methods.length} methods, ${r.suite.repeats} repeats.`);
  render();
}

/** The progress list: each problem's state, the current one's share of its budget. */
function renderProgress() {
  const r = run;
  if (!r) return;
  const list = $('suite-progress');
  const items = r.suite.problems.map((p, i) => {
    const g = r.progress[i];
    const share = g.state === 'running' ? r.currentShare() : null;
    const text = g.state === 'running' ? `running${share === null ? '' : `, ${Math.round(100 * share)}%`}`
      : g.state === 'done' ? `done${g.note ? ` (${g.note})` : ''}` : g.note ? `${g.state}: ${g.note}` : g.state;
    return el('li', { 'data-state': g.state }, el('span', { class: 'suite-problem-name' }, p.name), ` ${text}`);
  });
  list.replaceChildren(...items);
}

/**
 * Shows a suite results.json (Load results): its suite in the panel and its profiles, computed
 * again from its races. Whether the text was a suite's.
 * @param {string} text @param {string} name
 */
function loadResults(text, name) {
  /** @type {any} */
  let json;
  try { json = JSON.parse(text); } catch { return false; }
  if (!json || typeof json !== 'object' || json.suiteSchema !== 1) return false;
  const wasm = state.wasm;
  try {
    const next = readSuite(json.suite, known);
    if (!Array.isArray(json.races)) throw new Error('It has no list of races.');
    if (running()) throw new Error('A suite is running: stop it first.');
    suite = next;
    if (next.methods.length) setSelectedMethods(next.methods);
    changed();
    if (!wasm) throw new Error('The WebAssembly core did not load: the profiles cannot be computed.');
    shown = suiteResults(next, json.races, summarizer(wasm));
    run = null;
    $('suite-progress').replaceChildren(...json.races.map((/** @type {any} */ r) => el('li', { 'data-state': 'done' },
      el('span', { class: 'suite-problem-name' }, String(r.problem?.name ?? r.problem?.id ?? '?')), ' done (loaded)')));
    renderProfiles($('suite-results'), shown.profiles, next.budget, wasm);
    status('finished', `Loaded ${name}: a suite of ${json.races.length} races.`);
    render();
    $('suite').scrollIntoView({ block: 'start' });
  } catch (e) {
    showAlert({ title: `${name} cannot be shown.`, message: /** @type {Error} */ (e).message });
  }
  return true;
}

/** Makes the suite's link, or says it is too long for one. */
async function share() {
  suite.methods = selectedMethods();
  suite.settings = currentSettings();
  save();
  const fragment = await encodeSuiteLink(suite);
  const box = $('suite-link-box');
  box.hidden = false;
  if (fragment.length > MAX_LINK) {
    input('suite-link').value = '';
    setText($('suite-link-info'), `This suite needs ${fragment.length.toLocaleString('en-US')} characters, more than a link holds (${MAX_LINK.toLocaleString('en-US')}): its scripts are long. Save suite file sends it as a file.`);
    return;
  }
  const url = `${location.origin}${location.pathname}${location.search}#${fragment}`;
  input('suite-link').value = url;
  history.replaceState(null, '', `#${fragment}`);
  setText($('suite-link-info'), `${url.length.toLocaleString('en-US')} characters. Opening it puts this suite, its methods and settings in the page; the person presses Race the suite.`);
  navigator.clipboard?.writeText(url).catch(() => { /* the field has it */ });
}

/** Opens the suite link in the address bar, if there is one. */
async function openLinkInAddress() {
  if (!location.hash.startsWith(`#${LINK_PREFIX}`)) return;
  try {
    adopt(await decodeSuiteLink(location.hash.slice(1), known), 'a link');
    $('suite').scrollIntoView({ block: 'start' });
  } catch (e) {
    showAlert({ title: 'This suite link could not be opened.', message: /** @type {Error} */ (e).message });
  }
}

/** Wires the panel; restores the suite kept in this browser and opens a suite link. */
export function bindSuite() {
  buildPanel();
  try {
    const kept = storage.get(KEY);
    if (kept) suite = readSuite(JSON.parse(kept), known);
  } catch { /* a damaged suite in storage: start empty */ }
  button('suite-add-one').addEventListener('click', () => {
    const v = /** @type {HTMLSelectElement} */ ($('suite-add')).value;
    if (v === 'mine') {
      const mine = myScript();
      if (!mine) { showAlert({ kind: 'notice', title: 'There is no "My script" yet.', message: 'Write your own script in the editor first, or add the editor\'s script under a name.' }); return; }
      addScript(mine, input('suite-name').value.trim() || 'My script');
      return;
    }
    const [source, id] = v.split(':');
    const q = source === 'mgh' ? mghProblem(id) : null;
    const p = source === 'preset' ? PRESETS.find((x) => x.id === id) : null;
    if (q) add({ source: 'mgh', id: q.id, name: q.name });
    else if (p) add({ source: 'preset', id: p.id, name: p.name });
  });
  button('suite-add-mgh').addEventListener('click', () => add(...MGH.filter((q) => !q.noisy).map((q) => ({ source: /** @type {const} */ ('mgh'), id: q.id, name: q.name }))));
  button('suite-add-mgh-noisy').addEventListener('click', () => add(...MGH.filter((q) => q.noisy).map((q) => ({ source: /** @type {const} */ ('mgh'), id: q.id, name: q.name }))));
  button('suite-add-editor').addEventListener('click', () => {
    const name = input('suite-name').value.trim() || `Script ${suite.problems.length + 1}`;
    addScript(state.editor?.getText() ?? '', name);
    input('suite-name').value = '';
  });
  input('suite-add-files').addEventListener('change', async () => {
    const files = [...(input('suite-add-files').files ?? [])];
    input('suite-add-files').value = '';
    for (const f of files) addScript(await f.text(), f.name.replace(/\.(js|txt)$/i, ''));
  });
  input('suite-repeats').addEventListener('change', () => {
    const v = Math.round(Number(input('suite-repeats').value));
    suite.repeats = Number.isFinite(v) ? Math.min(20, Math.max(1, v)) : suite.repeats;
    changed();
  });
  input('suite-budget').addEventListener('change', () => {
    const v = Math.round(Number(input('suite-budget').value));
    suite.budget = Number.isFinite(v) ? Math.min(1e6, Math.max(1, v)) : suite.budget;
    changed();
  });
  input('suite-taus').addEventListener('change', () => {
    try { suite.taus = parseTaus(input('suite-taus').value); changed(); } catch (e) {
      showAlert({ title: 'Levels τ not changed.', message: /** @type {Error} */ (e).message });
    }
  });
  button('suite-run').addEventListener('click', () => { start(); });
  button('suite-stop').addEventListener('click', () => { run?.stop(); });
  button('suite-clear').addEventListener('click', () => { suite = { ...emptySuite(), repeats: suite.repeats, budget: suite.budget, taus: suite.taus }; changed(); });
  button('suite-share').addEventListener('click', () => { share(); });
  button('suite-save').addEventListener('click', () => {
    suite.methods = selectedMethods();
    suite.settings = currentSettings();
    save();
    download('suite.json', new Blob([`${JSON.stringify(suiteJson(suite), null, 1)}\n`], { type: 'application/json' }));
  });
  input('suite-open').addEventListener('change', async () => {
    const f = input('suite-open').files?.[0];
    input('suite-open').value = '';
    if (!f) return;
    try {
      const json = JSON.parse(await f.text());
      if (json?.suiteSchema === 1) { loadResults(JSON.stringify(json), f.name); return; }
      adopt(readSuite(json, known), f.name);
    } catch (e) {
      showAlert({ title: `${f.name} cannot be opened as a suite.`, message: /** @type {Error} */ (e).message });
    }
  });
  button('suite-export').addEventListener('click', () => {
    if (shown) download('suite-results.json', new Blob([JSON.stringify(shown)], { type: 'application/json' }));
  });
  button('suite-csv').addEventListener('click', () => {
    if (!shown) return;
    const data = { taus: shown.suite.taus, methods: shown.suite.methods, repeats: shown.suite.repeats, races: shown.races };
    download('suite.csv', new Blob([suiteCsv(data, shown.profiles)], { type: 'text/csv' }));
  });
  readOtherResults(loadResults);
  subscribe((what) => {
    if (what.has('methods') && !running()) renderMethods();
    if (what.has('runs') && running()) renderProgress();
    if (what.has('comparison') || what.has('runState')) render();
  });
  window.addEventListener('hashchange', () => { openLinkInAddress(); });
  render();
  if (suite.problems.length) status('idle', `Your suite from last time: ${suite.problems.length} problem${suite.problems.length === 1 ? '' : 's'}, kept in this browser.`);
  else status('idle', 'Add problems, then press Race the suite.');
  openLinkInAddress();
}
