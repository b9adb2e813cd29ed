// One run of one method, or one diagnosis of F, in this worker: the start, the one driver that
// moves the wasm core (Run and Step alike, with or without helpers), pause, resume, step and
// stop, and the messages to the sandbox (www/protocol.js; docs/architecture.md, "Messages").
import { post, F64, isFiniteNumber, isWasmCode, jsonParse, jsonStringify, nextTurn } from './primordials.js';
import {
  UserError, describeError, installPortableMath, loadScript, makeWrappers, probeYDim,
} from './script.js';
import {
  fCost, helpers, allowHelpers, setOwnF, considerHelpers, evaluateSplit,
} from './helpers.js';
import { METHODS } from '../schema.js';
import {
  progressMessage, doneMessage, diagnosisMessage, errorMessage, helpersRequest,
} from '../protocol.js';

/**
 * Where a call of the core stopped (src/wasm/session.rs, `ChunkEnd`, a string enum): time or
 * steps ran out ('more'), the run has ended ('ended'), or a batch of F awaits its values
 * ('pending': the step was undone, to be taken again once they are supplied).
 * @typedef {'more' | 'ended' | 'pending'} ChunkEnd
 */

/**
 * The wasm core's handle of one run, a `Session` (docs/architecture.md, "Worker side"), or of
 * one diagnosis, a `Diagnosis` (the same calls but the resumable ones, and `reportJson`).
 * @typedef {object} WasmSession
 * @property {(maxMillis: number, maxSteps: number) => boolean} runChunk
 * @property {(maxMillis: number, maxSteps: number) => ChunkEnd} runChunkResumable
 * @property {() => number} historyLen
 * @property {(from: number) => Float64Array} historyRows
 * @property {() => string} statusJson
 * @property {() => string} fitJson
 * @property {() => string} weightsJson
 * @property {() => string} stepSweepJson
 * @property {() => string} [reportJson]
 * @property {() => void} stop
 * @property {() => void} free
 * @property {() => number} pendingRowCount
 * @property {() => Float64Array} pendingXs
 * @property {() => Float64Array} pendingThetas
 * @property {() => number} yDim
 * @property {(values: Float64Array) => void} supply
 * @property {(ms: number) => void} addWaitMs
 */

// Methods whose 'done' carries the finite-difference step-size sweep (the core's method
// table). Read now, before the user's code runs, into an object with no prototype.
/** @type {Record<string, boolean>} */
const SWEEP = Object.create(null);
for (const m of METHODS) if (m.sweep) SWEEP[m.name] = true;

// A chunk of Run: the core works this long before the worker yields; Step: one step.
const RUN_CHUNK_MS = 30;
const UNBOUNDED = 1e9;

// ---- State of this run ------------------------------------------------------------------
/** The sandbox's secret for this worker (sandbox.html), on every message it sends. @type {string | null} */
let nonce = null;
/** 'run' (a method's run) or 'diagnose' (Diagnose F: a Diagnosis handle, no helpers). */
let kind = 'run';
/** @type {WasmSession | null} */
let session = null;
let state = 'running';  // 'running' | 'paused' | 'stopping' | 'ended'
let queuedSteps = 0;    // 'step' requests not taken yet
let driving = false;    // the driver's loop is on
let batchOut = false;   // a batch of F is out with the helpers
let rowsSent = 0;

// These run only while the session exists.
const live = () => /** @type {WasmSession} */ (session);

function readStatus() {
  const status = jsonParse(live().statusJson());
  status.paused = state === 'paused';
  // F-workers evaluating this run's batches (this one when it has no helpers).
  status.workers = helpers.length + 1;
  return status;
}

function sendProgress() {
  const len = live().historyLen();
  const fresh = len > rowsSent ? live().historyRows(rowsSent) : new F64(0);
  rowsSent = len;
  const rows = new Array(fresh.length);
  for (let i = 0; i < fresh.length; i++) rows[i] = fresh[i];
  post(progressMessage(nonce, rows, readStatus()));
}

