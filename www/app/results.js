// The results: the table of final values per method (updated in place while runs go on),
// and the exports: results.json (schema in docs/races.md and DESIGN.md's "Page conventions"),
// curves.csv, weights.json; a row's Python button exports its method's policy (weights.js).
import { $, button, download, el, jsonBlob, setProp, setText } from './dom.js';
import { fmtCount, fmtMs, fmtNum, fmtShortMs, median, spread } from './format.js';
import { METHOD } from './methods.js';
import { byMethod, raceSummary, ran } from './race.js';
import { shownCharts } from './settings-form.js';
import { diagnosisFor, state } from './state.js';
import { exportPython, policyMethods } from './weights.js';

/** @typedef {import('./comparison.js').Run} Run */

/** The fields of a history entry in results.json (schema 1 and 2) and the columns of
 * curves.csv: fixed, so that files written today read the same later, whatever else a worker
 * sends. Schema 2 adds `surrogateErr` to the runs that measured it; schema 3 adds `gradSE`
 * to every entry (null for deterministic methods); schema 4 adds `surrogateGradErr` to the
 * runs that measured it. */
const RESULT_FIELDS = Object.freeze(/** @type {const} */ (['step', 'evals', 'monitorEvals', 'wallMs',
  'trainLoss', 'testLoss', 'gradRelErr', 'gradCos']));
/** A cell: its text, title, whether it is the best of its column, and (a method's repeats)
 * the range under the median. @typedef {{text: string, title: string, best: boolean, sub?: string}} Cell */

/** The columns after the method's name, in the table's order. */
const COLUMNS = Object.freeze(/** @type {const} */ (['train', 'test', 'evals', 'rate', 'conv', 'wall', 'perEval', 'convMs', 'cos']));

/** The mark and word of each outcome (the core's `Outcome`, and `converged` by the race's
 * rule), for the table. */
const OUTCOME_MARKS = Object.freeze(/** @type {Record<string, string>} */ ({
  converged: '✓ converged', reached: '✓ reached', improved: '↘ improved', stalled: '→ stalled', worse: '✗ worse',
  diverged: '⚠ diverged', failed: '✗ failed', stopped: '■ stopped',
}));

/** @typedef {import('./race.js').RaceSummary} RaceSummary */

/**
 * One row of the table: a run, or (with repeats) a method's runs.
 * @typedef {object} RowModel
 * @property {string} key       the row is rebuilt only when this changes; otherwise updated in place
 * @property {string} method
 * @property {string} label
 * @property {boolean} grouped  a method's repeats: cells hold a median and a range
 * @property {string | null} failed  the row's error when it has no numbers (every run failed)
 * @property {string | null} [notStarted]  why the method was not started (no numbers either)
 * @property {string} suffix    " (running)", " (waiting for a core)", …
 * @property {string} about
 * @property {Cell[]} cells
 * @property {string} outcome   the mark under the name
 * @property {string} outcomeWord  its outcome, for the mark's colour
 * @property {string} outcomeWhy
 * @property {boolean} [python]  its method has a trained network to export as Python
 */

/** @param {Record<string, any> | null} status @param {number} [limit] */
const aboutText = (status, limit = 5) => [status?.message, ...(Array.isArray(status?.notes) ? status.notes.slice(0, limit) : [])].filter(Boolean).join('\n');

/**
 * The column in which ★ marks the verdict's winner: evaluations to converge when the verdict
 * ranked by them (some method converged in every run and lost none), else the training loss
 * (it ranked by the lowest loss); null when the verdict names no winner. The page ranks
 * nothing itself: ★ is the core's winner.
 * @param {RaceSummary | null} race
 * @returns {{method: string, column: string} | null}
 */
function winnerMark(race) {
  if (!race?.winner) return null;
  const alive = race.summary.filter((m) => m.lost < m.repeats);
  const byEvals = alive.some((m) => m.lost === 0 && m.evalsToTarget.reached === m.repeats);
  return { method: race.winner, column: byEvals ? 'conv' : 'train' };
}

/** The core's summary of one run. @param {RaceSummary | null} race @param {Run} r */
const runEntry = (race, r) => race?.summary.find((m) => m.method === r.method)?.runs.find((x) => x.repeat === r.repeat) ?? null;

/** "12.3 k–14.1 k": a bracket of evaluations, one count when both ends are the same.
 * @param {number} lo @param {number} hi */
const bracketText = (lo, hi) => (lo === hi ? fmtCount(hi) : `${fmtCount(lo)}–${fmtCount(hi)}`);

