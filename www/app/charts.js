// The charts, drawn by the wasm core's drawChart on canvases: what each one shows, when they
// are redrawn (at most 4 times a second, one chart per animation frame), their sizes, the
// hover readout, and the warm-up of the chart code before the first run. With repeats the
// loss chart shows each method's median curve and band (the core's race summary). The axis
// ranges come from the runs that did not diverge; a diverged curve is clipped to them and
// marked. Beside the loss chart, the race's data profile (Moré and Wild): each method's share
// of runs converged against F-evaluations. The legend's entries show and hide methods; a
// pinned earlier race is drawn faded. The θ(x) chart's spec and its menu of x components are
// in theta-chart.js; PNG exports in chart-export.js.
import { CHARTS } from '../schema.js';
import { $, darkMode, el, input, onDarkModeChange, setProp } from './dom.js';
import { fmtNum } from './format.js';
import { METHOD } from './methods.js';
import { byMethod, diverged, raceSummary, ran } from './race.js';
import { state, set, takeDrawWaiters } from './state.js';
import { MAX_CHART_POINTS, bindThetaMenu, syncThetaMenu, thetaSpec, thetaX } from './theta-chart.js';

/** @typedef {import('./comparison.js').Run} Run */
/** @typedef {import('./comparison.js').Comparison} Comparison */

/**
 * What drawChart draws (src/plot.rs ChartSpec). `band`: [x, lo, hi] points drawn as a faint
 * filled polygon under the line. `clip`: the page clips this series to the range of the
 * others (it diverged); drawChart ignores the field.
 * `bandLabel`: what the hover readout calls the band's upper edge (the page's; drawChart
 * ignores it, as it does hoverLabel).
 * @typedef {{label: string, hoverLabel?: string, color: string, points: number[][], light: boolean,
 *   band?: number[][], bandLabel?: string, clip?: boolean}} Series
 * `placeholder`: what the chart says in its place when it has no point to draw (the page's;
 * default: PLACEHOLDER below).
 * @typedef {{title: string, xLabel: string, yLabel: string, logX: boolean, logY: boolean,
 *   kind: 'line'|'scatter', diagonal?: boolean, yLimits?: number[], series: Series[], placeholder?: string}} ChartSpec
 * @typedef {{left: number, right: number, top: number, bottom: number, xMin: number, xMax: number,
 *   yMin: number, yMax: number, logX: boolean, logY: boolean}} Geometry  what drawChart returns
 */

const REDRAW_MS = 250; // charts redraw at most 4 times a second

/** What an empty chart says. @type {Readonly<Record<string, string>>} */
const PLACEHOLDER = Object.freeze({
  loss: 'The loss appears here while the methods train.',
  grad: 'Gradient-estimate error appears at each log point.',
  cos: 'Cosine with the reference gradient.',
  fit: 'The fit appears when a method finishes.',
  theta: 'θ(x) appears when a method finishes.',
  sweep: 'The step-size sweep appears when Central, Forward differences or Analytic gradient finishes.',
  profile: 'The share of runs converged appears here.',
});

/** The charts the page draws: schema.js's CHARTS (those a share link can show or hide) and
 * the data profile, which shows with the loss chart (the link format's list is frozen). */
const DRAWN = [...CHARTS, 'profile'];

/** The canvas of each chart, by its id. */
export const chartCanvases = () => Object.fromEntries(DRAWN.map((k) => [k, /** @type {HTMLCanvasElement} */ ($(`chart-${k}`))]));

const positive = (/** @type {number | null} */ v) => Number.isFinite(v) && /** @type {number} */ (v) > 0;

/**
 * What the charts show besides the runs: which methods are hidden, the loss axis, the race's
 * summary (median curves and bands when it has repeats), a pinned earlier race.
 * @typedef {object} ChartOptions
 * @property {ReadonlySet<string>} [hidden]
 * @property {boolean} [logLoss]
 * @property {boolean} [repeated]   the runs are several repeats per method: medians and bands
 * @property {import('./race.js').RaceSummary | null} [summary]
 * @property {Comparison | null} [pinned]  drawn faded on the loss chart
 * @property {number} [thetaX]  the x component the θ(x) chart is drawn against
 * @property {boolean} [loaded]  the runs came from a results.json (no fit, θ or sweep in it)
 */

const finite = (/** @type {number | null} */ v) => Number.isFinite(v);

