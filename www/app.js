// The page (ES module): boot and wiring. The pieces live in www/app/: the page's state and
// its change notifications (state.js), the settings from the core's table (settings.js,
// settings-form.js), the methods (methods.js), presets (presets-ui.js), the status, alerts
// and buttons (status.js), a comparison of several methods' runs through the sandbox
// (comparison.js) and the core's summary of it (race.js), charts (charts.js), the results
// table and exports (results.js), earlier races loaded or pinned (earlier.js), and share
// links (share.js). The acceptance interface (labels, role="status" with data-state,
// role="alert", button names, the results.json schema) is DESIGN.md's "Page conventions".

import { createEditor } from './editor.bundle.js';
import { DEFAULT_PRESET } from './presets.js';
import { Charts, chartCanvases, warmUpCharts } from './app/charts.js';
import { bindChartExports } from './app/chart-export.js';
import {
  idleText, pauseOrResume, reset, startComparison, step, stop, updateIdleText,
} from './app/comparison.js';
import { $, storage, STORAGE } from './app/dom.js';
import { bindEarlier } from './app/earlier.js';
import {
  defaultMethodsFor, markMethodAvailability, renderMethods, restoreSelectedMethods, setSelectedMethods,
} from './app/methods.js';
import { adoptSavedScript, bindPresetMenu, presetFor, scriptSaver, showPresetOf } from './app/presets-ui.js';
import { bindExports, renderResults } from './app/results.js';
import {
  bindSettingsForm, loadSettings, prepareSettingsForm, resetInputs, syncForm,
} from './app/settings-form.js';
import { bindDiagnosis } from './app/diagnosis.js';
import { bindWeights } from './app/weights.js';
import { isLinkFragment, bindShare, openLink } from './app/share.js';
import { ensureRunner, state, set, subscribe, touch } from './app/state.js';
import { bindStatus, setStatus, showAlert } from './app/status.js';
import { bindSuite } from './app/suite-ui.js';

// The page's wasm build, imported by a name the type checker does not follow: www/pkg is
// generated (make build), and without it the editor still works and the page says why.
const PAGE_GLUE = './pkg/page.js';
const PAGE_WASM = 'pkg/page_bg.wasm';

/** Restore defaults: every setting and the methods as a new page has them. */
function restoreDefaults() {
  resetInputs();
  setSelectedMethods(defaultMethodsFor(state.editor?.getText() ?? ''));
}

/** Loads the page's wasm module (charts, share links), then opens a link waiting for it. */
function loadWasm() {
  Promise.all([
    import(PAGE_GLUE),
    fetch(PAGE_WASM).then((res) => {
      if (!res.ok) throw new Error(`${PAGE_WASM}: HTTP ${res.status}`);
      return res.arrayBuffer();
    }),
  ])
    .then(async ([glue, bytes]) => {
      await glue.default({ module_or_path: bytes });
      /** @type {import('./app/state.js').PageWasm} */
      const wasm = glue;
      set({ wasm });
      warmUpCharts(wasm);
      const fragment = state.linkPending;
      if (fragment) {
        set({ linkPending: null });
        openLink(fragment);
      }
    })
    .catch((e) => {
      const link = state.linkPending ? ' The shared link cannot be opened without it.' : '';
      set({ chartError: e, linkPending: null });
      setStatus('idle', idleText());
      showAlert({ title: 'The WebAssembly core did not load.', message: `Charts and runs need it.${link}`,
        detail: `${e?.message ?? e}\nBuild it with \`make build\` (or \`make wasm\`), then reload.` });
    });
}

function boot() {
  bindStatus();
  renderMethods(); // first: it makes the per-method inputs the settings form fills
  prepareSettingsForm();
  bindPresetMenu();
  bindSettingsForm();
  bindDiagnosis();
  bindWeights();
  // The results table is redrawn with the charts, at the times they are (throttled).
  const charts = new Charts({ alongside: renderResults });
  bindExports();
  bindChartExports(chartCanvases(), (key) => charts.plottedJson(key));
  bindShare();
  bindEarlier();
  subscribe((changed) => {
    if (changed.has('comparison')) charts.reset();
    else if (['runs', 'layout', 'wasm', 'hiddenMethods', 'logLoss', 'pinned', 'draw'].some((k) => changed.has(/** @type {any} */ (k)))) charts.schedule();
    // The idle text names the methods Run starts: a script's dF decides whether Analytic gradient is one.
    if (changed.has('methods') || changed.has('edited')) updateIdleText();
  });

  $('run').addEventListener('click', () => startComparison());
  $('pause').addEventListener('click', pauseOrResume);
  $('step').addEventListener('click', step);
  $('stop').addEventListener('click', stop);
  $('reset').addEventListener('click', reset);
  $('defaults').addEventListener('click', restoreDefaults);

  loadSettings();
  const saved = storage.get(STORAGE.script);
  adoptSavedScript(saved);
  const initial = saved && saved.trim() ? saved : DEFAULT_PRESET.script;
  restoreSelectedMethods(initial);
  syncForm();

  const saveScript = scriptSaver();
  const editor = createEditor($('editor'), {
    doc: initial,
    onChange: (/** @type {string} */ text, /** @type {boolean} */ byUser) => {
      saveScript(text, byUser);
      showPresetOf(text);
      markMethodAvailability(text);
      touch('edited');
    },
    onRun: () => startComparison(),
  });
  set({ editor });
  showPresetOf(initial);
  markMethodAvailability(initial);
  if (saved && !presetFor(initial)) $('saved-note').textContent = 'Your script from last time, restored from this browser.';
  if (isLinkFragment(location.hash)) set({ linkPending: location.hash.slice(1) });
  bindSuite(); // after the settings and the editor: a suite link puts its settings in the inputs

  setStatus('idle', state.linkPending ? 'Opening the shared link…' : idleText());
  charts.reset();
  loadWasm();
  ensureRunner().catch(() => { /* reported when the user presses Run */ });
}

boot();