/** The race's rule in a few words, for titles. @param {RaceSummary | null} race */
function ruleWords(race) {
  const rule = race?.rule;
  if (!rule) return 'by the race\'s rule';
  return rule.kind === 'relative'
    ? `within τ = ${rule.tau} of the way from its start to the race's best loss (${fmtNum(rule.best)})`
    : `at ${fmtNum(100 * rule.target)}% of its start (the Target)`;
}

/**
 * How a run came out by the race's rule. With the relative rule (Converged when: τ), a run
 * that converged (the core's summary: its bracket) is `converged`, whatever its own outcome
 * against the fixed Target says, unless it was lost (failed or diverged); one that did not
 * keeps its own outcome, `reached` (the Target) reading `improved`. With the fixed Target,
 * its own outcome. Nothing while it runs.
 * @param {Run} r @param {RaceSummary | null} race
 * @returns {{outcome: string | null, outcomeWhy: string | null}}
 */
function judged(r, race) {
  const own = r.outcome;
  if (!own.outcome || race?.rule.kind !== 'relative' || own.outcome === 'failed' || own.outcome === 'diverged') return own;
  const at = runEntry(race, r)?.evalsToTarget;
  if (at) {
    return { outcome: 'converged', outcomeWhy: `converged ${ruleWords(race)}: at ${fmtCount(at.hi)} F-evaluations, the first log point at or below it (the one before: ${fmtCount(at.lo)})` };
  }
  return { outcome: own.outcome === 'reached' ? 'improved' : own.outcome,
    outcomeWhy: `did not converge ${ruleWords(race)}; by its own start and the Target: ${own.outcomeWhy ?? ''}` };
}

/** A cell with the winner's ★ when it is the winner's. */
const starred = (/** @type {{method: string, column: string} | null} */ win, /** @type {string} */ method, /** @type {string} */ column) => Boolean(win && win.method === method && win.column === column);

/**
 * The learning rate a run trained with and where it came from: its method's own (the box
 * beside its name), the shared one (Training), or tuned by pilot runs around one of those.
 * `rate` is null while the pilots run (or when an old results.json lacks it).
 * @param {Run} r @param {Record<string, any>} config  the race's settings
 * @returns {{rate: number | null, source: string, title: string}}
 */
export function rateOf(r, config) {
  const shared = config?.optimizer?.learningRate;
  const own = config?.optimizer?.methodRates?.[r.method];
  const base = typeof own === 'number' ? 'own' : 'shared';
  const centre = typeof own === 'number' ? own : shared;
  const baseTitle = base === 'own'
    ? `Its own rate (the box beside its name in Methods), in place of the shared ${fmtNum(shared)}`
    : 'The shared rate (Training: Learning rate)';
  const t = r.status?.tuning;
  if (t) {
    const grid = Array.isArray(t.grid) ? t.grid.map(fmtNum).join(', ') : '';
    const tried = `pilot runs tried ${grid} around the ${base} rate ${fmtNum(centre)}`;
    if (!Number.isFinite(t.chosen)) return { rate: null, source: 'tuning…', title: `Tuning: ${tried}` };
    return { rate: t.chosen, source: 'tuned', title: `Tuned: ${tried} and chose ${fmtNum(t.chosen)}, the lowest training loss; their ${fmtCount(t.evals)} F-evaluations are counted apart from the budget` };
  }
  const rate = r.status?.learningRate;
  return { rate: Number.isFinite(rate) ? rate : null, source: base, title: baseTitle };
}

/**
 * A row per run (one run per method).
 * @param {Run[]} runs @param {RaceSummary | null} race @param {Record<string, any>} config
 * @returns {RowModel[]}
 */
