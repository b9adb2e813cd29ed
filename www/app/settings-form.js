// The settings' inputs on the page: made ready from the table at boot (labels, defaults,
// ranges, help, choices), read into the run settings and written back from a link's,
// kept in local storage, reset to their defaults.
import { SETTINGS, CHARTS } from '../schema.js';
import { $, el, field, input, storage, STORAGE } from './dom.js';
import {
  SettingsError, SETTING_BY_ID, DEFAULT_VALUES, PERSISTED_INPUTS, buildSettings,
  inputValues, settingValue, chartToggle, perMethodField, SETTING_PATHS, getPath,
} from './settings.js';
import { METHODS } from './methods.js';
import { fmtCount } from './format.js';
import { state, touch } from './state.js';
import { showAlert } from './status.js';

/** @typedef {import('./settings.js').InputValue} InputValue */
/** @typedef {import('../schema-types.js').SettingSpec} SettingSpec */

/**
 * The field of a setting that index.html has no input for (one the core added): a label, the
 * input and a help line, as index.html writes its own.
 * @param {SettingSpec} spec
 */
function makeField(spec) {
  const { id } = spec;
  const help = el('small', { id: `${id}-help` });
  const described = { id, 'aria-describedby': help.id };
  if (spec.kind === 'flag') {
    return el('div', { class: 'field check' }, el('input', { ...described, type: 'checkbox' }), el('label', { for: id }), help);
  }
  const control = spec.kind === 'choice' ? el('select', described) : el('input', {
    ...described,
    type: spec.kind === 'number' ? 'number' : 'text',
    step: spec.kind === 'number' ? (spec.int ? '1' : 'any') : null,
    placeholder: spec.kind === 'number' && spec.optional ? 'from script' : null,
    autocomplete: 'off',
    spellcheck: 'false',
  });
  return el('div', { class: 'field' }, el('label', { for: id }), control, help);
}

/**
 * Puts the table into the page: each setting's input gets its default, its range (min, max),
 * its choices, and its help (in the help line under it where the page has one, else as the
 * input's title). A label left empty in index.html gets the table's label; a label with text
 * keeps it (the page may say more than the table). A setting index.html has no input for gets
 * a field after the one of the setting before it in the table.
 */
export function prepareSettingsForm() {
  /** @type {Element | null} */
  let previous = null;
  for (const spec of SETTINGS) {
    if (spec.kind === 'perMethod') {
      // Its inputs sit beside each method's name (renderMethods makes them).
      for (const m of METHODS) {
        const own = perMethodField(spec, m);
        const box = field(own.id);
        box.setAttribute('aria-label', own.label);
        // Short enough to read whole in the narrow box beside the method's name.
        box.setAttribute('placeholder', 'shared');
        box.setAttribute('min', String(own.min));
        box.setAttribute('max', String(own.max));
        box.title = `${own.label}: ${spec.help}`;
      }
      continue;
    }
    if (!document.getElementById(spec.id)) {
      if (!previous) throw new Error(`index.html has no input for the first setting, ${spec.id}`);
      previous.after(makeField(spec));
    }
    const input = field(spec.id);
    previous = input.closest('.field') ?? input;
    const label = document.querySelector(`label[for="${spec.id}"]`);
    if (label && !label.textContent?.trim()) label.textContent = spec.label;
    if (spec.kind === 'number') {
      input.setAttribute('min', String(spec.min));
      input.setAttribute('max', String(spec.max));
    }
    if (spec.kind === 'choice' && input instanceof HTMLSelectElement && input.options.length === 0) {
      input.append(...spec.options.map((o) => el('option', { value: o.value }, o.label)));
    }
    const help = document.getElementById(`${spec.id}-help`);
    if (help) help.textContent = spec.help;
    else input.title = spec.help;
  }
  writeInputs(DEFAULT_VALUES);
}

/**
 * What an input holds.
 * @param {string} id
 * @returns {InputValue}
 */
function readInput(id) {
  const input = field(id);
  return input instanceof HTMLInputElement && input.type === 'checkbox' ? input.checked : input.value;
}

/**
 * Puts values into inputs (and takes away their marks as refused).
 * @param {Readonly<Record<string, InputValue>>} values by input id
 */
function writeInputs(values) {
  for (const [id, v] of Object.entries(values)) {
    const input = field(id);
    if (input instanceof HTMLInputElement && input.type === 'checkbox') input.checked = Boolean(v);
    else input.value = String(v);
    input.removeAttribute('aria-invalid');
  }
}

