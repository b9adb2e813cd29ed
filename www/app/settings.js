// The page's settings, read from the table the core writes (www/schema.js, from
// src/settings.rs): which input holds which setting, the defaults, and the checks, with the
// core's own words. Pure: no DOM, so node's tests and the benchmark use it as the page does.
import { SETTINGS, CHARTS, METHODS } from '../schema.js';

/** @typedef {import('../schema-types.js').SettingSpec} SettingSpec */
/** @typedef {import('../schema-types.js').NumberSetting} NumberSetting */
/** @typedef {import('../schema-types.js').LayersSetting} LayersSetting */
/** @typedef {import('../schema-types.js').PerMethodSetting} PerMethodSetting */
/** What an input holds: its text, or for a checkbox whether it is ticked. @typedef {string | boolean} InputValue */

/** A setting the page refuses; `id` is the input to mark (null: none). */
export class SettingsError extends Error {
  /** @param {string | null} id @param {string} message */
  constructor(id, message) {
    super(message);
    this.id = id;
  }
}

/** Every setting by its input id. @type {Readonly<Record<string, SettingSpec>>} */
export const SETTING_BY_ID = Object.freeze(Object.fromEntries(SETTINGS.map((s) => [s.id, s])));

/** The number settings by input id. @type {Readonly<Record<string, NumberSetting>>} */
export const NUMBER_FIELDS = Object.freeze(Object.fromEntries(
  SETTINGS.flatMap((s) => (s.kind === 'number' ? [[s.id, s]] : []))));

/** The per-method settings (a method's own learning rate). @type {readonly PerMethodSetting[]} */
export const PER_METHOD = Object.freeze(SETTINGS.flatMap((s) => (s.kind === 'perMethod' ? [s] : [])));

/**
 * The input of a per-method setting for one method, and what its messages call it: a number
 * setting of the same range, labelled "<label> of <method label>" as the core words it.
 * @param {PerMethodSetting} spec
 * @param {{name: string, label: string}} method
 * @returns {NumberSetting}
 */
export function perMethodField(spec, method) {
  const label = `${spec.label} of ${method.label}`;
  return {
    ...spec, kind: 'number', default: NaN, optional: true, id: `${spec.id}-${method.name}`, label,
    rangeText: spec.rangeText.replace(/^for each method blank or /, ''),
  };
}

/** Every per-method input: [spec, method, the input's own spec]. */
const PER_METHOD_FIELDS = PER_METHOD.flatMap((spec) => METHODS.map((m) => ({ spec, method: m.name, field: perMethodField(spec, m) })));

/** The pasted CSV data: sent with the settings, though not a setting of the table. */
const CSV_INPUT = 'csv';

/**
 * Where each input's value sits in the run settings (readSettings() and applySettings() go
 * through it, one the inverse of the other). Page settings (the watchdog) are not in it.
 * @type {Readonly<Record<string, string>>}
 */
export const SETTING_PATHS = Object.freeze(Object.fromEntries([
  ...SETTINGS.filter((s) => s.scope === 'run' && s.kind !== 'perMethod').map((s) => [s.id, s.path]),
  [CSV_INPUT, 'data.csv'],
]));

/** Presets name settings by key (the last part of the path); this maps a key to its input id. */
export const PRESET_KEYS = Object.freeze(Object.fromEntries(SETTINGS.map((s) => [s.key, s.id])));

/** The checkbox that shows or hides a chart. @param {string} chart */
export const chartToggle = (chart) => `show-${chart}`;

/**
 * What each kept input holds by default: the table's default (blank for an optional number:
 * the script decides), and every chart shown.
 * @type {Readonly<Record<string, InputValue>>}
 */
export const DEFAULT_VALUES = Object.freeze(Object.fromEntries([
  ...SETTINGS.filter((s) => s.kind !== 'perMethod').map((s) => [s.id, inputText(s)]),
  ...PER_METHOD_FIELDS.map((f) => [f.field.id, '']),
  ...CHARTS.map((c) => [chartToggle(c), true]),
]));

/** The inputs the page keeps in local storage and Restore defaults resets. */
export const PERSISTED_INPUTS = Object.freeze(Object.keys(DEFAULT_VALUES));

/**
 * A setting's default as its input holds it.
 * @param {SettingSpec} s
 * @returns {InputValue}
 */
function inputText(s) {
  switch (s.kind) {
    case 'number': return s.optional ? '' : String(s.default);
    case 'layers': return s.default.join(',');
    case 'choice': return s.default;
    case 'flag': return s.default;
    case 'perMethod': return '';
    default: throw new Error(`unknown kind of setting: ${JSON.stringify(s)}`);
  }
}

/**
 * @template T
 * @typedef {{value: T, error: null} | {value: undefined, error: string}} Checked
 */

/** @param {string} error @returns {{value: undefined, error: string}} */
const refused = (error) => ({ value: undefined, error });

