// The user's problem script in the worker: compiling it (and saying where a syntax error is),
// finding the line of an error in it, and the batch wrappers the wasm core calls F, dF and
// thetaTrue through, which check every value the user's code returns and say, in words a
// person can act on, what was wrong and where (docs/architecture.md, "Worker side").
import {
  FunctionCtor, DataViewCtor, isArray, isView, isFiniteNumber, isInteger, jsonStringify, setTimer,
  clearTimer, WorkerCtor, BlobCtor, createUrl, revokeUrl, exec, Str,
} from './primordials.js';

// Lines of the script compiled last (an error's line beyond them is not the user's).
let scriptLines = 0;

/** Marks an error whose message is already written for the user. */
export class UserError extends Error {
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
export function describeError(e) {
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
export function installPortableMath(exports) {
  for (const key of Object.keys(exports)) {
    const m = exec(/^portable_(\w+)$/, key);
    if (m) Object.defineProperty(Math, m[1], { value: exports[key], writable: true, configurable: true, enumerable: false });
  }
}

// Its name is how userLine finds the script's frames in a stack: the bundle keeps names (it
// is not minified), and no other function of the worker may take it.
function compileProblemScript(script) {
  return new FunctionCtor(script + TRAILER);
}

export async function loadScript(script) {
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

export function makeWrappers(found) {
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
// An F that throws there (a solver that divides by theta, say) is asked again at the same x
// with theta = thetaTrue(x) when the script has it, then every component 0.5, 1 and -0.5:
// only the count matters, so where it is learnt changes nothing else, and a point that is
// bad for F does not end the run before it starts (training then meets F where it is).
// When F throws at all of them, the message is the first point's.
export function probeYDim(found, xs, thetas) {
  const where = `x=${fmtRow(xs, 0, xs.length)}, theta=${fmtRow(thetas, 0, thetas.length)}`;
  const x = () => Array.from(xs);
  const others = [];
  if (typeof found.thetaTrue === 'function') others.push(() => found.thetaTrue(x()));
  for (const c of [0.5, 1, -0.5]) others.push(() => Array.from(thetas, () => c));
  let v;
  try {
    v = found.F(x(), Array.from(thetas));
  } catch (e) {
    let answered = false;
    for (const other of others) {
      try {
        const theta = other();
        if (!(isArray(theta) || isView(theta)) || theta.length !== thetas.length) continue;
        v = found.F(x(), Array.from(theta));
        answered = true;
        break;
      } catch { /* the next point */ }
    }
    if (!answered) {
      const line = userLine(e);
      throw new UserError(`F threw at ${where}: ${describeError(e)}`, line);
    }
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