/**
 * The label of a method's line, marked when its runs diverged ("(diverged)", or with repeats
 * how many did).
 * @param {string} label @param {Run[]} runs
 */
function markedLabel(label, runs) {
  const n = runs.filter(diverged).length;
  if (!n) return label;
  return n === runs.length ? `${label} (diverged)` : `${label} (${n}/${runs.length} diverged)`;
}

/**
 * The loss series of a set of runs: a line per run (training bold, test thin and light), or
 * with repeats each method's median training loss with its band.
 * @param {Run[]} runs @param {boolean} repeated @param {import('./race.js').RaceSummary | null} summary
 * @param {(v: number | null) => boolean} ok  a value the axis can show
 * @param {boolean} faded  a pinned race: thin light lines, no labels, no bands
 * @returns {Series[]}
 */
function lossSeries(runs, repeated, summary, ok, faded) {
  /** @type {Series[]} */
  const out = [];
  const pinnedLabel = (/** @type {string} */ l) => (faded ? `pinned: ${l}` : l);
  if (repeated && summary) {
    for (const [method, list] of byMethod(runs)) {
      const band = summary.bands.find((b) => b.method === method)?.points ?? [];
      const info = METHOD[method];
      const label = markedLabel(info.label, list);
      const rows = /** @type {number[][]} */ (band.filter((p) => p.every(finite)));
      out.push({
        label: faded ? '' : label, hoverLabel: `${pinnedLabel(label)}, median of ${list.filter(ran).length}`, color: info.colour, light: faded,
        points: rows.filter((p) => ok(p[1])).map((p) => [p[0], p[1]]),
        ...(faded ? {} : { band: rows.filter((p) => ok(p[2]) && ok(p[3])).map((p) => [p[0], p[2], p[3]]) }),
        clip: list.some(diverged),
      });
    }
    return out;
  }
  for (const r of runs) {
    const c = r.info.colour;
    const label = markedLabel(r.label, [r]);
    const train = r.history.filter((h) => ok(h.trainLoss)).map((h) => [h.evals, h.trainLoss]);
    const test = r.history.filter((h) => ok(h.testLoss)).map((h) => [h.evals, h.testLoss]);
    const clip = diverged(r);
    if (faded) {
      out.push({ label: '', hoverLabel: pinnedLabel(label), color: c, points: train, light: true, clip });
      continue;
    }
    out.push({ label, color: c, points: train, light: false, ...(clip ? { clip } : {}) });
    if (test.length) out.push({ label: '', hoverLabel: `${label} (test)`, color: c, points: test, light: true, ...(clip ? { clip } : {}) });
  }
  return out;
}

/**
 * Clips the series that diverged to the y range of the others (their points and bands), so a
 * loss that blew up does not squash every other curve into the bottom of the chart. Nothing
 * changes when no series diverged, or when every one did.
 * @param {Series[]} series
 */
function clipDiverged(series) {
  if (!series.some((s) => s.clip) || series.every((s) => s.clip || !s.points.length)) return series;
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    if (s.clip) continue;
    for (const p of s.points) { lo = Math.min(lo, p[1]); hi = Math.max(hi, p[1]); }
    for (const b of s.band ?? []) { lo = Math.min(lo, b[1]); hi = Math.max(hi, b[2]); }
  }
  if (!(lo <= hi)) return series;
  const clamp = (/** @type {number} */ v) => Math.min(hi, Math.max(lo, v));
  return series.map((s) => (s.clip ? {
    ...s,
    points: s.points.map((p) => [p[0], clamp(p[1])]),
    ...(s.band ? { band: s.band.map((b) => [b[0], clamp(b[1]), clamp(b[2])]) } : {}),
  } : s));
}

/**
 * The specs of every chart for these runs; a chart with nothing to draw says why when its
 * usual placeholder would not (every method hidden, a loaded results.json, xDim 0).
 * @param {Run[]} runs
 * @param {ChartOptions} [options]
 * @returns {Record<string, ChartSpec>}
 */
