// The results: the table of final values per method (updated in place while runs go on),
// and the exports: results.json (schema in the README and DESIGN.md's "Page conventions"),
// curves.csv, weights.json, and each chart as a PNG.
import { $, button, download, el, jsonBlob, setProp, setText } from './dom.js';
import { fmtCount, fmtMs, fmtNum, median } from './format.js';
import { state } from './state.js';

/** @typedef {import('./comparison.js').Run} Run */

/** The fields of a history entry in results.json (schema 1) and the columns of curves.csv:
 * fixed, so that files written today read the same later, whatever else a worker sends. */
const RESULT_FIELDS = Object.freeze(/** @type {const} */ (['step', 'evals', 'monitorEvals', 'wallMs',
  'trainLoss', 'testLoss', 'gradRelErr', 'gradCos']));
/** @typedef {{text: string, title: string, best: boolean}} Cell */

/** The mark and word of each outcome (the core's `Outcome`), for the table. */
const OUTCOME_MARKS = Object.freeze(/** @type {Record<string, string>} */ ({
  reached: '✓ reached', improved: '↘ improved', worse: '✗ worse', diverged: '⚠ diverged',
  failed: '✗ failed', stopped: '■ stopped',
}));
/** @typedef {{key: string, r: Run, diverged: boolean, about: string, cells: Cell[], outcome: string, outcomeWhy: string}} RowModel */

/**
 * Fills the results table: a row per run, rebuilt only when a row's kind changes (running,
 * waiting, failed, diverged), otherwise its cells are updated in place. ★ (class "best") marks
 * the best of each column when several methods ran.
 * @param {Run[]} runs
 */
