// The θ(x) chart: the learned θ (its first components) against one component of x, thetaTrue
// in grey, on the test set, for one run per method. With one-dimensional x, a line per θ
// component; with more, θ against the x component chosen in the menu beside the chart, the
// other components as they are in the data (so a scatter: points at the same x[k] differ in
// the others). When it cannot be drawn (xDim 0: calibration, where θ is one vector and not a
// function of x) its spec says why, and the chart says so in its place.
import { $, el, setProp } from './dom.js';

/** @typedef {import('./comparison.js').Run} Run */
/** @typedef {import('./charts.js').ChartSpec} ChartSpec */
/** @typedef {import('./charts.js').Series} Series */

/** Points a fit or θ(x) chart draws per run at most (every k-th test point beyond): more than
 * a chart of a few hundred pixels can show apart. */
export const MAX_CHART_POINTS = 1500;
/** A scatter's dots are larger than a line's points: fewer of them show as much. */
const MAX_SCATTER_POINTS = 600;
/** The θ components drawn. */
const THETA_SHOWN = 3;
const TRUE_COLOUR = '#9aa1b1';

/** What the chart says when the runs have no x (calibration mode). */
const NO_X = 'No θ(x) here: this problem has xDim 0 (calibration), so θ is one vector the methods learn directly, not a function of x.';

/** The menu of x components beside the chart (made by bindThetaMenu). */
const menu = () => /** @type {HTMLSelectElement} */ ($('theta-x'));

/** The x component the chart is drawn against (0 until one is chosen). */
export function thetaX() {
  const v = Number(menu().value);
  return Number.isInteger(v) && v >= 0 ? v : 0;
}

/**
 * The θ(x) chart's spec, drawn against x component `xIndex` (with xDim > 1). When the runs
 * have no x, its `placeholder` says so (none: the chart's usual placeholder).
 * @param {Run[]} runs @param {number} [xIndex]
 * @returns {ChartSpec}
 */
export function thetaSpec(runs, xIndex = 0) {
  const fitted = runs.filter((r) => r.fit && Number.isInteger(r.fit.xDim));
  const withX = fitted.filter((r) => /** @type {Record<string, any>} */ (r.fit).xDim >= 1);
  const xDim = Math.max(0, ...withX.map((r) => /** @type {Record<string, any>} */ (r.fit).xDim));
  const k = Math.min(Math.max(0, xIndex), Math.max(0, xDim - 1));
  const scatter = xDim > 1;
  /** @type {ChartSpec} */
  const spec = {
    title: scatter ? `θ learned and true against x[${k}] (the other x as in the data)` : 'θ(x) learned and true',
    xLabel: scatter ? `x[${k}]` : 'x', yLabel: 'θ', logX: false, logY: false, kind: scatter ? 'scatter' : 'line', series: [],
  };
  if (!withX.length) return fitted.length ? { ...spec, placeholder: NO_X } : spec;
  const shownTrue = new Set();
  for (const r of withX) {
    const { x, thetaLearned, thetaTrue, thetaDim, xDim: d } = /** @type {Record<string, any>} */ (r.fit);
    const n = Math.floor(x.length / d);
    // Every stride-th test point, sorted by x[k] for a line: a line of MAX_CHART_POINTS points
    // shows what one of 20,000 would, and sorting and drawing all of them held the main thread.
    const stride = Math.max(1, Math.ceil(n / (scatter ? MAX_SCATTER_POINTS : MAX_CHART_POINTS)));
    const order = [];
    for (let i = 0; i < n; i += stride) order.push(i);
    const at = (/** @type {number} */ i) => x[i * d + Math.min(k, d - 1)];
    if (!scatter) order.sort((a, b) => at(a) - at(b));
    for (let j = 0; j < Math.min(THETA_SHOWN, thetaDim); j++) {
      if (thetaTrue && !shownTrue.has(j)) {
        shownTrue.add(j);
        spec.series.push({ label: '', hoverLabel: `thetaTrue[${j}]`, color: TRUE_COLOUR, light: true,
          points: order.map((i) => [at(i), thetaTrue[i * thetaDim + j]]) });
      }
      spec.series.push({ label: '', hoverLabel: `${r.info.label} θ[${j}]`, color: r.info.colour, light: false,
        points: order.map((i) => [at(i), thetaLearned[i * thetaDim + j]]) });
    }
  }
  return spec;
}

/**
 * The menu follows the runs' x: a choice per x component, shown when x has more than one
 * (a choice made stays while it exists).
 * @param {Run[]} runs
 */
export function syncThetaMenu(runs) {
  const xDim = Math.max(0, ...runs.map((r) => (Number.isInteger(r.fit?.xDim) ? /** @type {number} */ (r.fit?.xDim) : 0)));
  const box = menu();
  if (box.options.length !== xDim) {
    const kept = thetaX();
    box.replaceChildren(...Array.from({ length: xDim }, (_, i) => el('option', { value: String(i) }, `x[${i}]`)));
    box.value = String(kept < xDim ? kept : 0);
  }
  setProp(/** @type {HTMLElement} */ (box.parentElement), 'hidden', xDim < 2);
}

/**
 * Puts the menu of x components above the θ(x) chart; `onChange` redraws.
 * @param {() => void} onChange
 */
export function bindThetaMenu(onChange) {
  const canvas = $('chart-theta');
  const select = el('select', { id: 'theta-x', title: 'The x component the θ(x) chart is drawn against; the other components are as they are in the test data' });
  select.addEventListener('change', onChange);
  canvas.before(el('div', { class: 'theta-x', hidden: true }, el('label', { for: 'theta-x' }, 'θ against'), select));
}
