// The preset menu and the story beside the editor: picking a preset loads its script, its
// methods and its settings; editing the script shows which preset it is (or "Custom script").
import { PRESETS } from '../presets.js';
import { $, el, field, storage, STORAGE } from './dom.js';
import { setSelectedMethods } from './methods.js';
import { PRESET_KEYS } from './settings.js';
import { resetInputs, saveSettings } from './settings-form.js';
import { state } from './state.js';
import { showAlert } from './status.js';

/** @typedef {(typeof PRESETS)[number]} Preset */

const CUSTOM = 'custom';
const menu = () => /** @type {HTMLSelectElement} */ ($('preset'));

/**
 * The preset whose script this is exactly, or null.
 * @param {string} script
 * @returns {Preset | null}
 */
export function presetFor(script) {
  return PRESETS.find((p) => p.script === script) ?? null;
}

/** @param {Preset | null} preset */
function renderStory(preset) {
  const box = $('story');
  if (!preset) {
    box.replaceChildren(el('p', {}, 'Your own script. Presets show the format: F, thetaTrue, dF and problem.'));
    return;
  }
  box.replaceChildren(el('p', {}, preset.story), el('p', { class: 'win' }, el('strong', {}, 'Who should win: '), preset.winners));
}

/**
 * The menu and the story follow the script: its preset, or "Custom script".
 * @param {string} script
 */
export function showPresetOf(script) {
  const p = presetFor(script);
  menu().value = p && !p.hidden ? p.id : CUSTOM;
  const story = p ? p.id : CUSTOM;
  if (menu().dataset.story !== story) {
    renderStory(p);
    menu().dataset.story = story;
  }
}

/**
 * Saves the script a moment after the last edit (a closure, made once at boot, holds the timer).
 * @returns {(text: string) => void}
 */
export function scriptSaver() {
  let timer = 0;
  return (text) => {
    clearTimeout(timer);
    timer = window.setTimeout(() => {
      storage.set(STORAGE.script, text);
      $('saved-note').textContent = 'Saved in this browser.';
    }, 300);
  };
}

/**
 * Loads a preset: its script, and (unless `methods` is false) its methods and settings, the
 * rest at their defaults. A script of the user's own that it replaces can be brought back.
 * @param {Preset} preset
 * @param {{methods?: boolean}} [options]
 */
export function applyPreset(preset, { methods = true } = {}) {
  const editor = state.editor;
  if (!editor) return;
  const previous = editor.getText();
  const wasCustom = !presetFor(previous) && previous.trim() !== '';
  editor.setText(preset.script);
  showPresetOf(preset.script);
  menu().value = preset.id;
  if (methods) {
    setSelectedMethods(preset.methods);
    resetInputs();
    for (const [k, v] of Object.entries(preset.settings ?? {})) {
      const id = PRESET_KEYS[k];
      if (id && document.getElementById(id)) field(id).value = String(v);
    }
    saveSettings();
  }
  if (wasCustom) {
    showAlert({ kind: 'notice', title: `Loaded the preset "${preset.name}".`,
      message: 'Your own script was replaced; it can be brought back.',
      actions: [{ label: 'Restore my script', run: () => { editor.setText(previous); } }] });
  }
}

/** Fills the menu (presets marked hidden, kept for old share links, stay out) and wires it. */
export function bindPresetMenu() {
  for (const p of PRESETS) if (!p.hidden) menu().append(el('option', { value: p.id }, p.name));
  menu().append(el('option', { value: CUSTOM }, 'Custom script'));
  menu().addEventListener('change', () => {
    const p = PRESETS.find((q) => q.id === menu().value);
    if (p) applyPreset(p);
    else menu().value = presetFor(state.editor?.getText() ?? '')?.id ?? CUSTOM;
  });
}
