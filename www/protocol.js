// The messages between the page, the sandbox iframe, a run's worker and its helpers: the one
// list of them (MESSAGES), the builders every sender in the page and the worker uses, and
// `parseSandboxMessage`, the one gate every message from the sandbox passes before the page
// looks at it. The sandbox (www/sandbox.html, one inline script that loads no files) and
// docs/architecture.md ("Messages") follow the list: tests/js/protocol.test.mjs fails when
// they, a builder or the gate differ from it.
//
// The sandbox runs code the user pasted (possibly from a link someone else made), so
// everything it sends is treated as untrusted data: known types only, runIds are short
// strings, numbers are numbers, and sizes are bounded. The validator returns a fresh, clean
// object (never the input), or null. The worker's bundle (www/worker/) imports the builders
// too: they put every field, the nonce included, in one object literal, so no setter the
// user's script defines on Object.prototype sees one.

import { HISTORY_FIELDS } from './schema.js';

/**
 * One message: who sends it to whom, its `type`, and its other fields.
 * @typedef {{from: string, to: string, type: string, fields: readonly string[]}} MessageSpec
 */

/** @type {(from: string, to: string, type: string, fields: string) => MessageSpec} */
const spec = (from, to, type, fields) => Object.freeze({ from, to, type, fields: Object.freeze(fields.split(' ').filter(Boolean)) });

/**
 * Every message, by route. `sandbox -> page` messages are the worker's, relayed with the
 * worker's `nonce` checked and dropped and the runId stamped by the sandbox. Between a run's
 * worker and a helper they go over a MessageChannel port of their own.
 * @type {readonly MessageSpec[]}
 */
export const MESSAGES = Object.freeze([
  spec('page', 'sandbox', 'init', 'glue wasm worker'),
  spec('page', 'sandbox', 'code', 'kind glue wasm'),
  spec('page', 'sandbox', 'start', 'runId kind config script workers'),
  spec('page', 'sandbox', 'control', 'runId action'),
  spec('page', 'sandbox', 'kill', 'runId'),
  spec('sandbox', 'page', 'ready', ''),
  spec('sandbox', 'page', 'progress', 'runId rows status'),
  spec('sandbox', 'page', 'done', 'runId status fit weights sweep'),
  spec('sandbox', 'page', 'diagnosis', 'runId status report'),
  spec('sandbox', 'page', 'error', 'runId message line'),
  spec('sandbox', 'worker', 'start', 'nonce kind glue wasm config script workers'),
  spec('sandbox', 'worker', 'control', 'action'),
  spec('sandbox', 'worker', 'helpers', 'ports'),
  spec('sandbox', 'helper', 'helper', 'glue wasm script port'),
  spec('worker', 'sandbox', 'progress', 'nonce rows status'),
  spec('worker', 'sandbox', 'done', 'nonce status fit weights sweep'),
  spec('worker', 'sandbox', 'diagnosis', 'nonce status report'),
  spec('worker', 'sandbox', 'error', 'nonce message line'),
  spec('worker', 'sandbox', 'helpers', 'nonce count'),
  spec('worker', 'helper', 'batch', 'id xs thetas n yDim'),
  spec('helper', 'worker', 'ready', ''),
  spec('helper', 'worker', 'values', 'id out ms'),
  spec('helper', 'worker', 'error', 'id'),
]);

/** Numbers in one history row, in this order (see `decodeRows`): the core's history fields. */
export const ROW_FIELDS = Object.freeze([...HISTORY_FIELDS]);
export const ROW_WIDTH = ROW_FIELDS.length;

/** What the page may ask a running worker to do. */
export const CONTROL_ACTIONS = Object.freeze(['pause', 'resume', 'step', 'stop']);

/** What a start starts: a method's run, or Diagnose F. */
export const RUN_KINDS = Object.freeze(['run', 'diagnose']);