export function chartSpecs(runs, { hidden = new Set(), logLoss = true, repeated = false, summary = null, pinned = null, thetaX = 0, loaded = false } = {}) {
  const shown = runs.filter((r) => !hidden.has(r.method));
  const ok = logLoss ? positive : finite;
  /** @type {Series[]} */ const loss = [];
  if (pinned) {
    const earlier = [...pinned.runs.values()].filter((r) => !hidden.has(r.method));
    loss.push(...lossSeries(earlier, pinned.repeats > 1, pinned.repeats > 1 ? raceSummary(pinned) : null, ok, true));
  }
  loss.push(...lossSeries(shown, repeated, summary, ok, false));
  /** @type {Series[]} */ const grad = [];
  /** @type {Series[]} */ const cos = [];
  for (const r of shown) {
    const c = r.info.colour;
    // With repeats, each run's line is thin: the runs of a method show their spread.
    const clip = diverged(r);
    const withErr = r.history.filter((h) => positive(h.gradRelErr));
    // Stochastic methods: the 95% noise level of the estimate, 1.96 gradSE (its standard error
    // relative to the reference's norm, as gradRelErr is), as a band from a small floor up to
    // it. An unbiased estimate's error stays inside the band about 95% of the time; a line
    // above it means bias. One run per method gets it (with repeats the runs' spread shows
    // the noise already).
    const noise = repeated ? [] : withErr.filter((h) => positive(h.gradSE)).map((h) => [h.evals, NOISE_95 * /** @type {number} */ (h.gradSE)]);
    const floor = Math.min(...noise.map((p) => p[1])) / 10;
    grad.push({ label: '', hoverLabel: r.label, color: c, light: repeated, clip,
      points: withErr.map((h) => [h.evals, h.gradRelErr]),
      ...(noise.length ? { band: noise.map((p) => [p[0], floor, p[1]]), bandLabel: `${r.label}: 95% noise level (1.96·SE; above it means bias)` } : {}) });
    // Surrogate methods: F̃'s error on rows it had not been fitted on, thin, on the same
    // relative-error axis: its values (share of F's variance) and its slopes (dF̃/dθ against
    // the reference's, relative), the slopes a shade darker.
    const first = !repeated || r.repeat === 0;
    const fitErr = r.history.filter((h) => positive(h.surrogateErr)).map((h) => [h.evals, h.surrogateErr]);
    if (fitErr.length) grad.push({ label: first ? `${r.info.label}: F̃ values` : '', hoverLabel: `${r.label}: F̃ out-of-sample error (values)`, color: c, light: true, points: fitErr });
    const slopeErr = r.history.filter((h) => positive(h.surrogateGradErr)).map((h) => [h.evals, h.surrogateGradErr]);
    if (slopeErr.length) grad.push({ label: first ? `${r.info.label}: F̃ slopes` : '', hoverLabel: `${r.label}: F̃ error on slopes`, color: shade(c), light: true, points: slopeErr });
    cos.push({ label: '', hoverLabel: r.label, color: c, light: repeated,
      points: r.history.filter((h) => Number.isFinite(h.gradCos)).map((h) => [h.evals, h.gradCos]) });
  }
  // The fit and θ(x) of one run per method: with repeats, the first.
  const firsts = repeated ? shown.filter((r) => r.repeat === 0) : shown;
  /** @type {Record<string, ChartSpec>} */
  const specs = {
    loss: { title: 'Loss', xLabel: 'F-evaluations (learning)', yLabel: 'MSE', logX: false, logY: logLoss, kind: 'line', series: strip(clipDiverged(loss)) },
    profile: profileSpec(shown, summary),
    grad: { title: 'Gradient-estimate error', xLabel: 'F-evaluations (learning)', yLabel: 'relative L2 error', logX: false, logY: true, kind: 'line', series: strip(clipDiverged(grad)) },
    cos: { title: 'Gradient cosine', xLabel: 'F-evaluations', yLabel: 'cos(estimate, reference)', logX: false, logY: false, kind: 'line', series: cos, yLimits: [-1, 1] },
    fit: fitSpec(firsts),
    sweep: sweepSpec(firsts),
    theta: thetaSpec(firsts, thetaX),
  };
  const why = runs.length && !shown.length ? 'Every method is hidden: press one in the legend above to show it.'
    : loaded ? 'A loaded results.json holds no values for this chart: Run the race again to see it.' : '';
  for (const k of why ? ['loss', 'profile', 'grad', 'cos', 'fit', 'sweep', 'theta'] : []) specs[k].placeholder ??= why;
  return specs;
}

