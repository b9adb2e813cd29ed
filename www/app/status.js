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
const BEAT_MS = 600; // the running dot's half period

/**
 * What the time left is computed from: one run (comparison.js's Run).
 * @typedef {{method: string, evals: number, wallMs: number, ended: boolean, waiting: boolean, error: string | null,
 *   startedAt: number | null, endedAt: number | null, wasPaused: boolean,
 *   history: {step: number, evals: number, monitorEvals: number, wallMs: number}[],
 *   status: Record<string, any> | null}} RunPace
 */

/** Consecutive log points are at most this factor apart in learning evaluations (the core's
 * LOG_RATIO, src/session/mod.rs). */
const LOG_RATIO = 1.2;

/**
 * How many log points a run still logs from a log point at `from` learning evaluations to its
 * budget, taking `step` evaluations a step: the core's schedule (src/session/mod.rs
 * should_log), the even "Log points" and the geometric ones (before a step would take the
 * evaluations past 1.2 times those of the last log point), and the last one at the end.
 * @param {number} from @param {number} step @param {number} budget @param {number} logPoints
 */
export function logPointsLeft(from, step, budget, logPoints) {
  const gap = Math.max(1, Math.floor(budget / Math.max(1, logPoints)));
  const s = Math.max(1, step);
  let at = from;
  let n = 0;
  while (at < budget && n < 100_000) {
    const even = Math.ceil(((Math.floor(at / gap) + 1) * gap - at) / s);
    const geometric = Math.floor((LOG_RATIO * at - s - at) / s) + 1;
    at = Math.min(budget, at + s * Math.max(1, Math.min(even, geometric)));
    n++;
  }
  return n;
}

/**
 * The time a race has left, in ms, or null before any run has measured its pace. Each method
 * goes at its own pace, measured on its runs that compute or have ended: a time per learning
 * evaluation and a time per log point (the monitoring: the losses, the reference gradient,
 * the method's estimate on the monitoring batch), fitted to their log points' clocks (a rate
 * of evaluations per ms alone misleads early in a run, where the log points are dense). A run
 * computing now has its evaluations to the budget and its log points to come (the core's
 * schedule); a run waiting for a core takes what its method's ended runs took (else the
 * pace's whole run; a method with no pace yet, the mean of the others') plus the start of a
 * run beyond its clock (its worker, its first log point), and starts in the order the runs
 * were started on the first worker to come free (as the runner starts them: list
 * scheduling). The race is over when its last worker is.
 * @param {RunPace[]} runs  in the order they were started
 * @param {{budget: number, logPoints: number}} config
 * @param {number} workers  runs that compute at once
 * @returns {{left: number, methods: string} | null}  `methods`: what the estimate rests on (the
 *   methods with a pace, whether it is fitted, how many of their runs ended): news, when it changes
 */