// Bounds. Generous for real runs (MAX_SAMPLES = 100 000, dims up to 256 in src/config.rs),
// small enough that a hostile script cannot make the page hold gigabytes.
export const LIMITS = Object.freeze({
  runId: 200,            // characters
  message: 20_000,       // characters of an error message (longer ones are cut, not dropped)
  rowsPerMessage: 100_000,
  statusKeys: 64,
  statusString: 4_000,   // characters of one string in status
  statusList: 100,       // strings in one list in status (notes)
  fitNumbers: 8_000_000, // numbers in one array of `fit`
  weights: 64_000_000,   // characters of the weights JSON
});

// ---------------------------------------------------------------------------------------
// Page -> sandbox

export function initMessage(glue, wasm, worker) {
  return { type: 'init', glue, wasm, worker };
}
/**
 * The wasm core of a kind of start other than 'run' (whose core comes with 'init'), sent
 * once, before the first start of that kind: Diagnose F's is loaded only when it is used.
 * @param {string} kind @param {string} glue @param {ArrayBuffer} wasm
 */
export function codeMessage(kind, glue, wasm) {
  if (!RUN_KINDS.includes(kind) || kind === 'run') {
    throw new Error(`No separate code for a start of kind ${JSON.stringify(kind)}; 'init' brings the runs' code`);
  }
  return { type: 'code', kind, glue, wasm };
}
/**
 * @param {string} runId @param {'run' | 'diagnose'} kind @param {string} config @param {string} script
 * @param {{count: number, auto: boolean}} [workers]  F-workers the run may use (auto: the
 *   worker chooses up to `count` from F's cost)
 */
export function startMessage(runId, kind, config, script, workers = { count: 1, auto: false }) {
  if (!RUN_KINDS.includes(kind)) {
    throw new Error(`Unknown kind of start ${JSON.stringify(kind)}; use one of ${RUN_KINDS.join(', ')}`);
  }
  return { type: 'start', runId, kind, config, script, workers };
}
export function controlMessage(runId, action) {
  if (!CONTROL_ACTIONS.includes(action)) {
    throw new Error(`Unknown control action ${JSON.stringify(action)}; use one of ${CONTROL_ACTIONS.join(', ')}`);
  }
  return { type: 'control', runId, action };
}
export function killMessage(runId) {
  return { type: 'kill', runId };
}

// ---------------------------------------------------------------------------------------
// Worker -> sandbox (relayed to the page), and between a run's worker and its helpers.
// Called in the worker after the user's code ran: object literals only.

/** @param {string | null} nonce @param {number[]} rows @param {Record<string, any>} status */
export function progressMessage(nonce, rows, status) {
  return { type: 'progress', nonce, rows, status };
}
/** @param {string | null} nonce @param {Record<string, any>} status @param {any} fit @param {string} weights @param {any} sweep */
export function doneMessage(nonce, status, fit, weights, sweep) {
  return { type: 'done', nonce, status, fit, weights, sweep };
}
/** @param {string | null} nonce @param {Record<string, any>} status @param {string} report */
export function diagnosisMessage(nonce, status, report) {
  return { type: 'diagnosis', nonce, status, report };
}
/** @param {string | null} nonce @param {string} message @param {number | null} line */
export function errorMessage(nonce, message, line) {
  return { type: 'error', nonce, message, line };
}
/** The run's worker asks the sandbox for `count` helpers. @param {string | null} nonce @param {number} count */
export function helpersRequest(nonce, count) {
  return { type: 'helpers', nonce, count };
}
/** Rows of F for a helper. @param {number} id @param {Float64Array} xs @param {Float64Array} thetas @param {number} n @param {number} yDim */
export function batchMessage(id, xs, thetas, n, yDim) {
  return { type: 'batch', id, xs, thetas, n, yDim };
}
/** A helper's script is compiled: it takes batches now. */
export function helperReadyMessage() {
  return { type: 'ready' };
}
/** A batch's values, n x yDim, and the helper's time in F (ms). @param {number} id @param {Float64Array} out @param {number} ms */
export function valuesMessage(id, out, ms) {
  return { type: 'values', id, out, ms };
}
/** F threw on a batch: no values (the run's worker takes the step itself). @param {number} id */
export function noValuesMessage(id) {
  return { type: 'error', id };
}

