// The gradient methods: their facts from the core's table (www/schema.js, `Method::info` in
// src/config.rs), one colour each (the page's own choice), the checkboxes that pick them and
// the cards that explain them.
import { METHODS as METHOD_SPECS } from '../schema.js';
import { PER_METHOD, perMethodField } from './settings.js';
import { $, el, input, storage, STORAGE } from './dom.js';
import { touch } from './state.js';

/** One colour per method, used in every chart, legend and table row. */
const COLORS = Object.freeze({
  central: '#2563eb', forward: '#0891b2', spsa: '#ea580c', es: '#16a34a',
  surrogate: '#9333ea', joint: '#dc2626', 'guided-es': '#a16207', 'cv-es': '#db2777', exact: '#64748b',
});
const FALLBACK_COLOR = '#5d6374';

/** @typedef {import('../schema-types.js').MethodSpec & {color: string}} Method */

/** Every method, in the core's order, with its colour. @type {readonly Method[]} */
export const METHODS = Object.freeze(METHOD_SPECS.map((m) => Object.freeze({
  ...m, color: /** @type {Record<string, string>} */ (COLORS)[m.name] ?? FALLBACK_COLOR,
})));

/** The methods by name. @type {Readonly<Record<string, Method>>} */
export const METHOD = Object.freeze(Object.fromEntries(METHODS.map((m) => [m.name, m])));

/** What a new page (and Restore defaults) selects: a race of three families, so the first
 * Run shows what the playground is for (Analytic gradient joins when the script has dF:
 * markMethodAvailability). */
export const DEFAULT_METHODS = Object.freeze(['central', 'spsa', 'joint', 'exact']);

/** The default methods for a script: Analytic gradient only when it has dF. @param {string} script */
export const defaultMethodsFor = (script) => DEFAULT_METHODS.filter((m) => m !== 'exact' || scriptHas(script, 'dF'));

const checkbox = (/** @type {string} */ name) => input(`m-${name}`);

/** Fills the method list (a checkbox each) and the explanation cards. */
export function renderMethods() {
  for (const m of METHODS) {
    const id = `m-${m.name}`;
    $('method-list').append(el('li', { 'data-method': m.name },
      el('input', { type: 'checkbox', id, value: m.name, 'aria-describedby': `${id}-cost` }),
      el('span', { class: 'swatch', style: `--c:${m.color}`, 'aria-hidden': 'true' }),
      el('label', { for: id }, m.label),
      el('span', { class: 'cost', id: `${id}-cost`, title: 'F-evaluations per sample per step' }, m.cost),
      // A method's own learning rate (blank: the shared one); the settings form sets its
      // label, range and help from the table.
      ...PER_METHOD.map((s) => el('input', {
        id: perMethodField(s, m).id, class: 'own-rate', type: 'number', step: 'any',
        placeholder: 'shared rate', autocomplete: 'off',
      }))));
    $('explain-cards').append(el('article', { class: 'card', style: `--c:${m.color}` },
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
 * The analytic gradient needs the script's dF: without it the method is greyed and says so.
 * @param {string} script
 */
export function markMethodAvailability(script) {
  const hasDf = scriptHas(script, 'dF');
  $('method-list').querySelector('[data-method="exact"]')?.classList.toggle('unavailable', !hasDf);
  $('m-exact-cost').textContent = hasDf ? METHOD.exact.cost : 'needs dF';
}
