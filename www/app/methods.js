// The gradient methods: their facts from the core's table (www/schema.js, the method registry
// in src/methods/registry.rs: label, cost, formula, colour, whether it needs dF, whether a new
// page ticks it), the checkboxes that pick them and the cards that explain them.
import { METHODS as METHOD_SPECS } from '../schema.js';
import { PER_METHOD, perMethodField } from './settings.js';
import { $, el, input, storage, STORAGE } from './dom.js';
import { touch } from './state.js';

/** @typedef {import('../schema-types.js').MethodSpec} Method */

/** Every method, in the core's order (`colour`: its colour in every chart, legend and table
 * row). @type {readonly Method[]} */
export const METHODS = Object.freeze(METHOD_SPECS.map((m) => Object.freeze({ ...m })));

/** The methods by name. @type {Readonly<Record<string, Method>>} */
export const METHOD = Object.freeze(Object.fromEntries(METHODS.map((m) => [m.name, m])));

/** What a new page (and Restore defaults) selects for a script: the methods the core marks
 * `firstVisit` (a race of three families, so the first Run shows what the playground is for),
 * less those that need dF when the script has none (markMethodAvailability). @param {string} script */
export const defaultMethodsFor = (script) => {
  const hasDf = scriptHas(script, 'dF');
  return METHODS.filter((m) => m.firstVisit && (hasDf || !m.needsDf)).map((m) => m.name);
};

const checkbox = (/** @type {string} */ name) => input(`m-${name}`);

/** Fills the method list (a checkbox each) and the explanation cards. */
export function renderMethods() {
  for (const m of METHODS) {
    const id = `m-${m.name}`;
    $('method-list').append(el('li', { 'data-method': m.name },
      el('input', { type: 'checkbox', id, value: m.name, 'aria-describedby': `${id}-cost` }),
      el('span', { class: 'swatch', style: `--c:${m.colour}`, 'aria-hidden': 'true' }),
      el('label', { for: id }, m.label),
      el('span', { class: 'cost', id: `${id}-cost`, title: 'F-evaluations per sample per step' }, m.cost),
      // A method's own learning rate (blank: the shared one); the settings form sets its
      // label, range and help from the table.
      ...PER_METHOD.map((s) => el('input', {
        id: perMethodField(s, m).id, class: 'own-rate', type: 'number', step: 'any',
        placeholder: 'shared rate', autocomplete: 'off',
      }))));
    $('explain-cards').append(el('article', { class: 'card', style: `--c:${m.colour}` },
      el('h3', {}, m.label, ' ', el('code', {}, m.name)),
      el('div', { class: 'formula' }, m.formula),
      el('p', { class: 'cost' }, `Cost per sample per step: ${m.cost} F-evaluations`),
      el('p', {}, m.idea)));
  }
  $('method-list').addEventListener('change', () => {
    storage.set(STORAGE.methods, JSON.stringify(selectedMethods()));
    touch('methods');
  });
}

/** The names of the ticked methods, in the core's order. */
export function selectedMethods() {
  return METHODS.filter((m) => checkbox(m.name).checked).map((m) => m.name);
}

/**
 * Ticks exactly these methods (and remembers the choice).
 * @param {readonly string[]} names
 */
export function setSelectedMethods(names) {
  for (const m of METHODS) checkbox(m.name).checked = names.includes(m.name);
  storage.set(STORAGE.methods, JSON.stringify(selectedMethods()));
  touch('methods');
}

/** The methods selected last time (from local storage), else the defaults for `script`. @param {string} script */
export function restoreSelectedMethods(script) {
  try {
    const saved = JSON.parse(storage.get(STORAGE.methods) ?? 'null');
    setSelectedMethods(Array.isArray(saved) && saved.length ? saved : defaultMethodsFor(script));
  } catch { setSelectedMethods(defaultMethodsFor(script)); }
}

/**
 * Whether the script defines `name` as a function or a const/let/var. A quick look at the
 * text: the page cannot compile the script (its CSP forbids eval).
 * @param {string} script
 * @param {string} name
 */
export function scriptHas(script, name) {
  return new RegExp(`(^|[^.\\w$])(function\\s*\\*?\\s*${name}\\s*\\(|(const|let|var)\\s+${name}\\s*=)`, 'm').test(script);
}

/**
 * A method that needs the script's dF (the analytic gradient) is greyed without it and says so.
 * @param {string} script
 */
export function markMethodAvailability(script) {
  const hasDf = scriptHas(script, 'dF');
  for (const m of METHODS.filter((m) => m.needsDf)) {
    $('method-list').querySelector(`[data-method="${m.name}"]`)?.classList.toggle('unavailable', !hasDf);
    $(`m-${m.name}-cost`).textContent = hasDf ? m.cost : 'needs dF';
  }
}