export function timeLeft(runs, { budget, logPoints }, workers) {
  /** @type {Map<string, {see: number, snn: number, sen: number, sew: number, snw: number, evals: number, wall: number, logs: number, monitor: number, fMs: number, fRows: number, step: number, whole: number[],
   *   recent: {evals: number, wall: number, logs: number}}>} */
  const spent = new Map();
  /** Time a run takes beyond its clock, by method: its worker's start, its first log point,
   * what it works out after its last step (the step-size sweep, the fit). @type {Map<string, number[]>} */
  const beyond = new Map();
  for (const r of runs) {
    const h = r.history;
    const last = h.at(-1);
    if (r.ended && !r.wasPaused && r.startedAt !== null && r.endedAt !== null && last && r.status?.stopReason === 'budget') {
      beyond.set(r.method, [...(beyond.get(r.method) ?? []), Math.max(0, r.endedAt - r.startedAt - r.wallMs)]);
    }
    if (!last || h.length < 3 || !(last.evals > h[1].evals && last.wallMs > h[1].wallMs)) continue;
    const m = spent.get(r.method) ?? { see: 0, snn: 0, sen: 0, sew: 0, snw: 0, evals: 0, wall: 0, logs: 0, monitor: 0, fMs: 0, fRows: 0, step: 0, whole: [],
      recent: { evals: 0, wall: 0, logs: 0 } };
    // Least squares of the clock on evaluations and log points, from its second log point
    // on (the first step pays for warming up).
    for (let i = 2; i < h.length; i++) {
      const e = h[i].evals - h[1].evals;
      const n = i - 1;
      const w = h[i].wallMs - h[1].wallMs;
      m.see += e * e; m.snn += n * n; m.sen += e * n; m.sew += e * w; m.snw += n * w;
    }
    m.evals += last.evals - h[1].evals;
    m.wall += last.wallMs - h[1].wallMs;
    m.logs += h.length - 2;
    // Its second half: a method's work per evaluation may change along a run (the joint
    // surrogate trains the network only once its surrogate is validated).
    const half = Math.max(1, Math.min(h.length - 2, h.findIndex((x) => x.evals >= last.evals / 2)));
    m.recent.evals += last.evals - h[half].evals;
    m.recent.wall += last.wallMs - h[half].wallMs;
    m.recent.logs += h.length - 1 - half;
    m.monitor += last.monitorEvals - h[1].monitorEvals;
    const { fMs, fRows } = r.status ?? {};
    if (fRows > 0 && fMs >= 0) { m.fMs += fMs; m.fRows += fRows; }
    m.step ||= stepEvals(h);
    // A run that ran to its end took what the method's next run will take.
    if (r.ended && !r.error && r.status?.stopReason === 'budget') m.whole.push(r.wallMs);
    spent.set(r.method, m);
  }
  if (!spent.size) return null;
  const mean = (/** @type {number[]} */ v) => v.reduce((a, b) => a + b, 0) / v.length;
  const overheads = [...beyond.values()].map(mean);
  // A method none of whose runs has ended yet: the mean of the others'.
  const overhead = (/** @type {string} */ method) => {
    const own = beyond.get(method);
    return own ? mean(own) : overheads.length ? mean(overheads) : 0;
  };
  /** @type {Map<string, {perEval: number, perLog: number, step: number, whole: number, fitted: boolean}>} */
  const pace = new Map();
  for (const [method, m] of spent) {
    const det = m.see * m.snn - m.sen * m.sen;
    let perEval = (m.sew * m.snn - m.sen * m.snw) / det;
    let perLog = (m.see * m.snw - m.sen * m.sew) / det;
    const fitted = det > 1e-6 * m.see * m.snn && perEval > 0 && perLog >= 0;
    if (!fitted) {
      // Evaluations and log points that kept in step (a step a log point, early in a run)
      // cannot be told apart: a log point then costs at least its monitoring's calls of F.
      perLog = m.fRows > 0 && m.logs > 0 ? (m.monitor / m.logs) * (m.fMs / m.fRows) : 0;
      perEval = (m.wall - perLog * m.logs) / m.evals;
      if (!(perEval > 0)) { perEval = m.wall / m.evals; perLog = 0; }
    }
    // The time per evaluation as it is now, from the runs' second halves, beside the cost of
    // a log point from all of it.
    const recent = (m.recent.wall - perLog * m.recent.logs) / m.recent.evals;
    if (recent > 0) perEval = recent;
    const step = m.step || budget / 100;
    const predicted = perEval * budget + perLog * (1 + logPointsLeft(0, step, budget, logPoints));
    const whole = m.whole.length ? m.whole.reduce((a, b) => a + b, 0) / m.whole.length : predicted;
    pace.set(method, { perEval, perLog, step, whole, fitted: fitted || m.whole.length > 0 });
  }
  const meanWhole = mean([...pace.values()].map((p) => p.whole));
  const now = performance.now();
  // When each worker comes free, in ms from now: a run computing now ends when its clock has
  // gone to the budget and its real time beyond the clock has passed.
  const free = [];
  for (const r of runs) {
    if (r.ended || r.waiting) continue;
    const p = pace.get(r.method);
    const last = r.history.at(-1);
    const whole = (p?.whole ?? meanWhole) + overhead(r.method);
    if (!p || !last || r.startedAt === null) { free.push(whole); continue; }
    const ahead = p.perEval * Math.max(0, budget - last.evals)
      + p.perLog * logPointsLeft(last.evals, stepEvals(r.history) || p.step, budget, logPoints);
    const clock = Math.max(0, ahead - Math.max(0, r.wallMs - last.wallMs));
    free.push(Math.max(clock, r.wallMs + clock + overhead(r.method) - (now - r.startedAt)));
  }
  while (free.length < Math.max(1, workers)) free.push(0);
  for (const r of runs) {
    if (r.ended || !r.waiting) continue;
    const first = free.indexOf(Math.min(...free));
    free[first] += (pace.get(r.method)?.whole ?? meanWhole) + overhead(r.method);
  }
  // What the estimate rests on: which methods have a pace, how well measured, which ended.
  const basis = [...pace].map(([k, p]) => `${k}:${p.fitted ? 1 : 0}:${beyond.get(k)?.length ?? 0}`).sort().join(',');
  return { left: Math.max(...free), methods: basis };
}

