// Several F-workers for one method (README, "Workers per method"). The run's worker (the
// coordinator) runs the core; helpers, started by the sandbox on its request, each with its
// own compiled copy of the script, evaluate slices of F's batches. The core's step is then
// resumable (Session.runChunkResumable): a step whose batch is out is undone and taken again
// once the values are in, so the run is the same bit for bit whoever evaluated F. This module
// holds both sides: the coordinator's (asking for helpers, sharing a batch among them) and a
// helper's own (bootHelper). Messages: www/protocol.js.
import { F64, isFiniteNumber, nextTurn } from './primordials.js';
import { installPortableMath, loadScript, makeWrappers } from './script.js';
import { batchMessage, helperReadyMessage, valuesMessage, noValuesMessage } from '../protocol.js';

/** @typedef {(xs: Float64Array, thetas: Float64Array, n: number, out: Float64Array) => void} BatchF */

/**
 * The part of the core's handle a batch is shared from (docs/architecture.md, "Worker side").
 * @typedef {object} PendingBatch
 * @property {() => number} pendingRowCount
 * @property {() => Float64Array} pendingXs
 * @property {() => Float64Array} pendingThetas
 * @property {() => number} yDim
 */

// F's measured cost in this worker (calls of the batch wrapper): what auto decides from, and
// what sizes this worker's pieces of a shared batch.
export const fCost = { batches: 0, rows: 0, ms: 0 };
// Auto splits F's batches once one batch takes this long here: below it, sending the rows
// to other workers and taking the step again costs about what splitting saves (README).
const AUTO_MIN_BATCH_MS = 2;
const AUTO_MIN_BATCHES = 4;
// This worker's own share of a batch goes in pieces of about this long (ms).
const PIECE_MS = 20;

/** The helpers that said they are ready: only these get batches. @type {MessagePort[]} */
export const helpers = [];
// How many F-workers this run may use (the page's setting, or its cap for auto), whether the
// count is to be chosen from F's cost, and whether helpers were asked for.
let workersAllowed = 1;
let workersAuto = false;
let helpersAsked = false;
/** @type {(count: number) => void} */
let request = () => {};
/** This worker's own F (the batch wrapper), once the script is loaded. @type {BatchF | null} */
let ownF = null;
// A resolver per helper for the answer it owes.
/** @type {Map<number, (answer: any) => void>} */
const owed = new Map();
let nextBatchId = 1;

/**
 * The F-workers a run may use, from its start message. A count set by hand asks for the
 * helpers now, while this worker starts too; auto asks once F's cost is measured.
 * @param {{count: number, auto: boolean}} workers
 * @param {(count: number) => void} ask sends the request for `count` helpers to the sandbox
 */
export function allowHelpers(workers, ask) {
  workersAllowed = Math.min(64, Math.floor(workers.count));
  workersAuto = workers.auto === true;
  request = ask;
  if (!workersAuto) askForHelpers();
}

/** This worker's own F, which evaluates its share of every batch. @param {BatchF} f */
export function setOwnF(f) {
  ownF = f;
}

// Asks the sandbox for the helpers: the F-workers but this one, which evaluates a share too.
function askForHelpers() {
  if (helpersAsked || workersAllowed < 2) return;
  helpersAsked = true;
  request(workersAllowed - 1);
}

/** Auto: F costly enough per batch that other workers are worth it (measured here). */
export function considerHelpers() {
  if (!workersAuto || helpersAsked || fCost.batches < AUTO_MIN_BATCHES) return;
  if (fCost.ms / fCost.batches >= AUTO_MIN_BATCH_MS) askForHelpers();
}

/**
 * The helpers' ports, from the sandbox; each says it is ready once its copy of the script is
 * compiled, and only then gets batches.
 * @param {MessagePort[]} ports
 */
export function takeHelpers(ports) {
  for (const port of ports) {
    port.onmessage = (ev) => {
      const a = ev.data;
      if (a === null || typeof a !== 'object') return;
      if (a.type === 'ready') { helpers.push(port); return; }
      const settle = owed.get(a.id);
      if (settle) { owed.delete(a.id); settle(a); }
    };
  }
}

/**
 * The pending batch in slices, one per F-worker: the helpers' are sent first, and this
 * worker evaluates its own meanwhile (sized by `balance`), in pieces of about PIECE_MS with
 * a turn of the event loop between them, so that pause, step and stop are answered.
 * Resolves with the values; null when F failed somewhere (the step is then taken here,
 * where the error gets its usual message, or its sample skipped); undefined when the run
 * ended meanwhile (`over` says so).
 * @param {PendingBatch} s @param {() => boolean} over
 * @returns {Promise<Float64Array | null | undefined>}
 */