// An Error from the wasm core says what to change in words (JsError); a RuntimeError is a
// panic or trap inside the core, which the user cannot fix.
function wasmMessage(e) {
  const text = describeError(e);
  if (/^RuntimeError\b/.test(text)) {
    return `The optimiser crashed (a bug in the playground; please report it with a share link): ${text}`;
  }
  return text.replace(/^Error: /, '');
}

function sendError(e) {
  if (state === 'ended') return;
  state = 'ended';
  let message;
  /** @type {number | null} */
  let line = null;
  if (e instanceof UserError) {
    // The core hands back the very error our wrappers threw, with its wording and line.
    ({ message, line } = e);
  } else {
    message = wasmMessage(e);
  }
  post(errorMessage(nonce, message, line));
  freeSession();
}

function freeSession() {
  if (session) {
    try { session.free(); } catch { /* already gone */ }
    session = null;
  }
}

function finish(stoppedByUser) {
  if (state === 'ended') return;
  // Session.stop() records stopReason "stopped" and keeps the history.
  if (stoppedByUser) live().stop();
  sendProgress();
  const status = readStatus();
  status.paused = false;
  if (typeof status.error === 'string' && status.error) {
    sendError(new UserError(status.error));
    return;
  }
  if (kind === 'diagnose') {
    // Diagnose F: the report (diagnosis.json, or null when stopped) instead of a fit.
    const report = /** @type {() => string} */ (live().reportJson)();
    state = 'ended';
    post(diagnosisMessage(nonce, status, report));
    freeSession();
    return;
  }
  const fit = jsonParse(live().fitJson());
  const weights = live().weightsJson();
  // The step-size sweep (monitoring evaluations) for the methods it explains.
  const sweep = SWEEP[status.method] === true ? jsonParse(live().stepSweepJson()) : null;
  state = 'ended';
  post(doneMessage(nonce, status, fit, weights, sweep));
  freeSession();
}

// ---- The driver ---------------------------------------------------------------------------
// Run and Step are one loop. While the run is running it advances the core a chunk at a time;
// while it is paused it takes the steps asked for, one at a time; a turn of the event loop
// comes before each, so pause, step and stop are heard. Boot starts it, and so does every
// control message that gives it work; it ends when there is none (paused with no step asked
// for) or when the run ends. Each chunk that ran out of time or steps sends a progress: the
// page's heartbeat, and while paused the answer to a 'step'.
async function drive() {
  if (driving) return;
  driving = true;
  try {
    for (;;) {
      await nextTurn();
      if (!session || state === 'ended') return;
      if (state === 'stopping') { finish(true); return; }
      const running = state === 'running';
      if (!running) {
        if (queuedSteps === 0) return;
        queuedSteps--;
      }
      const end = await (running ? advance(RUN_CHUNK_MS, UNBOUNDED) : advance(UNBOUNDED, 1));
      if (end === 'ended') { finish(false); return; }
      if (end === 'more') {
        if (running) considerHelpers();
        sendProgress();
      }
      // 'pending': the state changed while a batch was out; the loop goes on from the new one.
    }
  } catch (e) {
    sendError(e);
  } finally {
    driving = false;
  }
}

/**
 * The core for up to maxMs or maxSteps steps, whichever comes first: a chunk of Run or one
 * Step, with or without helpers. With helpers, a step whose batch of F is out waits for the
 * values (this worker evaluates its share meanwhile and answers messages) and is taken again,
 * within the same limits; a step taken here (F failed in a helper) counts as one. Resolves
 * with 'more' when time or steps ran out, 'ended' when the run has ended, and 'pending' when
 * a step is left to take because the run ended or was paused, resumed or stopped while its
 * batch was out.
 * @param {number} maxMs @param {number} maxSteps
 * @returns {Promise<ChunkEnd>}
 */