export function renderTable(runs) {
  const body = /** @type {HTMLTableSectionElement} */ ($('results-body'));
  if (!runs.length) {
    if (body.dataset.key !== '') {
      body.dataset.key = '';
      body.replaceChildren(el('tr', { class: 'empty' }, el('td', { colspan: 6 }, 'No results yet. Press Run.')));
    }
    return;
  }
  const rows = runs.map((r) => {
    const f = r.final;
    return {
      r,
      /** @type {Record<string, number | null>} */
      cols: {
        train: f.trainLoss, test: f.testLoss, evals: r.evals, wall: r.wallMs,
        cos: median(r.history.map((h) => h.gradCos).filter((v) => v !== null)),
      },
    };
  });
  /** @type {Record<string, number>} */
  const best = {};
  // Evaluations are the shared budget, not a score: that column is not ranked.
  /** @type {Record<string, (a: number, b: number) => boolean>} */
  const better = { train: (a, b) => a < b, test: (a, b) => a < b, wall: (a, b) => a < b, cos: (a, b) => a > b };
  if (runs.length > 1) {
    for (const k of Object.keys(better)) {
      for (const row of rows) {
        const v = row.cols[k];
        // A run that failed, diverged or never started (stopped while waiting) is not a best.
        if (v === null || !Number.isFinite(v) || row.r.error || row.r.status?.stopReason === 'diverged' || !(row.r.evals > 0)) continue;
        if (best[k] === undefined || better[k](v, best[k])) best[k] = v;
      }
    }
  }
  /** @type {RowModel[]} */
  const models = rows.map(({ r, cols }) => {
    const diverged = r.status?.stopReason === 'diverged';
    const about = [r.status?.message, ...(Array.isArray(r.status?.notes) ? r.status.notes.slice(0, 5) : [])].filter(Boolean).join('\n');
    const monitor = r.status?.monitorEvals ?? r.history.at(-1)?.monitorEvals;
    const cell = (/** @type {string} */ k, /** @type {string} */ text, title = '') => ({ text, title, best: best[k] !== undefined && cols[k] === best[k] });
    const evals = /** @type {number} */ (cols.evals);
    return {
      // Rows are rebuilt only when this changes; otherwise their cells are updated in place.
      key: `${r.method}|${r.error ? 'failed' : ''}|${r.ended ? '' : r.waiting ? 'waiting' : 'running'}|${diverged ? 'diverged' : ''}`,
      r, diverged, about,
      cells: r.error ? [{ text: `Failed: ${r.error.split('\n')[0]}`, title: '', best: false }] : [
        cell('train', fmtNum(cols.train)),
        cell('test', fmtNum(cols.test)),
        cell('evals', fmtCount(evals), `${evals} learning evaluations${Number.isFinite(monitor) ? `, ${monitor} for monitoring` : ''}`),
        cell('wall', fmtMs(/** @type {number} */ (cols.wall)), wallTitle(r.status, /** @type {number} */ (cols.wall))),
        cell('cos', fmtNum(cols.cos)),
      ],
      outcome: r.outcome.outcome ? OUTCOME_MARKS[r.outcome.outcome] ?? r.outcome.outcome : '',
      outcomeWhy: r.outcome.outcomeWhy ?? '',
    };
  });
  const key = models.map((m) => m.key).join(';');
  if (body.dataset.key !== key) {
    body.dataset.key = key;
    body.replaceChildren(...models.map(resultRow));
  }
  models.forEach((m, i) => fillResultRow(body.rows[i], m));
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
function resultRow({ r }) {
  const name = el('td', {}, el('span', { class: 'swatch', style: `--c:${r.info.color}`, 'aria-hidden': 'true' }), r.info.label,
    r.ended ? null : el('span', { class: 'muted' }, r.waiting ? ' (waiting for a core)' : ' (running)'),
    el('span', { class: 'outcome' }));
  if (r.error) return el('tr', { class: 'failed' }, name, el('td', { colspan: 5, class: 'err' }));
  return el('tr', {}, name, ...Array.from({ length: 5 }, () => el('td')));
}

/** @param {HTMLTableRowElement} tr @param {RowModel} model */
function fillResultRow(tr, { about, cells, outcome, outcomeWhy }) {
  setProp(tr.cells[0], 'title', [outcomeWhy, about].filter(Boolean).join('\n'));
  const mark = /** @type {HTMLElement} */ (tr.cells[0].querySelector('.outcome'));
  setText(mark, outcome);
  if (mark.dataset.outcome !== outcome.split(' ')[1]) mark.dataset.outcome = outcome.split(' ')[1] ?? '';
  cells.forEach((c, i) => {
    const td = tr.cells[i + 1];
    setText(td, c.text);
    setProp(td, 'title', c.title);
    if (td.classList.contains('best') !== c.best) td.classList.toggle('best', c.best);
  });
}

/** results.json: the settings every method shared, and each run's history, final values and error. */
export function resultsJson() {
  const c = state.comparison;
  const runs = c ? [...c.runs.values()] : [];
  return {
    schema: 1,
    config: c ? { ...c.config, methods: c.methods, script: c.script } : {},
    runs: runs.map((r) => ({
      method: r.method,
      history: r.history.map((h) => Object.fromEntries(RESULT_FIELDS.map((f) => [f, h[f]]))),
      final: r.final,
      error: r.error ?? null,
    })),
  };
}

/** Every logged point of every run, a line each. */
function curvesCsv() {
  const cols = ['method', ...RESULT_FIELDS];
  const lines = [cols.join(',')];
  for (const r of state.comparison?.runs.values() ?? []) {
    for (const h of r.history) lines.push([r.method, ...RESULT_FIELDS.map((c) => (h[c] === null ? '' : h[c]))].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** The trained networks by method. */
function weightsJson() {
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const r of state.comparison?.runs.values() ?? []) {
    if (!r.weights) continue;
    try { out[r.method] = JSON.parse(r.weights); } catch { out[r.method] = r.weights; }
  }
  return out;
}

/**
 * Wires the export buttons.
 * @param {Record<string, HTMLCanvasElement>} canvases the charts, by key
 */
export function bindExports(canvases) {
  button('export').addEventListener('click', () => download('results.json', jsonBlob(resultsJson())));
  button('export-csv').addEventListener('click', () => download('curves.csv', new Blob([curvesCsv()], { type: 'text/csv' })));
  button('export-weights').addEventListener('click', () => download('weights.json', jsonBlob(weightsJson())));
  button('export-png').addEventListener('click', () => {
    for (const [key, canvas] of Object.entries(canvases)) {
      if (canvas.offsetParent === null) continue;
      canvas.toBlob((blob) => { if (blob) download(`chart-${key}.png`, blob); }, 'image/png');
    }
  });
}
