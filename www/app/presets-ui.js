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
 * Saves the script a moment after the last edit (a closure, made once at boot, holds the timer);
 * a script the person edited that is no preset's is also kept as "My script".
 * @returns {(text: string, byUser?: boolean) => void}
 */
export function scriptSaver() {
  flushTyped = () => save();
  let timer = 0;
  let mine = false;
  /** @type {string | null} */
  let pending = null;
  const save = () => {
    clearTimeout(timer);
    if (pending === null) return;
    storage.set(STORAGE.script, pending);
    if (mine && !presetFor(pending) && pending.trim()) storage.set(STORAGE.myScript, pending);
    mine = false;
    pending = null;
    $('saved-note').textContent = 'Saved in this browser.';
  };
  // Typing is saved a moment after the last key, and before the page goes away.
  window.addEventListener('pagehide', save);
  return (text, byUser = false) => {
    clearTimeout(timer);
    if (byUser) {
      mine = true;
      pending = text;
      timer = window.setTimeout(save, 300);
      return;
    }
    // A script the page put in (a preset, "My script", a link) is saved at once, after what
    // was typed before it; it is never taken for the person's own.
    save();
    pending = text;
    save();
  };
}

/** Saves at once what the person typed and the saver has not saved yet (set by scriptSaver). */
let flushTyped = () => {};

/**
 * Before the page puts a script of its own into the editor (a loaded race): saves what the
 * person typed at once, so that their own script is kept as "My script" (never lost), and
 * says whether the editor holds the person's own script (then the caller offers it back).
 */
export function keepMyScript() {
  flushTyped();
  const text = state.editor?.getText() ?? '';
  return text.trim() !== '' && !presetFor(text) && text === myScript();
}

/** The person's own script, kept in this browser, or null. */
export const myScript = () => {
  const s = storage.get(STORAGE.myScript);
  return s && s.trim() ? s : null;
};

/**
 * Keeps a script from an earlier visit, saved before "My script" existed, as the person's own.
 * @param {string | null} saved
 */
export function adoptSavedScript(saved) {
  if (saved && saved.trim() && !presetFor(saved) && !myScript()) storage.set(STORAGE.myScript, saved);
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
      message: 'Your own script stays under "My script" in the Preset menu.',
      actions: [{ label: 'Restore my script', run: () => { editor.setText(previous); } }] });
  }
}

/** Fills the menu (presets marked hidden, kept for old share links, stay out) and wires it. */
export function bindPresetMenu() {
  for (const p of PRESETS) if (!p.hidden) menu().append(el('option', { value: p.id }, p.name));
  menu().append(el('option', { value: CUSTOM }, 'My script'));
  menu().addEventListener('change', () => {
    const p = PRESETS.find((q) => q.id === menu().value);
    if (p) {
      applyPreset(p);
      return;
    }
    // "My script": the person's own script back, exactly as last edited.
    const mine = myScript();
    const editor = state.editor;
    if (mine && editor && editor.getText() !== mine) {
      editor.setText(mine);
      storage.set(STORAGE.script, mine);
    }
    menu().value = presetFor(state.editor?.getText() ?? '')?.id ?? CUSTOM;
  });
}
