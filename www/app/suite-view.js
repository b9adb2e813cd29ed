// A suite's results in the page: for each level τ its data profile (share of problem × repeat
// instances solved against evaluations / (p+1), log axis) and its performance profile (share
// within a factor r of the best method on the instance, log axis), drawn by the core's
// drawChart like the page's other charts, and the win-rate matrix as a table. Each canvas keeps
// the curves it shows in data-curves (JSON), the suite test's way to read what is drawn.
import { darkMode, el } from './dom.js';
import { METHOD } from './methods.js';

/** @typedef {import('./suite-profiles.js').SuiteProfiles} SuiteProfiles */
/** @typedef {import('./suite-profiles.js').Curve} Curve */

/**
 * The chart spec of profile curves as steps (charts.js's profile chart does the same for one race).
 * @param {string} title @param {string} xLabel @param {Curve[]} curves @param {number} lo @param {number} hi
 */
function stepSpec(title, xLabel, curves, lo, hi) {
  /** @type {{label: string, color: string, light: boolean, points: number[][], band?: number[][]}[]} */
  const series = curves.map((c) => {
    const points = [[lo, 0]];
    let share = 0;
    for (const [x, s] of c.points) {
      const at = Math.min(hi, Math.max(lo, x));
      points.push([at, share], [at, s]);
      share = s;
    }
    points.push([hi, share]);
    return { label: METHOD[c.method]?.label ?? c.method, color: METHOD[c.method]?.colour ?? '#64748b', light: false, points };
  });
  // A one-point band keeps the y axis at [0, 1] whatever the shares are (as charts.js does).
  if (series.length) series[0] = { ...series[0], band: [[lo, 0, 1]] };
  return { title, xLabel, yLabel: 'share of problems × repeats', logX: true, logY: false, kind: 'line',
    yLimits: [-0.05, 1.05], series, dark: darkMode() };
}

/**
 * Draws one profile on a new canvas in a figure.
 * @param {import('./state.js').PageWasm} wasm @param {string} id @param {string} caption
 * @param {ReturnType<typeof stepSpec>} spec @param {Curve[]} curves
 */
function figure(wasm, id, caption, spec, curves) {
  const canvas = /** @type {HTMLCanvasElement} */ (el('canvas', { id, role: 'img', 'aria-label': `${spec.title}: ${caption}` }));
  canvas.dataset.curves = JSON.stringify(curves);
  const fig = el('figure', { class: 'chart suite-chart' }, canvas, el('figcaption', {}, caption));
  // Drawn once it is in the page and has a size.
  requestAnimationFrame(() => {
    canvas.width = 2 * (canvas.clientWidth || 480);
    canvas.height = 2 * (canvas.clientHeight || 240);
    try { wasm.drawChart(canvas, JSON.stringify(spec)); } catch { /* the table says it too */ }
    canvas.dataset.drawn = 'true';
  });
  return fig;
}

/** @param {number} tau */
const tauId = (tau) => String(tau).replace(/\W/g, '_');

/**
 * The win-rate matrix at one τ: row method against column method, wins–ties–losses over the
 * problems, and the row's share of wins (a tie counts half).
 * @param {SuiteProfiles} profiles @param {number} k  index of the τ
 */
function winTable(profiles, k) {
  const { tau, scores } = profiles.wins[k];
  const methods = profiles.methods;
  const label = (/** @type {string} */ m) => METHOD[m]?.label ?? m;
  const head = el('tr', {}, el('th', { scope: 'col' }, 'Method'), ...methods.map((m) => el('th', { scope: 'col' }, `vs ${label(m)}`)),
    el('th', { scope: 'col', title: 'Wins plus half the ties, over every problem and every other method' }, 'Win rate'));
  const rows = methods.map((m, i) => {
    let won = 0;
    let games = 0;
    const cells = methods.map((_, j) => {
      if (i === j) return el('td', { class: 'self' }, '–');
      const s = scores[i][j];
      won += s.wins + s.ties / 2;
      games += s.wins + s.ties + s.losses;
      return el('td', { title: `${label(m)} against ${label(methods[j])}: ${s.wins} won, ${s.ties} tied, ${s.losses} lost` },
        `${s.wins}–${s.ties}–${s.losses}`);
    });
    return el('tr', {}, el('th', { scope: 'row' }, label(m)), ...cells, el('td', {}, games ? `${Math.round((100 * won) / games)}%` : '–'));
  });
  return el('div', { class: 'table-wrap' }, el('table', { class: 'suite-wins', id: `suite-wins-${tauId(tau)}` },
    el('caption', {}, `τ = ${tau}: won–tied–lost, problem by problem (fewer evaluations to converge, the median over repeats; not converged counts as never)`),
    el('thead', {}, head), el('tbody', {}, ...rows)));
}

/**
 * Shows a suite's profiles in `box` (emptied first).
 * @param {HTMLElement} box @param {SuiteProfiles} profiles @param {number} budget  the suite's budget, in units
 * @param {import('./state.js').PageWasm | null} wasm
 */
export function renderProfiles(box, profiles, budget, wasm) {
  box.replaceChildren();
  const n = profiles.instances;
  box.append(el('p', { class: 'suite-summary' }, `${n} instance${n === 1 ? '' : 's'} (problems × repeats), ${profiles.methods.length} methods.`));
  if (!wasm) {
    box.append(el('p', { class: 'muted' }, 'The charts need the WebAssembly core, which did not load.'));
    return;
  }
  const data = el('div', { class: 'suite-charts' });
  const perf = el('div', { class: 'suite-charts' });
  profiles.taus.forEach((tau, k) => {
    const curves = profiles.data[k].curves;
    const xs = curves.flatMap((c) => c.points.map((p) => p[0])).filter((x) => x > 0);
    const lo = Math.min(1, ...xs);
    const hi = Math.max(budget, lo * 10, ...xs);
    data.append(figure(wasm, `suite-data-${tauId(tau)}`,
      `Data profile at τ = ${tau}: the share of problems × repeats each method solved within that many units of (p+1) F-evaluations (log scale). Higher and further left is better.`,
      stepSpec(`Data profile, τ = ${tau}`, 'F-evaluations / (p+1)', curves, lo, hi), curves));
    const pc = profiles.performance[k].curves;
    const top = Math.max(2, ...pc.flatMap((c) => c.points.map((p) => p[0] * 1.5)));
    perf.append(figure(wasm, `suite-perf-${tauId(tau)}`,
      `Performance profile at τ = ${tau}: the share of problems × repeats each method solved within a factor r of the fewest evaluations any method needed there (log scale). At r = 1: how often it was the fastest.`,
      stepSpec(`Performance profile, τ = ${tau}`, 'ratio r to the best', pc, 1, top), pc));
  });
  box.append(el('h3', {}, 'Data profiles'), data, el('h3', {}, 'Performance profiles'), perf, el('h3', {}, 'Win rate'));
  profiles.taus.forEach((_, k) => box.append(winTable(profiles, k)));
}
