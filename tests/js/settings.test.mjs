// The page's settings checks (www/app/settings.js) follow the core's table (www/schema.js,
// written from src/settings.rs): the bounds, the labels and the words of every message come
// from the table, so a change there changes the page with no other edit. Plain node: no browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as schema from '../../www/schema.js';
import {
  NUMBER_FIELDS, DEFAULT_VALUES, PRESET_KEYS, SETTING_PATHS, SettingsError, buildSettings, checkLayers,
  checkNumber, inputValues,
} from '../../www/app/settings.js';
import { PRESETS } from '../../www/presets.js';

const www = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../www');
const { SETTINGS } = schema;

/** @param {string} id */
const numberSetting = (id) => {
  const s = SETTINGS.find((x) => x.id === id);
  assert.ok(s && s.kind === 'number', `${id} is a number setting`);
  return s;
};

/**
 * The page's settings module loaded against a table changed by `edit`: a copy of
 * www/app/settings.js beside a schema.js that holds the changed table.
 * @param {(settings: any[]) => void} edit
 * @returns {Promise<typeof import('../../www/app/settings.js')>}
 */
async function settingsWithTable(edit) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bbp-settings-'));
  const table = structuredClone(SETTINGS);
  edit(table);
  const exports = { ...schema, SETTINGS: table };
  const text = Object.entries(exports).map(([k, v]) => `export const ${k} = ${JSON.stringify(v)};\n`).join('');
  await fs.writeFile(path.join(dir, 'schema.js'), text);
  await fs.mkdir(path.join(dir, 'app'));
  await fs.copyFile(path.join(www, 'app/settings.js'), path.join(dir, 'app/settings.js'));
  return import(pathToFileURL(path.join(dir, 'app/settings.js')).href);
}

/** The inputs of a fresh page, with some changed. @param {Record<string, string>} [changes] */
const inputs = (changes = {}) => (/** @type {string} */ id) => (id in changes ? changes[id] : DEFAULT_VALUES[id] ?? '');

test('a number outside its range is refused in the core\'s words: label, range, what was typed', () => {
  const budget = numberSetting('budget');
  assert.deepEqual(checkNumber(budget, '200000'), { value: 200000, error: null });
  assert.deepEqual(checkNumber(budget, ` ${budget.max} `), { value: budget.max, error: null });
  for (const raw of [String(budget.max + 1), '0', '2.5', '-1', 'abc', '1e99']) {
    assert.equal(checkNumber(budget, raw).error, `${budget.label} must be ${budget.rangeText}, got ${raw}.`, raw);
  }
  assert.equal(checkNumber(budget, '  ').error, `${budget.label} must be ${budget.rangeText}.`, 'blank, and a value is needed');
  assert.deepEqual(checkNumber(numberSetting('samples'), ''), { value: undefined, error: null }, 'blank optional: the script decides');
  const rate = numberSetting('learning-rate');
  assert.ok(rate.minExclusive);
  assert.equal(checkNumber(rate, String(rate.min)).error, `${rate.label} must be ${rate.rangeText}, got ${rate.min}.`, 'an exclusive minimum is refused');
  assert.equal(checkNumber(rate, '0.0001').value, 0.0001);
});

test('layers are widths separated by commas, within the table\'s limits', () => {
  const hidden = SETTINGS.find((s) => s.id === 'hidden');
  assert.ok(hidden && hidden.kind === 'layers');
  assert.deepEqual(checkLayers(hidden, '16, 8').value, [16, 8]);
  assert.deepEqual(checkLayers(hidden, '').value, [], 'no hidden layer');
  const tooMany = Array(hidden.maxLayers + 1).fill('4').join(',');
  for (const raw of [tooMany, `${hidden.maxWidth + 1}`, '0', '3.5', 'wide']) {
    assert.equal(checkLayers(hidden, raw).error, `${hidden.label} must be ${hidden.rangeText}, got ${raw}.`, raw);
  }
});

