// Types of www/schema.js, the table the Rust core writes (`cargo run --release --bin schema`,
// from src/settings.rs and src/config.rs). Types only: nothing here runs. The page reads its
// fields, labels, defaults, ranges and help, and the methods' facts, from that table.

/**
 * What every setting has.
 * @typedef {object} SettingBase
 * @property {string} path    where the value sits in the run settings, e.g. "optimizer.learningRate"
 * @property {string} key     the last part of the path: the key presets and links use
 * @property {string} id      the page's input id
 * @property {string} label   the label people see, also in every message about the setting
 * @property {string} unit    unit of the value ("" when none)
 * @property {string} help    one line of help
 * @property {'run'|'page'} scope  part of every run's settings, or a setting of the page only
 * @property {string} rangeText  the range in words, as every message says it
 */

/**
 * A number in [min, max] ((min, max] when minExclusive), whole when int. An optional one may
 * be left blank, and then the script's `problem` decides.
 * @typedef {SettingBase & {kind: 'number', default: number, min: number, max: number,
 *   minExclusive: boolean, int: boolean, optional: boolean}} NumberSetting
 */

/**
 * Hidden-layer widths, written "32,32" on the page.
 * @typedef {SettingBase & {kind: 'layers', default: number[], maxLayers: number, maxWidth: number}} LayersSetting
 */

/**
 * One of a list of values.
 * @typedef {SettingBase & {kind: 'choice', default: string, options: {value: string, label: string}[]}} ChoiceSetting
 */

/**
 * A checkbox.
 * @typedef {SettingBase & {kind: 'flag', default: boolean}} FlagSetting
 */

/**
 * A number per method, each optional (blank: the method uses the shared setting): an object
 * from method name to number in the run settings. Its range is that of each number.
 * @typedef {SettingBase & {kind: 'perMethod', default: Record<string, number>, min: number, max: number,
 *   minExclusive: boolean, int: boolean, optional: boolean}} PerMethodSetting
 */

/** @typedef {NumberSetting | LayersSetting | ChoiceSetting | FlagSetting | PerMethodSetting} SettingSpec */

/**
 * One gradient method (src/config.rs, `Method::info`).
 * @typedef {object} MethodSpec
 * @property {string} name      the name used in configs, links and exported results
 * @property {string} label     the label in the page
 * @property {string} cost      F-evaluations per sample per step
 * @property {string} formula
 * @property {string} idea      what it does, in a sentence or two
 * @property {string[]} settings  paths of the settings it uses
 * @property {string} colour    its colour in every chart, legend and table row
 * @property {boolean} needsDf  runs only when the script has dF
 * @property {boolean} sweep    its `done` carries the finite-difference step-size sweep
 * @property {boolean} firstVisit  ticked on a first visit and by Restore defaults
 */

export {};
