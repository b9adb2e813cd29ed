// The results: the table of final values per method (updated in place while runs go on),
// and the exports: results.json (schema in the README and DESIGN.md's "Page conventions"),
// curves.csv, weights.json, and each chart as a PNG.
import { $, button, download, el, jsonBlob, setProp, setText } from './dom.js';
import { fmtCount, fmtMs, fmtNum, median, spread } from './format.js';
import { METHOD } from './methods.js';
import { byMethod, diverged, raceSummary, ran } from './race.js';
import { diagnosisFor, state } from './state.js';

/** @typedef {import('./comparison.js').Run} Run */

/** The fields of a history entry in results.json (schema 1 and 2) and the columns of
 * curves.csv: fixed, so that files written today read the same later, whatever else a worker
 * sends. Schema 2 adds `surrogateErr` to the runs that measured it; schema 3 adds `gradSE`
 * to every entry (null for deterministic methods). */
const RESULT_FIELDS = Object.freeze(/** @type {const} */ (['step', 'evals', 'monitorEvals', 'wallMs',
  'trainLoss', 'testLoss', 'gradRelErr', 'gradCos']));
/** A cell: its text, title, whether it is the best of its column, and (a method's repeats)
 * the range under the median. @typedef {{text: string, title: string, best: boolean, sub?: string}} Cell */

/** The mark and word of each outcome (the core's `Outcome`), for the table. */
const OUTCOME_MARKS = Object.freeze(/** @type {Record<string, string>} */ ({
  reached: '✓ reached', improved: '↘ improved', worse: '✗ worse', diverged: '⚠ diverged',
  failed: '✗ failed', stopped: '■ stopped',
}));

/**
 * One row of the table: a run, or (with repeats) a method's runs.
 * @typedef {object} RowModel
 * @property {string} key       the row is rebuilt only when this changes; otherwise updated in place
 * @property {string} method
 * @property {string} label
 * @property {boolean} grouped  a method's repeats: cells hold a median and a range
 * @property {string | null} failed  the row's error when it has no numbers (every run failed)
 * @property {string} suffix    " (running)", " (waiting for a core)", …
 * @property {string} about
 * @property {Cell[]} cells
 * @property {string} outcome   the mark under the name
 * @property {string} outcomeWord  its outcome, for the mark's colour
 * @property {string} outcomeWhy
 */

/** @param {Record<string, any> | null} status @param {number} [limit] */
const aboutText = (status, limit = 5) => [status?.message, ...(Array.isArray(status?.notes) ? status.notes.slice(0, limit) : [])].filter(Boolean).join('\n');

/** Evaluations are the shared budget, not a score: that column is not ranked.
 * @type {Record<string, (a: number, b: number) => boolean>} */
const BETTER = { train: (a, b) => a < b, test: (a, b) => a < b, wall: (a, b) => a < b, cos: (a, b) => a > b };

/**
 * The best value of each ranked column over the rows that may win it.
 * @param {{cols: Record<string, number | null>, rankable: boolean}[]} rows
 */
function bestOf(rows) {
  /** @type {Record<string, number>} */
  const best = {};
  if (rows.length < 2) return best;
  for (const k of Object.keys(BETTER)) {
    for (const row of rows) {
      const v = row.cols[k];
      if (!row.rankable || v === null || !Number.isFinite(v)) continue;
      if (best[k] === undefined || BETTER[k](v, best[k])) best[k] = v;
    }
  }
  return best;
}

/**
 * A row per run (one run per method).
 * @param {Run[]} runs
 * @returns {RowModel[]}
 */
