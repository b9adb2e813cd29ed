// Share links. The whole state goes into the URL fragment, written and read by the wasm core
// (src/share.rs): `#v1.` + base64url(zlib(JSON)), then `&embed` in embed mode. A script equal
// to a built-in preset travels as the preset's id (preset texts are frozen:
// tests/golden/preset-hashes.json). Code from a link never runs by itself: a script that is
// not a preset is shown with a notice and waits for Run.
import { PRESETS, DEFAULT_PRESET } from '../presets.js';
import { idleText, reset } from './comparison.js';
import { $, input } from './dom.js';
import { selectedMethods, setSelectedMethods } from './methods.js';
import { presetFor } from './presets-ui.js';
import { SettingsError } from './settings.js';
import {
  applySettings, markInvalid, readSettings, saveSettings, shownCharts, syncCharts, syncDataSource,
} from './settings-form.js';
import { state, set, subscribe, touch } from './state.js';
import { setStatus, showAlert } from './status.js';

/** A fragment that is a share link (others, like #editor-panel, are not). */
const LINK_RE = /^#?v\d+\./;

/**
 * Whether a fragment looks like a share link: one, also with spaces or `%20` a mail program
 * put in, or clearly the data of one (long and base64-like: a link whose beginning was cut
 * off), which the core's reader then explains.
 * @param {string} hash
 */
function looksLikeLink(hash) {
  const squeezed = hash.replace(/%20|\s/g, '');
  return LINK_RE.test(squeezed) || /^#?[A-Za-z0-9_\-.+/%=]{24,}$/.test(squeezed);
}