/** A standard normal's two-sided 95% quantile: the noise level an unbiased estimate's error
 * stays under about 95% of the time, in standard errors. */
const NOISE_95 = 1.96;

/**
 * A colour a shade darker (lighter in dark mode), for a second line of the same method.
 * @param {string} hex  #rrggbb
 */
function shade(hex) {
  const to = darkMode() ? 255 : 0;
  const mix = (/** @type {number} */ i) => Math.round(0.45 * parseInt(hex.slice(i, i + 2), 16) + 0.55 * to).toString(16).padStart(2, '0');
  return `#${mix(1)}${mix(3)}${mix(5)}`;
}

/**
 * The race's data profile (Moré and Wild 2009, for one problem): for each method, the share
 * of its runs that had converged by the race's rule within x learning F-evaluations (the
 * first log point past the goal: the core's summary.profiles), as steps in its colour, x on
 * a log axis from the first learning log point to the last, y from 0 to 1.
 * @param {Run[]} runs @param {import('./race.js').RaceSummary | null} summary
 * @returns {ChartSpec}
 */
function profileSpec(runs, summary) {
  const rule = summary?.rule;
  const title = rule?.kind === 'relative' ? `Runs converged (τ = ${rule.tau})`
    : rule?.kind === 'fixed' ? `Runs converged (Target ${Math.round(1000 * rule.target) / 10}% of start)` : 'Runs converged';
  const spec = { title, xLabel: 'F-evaluations (learning)', yLabel: 'share of runs converged', logX: true, logY: false,
    kind: /** @type {const} */ ('line'), yLimits: [-0.05, 1.05], series: /** @type {Series[]} */ ([]) };
  let lo = Infinity;
  let hi = 0;
  for (const r of runs) {
    for (const h of r.history) {
      if (h.evals > 0 && finite(h.trainLoss)) { lo = Math.min(lo, h.evals); hi = Math.max(hi, h.evals); }
    }
  }
  if (!summary || !(hi > lo)) return spec;
  for (const [method, list] of byMethod(runs)) {
    const profile = summary.profiles.find((p) => p.method === method);
    if (!profile) continue;
    const n = list.filter(ran).length;
    // Steps: flat at the share so far, up at each count where more runs had converged. A run
    // that converged at its first log point (0 learning evaluations) counts from the left edge.
    const points = [[lo, 0]];
    let share = 0;
    for (const [evals, s] of profile.points) {
      const x = Math.min(hi, Math.max(lo, evals));
      points.push([x, share], [x, s]);
      share = s;
    }
    points.push([hi, share]);
    const label = markedLabel(METHOD[method].label, list);
    spec.series.push({ label, hoverLabel: `${label}: share of ${n} run${n === 1 ? '' : 's'} converged`, color: METHOD[method].colour, light: false, points });
  }
  // A one-point band draws nothing but keeps the y axis at [0, 1] whatever the shares are.
  if (spec.series.length) spec.series[0] = { ...spec.series[0], band: [[lo, 0, 1]] };
  return spec;
}

/**
 * The series as drawChart reads them: the page's own `clip` mark taken off, so that a
 * spec's JSON (what a canvas shows) is the same as before the mark existed.
 * @param {Series[]} series
 * @returns {Series[]}
 */
function strip(series) {
  return series.map((s) => {
    if (!('clip' in s)) return s;
    const { clip: _, ...rest } = s;
    return rest;
  });
}

/**
 * Error of finite differences against h at the final policy: truncation (right) against
 * round-off (left). Drawn from the first finished run that measured it.
 * @param {Run[]} runs
 * @returns {ChartSpec}
 */
function sweepSpec(runs) {
  const sweep = runs.find((r) => r.sweep && r.sweep.rows.length)?.sweep;
  /** @type {Series[]} */
  const series = [];
  if (sweep) {
    const pts = (/** @type {number} */ col) => sweep.rows.filter((r) => positive(r[col])).map((r) => [r[0], r[col]]);
    series.push({ label: 'Central differences', color: METHOD.central.colour, points: pts(1), light: false });
    series.push({ label: 'Forward differences', color: METHOD.forward.colour, points: pts(2), light: false });
  }
  const against = sweep?.reference === 'dF' ? 'dF' : 'Richardson';
  return { title: `Step-size sweep (vs ${against})`, xLabel: 'relative step h', yLabel: 'relative error of dL/dθ', logX: true, logY: true, kind: 'line', series };
}