function runModels(runs) {
  const rows = runs.map((r) => {
    const f = r.final;
    /** @type {Record<string, number | null>} */
    const cols = {
      train: f.trainLoss, test: f.testLoss, evals: r.evals, wall: r.wallMs,
      cos: median(r.history.map((h) => h.gradCos).filter((v) => v !== null)),
    };
    // A run that failed, diverged or never started (stopped while waiting) is not a best.
    return { r, cols, rankable: !r.error && r.status?.stopReason !== 'diverged' && r.evals > 0 };
  });
  const best = bestOf(rows);
  return rows.map(({ r, cols }) => {
    const diverged = r.status?.stopReason === 'diverged';
    const monitor = r.status?.monitorEvals ?? r.history.at(-1)?.monitorEvals;
    const cell = (/** @type {string} */ k, /** @type {string} */ text, title = '') => ({ text, title, best: best[k] !== undefined && cols[k] === best[k] });
    const evals = /** @type {number} */ (cols.evals);
    const outcome = r.outcome.outcome ? OUTCOME_MARKS[r.outcome.outcome] ?? r.outcome.outcome : '';
    const state = r.ended ? '' : r.waiting ? 'waiting' : 'running';
    return {
      key: `${r.method}|${r.error ? 'failed' : ''}|${state}|${diverged ? 'diverged' : ''}`,
      method: r.method, label: r.info.label, grouped: false,
      failed: r.error ? r.error.split('\n')[0] : null,
      suffix: state === 'waiting' ? ' (waiting for a core)' : state === 'running' ? ' (running)' : '',
      about: aboutText(r.status),
      cells: r.error ? [] : [
        cell('train', fmtNum(cols.train)),
        cell('test', fmtNum(cols.test)),
        cell('evals', fmtCount(evals) + (r.status?.skipped ? ` (${fmtCount(r.status.skipped)} skipped)` : ''),
          `${evals} learning evaluations${Number.isFinite(monitor) ? `, ${monitor} for monitoring` : ''}`
          + (Number.isFinite(r.status?.tuning?.evals) ? `, ${r.status?.tuning?.evals} in learning-rate pilots (chose ${r.status?.tuning?.chosen ?? '…'})` : '')
          + (r.status?.skipped ? `; ${r.status.skipped} samples skipped where F failed (set thetaBounds to keep θ where F works)` : '')),
        cell('wall', fmtMs(/** @type {number} */ (cols.wall)), wallTitle(r.status, /** @type {number} */ (cols.wall))),
        cell('cos', fmtNum(cols.cos)),
      ],
      outcome, outcomeWord: outcome.split(' ')[1] ?? '', outcomeWhy: r.outcome.outcomeWhy ?? '',
    };
  });
}

/**
 * How a method's repeats came out: the commonest outcome with its count ("✓ 3/3 reached"),
 * and the runs lost (failed or diverged) when that is not it.
 * @param {Run[]} runs
 */
function groupOutcome(runs) {
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const r of runs) {
    const o = r.outcome.outcome;
    if (o) counts.set(o, (counts.get(o) ?? 0) + 1);
  }
  if (!counts.size) return { outcome: '', outcomeWord: '', outcomeWhy: '' };
  const order = Object.keys(OUTCOME_MARKS);
  const [top, n] = [...counts].sort((a, b) => b[1] - a[1] || order.indexOf(a[0]) - order.indexOf(b[0]))[0];
  const [mark, word] = (OUTCOME_MARKS[top] ?? ` ${top}`).split(' ');
  const lost = ['diverged', 'failed'].filter((o) => o !== top && counts.get(o)).map((o) => `${OUTCOME_MARKS[o].split(' ')[0]} ${counts.get(o)} ${o}`);
  const tally = [...counts].map(([o, k]) => `${k} ${o}`).join(', ');
  const whys = runs.filter((r) => r.outcome.outcomeWhy).map((r) => `#${r.repeat + 1}: ${r.outcome.outcomeWhy}`);
  return {
    outcome: `${mark} ${n}/${runs.length} ${word}${lost.length ? ` · ${lost.join(' · ')}` : ''}`,
    outcomeWord: word,
    outcomeWhy: [`${runs.length} runs: ${tally}.`, ...whys].join('\n'),
  };
}

