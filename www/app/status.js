// What the page says about itself: the one role="status" element (its data-state is what the
// tests read; DESIGN.md, "Page conventions"), the role="alert" messages that stay until the
// user acts, the run buttons, and the progress toward the budget.
import { $, button, el, setProp, setText } from './dom.js';
import { fmtCount, fmtMs } from './format.js';
import { state, set, subscribe } from './state.js';

/** @typedef {import('./state.js').RunState} RunState */

// ------------------------------------------------------------------------------------------
// Alerts: messages for the user that stay until the user acts (Dismiss, or the next Run).

/**
 * @typedef {object} AlertAction
 * @property {string} label
 * @property {() => void} run
 * @property {boolean} [keep]  the alert stays after the action (only its button goes)
 */

/**
 * Shows a message in the alert box, replacing the one there.
 * @param {{title: string, message?: string, detail?: string, kind?: 'error'|'notice', actions?: AlertAction[]}} alert
 */
export function showAlert({ title, message = '', detail = '', kind = 'error', actions = [] }) {
  const box = $('alert');
  box.replaceChildren();
  box.classList.toggle('notice', kind === 'notice');
  const body = el('div', { class: 'alert-body' },
    el('p', {}, el('strong', {}, title), message ? ` ${message}` : ''),
    detail ? el('pre', {}, detail) : null);
  const buttons = actions.map((a) => el('button', {
    type: 'button',
    onclick: (/** @type {MouseEvent} */ ev) => {
      a.run();
      if (a.keep) /** @type {HTMLElement} */ (ev.currentTarget).remove();
      else clearAlert();
    },
  }, a.label));
  box.append(body, ...buttons, el('button', { type: 'button', class: 'dismiss', onclick: clearAlert }, 'Dismiss'));
  box.hidden = false;
}

export function clearAlert() {
  const box = $('alert');
  box.replaceChildren();
  box.hidden = true;
}

// ------------------------------------------------------------------------------------------
// Status.

const STATUS_MAX = 140; // longer texts are cut here; the element's title and the alert hold it all

/**
 * Sets the status: its data-state and its text.
 * @param {RunState} runState
 * @param {string} text
 */
export function setStatus(runState, text) {
  set({ runState, statusText: text });
}

/**
 * Draws the status element. While paused, it is aria-busy until every method has answered the
 * last Pause or Step: until then a step count in the text may still move.
 */
function renderStatus() {
  const el = $('status');
  const text = state.statusText;
  if (el.dataset.state !== state.runState) el.dataset.state = state.runState;
  setText($('status-text'), text.length > STATUS_MAX ? `${text.slice(0, STATUS_MAX - 1)}…` : text);
  setProp(el, 'title', text);
  const c = state.comparison;
  const busy = state.runState === 'paused' && Boolean(c?.activeRuns().some((r) => state.runner?.isAnswerDue(r.runId)));
  if ((el.getAttribute('aria-busy') === 'true') !== busy) {
    if (busy) el.setAttribute('aria-busy', 'true');
    else el.removeAttribute('aria-busy');
  }
}

// ------------------------------------------------------------------------------------------
// Buttons: enabled as the state allows, after every change.

function renderButtons() {
  const s = state.runState;
  const c = state.comparison;
  const live = Boolean(c && !c.over);
  const runs = c ? [...c.runs.values()] : [];
  setProp(button('run'), 'disabled', live || Boolean(state.linkPending));
  setProp(button('share'), 'disabled', !state.wasm || Boolean(state.linkPending));
  setProp(button('pause'), 'disabled', !live);
  setText($('pause-label'), s === 'paused' ? 'Resume' : 'Pause');
  setProp(button('pause'), 'title', s === 'paused' ? 'Resume every paused method' : 'Pause every running method');
  setProp(button('step'), 'disabled', live && s !== 'paused');
  setProp(button('stop'), 'disabled', !live);
  const hasData = runs.some((r) => r.history.length || r.error);
  for (const id of ['export', 'export-csv', 'export-png']) setProp(button(id), 'disabled', !hasData);
  setProp(button('export-weights'), 'disabled', !runs.some((r) => r.weights));
  // A keyboard user whose focused button just became disabled keeps a place in the toolbar.
  const focused = document.activeElement;
  if (focused instanceof HTMLButtonElement && focused.disabled && focused.closest('.controls')) {
    ['stop', 'pause', 'run', 'step'].map(button).find((b) => !b.disabled)?.focus();
  }
}