/**
 * Predicted against observed y on the test set, for every run that finished.
 * @param {Run[]} runs
 * @returns {ChartSpec}
 */
function fitSpec(runs) {
  const series = runs.filter((r) => r.fit).map((r) => {
    const { yTrue, yPred } = /** @type {Record<string, any>} */ (r.fit);
    const stride = Math.max(1, Math.ceil(yTrue.length / MAX_CHART_POINTS));
    const pts = [];
    for (let i = 0; i < yTrue.length; i += stride) {
      if (Number.isFinite(yTrue[i]) && Number.isFinite(yPred[i])) pts.push([yTrue[i], yPred[i]]);
    }
    return { label: '', hoverLabel: r.info.label, color: r.info.colour, points: pts, light: false };
  });
  return { title: 'Fit (test set)', xLabel: 'observed y', yLabel: 'predicted F(x, NN(x))', logX: false, logY: false, kind: 'scatter', diagonal: true, series };
}

/**
 * The legend above the charts: a button per method that shows or hides it in every chart
 * (aria-pressed: shown), marked when its runs diverged; then what the lines mean.
 * @param {Run[]} runs @param {boolean} repeated @param {Comparison | null} pinned  drawn faded
 */
function renderLegend(runs, repeated, pinned) {
  const box = $('legend');
  const groups = byMethod([...runs, ...(pinned ? pinned.runs.values() : [])]);
  const entries = [...groups].map(([method, list]) => {
    const own = list.filter((r) => runs.includes(r));
    return { method, label: markedLabel(METHOD[method].label, own.length ? own : list) };
  });
  const key = `${entries.map((e) => `${e.method}=${e.label}`).join(',')}|${repeated}|${Boolean(pinned)}`;
  if (box.dataset.key !== key) {
    box.dataset.key = key;
    const grey = (/** @type {string} */ cls) => el('span', { class: cls, style: '--c:#5d6374', 'aria-hidden': 'true' });
    const key2 = repeated
      ? el('span', { class: 'item muted' }, grey('line'), `median of ${Math.max(...[...byMethod(runs).values()].map((l) => l.length))} runs each`, grey('band'), 'range')
      : el('span', { class: 'item muted' }, grey('line'), 'train', grey('line light'), 'test');
    box.replaceChildren(...entries.map(({ method, label }) => el('button', {
      type: 'button', class: 'item', 'data-method': method, 'aria-pressed': 'true',
      title: 'Show or hide this method in the charts',
      onclick: () => toggleMethod(method),
    }, el('span', { class: 'line', style: `--c:${METHOD[method].colour}`, 'aria-hidden': 'true' }), label)),
    runs.length ? key2 : '',
    pinned ? el('span', { class: 'item muted' }, grey('line light'), 'pinned earlier race (faded)') : '');
  }
  markPressed();
}

/** Each legend button pressed while its method shows. */
function markPressed() {
  for (const b of $('legend').querySelectorAll('button[data-method]')) {
    const pressed = String(!state.hiddenMethods.has(/** @type {HTMLElement} */ (b).dataset.method ?? ''));
    if (b.getAttribute('aria-pressed') !== pressed) b.setAttribute('aria-pressed', pressed);
  }
}

/** Hides a shown method in the charts, or shows a hidden one (the charts follow soon, the
 * button at once). @param {string} method */
function toggleMethod(method) {
  const hidden = new Set(state.hiddenMethods);
  if (!hidden.delete(method)) hidden.add(method);
  set({ hiddenMethods: hidden });
  markPressed();
}

/**
 * The verdict under the legend once a race is over (or loaded): the core's sentence, then on
 * its own line what the clock says beside it (the time note), if anything.
 * @param {Comparison | null} c
 */
function renderVerdict(c) {
  const text = c && c.over ? c.summary() : '';
  const note = text ? raceSummary(c)?.timeNote ?? '' : '';
  const p = $('verdict');
  const key = `${text}\n${note}`;
  if (p.dataset.key !== key) {
    p.dataset.key = key;
    p.replaceChildren(el('span', { class: 'verdict-text' }, text), note ? el('span', { class: 'time-note' }, note) : '');
  }
  setProp(p, 'hidden', !text);
}