/** @param {number | null} lo @param {number | null} hi @param {(v: number) => string} fmt */
const rangeText = (lo, hi, fmt) => (lo === null || hi === null ? '' : lo === hi ? '' : `${fmt(lo)}–${fmt(hi)}`);

/**
 * A row per method, over its repeats: the median of each column with its range (min–max
 * below 5 runs, the interquartile range from 5 up, as the core's summary).
 * @param {Run[]} runs
 * @returns {RowModel[]}
 */
function groupModels(runs) {
  const rows = [...byMethod(runs)].map(([method, list]) => {
    // The medians are over the runs that have numbers: not those that failed, nor those
    // still waiting for a core (or stopped while they waited).
    const ok = list.filter((r) => !r.error && ran(r));
    /** @type {Record<string, ReturnType<typeof spread>>} */
    const s = {
      train: spread(ok.map((r) => r.final.trainLoss)),
      test: spread(ok.map((r) => r.final.testLoss)),
      evals: spread(ok.map((r) => r.evals)),
      wall: spread(ok.map((r) => r.wallMs)),
      cos: spread(ok.map((r) => median(r.history.map((h) => h.gradCos).filter((v) => v !== null)))),
    };
    const cols = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.median]));
    // A method that lost a run (failed or diverged) is not a best: its medians mix runs that
    // ended early with the others.
    const rankable = !list.some((r) => r.error || diverged(r)) && ok.some((r) => r.evals > 0);
    return { method, list, ok, s, cols, rankable };
  });
  const best = bestOf(rows);
  return rows.map(({ method, list, ok, s, cols }) => {
    const n = list.length;
    const running = list.filter((r) => !r.ended && !r.waiting).length;
    const waiting = list.filter((r) => !r.ended && r.waiting).length;
    const done = n - running - waiting;
    const state = running ? 'running' : waiting ? 'waiting' : '';
    const over = (/** @type {string} */ k) => (s[k].n > 1 ? `median of ${s[k].n} runs` : s[k].n === 1 ? 'one run' : '');
    /** @param {string} k @param {(v: number) => string} fmt @param {string} [title] */
    const cell = (k, fmt, title = '') => {
      const v = cols[k];
      const range = rangeText(s[k].lo, s[k].hi, fmt);
      return {
        text: v === null ? '–' : fmt(v),
        sub: range,
        title: title || [over(k), range && `${s.train.n >= 5 ? 'interquartile range' : 'range'} ${range}`].filter(Boolean).join('; '),
        best: best[k] !== undefined && v === best[k],
      };
    };
    const totalEvals = ok.reduce((a, r) => a + r.evals, 0);
    const totalWall = ok.reduce((a, r) => a + r.wallMs, 0);
    const errors = list.filter((r) => r.error);
    const info = list[0].info;
    const allFailed = errors.length === n;
    return {
      key: `${method}|${allFailed ? 'failed' : ''}|grouped`,
      method, label: info.label, grouped: true,
      failed: allFailed ? `${/** @type {string} */ (errors[0].error).split('\n')[0]}${n > 1 ? ` (all ${n} runs)` : ''}` : null,
      suffix: state ? ` (${state === 'running' ? 'running' : 'waiting for a core'}, ${done}/${n} done)` : '',
      about: [
        errors.length && ok.length ? `${errors.length} of ${n} runs failed: ${/** @type {string} */ (errors[0].error).split('\n')[0]}` : '',
        aboutText(list.find((r) => r.status?.message || r.status?.notes?.length)?.status ?? null, 3),
      ].filter(Boolean).join('\n'),
      cells: !allFailed ? [
        cell('train', fmtNum),
        cell('test', fmtNum),
        cell('evals', fmtCount, `${over('evals')} of learning evaluations; ${fmtCount(totalEvals)} over all ${ok.length} runs`),
        cell('wall', fmtMs, `${over('wall')}; ${fmtMs(totalWall)} of work over all ${ok.length} runs`),
        cell('cos', fmtNum),
      ] : [],
      ...groupOutcome(list),
    };
  });
}