/**
 * What is wrong with pasted CSV data (the core's reader, `problem::read_csv`), or null.
 * Without the page's wasm this early check is skipped: the run's own check still reports.
 * @param {string} text
 */
export function checkCsv(text) {
  return state.wasm ? state.wasm.checkCsv(text) || null : null;
}

/** Marks the input a SettingsError names, and opens the settings group that holds it. */
export function markInvalid(/** @type {string | null} */ id) {
  const input = id && document.getElementById(id);
  if (!input) return;
  input.setAttribute('aria-invalid', 'true');
  const group = input.closest('details');
  if (group) group.open = true;
}

/** The run settings the inputs hold, checked; throws a SettingsError for the first refused one. */
export function readSettings() {
  for (const input of document.querySelectorAll('[aria-invalid="true"]')) input.removeAttribute('aria-invalid');
  $('csv-error').hidden = true;
  if (readInput('data-source') === 'csv') {
    const problem = checkCsv(String(readInput('csv')));
    if (problem) throw new SettingsError('csv', problem);
  }
  return buildSettings(readInput);
}

/**
 * A setting of the page itself (not sent with a run), checked like the others.
 * @param {string} id
 */
export function readPageSetting(id) {
  return settingValue(SETTING_BY_ID[id], readInput(id));
}

/**
 * Puts run settings (a link's) into the inputs: the inverse of readSettings. With
 * `missingAsDefault`, a setting they do not hold (an older results.json's) gets its default
 * rather than a blank input.
 * @param {Record<string, any>} settings
 * @param {{missingAsDefault?: boolean}} [options]
 */
export function applySettings(settings, { missingAsDefault = false } = {}) {
  const values = inputValues(settings);
  if (missingAsDefault) {
    for (const [id, path] of Object.entries(SETTING_PATHS)) {
      if (getPath(settings, path) === undefined && id in DEFAULT_VALUES) values[id] = DEFAULT_VALUES[id];
    }
  }
  writeInputs(values);
}

export function saveSettings() {
  storage.set(STORAGE.settings, JSON.stringify(Object.fromEntries(PERSISTED_INPUTS.map((id) => [id, readInput(id)]))));
}

export function loadSettings() {
  try {
    const values = JSON.parse(storage.get(STORAGE.settings) ?? 'null');
    if (!values) return;
    writeInputs(Object.fromEntries(PERSISTED_INPUTS.filter((id) => id in values).map((id) => [id, values[id]])));
  } catch { /* ignore a corrupt entry */ }
}

/** Every kept input back to its default; the page's sections follow (syncForm). */
export function resetInputs() {
  writeInputs(DEFAULT_VALUES);
  syncForm();
  saveSettings();
  touch('edited');
}

/** The ids of the charts ticked to show. */
export const shownCharts = () => CHARTS.filter((c) => readInput(chartToggle(c)) === true);

/**
 * Shows or hides the charts as ticked, and sets each chart's tick.
 * @param {string[]} [charts] the charts to tick (default: leave the ticks)
 */
export function syncCharts(charts) {
  for (const c of CHARTS) {
    const toggle = field(chartToggle(c));
    if (charts && toggle instanceof HTMLInputElement) toggle.checked = charts.includes(c);
    $(`chart-${c}`).closest('figure')?.classList.toggle('chart-off', readInput(chartToggle(c)) !== true);
  }
  touch('layout');
}

/** The CSV box shows for CSV data only. */
export function syncDataSource() {
  $('csv-box').hidden = readInput('data-source') !== 'csv';
}

/** The page's sections that follow inputs: the CSV box and the charts shown. */
export function syncForm() {
  syncDataSource();
  syncCharts();
}

/** Saves every kept input when it changes (and takes away its mark as refused). */
export function bindSettingsForm() {
  for (const id of PERSISTED_INPUTS) {
    field(id).addEventListener('change', () => { field(id).removeAttribute('aria-invalid'); saveSettings(); });
  }
  for (const c of CHARTS) field(chartToggle(c)).addEventListener('change', () => syncCharts());
  field('data-source').addEventListener('change', syncDataSource);
  const file = input('csv-file');
  file.addEventListener('change', async () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    if (chosen.size > CSV_FILE_MAX) {
      showAlert({ title: 'That CSV file is too large.', message: `It has ${fmtCount(chosen.size)} bytes; the limit is 20 MB.` });
      return;
    }
    field('csv').value = await chosen.text();
    const problem = checkCsv(field('csv').value);
    if (problem) showAlert({ title: 'The CSV file has a problem.', message: problem });
  });
}

const CSV_FILE_MAX = 20e6; // bytes