test('a changed maximum and label in the table change the check and its message, with no other edit', async () => {
  const changed = await settingsWithTable((table) => {
    const budget = table.find((s) => s.id === 'budget');
    budget.max = 5000;
    budget.label = 'Evaluations allowed';
    budget.rangeText = 'a whole number from 1 to 5000';
  });
  const spec = changed.NUMBER_FIELDS.budget;
  assert.equal(changed.checkNumber(spec, '5000').value, 5000);
  assert.equal(changed.checkNumber(spec, '5001').error, 'Evaluations allowed must be a whole number from 1 to 5000, got 5001.');
  // The whole form follows too: the first refused setting names itself in the new words.
  assert.throws(() => changed.buildSettings(inputs({ budget: '200000' })),
    (e) => e instanceof changed.SettingsError && e.id === 'budget'
      && e.message === 'Evaluations allowed must be a whole number from 1 to 5000, got 200000.');
  // The page as it is still takes that budget.
  assert.equal(buildSettings(inputs({ budget: '200000' })).budget, 200000);
});

test('a setting added to the table is read, defaulted and written back by the page', async () => {
  const changed = await settingsWithTable((table) => {
    table.push({ ...numberSetting('k'), id: 'restarts', key: 'restarts', path: 'methodSettings.restarts', label: 'Restarts', default: 2 });
  });
  assert.equal(changed.DEFAULT_VALUES.restarts, '2');
  assert.equal(changed.PRESET_KEYS.restarts, 'restarts');
  const built = changed.buildSettings((id) => changed.DEFAULT_VALUES[id] ?? '');
  assert.equal(built.methodSettings.restarts, 2);
  assert.equal(changed.inputValues(built).restarts, '2');
});

test('the defaults build the settings a run uses, and those settings put back give the same inputs', () => {
  const settings = buildSettings(inputs());
  for (const s of SETTINGS) {
    if (s.scope !== 'run' || (s.kind === 'number' && s.optional)) continue;
    const at = s.path.split('.').reduce((o, k) => o?.[k], /** @type {any} */ (settings));
    assert.deepEqual(at, s.default, s.path);
  }
  assert.equal(settings.data.csv, '', 'no CSV with generated data');
  assert.ok(!('watchdog' in settings), 'a page setting is not sent with a run');
  const back = inputValues(settings);
  for (const id of Object.keys(SETTING_PATHS)) assert.equal(back[id], DEFAULT_VALUES[id] ?? '', id);
});

test('a refused setting throws a SettingsError naming its input', () => {
  assert.throws(() => buildSettings(inputs({ 'log-points': '1' })), (e) => e instanceof SettingsError && e.id === 'log-points');
});

test('every preset names settings of the table', () => {
  for (const p of PRESETS) {
    for (const key of Object.keys(p.settings ?? {})) assert.ok(PRESET_KEYS[key], `${p.id}: "${key}" is not a setting's key`);
  }
  assert.equal(Object.keys(NUMBER_FIELDS).length, SETTINGS.filter((s) => s.kind === 'number').length);
});

test('a method\'s own learning rate is read from its box, written back, and refused in the core\'s words', () => {
  const values = { ...DEFAULT_VALUES, 'method-rate-joint': '0.002' };
  const settings = buildSettings((id) => values[id]);
  assert.deepEqual(settings.optimizer.methodRates, { joint: 0.002 });
  assert.equal(inputValues(settings)['method-rate-joint'], '0.002');
  assert.equal(inputValues(settings)['method-rate-es'], '');
  const none = buildSettings((id) => DEFAULT_VALUES[id]);
  assert.deepEqual(none.optimizer.methodRates, {}, 'blank boxes: every method takes the shared rate');
  const bad = { ...DEFAULT_VALUES, 'method-rate-es': '11' };
  assert.throws(() => buildSettings((id) => bad[id]), (e) => e instanceof SettingsError && e.id === 'method-rate-es'
    && e.message === 'Own learning rate of Evolution strategies must be greater than 0 and at most 10, got 11.');
});