/**
 * Fills the results table: a row per run, or with repeats a row per method (the median over
 * its runs, the range under it). A row is rebuilt only when its kind changes (running,
 * waiting, failed, diverged), otherwise its cells are updated in place. ★ (class "best") marks
 * the best of each column when several methods ran.
 * @param {Run[]} runs
 * @param {{grouped?: boolean}} [options]
 */
export function renderTable(runs, { grouped = false } = {}) {
  const body = /** @type {HTMLTableSectionElement} */ ($('results-body'));
  if (!runs.length) {
    if (body.dataset.key !== '') {
      body.dataset.key = '';
      body.replaceChildren(el('tr', { class: 'empty' }, el('td', { colspan: 6 }, 'No results yet. Press Run.')));
    }
    return;
  }
  const models = grouped ? groupModels(runs) : runModels(runs);
  const key = models.map((m) => m.key).join(';');
  if (body.dataset.key !== key) {
    body.dataset.key = key;
    body.replaceChildren(...models.map(resultRow));
  }
  models.forEach((m, i) => fillResultRow(body.rows[i], m));
}

/** The table of the page's comparison (app.js redraws it with the charts). */
export function renderResults() {
  const c = state.comparison;
  renderTable(c ? [...c.runs.values()] : [], { grouped: Boolean(c && c.repeats > 1) });
}

/**
 * How a run's time split between F and everything else (the network, the estimator).
 * @param {Record<string, any> | null} status @param {number} wall
 */
function wallTitle(status, wall) {
  const inF = status?.fMs;
  if (!Number.isFinite(inF) || !(wall > 0)) return '';
  const share = Math.min(100, Math.round((100 * inF) / wall));
  return `${fmtMs(inF)} (${share}%) inside F; the rest in the network, the estimator and the optimiser`;
}

/**
 * The skeleton of one results row; fillResultRow puts the numbers in.
 * @param {RowModel} model
 */
function resultRow({ method, label, failed, grouped }) {
  const name = el('td', {}, el('span', { class: 'swatch', style: `--c:${METHOD[method].colour}`, 'aria-hidden': 'true' }), label,
    el('span', { class: 'muted state' }), el('span', { class: 'outcome' }));
  if (failed !== null) return el('tr', { class: 'failed' }, name, el('td', { colspan: 5, class: 'err' }));
  const cell = () => (grouped ? el('td', {}, el('span', { class: 'v' }), el('small', { class: 'range' })) : el('td'));
  return el('tr', {}, name, ...Array.from({ length: 5 }, cell));
}

/** @param {HTMLTableRowElement} tr @param {RowModel} model */
function fillResultRow(tr, { about, cells, failed, suffix, outcome, outcomeWord, outcomeWhy }) {
  setProp(tr.cells[0], 'title', [outcomeWhy, about].filter(Boolean).join('\n'));
  setText(/** @type {HTMLElement} */ (tr.cells[0].querySelector('.state')), suffix);
  const mark = /** @type {HTMLElement} */ (tr.cells[0].querySelector('.outcome'));
  setText(mark, outcome);
  if (mark.dataset.outcome !== outcomeWord) mark.dataset.outcome = outcomeWord;
  if (failed !== null) {
    setText(tr.cells[1], `Failed: ${failed}`);
    return;
  }
  cells.forEach((c, i) => {
    const td = tr.cells[i + 1];
    const v = td.querySelector('.v');
    if (v) {
      setText(v, c.text);
      setText(/** @type {Element} */ (td.querySelector('.range')), c.sub ?? '');
    } else setText(td, c.text);
    setProp(td, 'title', c.title);
    if (td.classList.contains('best') !== c.best) td.classList.toggle('best', c.best);
  });
}

/**
 * One run as results.json holds it: which repeat and seed, its history (with `surrogateErr`
 * when the run measured one), final values and error.
 * @param {Run} r @param {number | null} baseSeed
 */