/** Whether a fragment names an element of the page (#editor-panel: the skip link's). @param {string} hash */
function isElementId(hash) {
  const id = hash.replace(/^#/, '');
  let decoded = id;
  try { decoded = decodeURIComponent(id); } catch { /* not percent-encoded text: as it is */ }
  return document.getElementById(id) !== null || document.getElementById(decoded) !== null;
}

/**
 * Whether a fragment is for the link reader: anything but nothing and an element's id. A
 * link whose text a chat program mangled (#!!abc%%) is still a link, a damaged one, and is
 * said to be.
 * @param {string} hash
 */
export function isLinkFragment(hash) {
  if (/^#?suite\./.test(hash)) return false; // a suite's link: suite-ui.js opens it
  return looksLikeLink(hash) || (hash.replace(/^#/, '') !== '' && !isElementId(hash));
}

/** What the core says of a link whose characters were changed (src/share/codec.rs), said
 * too of a fragment that is neither a link nor an element's id. */
const DAMAGED = 'This share link could not be read: it is damaged (characters were changed).';

/**
 * The state a link carries, as the core's codec reads it.
 * @typedef {object} LinkState
 * @property {string | null} script   null when `preset` names it
 * @property {string | null} preset
 * @property {string[]} methods
 * @property {Record<string, any>} settings  readSettings() as a run would use them
 * @property {string[]} charts        the charts shown
 * @property {boolean} embed
 */

/** @returns {LinkState} */
function gatherState() {
  const script = state.editor?.getText() ?? '';
  const preset = presetFor(script);
  return {
    script: preset ? null : script, preset: preset ? preset.id : null, methods: selectedMethods(),
    settings: readSettings(), charts: shownCharts(), embed: input('share-embed').checked,
  };
}

/**
 * JSON with object keys sorted: equal values give equal text.
 * @param {unknown} v
 */
function canonicalJson(v) {
  return JSON.stringify(v, (k, x) => (x && typeof x === 'object' && !Array.isArray(x)
    ? Object.fromEntries(Object.keys(x).sort().map((q) => [q, x[q]])) : x));
}

/**
 * Puts text on the clipboard; `done(true)` when it got there, `done(false)` when not.
 * @param {string} text @param {(ok: boolean) => void} done
 */
function copy(text, done) {
  try {
    navigator.clipboard.writeText(text).then(() => done(true), () => done(false));
  } catch { done(false); }
}

const COPY_BY_HAND = 'Select the link and copy it (Ctrl+C).';

/** Makes a link to what the page shows: in the address bar, on the clipboard, in the share box. */
function shareLink() {
  const wasm = state.wasm;
  if (!wasm || state.linkPending) return;
  let linkState;
  let fragment;
  try {
    linkState = gatherState();
    fragment = wasm.encodeState(JSON.stringify(linkState));
  } catch (e) {
    if (e instanceof SettingsError) markInvalid(e.id);
    showAlert({ title: 'The link could not be made.', message: String(/** @type {Error} */ (e)?.message ?? e) });
    return;
  }
  set({ sharedFragment: fragment });
  history.replaceState(null, '', `#${fragment}`);
  const url = location.href;
  $('share-box').hidden = false;
  input('share-url').value = url;
  const info = $('share-info');
  info.classList.remove('stale');
  const preset = linkState.preset;
  const what = preset
    ? `The preset "${PRESETS.find((p) => p.id === preset)?.name}" travels by its name.`
    : 'The script travels in the link; whoever opens it reads it before it runs.';
  const long = url.length > 2000 ? ' Some sites cut links longer than about 2,000 characters.' : '';
  const base = `${url.length} characters. ${what}${long}`;
  info.textContent = base;
  copy(url, (ok) => {
    if (state.sharedFragment !== fragment) return;
    info.textContent = `${base} ${ok ? 'Copied to the clipboard.' : COPY_BY_HAND}`;
  });
}

function copyShareField() {
  const box = input('share-url');
  box.focus();
  box.select();
  copy(box.value, (ok) => { $('share-info').textContent = ok ? 'Copied to the clipboard.' : COPY_BY_HAND; });
}

/** The page no longer matches the link in the address bar: take the link away from it. */
function markLinkStale() {
  if (state.applyingLink || !state.sharedFragment) return;
  set({ sharedFragment: null });
  if (isLinkFragment(location.hash)) history.replaceState(null, '', location.pathname + location.search);
  if (!$('share-box').hidden) {
    $('share-info').textContent = 'The page changed since this link was made: press Share link again for a link to what you see now.';
    $('share-info').classList.add('stale');
  }
}

/** @param {boolean} on */
function setEmbed(on) {
  document.body.classList.toggle('embed', on);
  $('embed-note').hidden = !on;
  if (on) /** @type {HTMLAnchorElement} */ ($('embed-open')).href = location.href.replace(/&embed(=[^&]*)?/, '');
  touch('layout');
}

/**
 * Opens a link's fragment: decodes it (wasm) and applies it, or says why it cannot.
 * @param {string} fragment
 */
export function openLink(fragment) {
  const wasm = state.wasm;
  if (!wasm) return;
  let decoded;
  try {
    // Not even the shape of a link: its characters were changed beyond reading.
    if (!looksLikeLink(fragment)) throw new Error(DAMAGED);
    decoded = JSON.parse(wasm.decodeState(fragment));
  } catch (e) {
    setStatus('idle', idleText());
    showAlert({ title: 'This share link could not be opened.', message: String(/** @type {Error} */ (e)?.message ?? e),
      detail: 'The page kept the problem and settings it had; everything works as usual.' });
    return;
  }
  applyState(decoded.state, decoded.warnings, decoded.damaged);
  set({ sharedFragment: fragment });
}

/**
 * Puts a decoded link into the page and says what it holds (code needs reading first).
 * @param {LinkState} linkState @param {string[]} linkWarnings @param {boolean} damaged
 */
function applyState(linkState, linkWarnings, damaged) {
  const editor = /** @type {import('./state.js').Editor} */ (state.editor);
  const warnings = [...linkWarnings];
  const previous = editor.getText();
  const previousCustom = previous.trim() !== '' && !presetFor(previous);
  let script = linkState.script;
  if (script === null) {
    const named = PRESETS.find((p) => p.id === linkState.preset);
    if (linkState.preset && !named) {
      warnings.push(`The link names the preset "${linkState.preset}", which this version of the playground does not have; the default problem is shown instead.`);
    }
    script = (named ?? DEFAULT_PRESET).script;
  }
  if (state.comparison) reset(); // a new problem: the previous run's results go
  set({ applyingLink: true });
  try {
    editor.setText(script);
    setSelectedMethods(linkState.methods);
    applySettings(linkState.settings);
    syncDataSource();
    syncCharts(linkState.charts);
    saveSettings();
    input('share-embed').checked = linkState.embed;
    setEmbed(linkState.embed);
  } finally {
    set({ applyingLink: false });
  }
  // The inputs must give back exactly what the link holds: the same run for everyone.
  try {
    if (canonicalJson(readSettings()) !== canonicalJson(linkState.settings)) {
      warnings.push('Some settings could not be put into the page exactly; check them before you run.');
    }
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e;
    warnings.push(e.message);
  }
  const preset = presetFor(script);
  /** @type {import('./status.js').AlertAction[]} */
  const actions = [];
  if (previousCustom && previous !== script) {
    actions.push({ label: 'Restore my script', run: () => editor.setText(previous) });
  }
  const detail = warnings.join('\n');
  if (!preset) {
    if (linkState.embed) actions.unshift({ label: 'Show the code', run: () => setEmbed(false), keep: true });
    showAlert({ kind: 'notice', title: `This code came from a ${damaged ? 'damaged ' : ''}link.`,
      message: 'Read it before you press Run: code from a link never runs by itself.', detail, actions });
    setStatus('idle', 'Opened a shared link with its own code: read it, then press Run.');
  } else {
    if (warnings.length) {
      showAlert({ kind: 'notice', title: damaged ? 'This share link is damaged.' : 'The share link was opened with corrections.',
        message: 'Check the settings before you run.', detail, actions });
    } else if (actions.length) {
      showAlert({ kind: 'notice', title: `Opened a shared link: the preset "${preset.name}".`,
        message: 'Your own script was replaced; it can be brought back.', actions });
    }
    setStatus('idle', `Opened a shared link: ${preset.name}. Press Run.`);
  }
}

/** Wires the share box, the address bar and the rule that an edit takes a link away. */
export function bindShare() {
  $('share').addEventListener('click', shareLink);
  $('share-copy').addEventListener('click', copyShareField);
  $('share-embed').addEventListener('change', () => { if (!$('share-box').hidden) shareLink(); });
  for (const type of ['input', 'change']) {
    document.querySelector('main')?.addEventListener(type, (ev) => {
      if (!(ev.target instanceof Element) || !ev.target.closest('#share-box')) markLinkStale();
    });
  }
  subscribe((changed) => { if (changed.has('edited')) markLinkStale(); });
  window.addEventListener('hashchange', () => {
    if (!isLinkFragment(location.hash) || location.hash.slice(1) === state.sharedFragment) return;
    if (state.wasm) openLink(location.hash.slice(1));
    else set({ linkPending: location.hash.slice(1) });
  });
}