/**
 * Whether `v` is inside the setting's range, as the core decides (`Setting::accepts_number`).
 * @param {NumberSetting} spec
 * @param {number} v
 */
export function acceptsNumber(spec, v) {
  return Number.isFinite(v)
    && (v > spec.min || (!spec.minExclusive && v === spec.min))
    && v <= spec.max
    && (!spec.int || Number.isInteger(v));
}

/**
 * The page's check of a number field: the value (undefined for a blank optional field), or
 * the message, worded as the core words it: "<label> must be <range>, got <text>."; for a
 * blank field that needs a value, "<label> must be <range>."
 * @param {NumberSetting} spec
 * @param {string} raw the field's text
 * @returns {Checked<number | undefined>}
 */
export function checkNumber(spec, raw) {
  const text = raw.trim();
  if (text === '') return spec.optional ? { value: undefined, error: null } : refused(`${spec.label} must be ${spec.rangeText}.`);
  const v = Number(text);
  return acceptsNumber(spec, v) ? { value: v, error: null } : refused(`${spec.label} must be ${spec.rangeText}, got ${text}.`);
}

/**
 * The page's check of a layers field ("32,32"; blank: no hidden layer), worded as checkNumber.
 * @param {LayersSetting} spec
 * @param {string} raw
 * @returns {Checked<number[]>}
 */
export function checkLayers(spec, raw) {
  const text = raw.trim();
  if (text === '') return { value: [], error: null };
  const widths = text.split(/[\s,;]+/).filter(Boolean).map(Number);
  const ok = widths.length <= spec.maxLayers && widths.every((w) => Number.isInteger(w) && w >= 1 && w <= spec.maxWidth);
  return ok ? { value: widths, error: null } : refused(`${spec.label} must be ${spec.rangeText}, got ${text}.`);
}

/**
 * One setting's value from its input, checked; throws a SettingsError naming the input.
 * @param {SettingSpec} spec
 * @param {InputValue} raw
 * @returns {unknown} undefined for a blank optional number
 */
export function settingValue(spec, raw) {
  if (spec.kind === 'flag') return Boolean(raw);
  const text = String(raw);
  if (spec.kind === 'choice') return text;
  if (spec.kind === 'perMethod') throw new Error(`${spec.id} is read per method (perMethodField)`);
  const { value, error } = spec.kind === 'number' ? checkNumber(spec, text) : checkLayers(spec, text);
  if (error !== null) throw new SettingsError(spec.id, error);
  return value;
}

/**
 * The run settings (RunConfig without the method) from what the inputs hold, in the table's
 * order; the first refused setting throws a SettingsError. A blank optional number is left out.
 * @param {(id: string) => InputValue} read  an input's value by id
 * @returns {Record<string, any>}
 */
export function buildSettings(read) {
  /** @type {Record<string, any>} */
  const out = {};
  for (const [id, path] of Object.entries(SETTING_PATHS)) {
    const spec = SETTING_BY_ID[id];
    const value = spec ? settingValue(spec, read(id)) : read(id);
    if (value !== undefined) setPath(out, path, value);
  }
  for (const spec of PER_METHOD) {
    /** @type {Record<string, number>} */
    const byMethod = {};
    for (const f of PER_METHOD_FIELDS.filter((f) => f.spec === spec)) {
      const v = settingValue(f.field, read(f.field.id));
      if (typeof v === 'number') byMethod[f.method] = v;
    }
    setPath(out, spec.path, byMethod);
  }
  if (out.data?.source !== 'csv') out.data.csv = '';
  return out;
}

/**
 * The input values that give `settings` back through buildSettings (a missing value: blank).
 * @param {Record<string, any>} settings
 * @returns {Record<string, InputValue>}
 */
export function inputValues(settings) {
  return Object.fromEntries([
    ...Object.entries(SETTING_PATHS).map(([id, path]) => {
      const v = getPath(settings, path);
      if (SETTING_BY_ID[id]?.kind === 'flag') return [id, Boolean(v)];
      return [id, v === undefined || v === null ? '' : (Array.isArray(v) ? v.join(',') : String(v))];
    }),
    ...PER_METHOD_FIELDS.map((f) => {
      const v = /** @type {Record<string, unknown> | undefined} */ (getPath(settings, f.spec.path))?.[f.method];
      return [f.field.id, typeof v === 'number' ? String(v) : ''];
    }),
  ]);
}

/**
 * @param {Record<string, any>} obj
 * @param {string} path
 * @returns {unknown}
 */
export function getPath(obj, path) {
  return path.split('.').reduce((o, k) => (o === null || o === undefined ? undefined : o[k]), /** @type {any} */ (obj));
}

/**
 * @param {Record<string, any>} obj
 * @param {string} path
 * @param {unknown} value
 */
function setPath(obj, path, value) {
  const keys = path.split('.');
  const last = /** @type {string} */ (keys.pop());
  let o = obj;
  for (const k of keys) o = (o[k] ??= {});
  o[last] = value;
}