function runModels(runs, race, config) {
  const win = winnerMark(race);
  return runs.map((r) => {
    const f = r.final;
    const diverged = r.status?.stopReason === 'diverged';
    const monitor = r.status?.monitorEvals ?? r.history.at(-1)?.monitorEvals;
    const entry = runEntry(race, r);
    const cell = (/** @type {string} */ k, /** @type {string} */ text, title = '') => ({ text, title, best: starred(win, r.method, k) });
    const evals = r.evals;
    const how = judged(r, race);
    const outcome = how.outcome ? OUTCOME_MARKS[how.outcome] ?? how.outcome : '';
    const state = r.ended ? '' : r.waiting ? 'waiting' : 'running';
    const at = entry?.evalsToTarget ?? null;
    const lr = rateOf(r, config);
    return {
      key: `${r.method}|${r.error ? 'failed' : ''}|${state}|${diverged ? 'diverged' : ''}`,
      method: r.method, label: r.info.label, grouped: false,
      failed: r.error ? r.error.split('\n')[0] : null,
      suffix: state === 'waiting' ? ' (waiting for a core)' : state === 'running' ? ' (running)' : '',
      about: aboutText(r.status),
      cells: r.error ? [] : [
        cell('train', fmtNum(f.trainLoss)),
        cell('test', fmtNum(f.testLoss)),
        cell('evals', fmtCount(evals) + (r.status?.skipped ? ` (${fmtCount(r.status.skipped)} skipped)` : ''),
          `${evals} learning evaluations${Number.isFinite(monitor) ? `, ${monitor} for monitoring` : ''}`
          + (Number.isFinite(r.status?.tuning?.evals) ? `, ${r.status?.tuning?.evals} in learning-rate pilots (chose ${r.status?.tuning?.chosen ?? '…'})` : '')
          + (r.status?.skipped ? `; ${r.status.skipped} samples skipped where F failed (set thetaBounds to keep θ where F works)` : '')),
        cell('rate', lr.rate === null ? lr.source : `${fmtNum(lr.rate)} ${lr.source}`, lr.title),
        cell('conv', at ? bracketText(at.lo, at.hi) : '–', at
          ? `Converged ${ruleWords(race)} between the log points at ${at.lo} and ${at.hi} learning F-evaluations (never interpolated)`
          : entry ? `Not converged ${ruleWords(race)}` : ''),
        cell('wall', fmtMs(r.wallMs), wallTitle(r.status, r.wallMs)),
        cell('perEval', perEvalText(entry?.ownMsPerEval, entry?.fMsPerCall), perEvalTitle),
        cell('convMs', fmtMs(entry?.msToTarget ?? NaN), entry?.msToTarget != null ? 'The run\'s clock at the log point where it converged' : ''),
        cell('cos', fmtNum(median(r.history.map((h) => h.gradCos).filter((v) => v !== null)))),
      ],
      outcome, outcomeWord: outcome.split(' ')[1] ?? '', outcomeWhy: how.outcomeWhy ?? '',
    };
  });
}

const perEvalTitle = 'The method\'s own time per learning evaluation (the network, the estimator, the surrogate, monitoring: everything outside F), then F\'s own time per call';

/** "12 µs + F 3 µs": the method's own time per evaluation, then F's per call.
 * @param {number | null | undefined} own @param {number | null | undefined} f */
function perEvalText(own, f) {
  if (own === null || own === undefined || !Number.isFinite(own)) return '–';
  return f === null || f === undefined || !Number.isFinite(f) ? fmtShortMs(own) : `${fmtShortMs(own)} + F ${fmtShortMs(f)}`;
}

/**
 * How a method's repeats came out by the race's rule: the commonest outcome with its count
 * ("✓ 3/3 converged"), and the runs lost (failed or diverged) when that is not it.
 * @param {Run[]} runs @param {RaceSummary | null} race
 */
function groupOutcome(runs, race) {
  const hows = runs.map((r) => judged(r, race));
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const h of hows) {
    if (h.outcome) counts.set(h.outcome, (counts.get(h.outcome) ?? 0) + 1);
  }
  if (!counts.size) return { outcome: '', outcomeWord: '', outcomeWhy: '' };
  const order = Object.keys(OUTCOME_MARKS);
  const [top, n] = [...counts].sort((a, b) => b[1] - a[1] || order.indexOf(a[0]) - order.indexOf(b[0]))[0];
  const [mark, word] = (OUTCOME_MARKS[top] ?? ` ${top}`).split(' ');
  const lost = ['diverged', 'failed'].filter((o) => o !== top && counts.get(o)).map((o) => `${OUTCOME_MARKS[o].split(' ')[0]} ${counts.get(o)} ${o}`);
  const tally = [...counts].map(([o, k]) => `${k} ${o}`).join(', ');
  const whys = runs.map((r, i) => (hows[i].outcomeWhy ? `#${r.repeat + 1}: ${hows[i].outcomeWhy}` : '')).filter(Boolean);
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
 * @param {Run[]} runs @param {RaceSummary | null} race @param {Record<string, any>} config
 * @returns {RowModel[]}
 */