/**
 * A run's learning evaluations per training step, from its last two log points that steps
 * apart (0 when it has none).
 * @param {RunPace['history']} h
 */
function stepEvals(h) {
  for (let i = h.length - 1; i > 0; i--) {
    const steps = h[i].step - h[i - 1].step;
    if (steps > 0) return (h[i].evals - h[i - 1].evals) / steps;
  }
  return 0;
}

function makeProgress() {
  let timer = 0;
  // The time left, smoothed: counted down between ticks and blended with each new estimate,
  // so it does not jump when a run's pace wobbles. A method's first pace, a better one, or a
  // run that ended is news, not a wobble: the estimate then starts afresh.
  /** @type {{comparison: unknown, left: number, at: number, methods: string} | null} */
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
    let running = 0; // evaluations per ms of the runs computing now
    for (const r of runs) {
      evals += r.evals;
      if (!r.ended && r.evals > 0 && r.wallMs > 0) running += r.evals / r.wallMs;
    }
    const frac = runs.length && budget > 0 ? Math.min(1, evals / (budget * runs.length)) : 0;
    setProp(bar, 'value', frac);
    // While runs compute: the sum of their rates. After: all evaluations over the elapsed time
    // (runs that waited for a core ran after others, so the longest run's time would overstate it).
    const elapsed = (c.endedAt ?? performance.now()) - c.startedAt;
    const rate = running > 0 ? running * 1000 : elapsed > 0 ? evals / (elapsed / 1000) : 0;
    const parts = [`${Math.round(frac * 100)}%`, `${fmtCount(evals)} evals`];
    if (rate > 0) parts.push(`${fmtCount(rate)}/s`);
    const now = performance.now();
    const estimate = c.over ? null : timeLeft(runs, { budget, logPoints: c.config.logPoints }, state.runner?.maxWorkers ?? 1);
    if (!estimate) {
      eta = null;
    } else if (eta && eta.comparison === c && eta.methods === estimate.methods) {
      const counted = Math.max(0, eta.left - (now - eta.at));
      eta = { comparison: c, left: 0.5 * counted + 0.5 * estimate.left, at: now, methods: estimate.methods };
    } else {
      eta = { comparison: c, left: estimate.left, at: now, methods: estimate.methods };
    }
    if (!c.over && eta && eta.left > 0 && state.runState === 'running') parts.push(`~${fmtMs(eta.left)} left`);
    setText(text, parts.join(' · '));
    setProp(text, 'title', text.textContent ?? ''); // in full, when the bar is too narrow for it
    // The running dot dims every other BEAT_MS, set here with the progress rather than by an
    // endless CSS animation: that made the compositor draw frames all run long (in the page
    // with two F-workers, 1.0 of 5.9 s of a core, and 1.28-1.42x one worker at 40 us a call
    // where 1.48-1.53x without it: docs/speed.md).
    const beat = String(Math.floor(now / BEAT_MS) % 2);
    const dot = $('status');
    if (dot.dataset.beat !== beat) dot.dataset.beat = beat;
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