// ------------------------------------------------------------------------------------------
// Progress: the share of the budget actually spent (learning evaluations of every run over
// budget × runs, so a run stopped, failed or ended by Max steps counts what it spent),
// evaluations per second, time left: redrawn every 250 ms while a comparison runs, and once
// whenever anything changes after it.

const PROGRESS_MS = 250;

function makeProgress() {
  let timer = 0;
  // The time left, smoothed: counted down between ticks and blended with each new estimate,
  // so it does not jump from seconds to a minute when a run's rate wobbles.
  /** @type {{comparison: unknown, left: number, at: number} | null} */
  let eta = null;

  function tick() {
    clearTimeout(timer);
    const bar = /** @type {HTMLProgressElement} */ ($('progress'));
    const text = $('progress-text');
    const c = state.comparison;
    if (!c) {
      bar.value = 0;
      text.textContent = 'Not started';
      return;
    }
    const runs = [...c.runs.values()];
    const budget = c.config.budget;
    let evals = 0;
    let left = 0;
    /** @type {number[]} */
    const rates = []; // evaluations per ms of each run computing now
    for (const r of runs) {
      evals += r.evals;
      if (!r.ended && r.evals > 0 && r.wallMs > 0) {
        rates.push(r.evals / r.wallMs);
        left = Math.max(left, (budget - r.evals) / rates[rates.length - 1]);
      }
    }
    // Runs waiting for a worker take about one budget each, spread over the workers.
    const waiting = runs.filter((r) => !r.ended && r.waiting).length;
    if (waiting && rates.length) {
      const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
      left += (waiting * budget) / mean / (state.runner?.maxWorkers ?? 1);
    }
    const frac = runs.length && budget > 0 ? Math.min(1, evals / (budget * runs.length)) : 0;
    setProp(bar, 'value', frac);
    // While runs compute: the sum of their rates. After: all evaluations over the elapsed time
    // (runs that waited for a core ran after others, so the longest run's time would overstate it).
    const elapsed = (c.endedAt ?? performance.now()) - c.startedAt;
    const rate = rates.length ? rates.reduce((a, b) => a + b, 0) * 1000 : elapsed > 0 ? evals / (elapsed / 1000) : 0;
    const parts = [`${Math.round(frac * 100)}%`, `${fmtCount(evals)} evals`];
    if (rate > 0) parts.push(`${fmtCount(rate)}/s`);
    const now = performance.now();
    if (eta && eta.comparison === c && left > 0) {
      const counted = Math.max(0, eta.left - (now - eta.at));
      eta = { comparison: c, left: 0.75 * counted + 0.25 * left, at: now };
    } else {
      eta = left > 0 ? { comparison: c, left, at: now } : null;
    }
    if (!c.over && eta && state.runState === 'running') parts.push(`~${fmtMs(eta.left)} left`);
    setText(text, parts.join(' · '));
    setProp(text, 'title', text.textContent ?? ''); // in full, when the bar is too narrow for it
    if (!c.over) timer = window.setTimeout(tick, PROGRESS_MS);
  }
  return tick;
}

/** Keeps the status element, the buttons and the progress in step with the state. */
export function bindStatus() {
  const tickProgress = makeProgress();
  subscribe((changed) => {
    renderStatus();
    renderButtons();
    // A new comparison starts the timer; after one ends, each change redraws once.
    const c = state.comparison;
    const ended = !c || c.over;
    if (changed.has('comparison') || (ended && (changed.has('runs') || changed.has('runState')))) tickProgress();
  });
  renderStatus();
  renderButtons();
  tickProgress();
}