/**
 * The page's output panel: charts and legend, and what app.js has redrawn alongside them (the
 * results table). Redraws are throttled, and the charts are drawn one per animation frame,
 * each from its newest spec, so a redraw of six charts never makes one long task.
 */
export class Charts {
  #canvases = chartCanvases();
  /** Canvas sizes come from a ResizeObserver, so drawing never forces a layout of the page
   * (reading getBoundingClientRect per chart per redraw did, and made long main-thread tasks).
   * @type {Map<Element, {w: number, h: number}>} */
  #size = new Map();
  /** @type {Map<string, ChartSpec>} charts waiting for their frame */
  #pending = new Map();
  /** @type {Record<string, string>} what each canvas shows now (size and spec), to skip same redraws */
  #drawn = {};
  /** @type {Record<string, {geometry: Geometry, spec: ChartSpec, json: string} | null>} for the hover readout and PNG exports */
  #plotted = {};
  #frame = 0;
  /** Called once the charts queued so far are drawn (state.js whenDrawn). @type {(() => void)[]} */
  #waiters = [];
  #lastDraw = 0;
  #queued = false;
  /** Redrawn with the legend, at the same times. @type {() => void} */
  #alongside;

  /**
   * @param {{alongside?: () => void}} [options]  `alongside`: what is redrawn with the legend
   *   whenever the charts are (app.js: the results table, which charts.js does not import)
   */
  constructor({ alongside = () => {} } = {}) {
    this.#alongside = alongside;
    const observer = new ResizeObserver((entries) => {
      for (const e of entries) {
        const box = e.contentBoxSize?.[0];
        this.#size.set(e.target, {
          w: Math.round(box ? box.inlineSize : e.contentRect.width),
          h: Math.round(box ? box.blockSize : e.contentRect.height),
        });
      }
      this.schedule();
    });
    onDarkModeChange(() => this.schedule()); // redrawn in the other colours
    for (const [key, canvas] of Object.entries(this.#canvases)) {
      observer.observe(canvas);
      this.#addReadout(key, canvas);
    }
    bindThetaMenu(() => this.schedule());
    const log = input('log-loss');
    log.checked = state.logLoss;
    log.addEventListener('change', () => set({ logLoss: log.checked }));
  }

  /** Redraws soon: at most every REDRAW_MS. */
  schedule() {
    if (this.#queued) return;
    this.#queued = true;
    const wait = Math.max(0, REDRAW_MS - (performance.now() - this.#lastDraw));
    // A plain task, not an animation frame: redraw() updates the DOM and queues the charts,
    // which are then drawn one per frame (#drawNext), so no frame does both.
    setTimeout(() => {
      this.#queued = false;
      this.#lastDraw = performance.now();
      this.redraw();
    }, wait);
  }

  /** Everything again now, from an empty page (a new comparison, or none). */
  reset() {
    $('legend').dataset.key = '';
    this.redraw();
  }

  /** Legend and what goes alongside (the table) now; the charts queued for their frames. */
  redraw() {
    const c = state.comparison;
    const runs = c ? [...c.runs.values()] : [];
    const repeated = Boolean(c && c.repeats > 1);
    const pinned = state.pinned && state.pinned !== c ? state.pinned : null;
    // What waits for the page to show the state as it is now is called once this redraw's
    // charts are on their canvases.
    this.#waiters.push(...takeDrawWaiters());
    renderLegend(runs, repeated, pinned);
    this.#alongside();
    renderVerdict(c);
    syncThetaMenu(runs);
    const specs = chartSpecs(runs, {
      hidden: state.hiddenMethods, logLoss: state.logLoss, repeated, summary: raceSummary(c), pinned,
      thetaX: thetaX(), loaded: Boolean(c?.loaded),
    });
    for (const [key, spec] of Object.entries(specs)) this.#draw(key, spec);
    this.#callWaiters();
  }

  /** Calls the waiters once no chart waits for its frame. */
  #callWaiters() {
    if (this.#pending.size || !this.#waiters.length) return;
    for (const fn of this.#waiters.splice(0)) fn();
  }

  /** @param {string} key @param {ChartSpec} spec */
  #draw(key, spec) {
    this.#pending.set(key, spec);
    if (!this.#frame) this.#frame = requestAnimationFrame(() => this.#drawNext());
  }

  #drawNext() {
    this.#frame = 0;
    for (const [key, spec] of this.#pending) {
      this.#pending.delete(key);
      // A chart whose spec and size are what it already shows costs no frame: go to the next.
      if (this.#drawNow(key, spec)) break;
    }
    if (this.#pending.size) this.#frame = requestAnimationFrame(() => this.#drawNext());
    else this.#callWaiters();
  }

  /** What the chart `key` shows now, as drawChart's JSON (to draw it again larger: a PNG),
   * or null when it shows no plot. @param {string} key */
  plottedJson(key) {
    return this.#plotted[key]?.json ?? null;
  }

  /**
   * Matches the canvas's pixels to its laid-out size; false while it is hidden.
   * @param {HTMLCanvasElement} canvas
   */
  #fit(canvas) {
    const size = this.#size.get(canvas);
    if (!size || size.w === 0 || size.h === 0) return false;
    const w = Math.max(200, size.w);
    const h = Math.max(150, size.h);
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    return true;
  }

  /**
   * What a chart says in its place when it has nothing to draw, wrapped to the canvas; also
   * its title (read on hover and by screen readers), taken off once it draws.
   * @param {HTMLCanvasElement} canvas @param {string} text
   */
  #placeholder(canvas, text) {
    setProp(canvas, 'title', text);
    if (!this.#fit(canvas)) return;
    const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
    ctx.fillStyle = darkMode() ? '#181b26' : '#ffffff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = darkMode() ? '#9aa1b5' : '#7b8194';
    ctx.font = '13px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    /** @type {string[]} */
    const lines = [];
    for (const word of text.split(' ')) {
      const last = lines.at(-1);
      if (last !== undefined && ctx.measureText(`${last} ${word}`).width <= canvas.width - 24) lines[lines.length - 1] = `${last} ${word}`;
      else lines.push(word);
    }
    lines.forEach((line, i) => ctx.fillText(line, canvas.width / 2, canvas.height / 2 + 18 * (i - (lines.length - 1) / 2), canvas.width - 20));
  }

  /**
   * Draws one chart; false when the canvas already showed exactly this.
   * @param {string} key @param {ChartSpec} spec
   */
  #drawNow(key, spec) {
    const canvas = this.#canvases[key];
    const size = this.#size.get(canvas);
    const json = JSON.stringify({ ...spec, dark: darkMode() });
    const { wasm, chartError } = state;
    const drawn = `${size?.w}x${size?.h} ${Boolean(wasm)} ${chartError ? 1 : 0} ${json}`;
    if (this.#drawn[key] === drawn && canvas.width > 0) return false;
    this.#drawn[key] = drawn;
    const hasPoints = spec.series.some((s) => s.points.length > 0);
    if (!wasm || !hasPoints) {
      this.#plotted[key] = null;
      this.#placeholder(canvas, chartError && hasPoints ? 'Charts are unavailable (see the message above).' : spec.placeholder ?? PLACEHOLDER[key]);
      return true;
    }
    if (!this.#fit(canvas)) return true;
    setProp(canvas, 'title', '');
    try {
      const geometry = JSON.parse(wasm.drawChart(canvas, json) || 'null');
      this.#plotted[key] = geometry ? { geometry, spec, json } : null;
    } catch (e) {
      this.#plotted[key] = null;
      this.#placeholder(canvas, `Could not draw this chart: ${String(/** @type {Error} */ (e)?.message ?? e).slice(0, 120)}`);
    }
    return true;
  }

  /**
   * Hover readout: the nearest plotted point to the mouse, from the geometry drawChart returns.
   * @param {string} key @param {HTMLCanvasElement} canvas
   */
  #addReadout(key, canvas) {
    const fig = /** @type {HTMLElement} */ (canvas.parentElement);
    const tip = el('div', { class: 'readout', hidden: true, 'aria-hidden': 'true' });
    const dot = el('div', { class: 'readout-dot', hidden: true, 'aria-hidden': 'true' });
    fig.append(dot, tip);
    const hide = () => { tip.hidden = true; dot.hidden = true; };
    canvas.addEventListener('mousemove', (ev) => {
      const rect = canvas.getBoundingClientRect();
      const px = ((ev.clientX - rect.left) * canvas.width) / rect.width;
      const py = ((ev.clientY - rect.top) * canvas.height) / rect.height;
      const p = this.#plotted[key];
      const hit = p && nearestPoint(p, px, py);
      if (!p || !hit) { hide(); return; }
      tip.textContent = `${hit.s.label || hit.s.hoverLabel}: ${p.spec.xLabel.split(' (')[0]} ${fmtNum(hit.x)}, ${p.spec.yLabel.split(' (')[0]} ${fmtNum(hit.y)}`;
      const x = canvas.offsetLeft + (hit.qx * rect.width) / canvas.width;
      const y = canvas.offsetTop + (hit.qy * rect.height) / canvas.height;
      dot.style.cssText = `left:${x}px;top:${y}px;--c:${hit.s.color}`;
      dot.hidden = false;
      tip.hidden = false;
      // Keep the readout inside the figure.
      const half = tip.offsetWidth / 2;
      tip.style.left = `${Math.min(Math.max(x, half), fig.clientWidth - half)}px`;
      tip.style.top = `${y}px`;
    });
    canvas.addEventListener('mouseleave', hide);
  }
}

/**
 * Where a data point lands on the canvas.
 * @param {Geometry} g @param {number} x @param {number} y
 */
function toPixel(g, x, y) {
  const t = (/** @type {number} */ v, /** @type {number} */ lo, /** @type {number} */ hi, /** @type {boolean} */ log) => (log
    ? (Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)) : (v - lo) / (hi - lo));
  return [g.left + t(x, g.xMin, g.xMax, g.logX) * (g.right - g.left), g.bottom - t(y, g.yMin, g.yMax, g.logY) * (g.bottom - g.top)];
}

/**
 * The plotted point nearest to pixel (px, py), within 40 pixels.
 * @param {{geometry: Geometry, spec: ChartSpec}} plotted @param {number} px @param {number} py
 */
function nearestPoint({ geometry: g, spec }, px, py) {
  if (px < g.left - 8 || px > g.right + 8 || py < g.top - 8 || py > g.bottom + 8) return null;
  /** @type {{d: number, x: number, y: number, qx: number, qy: number, s: Series} | null} */
  let best = null;
  for (const s of spec.series) {
    if (!s.label && !s.hoverLabel) continue;
    // The band's upper edge has a name of its own when it means something (the noise level).
    const edge = s.bandLabel ? { ...s, label: s.bandLabel, hoverLabel: s.bandLabel } : null;
    const candidates = [...s.points.map((p) => ({ x: p[0], y: p[1], at: s })),
      ...(edge ? (s.band ?? []).map((b) => ({ x: b[0], y: b[2], at: edge })) : [])];
    for (const { x, y, at } of candidates) {
      if ((g.logX && !(x > 0)) || (g.logY && !(y > 0))) continue;
      const [qx, qy] = toPixel(g, x, y);
      const d = (qx - px) ** 2 + (qy - py) ** 2;
      if (!best || d < best.d) best = { d, x, y, qx, qy, s: at };
    }
  }
  return best && best.d < 40 * 40 ? best : null;
}

/**
 * The first drawChart calls run on wasm's baseline compiler and are several times slower:
 * draws throwaway charts off screen while the page is idle, before the user's first run, then
 * marks the page (data-charts-warm, for tests and make bench).
 * @param {import('./state.js').PageWasm} wasm
 */
export function warmUpCharts(wasm) {
  const idle = window.requestIdleCallback ?? ((/** @type {() => void} */ f) => setTimeout(f, 200));
  const canvas = document.createElement('canvas');
  canvas.width = 480;
  canvas.height = 280;
  const points = Array.from({ length: 60 }, (_, i) => [i * 1000 + 1, Math.exp(-i / 10)]);
  const series = [{ label: 'a', color: '#2563eb', points }, { label: '', color: '#dc2626', points, light: true }];
  // Every kind of chart the page draws, a few times each, so each reaches the optimising tier.
  const kinds = [
    { logY: true }, { logX: true, logY: true }, { logX: true, yLimits: [-0.05, 1.05] }, { kind: 'scatter', diagonal: true }, {},
  ].map((k) => JSON.stringify({ title: 'warm-up', xLabel: 'x', yLabel: 'y', series, ...k }));
  let left = 4 * kinds.length;
  const once = () => {
    try {
      wasm.drawChart(canvas, kinds[left % kinds.length]);
    } catch { return; /* the real draw reports problems */ }
    if (--left > 0) idle(once);
    else document.documentElement.dataset.chartsWarm = 'true';
  };
  idle(once);
}
