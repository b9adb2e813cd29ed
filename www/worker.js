// Worker source for ONE run of ONE method. The page fetches this file as text and posts it to
// the sandbox iframe, which starts it as a CLASSIC blob Worker (opaque origin, CSP with
// connect-src 'none'). Here the user's problem script is compiled with `new Function`, the
// wasm core is instantiated from bytes, and `Session.runChunk` is driven in short chunks so
// that pause/resume/step/stop messages are handled between them.
//
// In:  {type:'start', nonce, glue: blob URL, wasm: WebAssembly.Module or its bytes, config: RunConfig JSON, script}
//      {type:'control', action: 'pause'|'resume'|'step'|'stop'}
// Out: {type:'progress', rows, status}, {type:'done', status, fit, weights, sweep},
//      {type:'error', message, line}; each carries `nonce` (see sandbox.html) and the sandbox
//      adds the runId. Contracts: docs/architecture.md.
//
// The user's code runs in this same global scope, so everything this file needs later
// (postMessage, the message listener, a few builtins) is captured BEFORE that code runs:
// the script can then overwrite globals, add listeners or post messages of its own without
// breaking this worker's messaging, and cannot read the nonce that the sandbox checks.
'use strict';
(() => {
  // ---- Captured before any user code runs ------------------------------------------------
  const post = self.postMessage.bind(self);
  const listen = self.addEventListener.bind(self);
  const FunctionCtor = Function;
  const F64 = Float64Array;
  const isArray = /** @type {(v: unknown) => boolean} */ (Array.isArray);
  const isView = /** @type {(v: unknown) => boolean} */ (ArrayBuffer.isView);
  const DataViewCtor = DataView;
  // The wasm as the sandbox sends it: compiled once there, or bytes.
  const WasmModule = WebAssembly.Module;
  const isWasmCode = (v) => v instanceof ArrayBuffer || v instanceof WasmModule;
  const isFiniteNumber = Number.isFinite;
  const isInteger = Number.isInteger;
  const jsonParse = JSON.parse;
  const jsonStringify = JSON.stringify;
  const setTimer = self.setTimeout.bind(self);
  const clearTimer = self.clearTimeout.bind(self);
  const WorkerCtor = self.Worker;
  const BlobCtor = Blob;
  const createUrl = URL.createObjectURL.bind(URL);
  const revokeUrl = URL.revokeObjectURL.bind(URL);
  const regexExec = RegExp.prototype.exec;
  const apply = Reflect.apply;
  const exec = (re, s) => apply(regexExec, re, [s]);
  const Str = String;
  // Reading an event through prototype accessors the script could redefine would let it
  // blind this worker to 'pause' and 'stop': take the originals now.
  const eventData = /** @type {() => any} */ (/** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(MessageEvent.prototype, 'data')).get);
  const stopEvent = Event.prototype.stopImmediatePropagation;

  // Storage that outlives a run has no place in one. Chromium and Firefox refuse Cache Storage
  // to an opaque origin, WebKit opens one (tests/browsers found it): these are taken out of
  // the global before the user's code runs, whatever the engine.
  for (const name of ['caches', 'indexedDB']) {
    for (let o = /** @type {any} */ (self); o; o = Object.getPrototypeOf(o)) {
      if (Object.getOwnPropertyDescriptor(o, name)?.configurable) delete o[name];
    }
    if (name in self) Object.defineProperty(self, name, { value: undefined });
  }

  // Yielding between chunks through a private MessageChannel: faster than setTimeout(0)
  // (which is clamped to 4 ms once nested) and out of the user's reach.
  const channel = new MessageChannel();

  // ---- State of this run ----------------------------------------------------------------
  /**
   * The wasm core's handle of one run (docs/architecture.md, "Worker side").
   * @typedef {object} WasmSession
   * @property {(maxMillis: number, maxSteps: number) => boolean} runChunk
   * @property {() => number} historyLen
   * @property {(from: number) => Float64Array} historyRows
   * @property {() => string} statusJson
   * @property {() => string} fitJson
   * @property {() => string} weightsJson
   * @property {() => string} stepSweepJson
   * @property {() => void} stop
   * @property {() => void} free
   * @property {(maxMillis: number, maxSteps: number) => number} runChunkResumable  0 more, 1 ended, 2 a batch is pending
   * @property {() => number} pendingRowCount
   * @property {() => Float64Array} pendingXs
   * @property {() => Float64Array} pendingThetas
   * @property {() => number} yDim
   * @property {(values: Float64Array) => void} supply
   * @property {(ms: number) => void} addWaitMs
   */
  /** @type {string | null} */
  let nonce = null;
  /** @type {WasmSession | null} */
  let session = null;
  let state = 'running';  // 'running' | 'paused' | 'stopping' | 'ended'
  let queuedSteps = 0;    // 'step' requests that arrived before the session existed
  let tickScheduled = false;
  let rowsSent = 0;
  let scriptLines = 0;

  // ---- Several F-workers for one method (README, "Workers per method") ------------------
  // This worker (the coordinator) runs the core; helpers, started by the sandbox on its
  // request, each with its own compiled copy of the script, evaluate slices of F's batches.
  // The core's step is then resumable (Session.runChunkResumable): a step whose batch is out
  // is undone and taken again once the values are in, so the run is the same bit for bit
  // whoever evaluated F. This worker stays free for pause, step and stop meanwhile.
  /** @type {MessagePort[]} */
  let helpers = [];
  // How many F-workers this run may use (the page's setting, or its cap for auto), whether
  // the count is to be chosen from F's cost, and whether helpers were asked for.
  let workersAllowed = 1;
  let workersAuto = false;
  let helpersAsked = false;
  // A batch is out with the helpers; a resolver per helper for the answer it owes.
  let batchOut = false;
  let lastProgressAt = 0;
  /** @type {Map<number, (answer: any) => void>} */
  const owed = new Map();
  let nextBatchId = 1;
  // F's measured cost here (calls of the batch wrapper): what auto decides from.
  const fCost = { batches: 0, rows: 0, ms: 0 };
  // Auto splits F's batches once one batch takes this long here: below it, sending the rows
  // to other workers and taking the step again costs about what splitting saves (README).
  const AUTO_MIN_BATCH_MS = 2;
  const AUTO_MIN_BATCHES = 4;
  // This worker's own share of a batch goes in pieces of about this long (ms).
  const PIECE_MS = 20;
  /** @type {((xs: Float64Array, thetas: Float64Array, n: number, out: Float64Array) => void) | null} */
  let ownF = null;


  function send(msg) {
    msg.nonce = nonce;
    post(msg);
  }

  /** Marks an error whose message is already written for the user. */
  class UserError extends Error {
    /** @param {string} message @param {number | null} [line] */
    constructor(message, line = null) {
      super(message);
      this.line = line;
    }
  }

  // ---- Text helpers ----------------------------------------------------------------------
  function fmtNum(v) {
    if (typeof v !== 'number') return describeValue(v);
    if (isInteger(v) || !isFiniteNumber(v)) return Str(v);
    return Str(+v.toPrecision(6));
  }
  // A row of the flat batch arrays (not the arrays F saw: F may have changed those).
  function fmtRow(flat, start, len) {
    let s = '[';
    for (let j = 0; j < len; j++) s += (j ? ', ' : '') + fmtNum(flat[start + j]);
    return `${s}]`;
  }
  function describeValue(v) {
    try {
      if (v === undefined) return 'undefined (is a `return` missing?)';
      if (v === null) return 'null';
      switch (typeof v) {
        case 'number': return fmtNum(v);
        case 'string': return `a string (${jsonStringify(v.length > 24 ? `${v.slice(0, 24)}…` : v)})`;
        case 'boolean': return `a boolean (${v})`;
        case 'bigint': return `a BigInt (${v}n); use plain numbers`;
        case 'function': return 'a function';
        case 'symbol': return 'a symbol';
        default:
          if (typeof v.then === 'function') return 'a Promise (F must return its value directly, not be async)';
          if (isArray(v) || isView(v)) return `${v.length} number${v.length === 1 ? '' : 's'}`;
          return 'an object (not an array)';
      }
    } catch {
      return 'a value that cannot be inspected';
    }
  }
  // The error's own words, never throwing, whatever the user threw.
  function describeError(e) {
    try {
      if (e !== null && typeof e === 'object' && typeof e.message === 'string') {
        const name = typeof e.name === 'string' && e.name ? e.name : 'Error';
        return (e.message ? `${name}: ${e.message}` : name).slice(0, 2000);
      }
      return `the value ${Str(e).slice(0, 200)}`;
    } catch {
      return 'an exception that cannot be printed';
    }
  }

  // ---- Where in the user's script an error happened -------------------------------------
  // V8 reports code made by `new Function` as "(eval at <caller>, <anonymous>:LINE:COL)",
  // counting the "function anonymous(\n) {" header. Measure that header once instead of
  // hard-coding it.
  const HEADER_LINES = (() => {
    try {
      new FunctionCtor('throw new Error()')();
    } catch (e) {
      const m = exec(/<anonymous>:(\d+):\d+/, String(/** @type {Error} */ (e).stack));
      if (m) return +m[1] - 1;
    }
    return 2;
  })();

  function userLine(e) {
    let stack;
    try {
      stack = e !== null && typeof e === 'object' ? e.stack : undefined;
    } catch {
      return null;
    }
    if (typeof stack !== 'string') return null;
    // Prefer frames of the compiled script (compileProblemScript is the caller of new Function);
    // fall back to any eval frame.
    const m = exec(/eval at compileProblemScript \([^)]*\), <anonymous>:(\d+):\d+/, stack)
      || exec(/<anonymous>:(\d+):\d+/, stack);
    if (!m) return null;
    const line = +m[1] - HEADER_LINES;
    return line >= 1 && line <= scriptLines ? line : null;
  }

  // `new Function` reports a SyntaxError without any position. To give the user a line, parse
  // the script once more as a nested worker's classic script: its error event carries line
  // and column. The source starts with `throw 0;` on the same line, so even a script that
  // parses there never runs, and line numbers are unchanged.
  const PARSE_PREFIX = 'throw 0;';
  function locateSyntaxError(script) {
    return new Promise((resolve) => {
      /** @type {Worker | null} */
      let worker = null;
      /** @type {string | null} */
      let url = null;
      /** @type {number | undefined} */
      let timer;
      /** @param {{line: number, column: number | null, message: string} | null} result */
      const finish = (result) => {
        clearTimer(timer);
        if (worker) worker.terminate();
        if (url) revokeUrl(url);
        resolve(result);
      };
      try {
        url = createUrl(new BlobCtor([`${PARSE_PREFIX}${script}\n`], { type: 'text/javascript' }));
        worker = new WorkerCtor(url);
      } catch {
        finish(null);
        return;
      }
      worker.onerror = (ev) => {
        ev.preventDefault();
        const msg = String(ev.message || '');
        if (!/SyntaxError/.test(msg) || !ev.lineno) { finish(null); return; }
        const column = ev.lineno === 1 ? ev.colno - PARSE_PREFIX.length : ev.colno;
        finish({ line: ev.lineno, column: column >= 1 ? column : null, message: msg.replace(/^Uncaught SyntaxError:\s*/, '') });
      };
      timer = setTimer(() => finish(null), 3000);
    });
  }

  // ---- Compiling the problem script -------------------------------------------------------
  // The script's declarations become locals of one function; its trailer hands back what
  // the script defined. A `return` of the script's own would skip the trailer: the marker
  // tells the two apart.
  const TRAILER = '\n;return { __problemScript: true, '
    + 'F: typeof F === "function" ? F : undefined, '
    + 'dF: typeof dF === "function" ? dF : undefined, '
    + 'thetaTrue: typeof thetaTrue === "function" ? thetaTrue : undefined, '
    + 'problem: typeof problem === "object" && problem !== null ? problem : undefined };';

  // Math.sin, Math.exp, ... from the core, before the script runs: the same bits in every
  // engine, so a link reproduces its run in every browser (src/wasm/math.rs). The wasm
  // instance's own exports (what the glue's init resolves with), not the glue's wrappers:
  // f64 in, f64 out needs no glue, and a direct call is cheaper.
  function installPortableMath(exports) {
    for (const key of Object.keys(exports)) {
      const m = exec(/^portable_(\w+)$/, key);
      if (m) Object.defineProperty(Math, m[1], { value: exports[key], writable: true, configurable: true, enumerable: false });
    }
  }

  function compileProblemScript(script) {
    return new FunctionCtor(script + TRAILER);
  }

  async function loadScript(script) {
    scriptLines = script.split('\n').length;
    let fn;
    try {
      fn = compileProblemScript(script);
    } catch (e) {
      const where = await locateSyntaxError(script);
      if (where) {
        const col = where.column ? `, column ${where.column}` : '';
        throw new UserError(`Syntax error in the problem script at line ${where.line}${col}: ${where.message}`, where.line);
      }
      throw new UserError(`Syntax error in the problem script: ${describeError(e)}`);
    }
    let found;
    try {
      found = fn.call(undefined);
    } catch (e) {
      const line = userLine(e);
      throw new UserError(`The problem script threw while loading${line ? ` (line ${line})` : ''}: ${describeError(e)}`, line);
    }
    if (found === null || typeof found !== 'object' || found.__problemScript !== true) {
      throw new UserError('The problem script returned before its end: remove the top-level `return`.');
    }
    if (!found.F) {
      throw new UserError('The problem script must define the black box as `function F(x, theta) { ... }` returning a number or an array of numbers.');
    }
    return found;
  }

  // ---- The batch wrappers (docs/architecture.md, "Worker side") ---------------------------
  // One call from wasm per batch: (xs, thetas, n, out) for F and dF, (xs, n, out) for
  // thetaTrue, all Float64Arrays that VIEW wasm memory (valid for this call only: keep no
  // reference). The loop here calls the user's function once per row with plain arrays
  // (reused from row to row: no allocation of ours per call), checks what it returned, and
  // writes it into `out`. A problem throws an Error naming the function, the row and what to
  // change; the wasm core passes it on.
  /** @param {string} message @param {number | null} [line] */
  function fail(message, line = null) {
    return new UserError(message, line);
  }

  function makeWrappers(found) {
    const userF = found.F;
    const userDF = found.dF;
    const userTT = found.thetaTrue;
    // The shapes come from each batch's arrays (the core completes the settings, so only it
    // knows them first); the row arrays handed to the user's code are reused between calls.
    let xDim = 0, thetaDim = 0, yDim = 0;
    /** @type {number[]} */
    let x = [];
    /** @type {number[]} */
    let theta = [];
    function shapes(xs, thetaWidth, n) {
      xDim = xs.length / n;
      thetaDim = thetaWidth;
      if (x.length !== xDim) x = new Array(xDim).fill(0);
      if (theta.length !== thetaDim) theta = new Array(thetaDim).fill(0);
    }
    const at = (xs, thetas, i) => `x=${fmtRow(xs, i * xDim, xDim)}, theta=${fmtRow(thetas, i * thetaDim, thetaDim)}`;
    const ttAt = (xs, i) => `x=${fmtRow(xs, i * xDim, xDim)}`;

    function fillRow(xs, thetas, i) {
      for (let j = 0; j < xDim; j++) x[j] = xs[i * xDim + j];
      if (thetas) for (let j = 0; j < thetaDim; j++) theta[j] = thetas[i * thetaDim + j];
    }
    function threw(name, e, where) {
      const line = userLine(e);
      return fail(`${name} threw at ${where}: ${describeError(e)}`, line);
    }

    function f(xs, thetas, n, out) {
      if (n === 0) return;
      shapes(xs, thetas.length / n, n);
      yDim = out.length / n;
      for (let i = 0; i < n; i++) {
        fillRow(xs, thetas, i);
        let v;
        try {
          v = userF(x, theta);
        } catch (e) {
          throw threw('F', e, at(xs, thetas, i));
        }
        if (typeof v === 'number' && yDim === 1) {
          if (!isFiniteNumber(v)) throw fail(`F returned ${fmtNum(v)} at ${at(xs, thetas, i)}; every output must be a finite number`);
          out[i] = v;
          continue;
        }
        /** @type {string | null} */
        let bad = null;
        try {
          if (!(isArray(v) || (isView(v) && !(v instanceof DataViewCtor))) || v.length !== yDim) {
            bad = `F returned ${typeof v === 'number' ? '1 number' : describeValue(v)} at ${at(xs, thetas, i)}; `
              + `expected yDim=${yDim} (${yDim === 1 ? 'a number' : `an array of ${yDim} numbers`})`;
          } else {
            for (let k = 0; k < yDim; k++) {
              const y = v[k];
              if (typeof y !== 'number' || !isFiniteNumber(y)) {
                bad = `F returned ${fmtNum(y)} at ${at(xs, thetas, i)} (output ${k + 1} of ${yDim}); every output must be a finite number`;
                break;
              }
              out[i * yDim + k] = y;
            }
          }
        } catch (e) {
          bad = `F returned a value that could not be read at ${at(xs, thetas, i)}: ${describeError(e)}`;
        }
        if (bad) throw fail(bad);
      }
    }

    // One Jacobian entry into out[base + r*thetaDim + c]. Returns null, or what was wrong as
    // [head, tail] of the message, which gets the row's x and theta in between.
    /** @returns {[string, string] | null} */
    function putEntry(out, base, val, r, c) {
      if (typeof val !== 'number' || !isFiniteNumber(val)) {
        return [`returned ${fmtNum(val)}`, ` (row ${r + 1}, column ${c + 1}); every entry must be a finite number`];
      }
      out[base + r * thetaDim + c] = val;
      return null;
    }

    // dF: per sample yDim rows of thetaDim numbers. Also accepted, because people write them:
    // one flat array of yDim*thetaDim numbers (row-major), and for thetaDim = yDim = 1 a number.
    function df(xs, thetas, n, out) {
      if (n === 0) return;
      shapes(xs, thetas.length / n, n);
      yDim = out.length / n / thetaDim;
      const per = yDim * thetaDim;
      const shape = `expected yDim=${yDim} rows of thetaDim=${thetaDim} numbers (row i holds dF_i/dtheta)`;
      for (let i = 0; i < n; i++) {
        fillRow(xs, thetas, i);
        let v;
        try {
          v = userDF(x, theta);
        } catch (e) {
          throw threw('dF', e, at(xs, thetas, i));
        }
        /** @type {[string, string] | null} */
        let bad = null;
        try {
          if (typeof v === 'number' && per === 1) {
            bad = putEntry(out, i * per, v, 0, 0);
          } else if (!isArray(v) && !isView(v)) {
            bad = [`returned ${describeValue(v)}`, `; ${shape}`];
          } else if (v.length === per && (per === 1 || typeof v[0] === 'number')) {
            for (let k = 0; k < per && !bad; k++) bad = putEntry(out, i * per, v[k], Math.floor(k / thetaDim), k % thetaDim);
          } else if (v.length !== yDim) {
            bad = [`returned ${v.length} row${v.length === 1 ? '' : 's'}`, `; ${shape}`];
          } else {
            for (let r = 0; r < yDim && !bad; r++) {
              const row = v[r];
              if (!(isArray(row) || isView(row)) || row.length !== thetaDim) {
                bad = [`row ${r + 1} is ${describeValue(row)}`, `; ${shape}`];
                break;
              }
              for (let c = 0; c < thetaDim && !bad; c++) bad = putEntry(out, i * per, row[c], r, c);
            }
          }
        } catch (e) {
          bad = ['returned a value that could not be read', `: ${describeError(e)}`];
        }
        if (bad) throw fail(`dF ${bad[0]} at ${at(xs, thetas, i)}${bad[1]}`);
      }
    }

    function thetaTrue(xs, n, out) {
      if (n === 0) return;
      shapes(xs, out.length / n, n);
      for (let i = 0; i < n; i++) {
        fillRow(xs, null, i);
        let v;
        try {
          v = userTT(x);
        } catch (e) {
          throw threw('thetaTrue', e, ttAt(xs, i));
        }
        if (typeof v === 'number' && thetaDim === 1 && isFiniteNumber(v)) {
          out[i] = v;
          continue;
        }
        /** @type {string | null} */
        let bad = null;
        try {
          if (typeof v === 'number') {
            bad = `thetaTrue returned ${thetaDim === 1 ? fmtNum(v) : '1 number'} at ${ttAt(xs, i)}; expected thetaDim=${thetaDim} finite numbers`;
          } else if (!(isArray(v) || isView(v)) || v.length !== thetaDim) {
            bad = `thetaTrue returned ${describeValue(v)} at ${ttAt(xs, i)}; expected thetaDim=${thetaDim} numbers`;
          } else {
            for (let k = 0; k < thetaDim; k++) {
              const t = v[k];
              if (typeof t !== 'number' || !isFiniteNumber(t)) {
                bad = `thetaTrue returned ${fmtNum(t)} at ${ttAt(xs, i)} (component ${k + 1} of ${thetaDim}); every component must be a finite number`;
                break;
              }
              out[i * thetaDim + k] = t;
            }
          }
        } catch (e) {
          bad = `thetaTrue returned a value that could not be read at ${ttAt(xs, i)}: ${describeError(e)}`;
        }
        if (bad) throw fail(bad);
      }
    }

    return { f, df: userDF ? df : null, thetaTrue: userTT ? thetaTrue : null };
  }

  // yDim = the number of outputs of one call of F. The core asks, at the point it chose
  // (config::probe_point: the first CSV row or the middle of xRange, theta = 0 within bounds).
  function probeYDim(found, xs, thetas) {
    const where = `x=${fmtRow(xs, 0, xs.length)}, theta=${fmtRow(thetas, 0, thetas.length)}`;
    let v;
    try {
      v = found.F(Array.from(xs), Array.from(thetas));
    } catch (e) {
      const line = userLine(e);
      throw new UserError(`F threw at ${where}: ${describeError(e)}`, line);
    }
    // Only the count matters here: a NaN at theta = 0 is reported later, if training meets it.
    if (typeof v === 'number') return 1;
    let n = -1;
    try {
      if (isArray(v) || (isView(v) && !(v instanceof DataViewCtor))) n = v.length;
    } catch { /* reported below */ }
    if (n < 1) {
      throw new UserError(`F returned ${n === 0 ? 'an empty array' : describeValue(v)} at ${where}; F must return a number or an array of numbers.`);
    }
    return n;
  }

  // ---- Running ----------------------------------------------------------------------------
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
    send({ type: 'progress', rows, status: readStatus() });
    lastProgressAt = performance.now();
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
    send({ type: 'error', message, line });
    freeSession();
  }

  function freeSession() {
    if (session) {
      try { session.free(); } catch { /* already gone */ }
      session = null;
    }
  }

  // Whether this worker diagnoses F instead of running a method.
  let diagnosing = false;

  // Methods whose 'done' carries the finite-difference step-size sweep.
  const SWEEP_METHODS = new Set(['central', 'forward', 'exact']);

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
    if (diagnosing) {
      // Diagnose F: the report (diagnosis.json, or null when stopped) instead of a fit.
      const report = /** @type {any} */ (live()).reportJson();
      state = 'ended';
      send({ type: 'diagnosis', status, report });
      freeSession();
      return;
    }
    const fit = jsonParse(live().fitJson());
    const weights = live().weightsJson();
    // The step-size sweep (monitoring evaluations) for the methods it explains.
    const sweep = SWEEP_METHODS.has(status.method) ? jsonParse(live().stepSweepJson()) : null;
    state = 'ended';
    send({ type: 'done', status, fit, weights, sweep });
    freeSession();
  }

  function schedule() {
    if (tickScheduled) return;
    tickScheduled = true;
    channel.port2.postMessage(0);
  }

  function tick() {
    tickScheduled = false;
    if (!session || state === 'ended' || state === 'paused' || batchOut) return;
    try {
      if (state === 'stopping') { finish(true); return; }
      if (helpers.length) { farmChunk().catch(sendError); return; }
      const ended = session.runChunk(30, 1e9);
      if (ended) { finish(false); return; }
      considerHelpers();
      sendProgress();
      schedule();
    } catch (e) {
      sendError(e);
    }
  }
  channel.port1.onmessage = tick;

  // Steps for up to 30 ms with F's batches evaluated by the helpers. At most one batch is out
  // at a time; while it is, this worker answers pause, step and stop at once (a stopped run
  // ends where its last step ended).
  async function farmChunk() {
    const end = live().runChunkResumable(30, 1e9);
    if (end === 1) { finish(false); return; }
    if (end === 0) { sendProgress(); schedule(); return; }
    if (!(await serveBatch())) return;
    // Heard from often enough for the page's watchdog and charts, not on every batch.
    if (performance.now() - lastProgressAt > 100) sendProgress();
    if (state === 'running') schedule();
  }

  // The pending batch, evaluated by the helpers and supplied to the core; false when the run
  // ended meanwhile.
  async function serveBatch() {
    batchOut = true;
    const sentAt = performance.now();
    const wasRunning = state === 'running';
    let values;
    try {
      values = await evaluateSplit();
    } finally {
      batchOut = false;
    }
    if (state === 'ended' || !session) return false;
    // The run's clock counts the wait for the helpers (not a pause's).
    if (wasRunning && state === 'running') live().addWaitMs(performance.now() - sentAt);
    if (values === undefined) return false;
    if (values) {
      live().supply(values);
    } else if (live().runChunk(1e9, 1)) { // F failed in a helper: the step again, here
      finish(false);
      return false;
    }
    if (state === 'stopping') { finish(true); return false; }
    return true;
  }

  // Exactly one training step while paused; the progress it sends is the reply.
  function stepOnce() {
    try {
      const ended = live().runChunk(1e9, 1);
      if (ended) finish(false);
      else sendProgress();
    } catch (e) {
      sendError(e);
    }
  }

  // The 'step' requests while paused, one after another; with helpers a step may wait for
  // batches, and the requests that come meanwhile follow it.
  let stepping = false;
  async function stepWhilePaused() {
    if (stepping || batchOut) return;
    stepping = true;
    try {
      while (state === 'paused' && queuedSteps > 0 && session) {
        queuedSteps--;
        if (!helpers.length) { stepOnce(); continue; }
        for (;;) { // attempts until the step is taken
          const end = live().runChunkResumable(1e9, 1);
          if (end === 1) { finish(false); return; }
          if (end === 0) { sendProgress(); break; }
          if (!(await serveBatch())) return;
          if (state !== 'paused') { // resumed meanwhile: the running loop goes on
            if (state === 'running') schedule();
            return;
          }
        }
      }
    } catch (e) {
      sendError(e);
    } finally {
      stepping = false;
    }
  }

  function control(action) {
    if (state === 'ended') return;
    switch (action) {
      case 'pause':
        if (state === 'running') state = 'paused';
        // The reply (a progress with status.paused) tells the page's watchdog the worker is
        // idle now. Before the session exists, the first progress is that reply.
        if (session && state === 'paused') sendProgress();
        break;
      case 'resume':
        if (state === 'paused') { state = 'running'; schedule(); }
        break;
      case 'step':
        if (state !== 'paused') break;
        queuedSteps++;
        if (session) stepWhilePaused();
        break;
      case 'stop':
        if (!session) { state = 'stopping'; break; }
        state = 'stopping';
        // A batch out with the helpers is not waited for: the step it belongs to was undone.
        if (batchOut) finish(true);
        else schedule();
        break;
      default:
        break;
    }
  }

  async function boot(msg) {
    try {
      if (typeof msg.glue !== 'string' || !isWasmCode(msg.wasm) || typeof msg.config !== 'string' || typeof msg.script !== 'string') {
        throw new UserError('The sandbox sent an incomplete start message (a bug in the page).');
      }
      // Diagnose F runs like a race of one, through a Diagnosis handle (same arguments).
      try {
        diagnosing = jsonParse(msg.config)?.diagnose === true;
      } catch { /* the core says what is wrong with the settings */ }
      if (!diagnosing && isFiniteNumber(msg.workers) && msg.workers >= 1) {
        workersAllowed = Math.min(64, Math.floor(msg.workers));
        workersAuto = msg.workersAuto === true;
        // A count set by hand: the helpers start now, while this worker starts too.
        if (!workersAuto) askForHelpers();
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
      ownF = wrappers.f;
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
        const Handle = diagnosing ? glue.Diagnosis : glue.Session;
        session = new Handle(msg.config, problemJson, timedF, wrappers.df, wrappers.thetaTrue, probe);
      } catch (e) {
        if (e instanceof UserError) throw e;
        throw new UserError(wasmMessage(e));
      }
      if (state === 'stopping') { finish(true); return; }
      sendProgress();
      if (state === 'paused' && queuedSteps > 0) stepWhilePaused();
      schedule();
    } catch (e) {
      sendError(e);
    }
  }

  // Asks the sandbox for the helpers: the F-workers but this one, which evaluates a share too.
  function askForHelpers() {
    if (helpersAsked || workersAllowed < 2) return;
    helpersAsked = true;
    send({ type: 'helpers', count: workersAllowed - 1 });
  }

  // Auto: F costly enough per batch that other workers are worth it (measured here).
  function considerHelpers() {
    if (!workersAuto || helpersAsked || fCost.batches < AUTO_MIN_BATCHES) return;
    if (fCost.ms / fCost.batches >= AUTO_MIN_BATCH_MS) askForHelpers();
  }

  // The helpers' ports, from the sandbox; each says 'ready' once its copy of the script is
  // compiled, and only then gets batches.
  function takeHelpers(ports) {
    for (const port of ports) {
      port.onmessage = (ev) => {
        const a = ev.data;
        if (a === null || typeof a !== 'object') return;
        if (a.ready === true) { helpers.push(port); return; }
        const settle = owed.get(a.id);
        if (settle) { owed.delete(a.id); settle(a); }
      };
    }
  }

  // The pending batch in slices, one per F-worker: the helpers' are sent first, and this
  // worker evaluates its own meanwhile (sized by `balance`), in pieces of about PIECE_MS with
  // a turn of the event loop between them, so that pause, step and stop are answered.
  // Resolves with the values; null when F failed somewhere (the step is then taken here,
  // where the error gets its usual message, or its sample skipped); undefined when the run
  // ended meanwhile.
  async function evaluateSplit() {
    const s = live();
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
        if (!(ans.out instanceof F64) || ans.out.length !== (b - a) * yDim) return -1;
        values.set(ans.out, a * yDim);
        return isFiniteNumber(ans.ms) && ans.ms >= 0 ? ans.ms : 0;
      }));
      // The rows travel as transferred buffers, not copies.
      helpers[w].postMessage({ id, xs: xPart, thetas: tPart, n: b - a, yDim }, [xPart.buffer, tPart.buffer]);
    }
    const sentAt = performance.now();
    let ok = ownF !== null;
    let ownMs = 0;
    const f = /** @type {NonNullable<typeof ownF>} */ (ownF);
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
        if (state === 'ended' || state === 'stopping') return undefined;
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
  // A turn of the event loop (messages first), through a private channel.
  const turnChannel = new MessageChannel();
  /** @type {(() => void)[]} */
  const turns = [];
  turnChannel.port1.onmessage = () => { turns.shift()?.(); };
  const nextTurn = () => new Promise((resolve) => { turns.push(() => resolve(undefined)); turnChannel.port2.postMessage(0); });

  // A helper: F's batches from the coordinator's port, answered with their values (the
  // rows' buffers come transferred, the values go back the same way).
  async function bootHelper(msg) {
    const port = /** @type {MessagePort} */ (msg.port);
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
          port.postMessage({ id: job.id, out, ms: performance.now() - t0 }, [out.buffer]);
        } catch (e) {
          port.postMessage({ id: job.id, error: describeError(e) });
        }
      };
      port.postMessage({ ready: true });
    } catch (e) {
      port.postMessage({ failed: describeError(e) });
    }
  }

  // Registered first and in the capture phase, so it runs before any listener the user's
  // script adds; it stops the event there, so the script never sees the page's messages.
  listen('message', (ev) => {
    apply(stopEvent, ev, []);
    const m = apply(eventData, ev, []);
    if (m === null || typeof m !== 'object') return;
    if (m.type === 'start' && nonce === null && typeof m.nonce === 'string') {
      nonce = m.nonce;
      boot(m);
    } else if (m.type === 'control' && nonce !== null) {
      control(m.action);
    } else if (m.type === 'helpers' && nonce !== null && isArray(m.ports)) {
      takeHelpers(m.ports);
    } else if (m.type === 'helper' && nonce === null && m.port instanceof MessagePort) {
      nonce = 'helper'; // one start only
      bootHelper(m);
    }
  }, { capture: true });
})();