function runRecord(r, baseSeed) {
  const fields = [...RESULT_FIELDS, 'gradSE',
    ...(r.history.some((h) => h.surrogateErr !== null && h.surrogateErr !== undefined) ? ['surrogateErr'] : [])];
  return {
    method: r.method,
    repeat: r.repeat,
    seed: r.seed ?? baseSeed,
    history: r.history.map((h) => Object.fromEntries(fields.map((f) => [f, h[f] ?? null]))),
    final: r.final,
    // The rate the run trained with: its method's own, the shared one, or the tuned one.
    learningRate: r.status?.learningRate ?? null,
    error: r.error ?? null,
    // Learning-rate tuning: the rates tried, their pilots' scores, the one chosen and the
    // pilots' F-evaluations (counted apart from the budget); null when the run did not tune.
    tuning: r.status?.tuning ?? null,
  };
}

/** results.json (schema 2, README "Results"): the settings every run shared, each run (one
 * per method and repeat), and the core's summary per method with its verdict. */
export function resultsJson() {
  const c = state.comparison;
  const runs = c ? [...c.runs.values()] : [];
  const race = raceSummary(c);
  const seed = typeof c?.config.seed === 'number' ? c.config.seed : null;
  return {
    schema: 3,
    config: c ? { ...c.config, methods: c.methods, script: c.script } : {},
    runs: runs.map((r) => runRecord(r, seed)),
    summary: race?.summary ?? [],
    verdict: race?.verdict ?? '',
    // The last Diagnose F of this script (diagnosis.json), when one was made.
    ...(c && diagnosisFor(c.script) ? { diagnosis: diagnosisFor(c.script) } : {}),
  };
}

/** Every logged point of every run, a line each; with repeats, a `repeat` column (0-based)
 * after the method tells the runs apart. */
function curvesCsv() {
  const c = state.comparison;
  const repeated = Boolean(c && c.repeats > 1);
  const cols = ['method', ...(repeated ? ['repeat'] : []), ...RESULT_FIELDS];
  const lines = [cols.join(',')];
  for (const r of c?.runs.values() ?? []) {
    const lead = repeated ? [r.method, r.repeat] : [r.method];
    for (const h of r.history) lines.push([...lead, ...RESULT_FIELDS.map((f) => (h[f] === null ? '' : h[f]))].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** The trained networks by method; with repeats, a list per method, one network per repeat
 * (null where that run trained none). */
function weightsJson() {
  const c = state.comparison;
  /** @type {Record<string, any>} */
  const out = {};
  for (const r of c?.runs.values() ?? []) {
    if (!r.weights && !(c && c.repeats > 1)) continue;
    /** @type {unknown} */
    let w = null;
    if (r.weights) {
      try { w = JSON.parse(r.weights); } catch { w = r.weights; }
    }
    if (c && c.repeats > 1) (out[r.method] ??= [])[r.repeat] = w;
    else out[r.method] = w;
  }
  return out;
}

/**
 * Wires the export buttons.
 * @param {Record<string, HTMLCanvasElement>} canvases the charts, by key
 * @param {(key: string, canvas: HTMLCanvasElement) => Promise<Blob | null>} png a chart as a
 *   PNG at twice its on-screen size
 */
export function bindExports(canvases, png) {
  button('export').addEventListener('click', () => download('results.json', jsonBlob(resultsJson())));
  button('export-csv').addEventListener('click', () => download('curves.csv', new Blob([curvesCsv()], { type: 'text/csv' })));
  button('export-weights').addEventListener('click', () => download('weights.json', jsonBlob(weightsJson())));
  button('export-png').addEventListener('click', () => {
    for (const [key, canvas] of Object.entries(canvases)) {
      if (canvas.offsetParent === null) continue;
      png(key, canvas).then((blob) => { if (blob) download(`chart-${key}.png`, blob); });
    }
  });
}