// ---------------------------------------------------------------------------------------
// Sandbox -> page

const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)
  && !ArrayBuffer.isView(v) && Object.getPrototypeOf(v) === Object.prototype;

function cleanRunId(v) {
  return typeof v === 'string' && v.length > 0 && v.length <= LIMITS.runId ? v : null;
}

// History rows arrive as numbers with NaN standing for "not measured at this row"
// (architecture.md). Infinity (a loss that overflowed) is folded into NaN so that the
// page only ever sees finite numbers or NaN.
function cleanRows(v) {
  if (!Array.isArray(v) && !(v instanceof Float64Array)) return null;
  if (v.length % ROW_WIDTH !== 0 || v.length > LIMITS.rowsPerMessage * ROW_WIDTH) return null;
  const out = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number') return null;
    out[i] = Number.isFinite(x) ? x : NaN;
  }
  return out;
}

// The learning-rate tuning record in a status (session::TuningRecord, or the pilots so far):
// short lists of numbers (or null) and numbers; anything else rejects the message.
function cleanTuning(v) {
  if (v === null) return null;
  if (!isPlainObject(v)) return undefined;
  const out = {};
  for (const k of ['grid', 'scores']) {
    const list = v[k];
    if (!Array.isArray(list) || list.length > 16
      || !list.every((x) => x === null || (typeof x === 'number' && Number.isFinite(x)))) return undefined;
    out[k] = [...list];
  }
  for (const k of ['chosen', 'evals', 'monitorEvals', 'pilot']) {
    const x = v[k];
    if (x === undefined) continue;
    if (typeof x !== 'number' || !Number.isFinite(x)) return undefined;
    out[k] = x;
  }
  return out;
}

// status is JSON from Session.statusJson() plus the worker's `paused` flag: numbers,
// booleans, null, short strings, short lists of strings (`notes`) and the tuning record;
// anything else rejects the message.
function cleanStatus(v) {
  if (!isPlainObject(v)) return null;
  const keys = Object.keys(v);
  if (keys.length > LIMITS.statusKeys) return null;
  const out = {};
  for (const k of keys) {
    if (k.length > 64 || k === '__proto__') return null;
    const x = v[k];
    if (k === 'tuning') {
      const t = cleanTuning(x);
      if (t === undefined) return null;
      out[k] = t;
    } else if (x === null || typeof x === 'boolean') out[k] = x;
    else if (typeof x === 'number') out[k] = Number.isFinite(x) ? x : null;
    else if (typeof x === 'string') out[k] = x.slice(0, LIMITS.statusString);
    else if (Array.isArray(x) && x.length <= LIMITS.statusList && x.every((s) => typeof s === 'string')) {
      out[k] = x.map((s) => s.slice(0, LIMITS.statusString));
    } else return null;
  }
  return out;
}

// Arrays in `fit` come from JSON, where serde writes NaN as null: finite numbers or null.
function cleanNumbers(v, { nullable = false } = {}) {
  if (v === null && nullable) return null;
  if (!Array.isArray(v) || v.length > LIMITS.fitNumbers) return undefined;
  const out = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x === null || (typeof x === 'number' && Number.isFinite(x))) out[i] = x;
    else return undefined;
  }
  return out;
}

const isDim = (v) => Number.isInteger(v) && v >= 1 && v <= 4096;
/** xDim may be 0: calibration, theta learned directly with no x. */
const isXDim = (v) => v === 0 || isDim(v);

