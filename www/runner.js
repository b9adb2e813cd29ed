// SandboxRunner: the page's side of the sandbox. It owns the hidden
// <iframe sandbox="allow-scripts" src="sandbox.html"> (never allow-same-origin: the user's
// script must not reach the page's origin), hands it the wasm glue, the wasm bytes and the
// worker source, starts one worker per method run, forwards pause/resume/step/stop, and
// runs the watchdog that ends a worker whose F does not return. At most `maxWorkers` runs
// (default: the machine's cores) compute at once; the others wait their turn in the order
// they were started, so workers do not crowd out each other or the page's own thread. A
// paused run does not compute, so it holds no turn: while everything is paused, every run
// has a worker and Step moves them all; on Resume the extra ones wait again.
//
//   const runner = new SandboxRunner({ watchdogMs: 10000 });
//   await runner.ready;                       // rejects with a message naming the missing file
//   runner.start(runId, configJson, script,
//     { onProgress(rows, status) {}, onDone(status, fit, weights) {}, onError(message, line) {},
//       onWaiting(waiting) {} },             // true: waiting for a core; false: computing (or paused)
//     { method: 'central', label: 'Central differences' });   // -> Promise<'done'|'error'|'killed'>
//   runner.start(runId, configJson, script, { onDiagnosis(status, report) {}, ... },
//     { kind: 'diagnose', label: 'Diagnose F' });              // Diagnose F instead of a run
//   runner.control(runId, 'pause' | 'resume' | 'step' | 'stop');
//   runner.stopAll();   // 'stop' to every run: each ends with onDone (or onError)
//   runner.killAll();   // terminates every worker at once, no callbacks (Reset)
//
// Messages from the frame are accepted only from its contentWindow and only in the shapes
// protocol.js lets through. Contracts: docs/architecture.md.
import {
  parseSandboxMessage, initMessage, codeMessage, startMessage, controlMessage, killMessage, CONTROL_ACTIONS,
} from './protocol.js';

const FILES = {
  sandbox: 'sandbox.html',
  wasm: 'pkg/session_bg.wasm',
  glue: 'pkg/session.js',
  // Diagnose F's core: fetched when Diagnose F is first pressed, not with the page.
  diagnoseWasm: 'pkg/diagnose_bg.wasm',
  diagnoseGlue: 'pkg/diagnose.js',
  worker: 'worker.bundle.js', // generated from www/worker/ (make bundle)
};

const seconds = (/** @type {number} */ ms) => `${+(ms / 1000).toFixed(1)} s`;

/**
 * What the runner tells the page about one run (see start()).
 * @typedef {object} RunHandlers
 * @property {(waiting: boolean) => void} [onWaiting]
 * @property {(rows: number[], status: Record<string, any>) => void} [onProgress]
 * @property {(status: Record<string, any>, fit: Record<string, any> | null, weights: string | null,
 *   sweep: {reference: string, rows: number[][]} | null) => void} [onDone]
 * @property {(status: Record<string, any>, report: string) => void} [onDiagnosis] a diagnosis's end
 * @property {(message: string, line: number | null) => void} [onError]
 */

export class SandboxRunner {
  #base;
  #iframe;
  #runs = new Map(); // runId -> run record (see start), in the order started: the turn order
  #codes = new Map(); // kind -> the promise of its core sent to the sandbox (#codeFor)
  #scheduling = false;
  /** @type {number | null} */
  #timer = null;
  #onMessage;
  #resolveReady;
  #rejectReady;
  #isReady = false;