async function advance(maxMs, maxSteps) {
  const asked = state;
  const deadline = performance.now() + maxMs;
  let steps = maxSteps;
  for (;;) {
    const s = live();
    const left = Math.max(0, deadline - performance.now());
    /** @type {ChunkEnd} */
    const end = helpers.length ? s.runChunkResumable(left, steps) : (s.runChunk(left, steps) ? 'ended' : 'more');
    if (end !== 'pending') return end;
    // The batch, evaluated by the helpers and this worker, is supplied to the core.
    const wasRunning = state === 'running';
    const sentAt = performance.now();
    /** @type {Float64Array | null | undefined} */
    let values;
    batchOut = true;
    try {
      values = await evaluateSplit(s, () => state === 'ended' || state === 'stopping');
    } finally {
      batchOut = false;
    }
    if (state === 'ended' || !session || values === undefined) return 'pending';
    // The run's clock counts the wait for the helpers (not a pause's).
    if (wasRunning && state === 'running') s.addWaitMs(performance.now() - sentAt);
    if (values) s.supply(values);
    if (state !== asked) return 'pending';
    if (!values) { // F failed in a helper: the step again, here
      if (s.runChunk(UNBOUNDED, 1)) return 'ended';
      if (--steps <= 0) return 'more';
    }
    if (performance.now() >= deadline) return 'more';
  }
}

// ---- Messages from the sandbox ------------------------------------------------------------
/** 'pause' | 'resume' | 'step' | 'stop', from the page through the sandbox. */
export function control(action) {
  if (state === 'ended') return;
  switch (action) {
    case 'pause':
      if (state === 'running') state = 'paused';
      // The reply (a progress with status.paused) tells the page's watchdog the worker is
      // idle now. Before the session exists, the first progress is that reply.
      if (session && state === 'paused') sendProgress();
      break;
    case 'resume':
      if (state === 'paused') { state = 'running'; drive(); }
      break;
    case 'step':
      if (state !== 'paused') break;
      queuedSteps++;
      drive();
      break;
    case 'stop':
      state = 'stopping';
      // A batch out with the helpers is not waited for: the step it belongs to was undone.
      if (session && batchOut) finish(true);
      else drive();
      break;
    default:
      break;
  }
}

/**
 * The sandbox's 'start': loads the wasm and the script, makes the core's handle (a Session,
 * or a Diagnosis for kind 'diagnose') and starts the driver.
 * @param {Record<string, any>} msg
 */
export async function boot(msg) {
  nonce = msg.nonce;
  try {
    if (typeof msg.glue !== 'string' || !isWasmCode(msg.wasm) || typeof msg.config !== 'string' || typeof msg.script !== 'string'
      || (msg.kind !== 'run' && msg.kind !== 'diagnose')) {
      throw new UserError('The sandbox sent an incomplete start message (a bug in the page).');
    }
    // Diagnose F runs like a race of one, through a Diagnosis handle (same arguments), and
    // evaluates F here only.
    kind = msg.kind;
    const w = msg.workers;
    if (kind === 'run' && w !== null && typeof w === 'object' && isFiniteNumber(w.count) && w.count >= 1) {
      allowHelpers({ count: w.count, auto: w.auto === true }, (count) => post(helpersRequest(nonce, count)));
    }
    const glue = await import(msg.glue);
    installPortableMath(await glue.default({ module_or_path: msg.wasm }));
    const found = await loadScript(msg.script);
    let problemJson;
    try {
      problemJson = jsonStringify(found.problem ?? null);
    } catch (e) {
      throw new UserError(`The script's \`problem\` object could not be read: ${describeError(e)}`);
    }
    const wrappers = makeWrappers(found);
    setOwnF(wrappers.f);
    const timedF = (xs, thetas, n, out) => {
      const t0 = performance.now();
      try {
        wrappers.f(xs, thetas, n, out);
      } finally {
        fCost.batches++;
        fCost.rows += n;
        fCost.ms += performance.now() - t0;
      }
    };
    const probe = (xs, thetas) => probeYDim(found, xs, thetas);
    try {
      // The core completes the settings from the script's problem and probes yDim.
      const Handle = kind === 'diagnose' ? glue.Diagnosis : glue.Session;
      session = new Handle(msg.config, problemJson, timedF, wrappers.df, wrappers.thetaTrue, probe);
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(wasmMessage(e));
    }
    if (state === 'stopping') { finish(true); return; }
    sendProgress();
    drive();
  } catch (e) {
    sendError(e);
  }
}