function groupModels(runs, race, config) {
  const win = winnerMark(race);
  return [...byMethod(runs)].map(([method, list]) => {
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
    const m = race?.summary.find((x) => x.method === method) ?? null;
    const n = list.length;
    const running = list.filter((r) => !r.ended && !r.waiting).length;
    const waiting = list.filter((r) => !r.ended && r.waiting).length;
    const done = n - running - waiting;
    const state = running ? 'running' : waiting ? 'waiting' : '';
    const over = (/** @type {{n: number}} */ x) => (x.n > 1 ? `median of ${x.n} runs` : x.n === 1 ? 'one run' : '');
    const rangeWord = (/** @type {number} */ count) => (count >= 5 ? 'interquartile range' : 'range');
    /**
     * @param {string} k @param {{median: number | null, lo: number | null, hi: number | null, n?: number}} x
     * @param {(v: number) => string} fmt @param {string} [title] @param {string} [extra]  after the range
     */
    const cell = (k, x, fmt, title = '', extra = '') => {
      const count = x.n ?? 0;
      const range = rangeText(x.lo, x.hi, fmt);
      return {
        text: x.median === null ? '–' : fmt(x.median),
        sub: [range, extra].filter(Boolean).join(' '),
        title: title || [over({ n: count }), range && `${rangeWord(count)} ${range}`].filter(Boolean).join('; '),
        best: starred(win, method, k),
      };
    };
    const totalEvals = ok.reduce((a, r) => a + r.evals, 0);
    const totalWall = ok.reduce((a, r) => a + r.wallMs, 0);
    const errors = list.filter((r) => r.error);
    const info = list[0].info;
    const allFailed = errors.length === n;
    const conv = m?.evalsToTarget;
    const reached = conv?.reached ?? 0;
    const nan = { median: null, lo: null, hi: null, n: 0 };
    const lrs = ok.map((r) => rateOf(r, config));
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
        cell('train', s.train, fmtNum),
        cell('test', s.test, fmtNum),
        cell('evals', s.evals, fmtCount, `${over(s.evals)} of learning evaluations; ${fmtCount(totalEvals)} over all ${ok.length} runs`),
        cell('rate', spread(lrs.map((x) => x.rate)), fmtNum, [...new Set(lrs.map((x) => x.title))].join('\n'),
          [...new Set(lrs.map((x) => x.source))].join('/')),
        cell('conv', conv ? { ...conv, n: reached } : nan, fmtCount,
          m ? (reached
            ? `Median over the ${reached} of ${m.repeats} runs that converged ${ruleWords(race)} of the first log point at or below it (never interpolated)${reached > 1 ? `; ${rangeWord(reached)} ${rangeText(conv?.lo ?? null, conv?.hi ?? null, fmtCount)}` : ''}`
            : `No run converged ${ruleWords(race)}`) : '',
          m && reached < m.repeats ? `(${reached}/${m.repeats})` : ''),
        cell('wall', s.wall, fmtMs, `${over(s.wall)}; ${fmtMs(totalWall)} of work over all ${ok.length} runs`),
        perEvalCell(m, starred(win, method, 'perEval')),
        cell('convMs', m?.msToTarget ?? nan, fmtMs, m && reached ? `The runs' clocks where they converged: ${over({ n: m.msToTarget.n ?? 0 })}` : ''),
        cell('cos', s.cos, fmtNum),
      ] : [],
      ...groupOutcome(list, race),
    };
  });
}

/**
 * A method's own time per evaluation beside F's, median over its runs, the range of its own
 * under it.
 * @param {import('./race.js').MethodSummary | null} m @param {boolean} best
 * @returns {Cell}
 */
function perEvalCell(m, best) {
  const own = m?.ownMsPerEval;
  return {
    text: perEvalText(own?.median, m?.fMsPerCall.median),
    sub: own ? rangeText(own.lo, own.hi, fmtShortMs) : '',
    title: `${perEvalTitle}; medians over the runs`,
    best,
  };
}

/**
 * A row for a method that was not started, saying why.
 * @param {{method: string, why: string}} skipped
 * @returns {RowModel}
 */
const notStartedModel = ({ method, why }) => ({
  key: `${method}|not-started`, method, label: METHOD[method].label, grouped: false, failed: null, notStarted: why,
  suffix: '', about: '', cells: [], outcome: '', outcomeWord: '', outcomeWhy: '',
});

/**
 * Fills the results table: a row per run, or with repeats a row per method (the median over
 * its runs, the range under it), and a row per method that was not started. A row is rebuilt
 * only when its kind changes (running, waiting, failed, diverged), otherwise its cells are
 * updated in place. ★ (class "best") marks the verdict's winner in the column it won on.
 * @param {Run[]} runs
 * @param {{grouped?: boolean, race?: RaceSummary | null, notStarted?: {method: string, why: string}[], config?: Record<string, any>}} [options]
 */