  /**
   * @param {object} [options]
   * @param {number} [options.watchdogMs=10000] silence (ms) after which a busy worker is ended
   * @param {number} [options.readyTimeoutMs=30000] how long the sandbox may take to start
   * @param {number} [options.maxWorkers] workers computing at once (default: navigator.hardwareConcurrency)
   * @param {HTMLElement} [options.container=document.body] where the hidden iframe goes
   * @param {string|URL} [options.base] folder holding sandbox.html, worker.bundle.js and pkg/ (default: this module's)
   */
  constructor({ watchdogMs = 10_000, readyTimeoutMs = 30_000, container = document.body, base, maxWorkers } = {}) {
    this.watchdogMs = watchdogMs;
    this.maxWorkers = Math.max(1, Math.floor(maxWorkers ?? navigator.hardwareConcurrency ?? 2) || 1);
    this.#base = new URL(base ?? './', base ? document.baseURI : import.meta.url);
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // A page that never awaits `ready` should not get an "unhandled rejection" on top of
    // the error it will get from start().
    this.ready.catch(() => {});
    this.#onMessage = (ev) => this.#receive(ev);
    window.addEventListener('message', this.#onMessage);
    this.#boot(container, readyTimeoutMs).catch((e) => this.#rejectReady(e));
  }

  /** The iframe element (tests and the page may inspect it; do not change its attributes). */
  get iframe() {
    return this.#iframe;
  }

  /** Run ids that have not ended yet (started or waiting for a worker). */
  get activeRuns() {
    return [...this.#runs.keys()];
  }

  /**
   * Whether a run's worker still owes an answer to a 'pause' or 'step' sent to it (until it
   * answers, its step count may still move).
   * @param {string} runId
   */
  isAnswerDue(runId) {
    return (this.#runs.get(runId)?.pendingReplies ?? 0) > 0;
  }

  /** Run ids waiting for a core (not started yet, or held paused on Resume), in turn order. */
  get waitingRuns() {
    return [...this.#runs.values()].filter((r) => this.#isWaiting(r)).map((r) => r.runId);
  }

  async #fetchFile(name, kind) {
    const url = new URL(FILES[name], this.#base);
    let res;
    try {
      res = await fetch(url, { cache: 'no-cache' });
    } catch (e) {
      throw new Error(`Could not load ${FILES[name]}: ${/** @type {Error} */ (e).message}. Is the site served over http (make serve)?`);
    }
    if (!res.ok) {
      const hint = name !== 'sandbox' && name !== 'worker' ? ' Build it with `make build`.' : '';
      throw new Error(`Could not load ${FILES[name]} (HTTP ${res.status}).${hint}`);
    }
    return kind === 'bytes' ? res.arrayBuffer() : res.text();
  }

  async #boot(container, readyTimeoutMs) {
    const iframe = document.createElement('iframe');
    // allow-scripts only: an opaque origin, no storage, no top navigation, no popups, no forms.
    iframe.setAttribute('sandbox', 'allow-scripts');
    iframe.setAttribute('title', 'Sandbox for problem scripts');
    iframe.hidden = true;
    const loaded = new Promise((resolve) => iframe.addEventListener('load', resolve, { once: true }));
    iframe.src = new URL(FILES.sandbox, this.#base).href;
    this.#iframe = iframe;
    container.appendChild(iframe);

    const [wasm, glue, worker] = await Promise.all([
      this.#fetchFile('wasm', 'bytes'), this.#fetchFile('glue', 'text'), this.#fetchFile('worker', 'text'), loaded,
    ]);
    const timeout = setTimeout(() => {
      this.#rejectReady(new Error(`The sandbox (${FILES.sandbox}) did not start within ${seconds(readyTimeoutMs)}.`));
    }, readyTimeoutMs);
    this.ready.then(() => clearTimeout(timeout), () => clearTimeout(timeout));
    // The bytes are transferred, not copied: the page does not need them again.
    iframe.contentWindow?.postMessage(initMessage(glue, wasm, worker), '*', [wasm]);
  }

  #post(msg, transfer = []) {
    this.#iframe?.contentWindow?.postMessage(msg, '*', transfer);
  }

  /**
   * Sends the sandbox the core a start of `kind` other than 'run' needs (the runs' core came
   * with 'init'), once: Diagnose F's is fetched on its first start. Resolves when it is sent.
   * @param {'diagnose'} kind
   * @returns {Promise<void>}
   */
  #codeFor(kind) {
    let sent = this.#codes.get(kind);
    if (!sent) {
      sent = Promise.all([this.#fetchFile('diagnoseWasm', 'bytes'), this.#fetchFile('diagnoseGlue', 'text')])
        .then(([wasm, glue]) => this.#post(codeMessage(kind, glue, wasm), [wasm]));
      // A failed load is tried again at the next start.
      sent.catch(() => this.#codes.delete(kind));
      this.#codes.set(kind, sent);
    }
    return sent;
  }

  #receive(ev) {
    // The frame's window is the only trusted sender; its messages pass the validator.
    if (!this.#iframe || ev.source !== this.#iframe.contentWindow) return;
    const msg = parseSandboxMessage(ev.data);
    if (!msg) return;
    if (msg.type === 'ready') {
      this.#isReady = true;
      this.#resolveReady();
      return;
    }
    const run = this.#runs.get(msg.runId);
    if (!run) return; // ended, killed or unknown: late messages are dropped
    run.lastHeard = performance.now();
    switch (msg.type) {
      case 'progress': {
        const { rows, status } = /** @type {{rows: number[], status: Record<string, any>}} */ (msg);
        run.heard = true;
        if (Number.isFinite(status.steps)) run.lastStep = status.steps;
        // A progress sent while paused answers one 'pause' or 'step' (www/worker/run.js).
        if (status.paused === true && run.pendingReplies > 0) run.pendingReplies--;
        run.handlers.onProgress?.(rows, status);
        break;
      }
      case 'done':
        this.#end(run, 'done');
        try { run.handlers.onDone?.(msg.status, msg.fit, msg.weights, msg.sweep); } finally { this.#schedule(); }
        break;
      case 'diagnosis':
        this.#end(run, 'done');
        try { run.handlers.onDiagnosis?.(msg.status, msg.report); } finally { this.#schedule(); }
        break;
      case 'error':
        this.#end(run, 'error');
        try { run.handlers.onError?.(msg.message, msg.line); } finally { this.#schedule(); }
        break;
      default:
        break;
    }
  }

  /**
   * Starts one run in its own worker. `handlers`: {onProgress(rows, status),
   * onDone(status, fit, weights), onError(message, line), onWaiting(waiting)}; exactly one of
   * onDone/onError is called at the end (none after killAll). onWaiting(true) says the run
   * waits for a core (maxWorkers others compute), onWaiting(false) that it has one; a run
   * starts out waiting until the first onWaiting(false), which may come from inside start().
   * `options.label` names the method in watchdog messages (default: the method name from the
   * config). `options.workers`: F-workers the run may use, and whether its worker chooses
   * how many from F's cost (auto); the run counts as one computing run all the same.
   * `options.kind`: 'run' (default), or 'diagnose' for Diagnose F, which ends through
   * onDiagnosis(status, report) instead of onDone once its worker has started (before that,
   * while its core loads or it waits for a core, a stop ends it through onDone, and a core
   * that cannot be loaded through onError). Resolves with how the run ended.
   * @param {string} runId
   * @param {string} configJson
   * @param {string} script
   * @param {RunHandlers} [handlers]
   * @param {{method?: string, label?: string, workers?: {count: number, auto: boolean}, kind?: 'run' | 'diagnose'}} [options]
   * @returns {Promise<'done' | 'error' | 'killed'>}
   */
  start(runId, configJson, script, handlers = {}, { method, label, workers, kind = 'run' } = {}) {
    if (!this.#isReady) throw new Error('SandboxRunner.start() before the sandbox is ready: await runner.ready first.');
    if (typeof runId !== 'string' || !runId || runId.length > 200) throw new Error('runId must be a non-empty string of at most 200 characters.');
    if (this.#runs.has(runId)) throw new Error(`A run with id ${JSON.stringify(runId)} is still active.`);
    if (typeof configJson !== 'string' || typeof script !== 'string') throw new Error('configJson and script must be strings.');
    if (!method) {
      try {
        method = JSON.parse(configJson).method;
      } catch { /* the worker reports bad JSON */ }
    }
    let settle;
    const ended = new Promise((resolve) => { settle = resolve; });
    const run = {
      runId, handlers, label: label || method || 'The run', settle,
      state: 'running',     // what the page asked for: 'running' | 'paused' | 'stopping'
      pendingReplies: 0,    // 'pause'/'step' requests the worker has not answered yet
      lastHeard: performance.now(),
      lastStep: 0,
      heard: false,         // a first progress arrived (the script loaded)
      started: false,       // it has a worker
      held: false,          // started, and to run, but kept paused until a core is free
      waiting: true,        // what onWaiting said last
      startMessage: startMessage(runId, kind, configJson, script, workers),
      // Its core is in the sandbox: a start of another kind than 'run' waits for its core to
      // load before it starts (so the watchdog does not count the download), and ends with the
      // reason if it cannot be loaded.
      hasCode: kind === 'run',
    };
    this.#runs.set(runId, run);
    if (kind !== 'run') {
      this.#codeFor(kind).then(() => {
        if (this.#runs.get(runId) !== run) return;
        run.hasCode = true;
        this.#schedule();
      }, (/** @type {Error} */ e) => {
        if (this.#runs.get(runId) !== run) return;
        this.#end(run, 'error');
        try { run.handlers.onError?.(e.message, null); } finally { this.#schedule(); }
      });
    }
    this.#schedule();
    return ended;
  }

  // Computing, or about to: started, not paused by the page, not held.
  #computing(run) {
    return run.started && !run.held && run.state !== 'paused';
  }

  #isWaiting(run) {
    return (!run.started && run.state !== 'paused') || run.held;
  }

  // Gives free cores to waiting runs in turn order: a run without a worker gets one (a paused
  // one needs no core and gets its worker at once, paused), a held run is resumed. Callbacks
  // run after the bookkeeping, so a handler that starts or stops runs sees a consistent state.
  #schedule() {
    if (this.#scheduling) return;
    this.#scheduling = true;
    const told = [];
    try {
      let free = this.maxWorkers;
      for (const r of this.#runs.values()) if (this.#computing(r)) free--;
      for (const run of this.#runs.values()) {
        if (!run.started && run.hasCode && (run.state === 'paused' || free > 0)) {
          if (run.state !== 'paused') free--;
          run.started = true;
          run.lastHeard = performance.now();
          this.#post(run.startMessage);
          run.startMessage = null;
          if (run.state === 'paused') { // paused before it started: the worker starts paused
            run.pendingReplies = 1;
            this.#post(controlMessage(run.runId, 'pause'));
          }
          this.#armWatchdog();
        } else if (run.held && free > 0) {
          free--;
          run.held = false;
          run.lastHeard = performance.now();
          this.#post(controlMessage(run.runId, 'resume'));
        }
        const waiting = this.#isWaiting(run);
        if (waiting !== run.waiting) {
          run.waiting = waiting;
          told.push(run);
        }
      }
    } finally {
      this.#scheduling = false;
    }
    for (const run of told) if (this.#runs.has(run.runId)) run.handlers.onWaiting?.(run.waiting);
  }

  /** Sends 'pause' | 'resume' | 'step' | 'stop' to a run. Returns false when nothing was done. */
  control(runId, action) {
    if (!CONTROL_ACTIONS.includes(action)) throw new Error(`Unknown action ${JSON.stringify(action)}; use one of ${CONTROL_ACTIONS.join(', ')}.`);
    const run = this.#runs.get(runId);
    if (!run || run.state === 'stopping') return false;
    const done = run.started ? this.#controlStarted(run, action) : this.#controlUnstarted(run, action);
    if (done) this.#schedule();
    return done;
  }

  #controlStarted(run, action) {
    const wasIdle = !this.#busy(run);
    let message = action;
    switch (action) {
      case 'pause':
        if (run.state !== 'running') return false;
        run.state = 'paused';
        if (run.held) { // its worker is paused already
          run.held = false;
          return true;
        }
        run.pendingReplies++;
        break;
      case 'resume': {
        if (run.state !== 'paused') return false;
        run.state = 'running';
        run.pendingReplies = 0;
        let computing = 0;
        for (const r of this.#runs.values()) if (this.#computing(r) && r !== run) computing++;
        if (computing >= this.maxWorkers) { // no core free: wait paused for one
          run.held = true;
          return true;
        }
        break;
      }
      case 'step':
        if (run.state !== 'paused') return false; // a running worker is stepping anyway
        run.pendingReplies++;
        break;
      case 'stop':
        run.state = 'stopping';
        run.held = false;
        message = 'stop';
        break;
      default:
        return false;
    }
    // Silence while idle does not count against a worker that was just given work.
    if (wasIdle) run.lastHeard = performance.now();
    this.#post(controlMessage(run.runId, message));
    return true;
  }

  // A run without a worker: pause and resume change how it will start (a paused one gets its
  // worker at once, paused); stop ends it now, through onDone, as stopped before its first step.
  #controlUnstarted(run, action) {
    if (action === 'pause' && run.state === 'running') run.state = 'paused';
    else if (action === 'resume' && run.state === 'paused') run.state = 'running';
    else if (action === 'stop') {
      this.#end(run, 'done');
      try {
        run.handlers.onDone?.({
          steps: 0, evals: 0, monitorEvals: 0, wallMs: 0, done: false, stopReason: 'stopped',
          message: 'Stopped before it started: it was waiting for a free core.',
        }, null, null, null);
      } finally {
        this.#schedule();
      }
    } else return false;
    return true;
  }

  /** Asks every run to stop; each ends through onDone (or onError), with what it learned. */
  stopAll() {
    for (const runId of [...this.#runs.keys()]) this.control(runId, 'stop');
  }

  /** Terminates every worker now, without callbacks (the page is resetting). */
  killAll() {
    for (const run of [...this.#runs.values()]) {
      this.#end(run, 'killed');
      if (run.started) this.#post(killMessage(run.runId));
    }
  }

  /** Removes the iframe and listeners; the runner cannot be used afterwards. */
  destroy() {
    this.killAll();
    window.removeEventListener('message', this.#onMessage);
    this.#iframe?.remove();
    this.#iframe = null;
    this.#rejectReady(new Error('The sandbox runner was destroyed.'));
  }

  // A worker is expected to speak while it runs, while it stops, and until it has answered
  // every pause/step; a paused worker is silent by design.
  #busy(run) {
    return run.started && !run.held && (run.state !== 'paused' || run.pendingReplies > 0);
  }

  // Forgets a run. The caller gives its turn to the next (#schedule) after the run's own
  // callback, so onDone/onError come before the next run's onWaiting(false).
  #end(run, outcome) {
    this.#runs.delete(run.runId);
    run.settle(outcome);
    if (this.#runs.size === 0 && this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  #armWatchdog() {
    if (this.#timer !== null) return;
    const every = Math.max(50, Math.min(1000, this.watchdogMs / 5));
    this.#timer = window.setInterval(() => this.#checkWatchdog(), every);
  }

  #checkWatchdog() {
    const now = performance.now();
    for (const run of [...this.#runs.values()]) {
      // A handler called below may have ended other runs (killAll): skip those.
      if (!this.#runs.has(run.runId) || !this.#busy(run) || now - run.lastHeard < this.watchdogMs) continue;
      this.#end(run, 'killed');
      this.#post(killMessage(run.runId));
      const silence = seconds(this.watchdogMs);
      const message = run.heard
        ? `${run.label}: F did not return for ${silence} (stopped at step ${run.lastStep}). Check F for an endless loop or memory use without bound.`
        : `${run.label}: the problem script did not finish loading within ${silence} (no training step ran). `
          + 'Check the script\'s top-level code and F for an endless loop or memory use without bound.';
      try { run.handlers.onError?.(message, null); } finally { this.#schedule(); }
    }
  }
}