function cleanFit(v) {
  if (!isPlainObject(v)) return null;
  if (!isXDim(v.xDim) || !isDim(v.yDim) || !isDim(v.thetaDim)) return null;
  const out = { xDim: v.xDim, yDim: v.yDim, thetaDim: v.thetaDim };
  for (const k of ['yTrue', 'yPred', 'x', 'thetaLearned']) {
    const a = cleanNumbers(v[k]);
    if (a === undefined) return null;
    out[k] = a;
  }
  const t = cleanNumbers(v.thetaTrue ?? null, { nullable: true });
  if (t === undefined) return null;
  out.thetaTrue = t;
  // The arrays must agree with the dimensions, or the fit chart would misread them.
  const n = out.yTrue.length / out.yDim;
  if (!Number.isInteger(n) || out.yPred.length !== out.yTrue.length || out.x.length !== n * out.xDim) return null;
  if (out.thetaLearned.length % out.thetaDim !== 0) return null;
  if (out.thetaTrue && out.thetaTrue.length % out.thetaDim !== 0) return null;
  return out;
}

/** The step-size sweep: {reference, rows: [[h, centralErr, forwardErr], ...]}, or null. */
function cleanSweep(v) {
  if (v === null || v === undefined) return null;
  if (!isPlainObject(v) || !Array.isArray(v.rows) || v.rows.length > 200) return undefined;
  if (v.reference !== 'dF' && v.reference !== 'richardson') return undefined;
  const rows = [];
  for (const r of v.rows) {
    const a = cleanNumbers(r, { nullable: true });
    if (!a || a.length !== 3 || !(a[0] > 0)) return undefined;
    rows.push(a);
  }
  return { reference: v.reference, rows };
}

/**
 * Validates one message from the sandbox. Returns a clean copy, or null when the message
 * is not one of the `sandbox -> page` shapes in MESSAGES (the caller drops it):
 *   {type:'ready'}
 *   {type:'progress', runId, rows: number[] (ROW_WIDTH a row, NaN = not measured), status}
 *   {type:'done', runId, status, fit, weights: string, sweep: {reference, rows} | null}
 *   {type:'diagnosis', runId, status, report: string (diagnosis.json, or "null" when stopped)}
 *   {type:'error', runId, message: string, line: positive integer | null}
 */
export function parseSandboxMessage(data) {
  if (!isPlainObject(data) || typeof data.type !== 'string') return null;
  if (data.type === 'ready') return { type: 'ready' };
  const runId = cleanRunId(data.runId);
  if (runId === null) return null;
  switch (data.type) {
    case 'progress': {
      const rows = cleanRows(data.rows);
      const status = cleanStatus(data.status);
      return rows && status ? { type: 'progress', runId, rows, status } : null;
    }
    case 'done': {
      const status = cleanStatus(data.status);
      const fit = cleanFit(data.fit);
      const { weights } = data;
      const sweep = cleanSweep(data.sweep);
      if (!status || !fit || sweep === undefined || typeof weights !== 'string' || weights.length > LIMITS.weights) return null;
      return { type: 'done', runId, status, fit, weights, sweep };
    }
    case 'diagnosis': {
      const status = cleanStatus(data.status);
      const { report } = data;
      if (!status || typeof report !== 'string' || report.length > LIMITS.weights) return null;
      return { type: 'diagnosis', runId, status, report };
    }
    case 'error': {
      if (typeof data.message !== 'string') return null;
      const line = Number.isInteger(data.line) && data.line >= 1 && data.line <= 1e7 ? data.line : null;
      if (data.line !== null && data.line !== undefined && line === null) return null;
      const message = data.message.length > LIMITS.message
        ? `${data.message.slice(0, LIMITS.message)}…` : data.message;
      return { type: 'error', runId, message, line };
    }
    default:
      return null;
  }
}

/** History rows (flat numbers from 'progress') as objects; NaN becomes null. */
export function decodeRows(rows) {
  const out = [];
  for (let i = 0; i + ROW_WIDTH <= rows.length; i += ROW_WIDTH) {
    const row = {};
    ROW_FIELDS.forEach((name, j) => {
      const v = rows[i + j];
      row[name] = Number.isNaN(v) ? null : v;
    });
    out.push(row);
  }
  return out;
}