export function renderTable(runs, { grouped = false, race = null, notStarted = [], config = {} } = {}) {
  const body = /** @type {HTMLTableSectionElement} */ ($('results-body'));
  if (!runs.length && !notStarted.length) {
    if (body.dataset.key !== '') {
      body.dataset.key = '';
      body.replaceChildren(el('tr', { class: 'empty' }, el('td', { colspan: COLUMNS.length + 1 }, 'No results yet. Press Run.')));
    }
    return;
  }
  const python = policyMethods();
  const models = [...(grouped ? groupModels(runs, race, config) : runModels(runs, race, config)), ...notStarted.map(notStartedModel)]
    .map((m) => ({ ...m, python: python.has(m.method) }));
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
  renderTable(c ? [...c.runs.values()] : [], {
    grouped: Boolean(c && c.repeats > 1), race: raceSummary(c), notStarted: c?.notStarted ?? [], config: c?.config ?? {},
  });
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
function resultRow({ method, label, failed, notStarted, grouped }) {
  // Its method's policy as Python (with repeats, the median repeat's), once it has a network.
  const python = el('button', {
    type: 'button', class: 'row-python', hidden: true, 'aria-label': `Download the policy of ${label} as Python`,
    title: 'Download this method\'s trained network as a self-contained Python file, def policy(x) (with repeats, the repeat with the median final loss)',
    onclick: () => exportPython(method),
  }, 'Python');
  const name = el('td', {}, el('span', { class: 'swatch', style: `--c:${METHOD[method].colour}`, 'aria-hidden': 'true' }), label,
    el('span', { class: 'muted state' }), notStarted ? null : python, el('span', { class: 'outcome' }));
  if (failed !== null) return el('tr', { class: 'failed' }, name, el('td', { colspan: COLUMNS.length, class: 'err' }));
  if (notStarted) return el('tr', { class: 'not-started' }, name, el('td', { colspan: COLUMNS.length, class: 'err' }));
  const cell = () => (grouped ? el('td', {}, el('span', { class: 'v' }), el('small', { class: 'range' })) : el('td'));
  return el('tr', {}, name, ...Array.from({ length: COLUMNS.length }, cell));
}

/** @param {HTMLTableRowElement} tr @param {RowModel} model */
function fillResultRow(tr, { about, cells, failed, notStarted, suffix, outcome, outcomeWord, outcomeWhy, python = false }) {
  setProp(tr.cells[0], 'title', [outcomeWhy, about].filter(Boolean).join('\n'));
  const py = tr.cells[0].querySelector('.row-python');
  if (py) setProp(/** @type {HTMLElement} */ (py), 'hidden', !python);
  setText(/** @type {HTMLElement} */ (tr.cells[0].querySelector('.state')), suffix);
  const mark = /** @type {HTMLElement} */ (tr.cells[0].querySelector('.outcome'));
  setText(mark, outcome);
  if (mark.dataset.outcome !== outcomeWord) mark.dataset.outcome = outcomeWord;
  if (failed !== null) {
    setText(tr.cells[1], `Failed: ${failed}`);
    return;
  }
  if (notStarted) {
    setText(tr.cells[1], `Not started: ${notStarted}.`);
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
  const measured = (/** @type {'surrogateErr' | 'surrogateGradErr'} */ f) => r.history.some((h) => h[f] !== null && h[f] !== undefined);
  const fields = [...RESULT_FIELDS, 'gradSE', ...(measured('surrogateErr') ? ['surrogateErr'] : []),
    ...(measured('surrogateGradErr') ? ['surrogateGradErr'] : [])];
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

/** results.json (schema 4, docs/races.md): the settings every run shared, each run (one per
 * method and repeat), and the core's summary: its convergence rule, per method the spreads
 * and each run's, the data profiles, the verdict and what the clock says beside it. */
export function resultsJson() {
  const c = state.comparison;
  const runs = c ? [...c.runs.values()] : [];
  const race = raceSummary(c);
  const seed = typeof c?.config.seed === 'number' ? c.config.seed : null;
  return {
    schema: 4,
    // The charts ticked now (Load results ticks them again).
    config: c ? { ...c.config, methods: c.methods, script: c.script, charts: shownCharts() } : {},
    runs: runs.map((r) => runRecord(r, seed)),
    rule: race?.rule ?? null,
    summary: race?.summary ?? [],
    profiles: race?.profiles ?? [],
    verdict: race?.verdict ?? '',
    timeNote: race?.timeNote ?? '',
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

/** Wires the export buttons (the charts' PNGs: chart-export.js). */
export function bindExports() {
  button('export').addEventListener('click', () => download('results.json', jsonBlob(resultsJson())));
  button('export-csv').addEventListener('click', () => download('curves.csv', new Blob([curvesCsv()], { type: 'text/csv' })));
  button('export-weights').addEventListener('click', () => download('weights.json', jsonBlob(weightsJson())));
}