export async function evaluateSplit(s, over) {
  const n = s.pendingRowCount();
  const xs = s.pendingXs();
  const ts = s.pendingThetas();
  const yDim = s.yDim();
  const xDim = xs.length / n;
  const tDim = ts.length / n;
  const h = helpers.length;
  const own = ownF === null ? 0 : balance.share(n, h);
  const per = Math.ceil((n - own) / h);
  const values = new F64(n * yDim);
  const answers = [];
  for (let w = 0; w < h; w++) {
    const a = Math.min(n, own + w * per);
    const b = Math.min(n, a + per);
    if (a === b) continue;
    const id = nextBatchId++;
    const xPart = xs.slice(a * xDim, b * xDim);
    const tPart = ts.slice(a * tDim, b * tDim);
    // Each answer: the helper's F time (ms), or -1 when it has no values.
    answers.push(new Promise((resolve) => { owed.set(id, resolve); }).then((ans) => {
      if (ans.type !== 'values' || !(ans.out instanceof F64) || ans.out.length !== (b - a) * yDim) return -1;
      values.set(ans.out, a * yDim);
      return isFiniteNumber(ans.ms) && ans.ms >= 0 ? ans.ms : 0;
    }));
    // The rows travel as transferred buffers, not copies.
    helpers[w].postMessage(batchMessage(id, xPart, tPart, b - a, yDim), [xPart.buffer, tPart.buffer]);
  }
  const sentAt = performance.now();
  let ok = ownF !== null;
  let ownMs = 0;
  const f = /** @type {BatchF} */ (ownF);
  for (let i = 0; i < own;) {
    const msPerRow = fCost.rows ? fCost.ms / fCost.rows : 0;
    const m = Math.max(1, Math.min(own - i, msPerRow > 0 ? Math.floor(PIECE_MS / msPerRow) : own));
    const t0 = performance.now();
    try {
      f(xs.subarray(i * xDim, (i + m) * xDim), ts.subarray(i * tDim, (i + m) * tDim), m, values.subarray(i * yDim, (i + m) * yDim));
    } catch {
      ok = false;
      break;
    } finally {
      const ms = performance.now() - t0;
      ownMs += ms;
      fCost.rows += m;
      fCost.ms += ms;
    }
    i += m;
    if (i < own) {
      await nextTurn();
      if (over()) return undefined;
    }
  }
  const ownEnd = performance.now();
  const helperMs = await Promise.all(answers);
  if (!ok || helperMs.some((ms) => ms < 0)) return null;
  balance.learn(own, ownMs, n - own, helperMs, ownEnd - sentAt, performance.now() - ownEnd);
  return values;
}

// How a batch is shared between this worker and its helpers (README, "Workers per
// method"). Measured: F's time a row here and in the helpers (sums that forget slowly, so
// a cold start or a pause of the collector fades), and the trip to a helper and back beyond
// its F. This worker's share is sized to end when the helpers' answers come back: it waits
// for none of them, and they wait for it as little as the trip allows.
const balance = {
  ownMs: 0, ownRows: 0, helperMs: 0, helperRows: 0, trip: 0, batches: 0,
  /** Rows of an n-row batch this worker evaluates, with h helpers. */
  share(n, h) {
    this.batches++;
    const co = this.ownMs / this.ownRows;
    const ch = this.helperMs / this.helperRows;
    if (!(co > 0 && ch > 0)) return Math.ceil(n / (h + 1));
    const k = Math.round((n * ch / h + this.trip) / (co + ch / h));
    // A batch that ends here before a helper could answer stays here, but one in 16 still
    // gives each helper a row: its cost and the trip are measured on what it evaluates.
    const most = this.batches % 16 === 0 ? n - Math.min(n, h) : n;
    return Math.max(0, Math.min(most, k));
  },
  learn(ownRows, ownMs, helperRows, helperMs, ownSpan, waited) {
    const FORGET = 0.9;
    if (ownRows > 0) {
      this.ownMs = FORGET * this.ownMs + ownMs;
      this.ownRows = FORGET * this.ownRows + ownRows;
    }
    if (helperRows === 0) return;
    this.helperMs = FORGET * this.helperMs + helperMs.reduce((a, b) => a + b, 0);
    this.helperRows = FORGET * this.helperRows + helperRows;
    // The last answer came `waited` ms after this worker's share ended: the trip was
    // ownSpan + waited - that helper's F. When it was already in (waited about 0), the
    // trip was at most that: it is taken down a little, for the next batches to tell.
    const trip = Math.max(0, ownSpan + waited - Math.max(...helperMs));
    if (waited > 0.05) this.trip = 0.8 * this.trip + 0.2 * Math.min(trip, 2 * this.trip + 0.2);
    else this.trip = Math.min(0.85 * this.trip, trip);
  },
};

/**
 * A helper: F's batches from the coordinator's port, answered with their values (the rows'
 * buffers come transferred, the values go back the same way). A helper whose script fails
 * to load never says it is ready, so it never gets a batch.
 * @param {{glue: string, wasm: any, script: string, port: MessagePort}} msg
 */
export async function bootHelper(msg) {
  const { port } = msg;
  try {
    const glue = await import(msg.glue);
    installPortableMath(await glue.default({ module_or_path: msg.wasm }));
    const { f } = makeWrappers(await loadScript(msg.script));
    port.onmessage = (ev) => {
      const job = ev.data;
      const out = new F64(job.n * job.yDim);
      try {
        const t0 = performance.now();
        f(job.xs, job.thetas, job.n, out);
        port.postMessage(valuesMessage(job.id, out, performance.now() - t0), [out.buffer]);
      } catch {
        // The run's worker takes the step itself, where the error gets its usual message.
        port.postMessage(noValuesMessage(job.id));
      }
    };
    port.postMessage(helperReadyMessage());
  } catch { /* never ready: the run's worker evaluates without it */ }
}
