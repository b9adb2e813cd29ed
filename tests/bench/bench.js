// The browser half of `make bench` (driven by tests/bench/run.mjs through playwright).
//
// Sessions run in the playground's REAL worker (www/worker/, bundled into www/worker.bundle.js
// by `make bundle`, started as a classic blob worker from text, with the wasm-bindgen glue as a
// blob URL and the compiled wasm module posted, as www/sandbox.html does), so F goes through
// the real batch wrappers and the real Math (www/worker/math.js). The sandbox iframe is
// left out here: it only relays messages. Each phase is one async function on `window.bench`
// and returns plain data; run.mjs prints the table.
import { PRESETS } from '/presets.js';
import { METHODS, HISTORY_FIELDS } from '/schema.js';
import { DEFAULT_VALUES, PRESET_KEYS, buildSettings } from '/app/settings.js';
import { COSTLY } from '/bench/costly.js';

const $text = async (url) => {
  const r = await fetch(url, { cache: 'no-store' });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.text();
};
const blobUrl = (text) => URL.createObjectURL(new Blob([text], { type: 'text/javascript' }));

let workerSrc; let workerUrl; let glueUrl; let wasmBytes; let wasmModule; let methods;
// An optional second worker (run.mjs --worker-b=FILE, served as /bench/worker-b.js): the F-path
// rows then also measure it, interleaved with the first, for A/B comparisons in one run.
let workerBUrl = null;
let counter = 0;

/** The run settings the page would send for `method` with a preset's settings, the rest at
 * the page's defaults (the same table and code as the page: www/app/settings.js). */
function presetConfig(preset, method) {
  const values = { ...DEFAULT_VALUES };
  for (const [k, v] of Object.entries(preset.settings ?? {})) if (PRESET_KEYS[k]) values[PRESET_KEYS[k]] = String(v);
  return { method, ...buildSettings((id) => values[id]) };
}

async function init({ workerB = false } = {}) {
  const [w, glue, wasm] = await Promise.all([
    $text('/worker.bundle.js'), $text('/pkg/session.js'),
    fetch('/pkg/session_bg.wasm').then((r) => r.arrayBuffer()),
  ]);
  if (workerB) workerBUrl = blobUrl(await $text('/bench/worker-b.js'));
  workerSrc = w; glueUrl = blobUrl(glue); wasmBytes = wasm;
  // As the sandbox does: compiled once, every worker instantiates the same module.
  wasmModule = await WebAssembly.compile(wasm);
  workerUrl = blobUrl(workerSrc);
  methods = METHODS.map(({ name, label }) => ({ name, label }));
  return {
    crossOriginIsolated: self.crossOriginIsolated, wasmBytes: wasm.byteLength,
    methods, presets: PRESETS.map((p) => p.id),
    userAgent: navigator.userAgent, workerB: workerBUrl !== null,
  };
}

/**
 * One run of one method in a real worker, to its end. Resolves with status, rows, weights.
 * `workers`: F-workers it may use (www/sandbox.html's part: helpers started on its request).
 * `source`: the worker's blob URL (the playground's, or the A/B run's second one).
 */
function runSession(config, script, workers = { count: 1, auto: false }, source = workerUrl) {
  const worker = new Worker(source);
  const helpers = [];
  const end = () => { worker.terminate(); for (const h of helpers) h.terminate(); };
  const nonce = `bench-${++counter}`;
  const rows = [];
  const progress = []; // [steps, wallMs] of every chunk
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    worker.onmessage = (ev) => {
      const d = ev.data;
      if (!d || d.nonce !== nonce) return;
      if (d.type === 'helpers') {
        const ports = [];
        for (let i = 0; i < d.count; i++) {
          const h = new Worker(source);
          helpers.push(h);
          const ch = new MessageChannel();
          h.postMessage({ type: 'helper', glue: glueUrl, wasm: wasmModule, script, port: ch.port2 }, [ch.port2]);
          ports.push(ch.port1);
        }
        worker.postMessage({ type: 'helpers', ports }, ports);
      } else if (d.type === 'progress') {
        for (const v of d.rows) rows.push(v);
        if (d.status) progress.push([d.status.steps, d.status.wallMs]);
      } else if (d.type === 'done') {
        end();
        resolve({ status: d.status, rows, progress, weights: d.weights, clockMs: performance.now() - t0 });
      } else if (d.type === 'error') {
        end();
        reject(new Error(d.message));
      }
    };
    worker.onerror = (e) => { end(); reject(new Error(e.message || 'worker failed')); };
    worker.postMessage({ type: 'start', nonce, kind: 'run', glue: glueUrl, wasm: wasmModule, config: JSON.stringify(config), script,
      workers: { count: workers.count, auto: workers.auto } });
  });
}

/** xDim, thetaDim and yDim of a preset script (from its `problem` and one call of F). */
function dimsOf(script) {
  const { F, problem } = new Function(`${script}\n;return { F, problem };`)();
  const y = F(new Array(problem.xDim).fill(0), new Array(problem.thetaDim).fill(0));
  return { xDim: problem.xDim, thetaDim: problem.thetaDim, yDim: typeof y === 'number' ? 1 : y.length };
}

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
const preset = (id) => PRESETS.find((p) => p.id === id);

// ---- F-evaluation throughput ----------------------------------------------------------------
// The plain loop: the same F (compiled from the same script), called on rows of the same
// shape in a worker of this page, outputs written into a Float64Array. Inputs are prepared
// as arrays beforehand, so the loop does nothing but call F and store: the limit.
const LOOP_SRC = `onmessage = (ev) => {
  const { script, xDim, thetaDim, yDim, rows, passes } = ev.data;
  const F = new Function(script + '\\n;return F;')();
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const xs = [], ts = [];
  for (let i = 0; i < rows; i++) {
    xs.push(Array.from({ length: xDim }, rnd));
    ts.push(Array.from({ length: thetaDim }, () => 0.5 * rnd()));
  }
  const out = new Float64Array(rows * yDim);
  const rates = [];
  for (let p = 0; p < passes; p++) {
    const t0 = performance.now();
    for (let i = 0; i < rows; i++) {
      const v = F(xs[i], ts[i]);
      if (typeof v === 'number') out[i] = v;
      else for (let k = 0; k < yDim; k++) out[i * yDim + k] = v[k];
    }
    rates.push(rows / (performance.now() - t0) * 1e3);
  }
  postMessage({ rates, check: out[0] });
};`;

function plainLoop(script, dims, rows = 200000, passes = 7) {
  const worker = new Worker(blobUrl(LOOP_SRC));
  return new Promise((resolve, reject) => {
    worker.onmessage = (ev) => { worker.terminate(); resolve(ev.data); };
    worker.onerror = (e) => { worker.terminate(); reject(new Error(e.message)); };
    worker.postMessage({ script, ...dims, rows, passes });
  });
}

// An F that spends its time in Math: sin, exp and pow (a non-integer exponent), on the smooth
// preset's shapes (the F-path row "F calling sin, exp and pow").
export const MATH_F = `function F(x, theta) {
  return [theta[0] * Math.sin(3 * x[0]) + Math.exp(theta[1] * x[1]), Math.pow(1.5 + x[0] * x[1], theta[2])];
}
function thetaTrue(x) { return [Math.cos(x[0]), 0.5 * x[1], 0.3 + 0.2 * x[0]]; }
const problem = { xDim: 2, thetaDim: 3, samples: 256, xRange: [-1, 1], noise: 0 };`;

/** A `central` run's F path and whole-run rates against a plain loop, interleaved `reps` times,
 * on a preset or on `script` (with the smooth preset's settings). With an A/B second worker,
 * its F path too (`b`). */
async function throughput({ presetId = 'smooth', script = null, reps = 3, budget = 1_500_000, loopRows = 200_000 } = {}) {
  const p = preset(presetId);
  const text = script === 'math' ? MATH_F : script ?? p.script;
  const config = presetConfig(p, 'central');
  Object.assign(config, { budget, maxSteps: 1_000_000 });
  const measure = async (source) => {
    const s = await runSession(config, text, undefined, source);
    const st = s.status;
    // fMs, fRows: time inside F batch calls as wasm sees it (the crossing included).
    return {
      evals: st.evals, monitorEvals: st.monitorEvals, wallMs: st.wallMs, steps: st.steps,
      rate: (st.evals + st.monitorEvals) / st.wallMs * 1e3,
      fPath: Number.isFinite(st.fMs) ? { ms: st.fMs, rows: st.fRows, rate: st.fRows / st.fMs * 1e3 } : null,
      history: s.rows,
    };
  };
  const runs = [];
  const runsB = [];
  const loops = [];
  for (let r = 0; r < reps; r++) {
    runs.push(await measure(workerUrl));
    const loop = await plainLoop(text, dimsOf(text), loopRows);
    loops.push(median(loop.rates));
    if (workerBUrl) runsB.push(await measure(workerBUrl));
  }
  // The same training whichever worker ran it (else an A/B comparison is moot).
  const W = HISTORY_FIELDS.indexOf('wallMs');
  const noClock = (rows) => JSON.stringify(rows.filter((_, i) => i % HISTORY_FIELDS.length !== W));
  const strip = (rs) => rs.map(({ history, ...rest }) => rest);
  const fRate = (rs) => (rs[0]?.fPath ? median(rs.map((r) => r.fPath.rate)) : null);
  return {
    config, script: script ? text : null, runs: strip(runs), loops,
    rate: median(runs.map((r) => r.rate)),
    fPathRate: fRate(runs),
    fPathShare: runs[0].fPath ? median(runs.map((r) => r.fPath.ms / r.wallMs)) : null,
    loopRate: median(loops),
    // F path over the loop measured beside it, per repetition; then the median.
    fPathRatio: runs[0].fPath ? median(runs.map((r, i) => r.fPath.rate / loops[i])) : null,
    b: runsB.length ? {
      runs: strip(runsB), fPathRate: fRate(runsB),
      sameHistory: runsB.every((x) => noClock(x.history) === noClock(runs[0].history)),
      fPathRatio: median(runsB.map((x, i) => x.fPath.rate / loops[i])),
    } : null,
  };
}

// ---- ms per training step: exact (wasm) against TF.js cpu and wasm --------------------------
export function exactConfig(csv, maxSteps, learningRate = 0.01) {
  return {
    method: 'exact',
    problem: { xDim: 2, thetaDim: 3, yDim: 2, xRange: [-1, 1] },
    data: { source: 'csv', csv, testFraction: 0 },
    network: { hidden: [32, 32], activation: 'tanh' },
    optimizer: { kind: 'adam', learningRate, batchSize: 256, clip: 0 },
    budget: 1_000_000_000, maxSteps, seed: 1, logPoints: 2,
  };
}

function tfStep(backend, args) {
  // 'plain': the step written in plain JavaScript (plain-step.js), F and dF the preset's own.
  const worker = new Worker(backend === 'plain' ? '/bench/plain-step.js' : '/bench/tf-worker.js');
  return new Promise((resolve, reject) => {
    worker.onmessage = (ev) => {
      worker.terminate();
      if (ev.data.ok) resolve(ev.data); else reject(new Error(ev.data.error));
    };
    worker.onerror = (e) => { worker.terminate(); reject(new Error(e.message || 'TF.js worker failed')); };
    worker.postMessage({ backend, ...args });
  });
}

// A history row is HISTORY_FIELDS.length numbers, in that order.
const LOSS = HISTORY_FIELDS.indexOf('trainLoss');
const firstLoss = (rows) => rows[LOSS];
const lastLoss = (rows) => rows[rows.length - HISTORY_FIELDS.length + LOSS];

let stepWeights = null;

/** The initial weights of the exact run, for TF.js: a one-step run at a learning rate too
 * small to move them. */
async function stepInit({ csv }) {
  const init = await runSession(exactConfig(csv, 1, 1e-30), preset('smooth').script);
  stepWeights = JSON.parse(init.weights);
  return stepWeights.sizes;
}

/** One repetition: wasm, TF.js cpu, TF.js wasm, one after another (run.mjs adds native). */
async function stepRep({ csv, xs, ys, n, steps, tfSteps }) {
  const script = preset('smooth').script;
  const s = await runSession(exactConfig(csv, steps), script);
  const out = { wasmWhole: s.status.wallMs / s.status.steps, rustLoss0: firstLoss(s.rows), rustLossEnd: lastLoss(s.rows) };
  // Steady state: each run is a fresh worker, so its wasm starts in V8's baseline compiler and
  // is tiered up while it runs. Time the steps from 30% of the run to its last chunk.
  const a = s.progress.find(([st]) => st >= 0.3 * steps);
  const b = [...s.progress].reverse().find(([st]) => st < steps);
  out.wasm = a && b && b[0] - a[0] >= 0.3 * steps ? (b[1] - a[1]) / (b[0] - a[0]) : out.wasmWhole;
  for (const [key, backend] of [['cpu', 'cpu'], ['tfwasm', 'wasm'], ['plain', 'plain']]) {
    const t = await tfStep(backend, { weights: stepWeights, xs, ys, n, steps: tfSteps[key], warmup: 10, script });
    out[key] = t.msPerStep;
    out[`${key}Info`] = t;
  }
  return out;
}

/** Same computation? The training loss of the Rust run after as many steps as TF.js took. */
async function stepCheck({ csv, stepsList }) {
  const script = preset('smooth').script;
  const out = [];
  for (const steps of stepsList) out.push(lastLoss((await runSession(exactConfig(csv, steps), script)).rows));
  return out;
}

// ---- F-evaluations to reach a target loss, every method on every preset ---------------------
// More log points than the page's 60 for a finer reading of when the target is crossed:
// monitoring has its own random streams and budget, so training is the same either way.
async function presetRuns({ concurrency = 2, only = null, logPoints = 150 } = {}) {
  const jobs = [];
  for (const p of PRESETS) {
    if (only && !only.includes(p.id)) continue;
    for (const m of methods) {
      const config = { ...presetConfig(p, m.name), logPoints };
      jobs.push({ preset: p.id, method: m.name, config, script: p.script });
    }
  }
  const results = [];
  let next = 0;
  const t0 = performance.now();
  async function lane() {
    while (next < jobs.length) {
      const job = jobs[next++];
      try {
        const s = await runSession(job.config, job.script);
        results.push({ preset: job.preset, method: job.method, rows: s.rows, status: s.status,
          budget: job.config.budget, clockMs: s.clockMs });
      } catch (e) {
        results.push({ preset: job.preset, method: job.method, error: String(e.message ?? e) });
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { results, ms: performance.now() - t0 };
}

// ---- Parallel workers: the same 4 runs one after another, and all at once --------------------
// (a) the four methods of the page test (unequal lengths: the longest bounds the speed-up);
// (b) four equal runs (central, seeds 1-4, a larger budget).
async function parallel({ methodsToRun, equalBudget = 1_000_000 }) {
  const p = preset('smooth');
  const clock = async (fn) => { const t = performance.now(); await fn(); return performance.now() - t; };
  const measure = async (configs) => {
    const sequential = await clock(async () => { for (const c of configs) await runSession(c, p.script); });
    const twoAtOnce = await clock(async () => {
      let i = 0;
      const lane = async () => { while (i < configs.length) await runSession(configs[i++], p.script); };
      await Promise.all([lane(), lane()]);
    });
    const allAtOnce = await clock(() => Promise.all(configs.map((c) => runSession(c, p.script))));
    return { sequential, twoAtOnce, allAtOnce };
  };
  const mixed = await measure(methodsToRun.map((m) => presetConfig(p, m)));
  const equal = await measure([1, 2, 3, 4].map((seed) => ({ ...presetConfig(p, 'central'), seed, budget: equalBudget })));
  return { mixed, equal, cores: navigator.hardwareConcurrency };
}

// ---- Workers per method: F-evaluations per second with 1 and n F-workers ----------------------
// A costly F (a loop of arithmetic, about `loops / 200` µs a call here) in a `central` run:
// all F rows (learning and monitoring) per second of the run, with one worker and with n,
// interleaved repetitions; and the cheap smooth preset with one worker against auto.
async function fWorkers({ loops = 6000, budget = null, reps = 3, n = navigator.hardwareConcurrency }) {
  const p = preset('smooth');
  // budget null: the page's default (a run of seconds at 10 µs a call, as a person would run).
  const config = { ...presetConfig(p, 'central'), ...(budget ? { budget } : {}), logPoints: 10 };
  const rate = (s) => (s.status.evals + s.status.monitorEvals) / s.status.wallMs * 1000;
  const costly = { one: [], many: [], msPerCall: [] };
  const cheap = { one: [], auto: [] };
  const smooth = { ...presetConfig(p, 'central') };
  for (let r = 0; r < reps; r++) {
    const a = await runSession(config, COSTLY(loops), { count: 1, auto: false });
    const b = await runSession(config, COSTLY(loops), { count: n, auto: false });
    costly.one.push(rate(a));
    costly.many.push(rate(b));
    // F's own cost a call, as the batch wrapper sees it in the one-worker run (the core aside).
    costly.msPerCall.push(a.status.fMs / a.status.fRows);
    const W = HISTORY_FIELDS.indexOf('wallMs');
    const noClock = (rows) => JSON.stringify(rows.filter((_, i) => i % HISTORY_FIELDS.length !== W));
    if (noClock(a.rows) !== noClock(b.rows)) throw new Error('1 and n workers gave different histories');
    cheap.one.push((await runSession(smooth, p.script, { count: 1, auto: false })).status.wallMs);
    cheap.auto.push((await runSession(smooth, p.script, { count: n, auto: true })).status.wallMs);
  }
  return {
    n, loops, budget: config.budget, usPerCall: 1000 * median(costly.msPerCall),
    oneRate: median(costly.one), manyRate: median(costly.many),
    speedup: median(costly.one.map((v, i) => costly.many[i] / v)),
    oneRates: costly.one, manyRates: costly.many,
    cheapOneMs: median(cheap.one), cheapAutoMs: median(cheap.auto),
    cheapAutoOverOne: median(cheap.one.map((v, i) => cheap.auto[i] / v)),
  };
}

// ---- Each method's own work per learning evaluation, at theta dimensions 3 and 40 -------------
// The problems of `cargo run --release --bin bench -- --per-evaluation` (src/fixtures.rs):
// the smooth preset's F (3 parameters) and a new user's coupled map (40 parameters), both
// cheap, so that what a method spends beyond Central differences is its own work.
const COUPLED_40 = `const P = 40;
function F(x, theta) {
  const y = new Array(P);
  for (let i = 0; i < P; i++) { const n = theta[(i + 1) % P]; y[i] = theta[i] * (1 + 0.5 * x[0]) + 0.2 * n * n; }
  return y;
}
function dF(x, theta) {
  const J = [];
  for (let i = 0; i < P; i++) {
    const row = new Array(P).fill(0);
    const n = (i + 1) % P;
    row[i] = 1 + 0.5 * x[0];
    row[n] += 0.4 * theta[n];
    J.push(row);
  }
  return J;
}
function thetaTrue(x) { return Array.from({ length: P }, (_, j) => 0.5 * Math.sin(j + 2 * x[0])); }
const problem = { xDim: 1, thetaDim: 40, xRange: [-1, 1] };`;

/** µs per learning evaluation of every method (F, the network and monitoring included) at
 * theta dimension 3 and 40, page defaults, `budget` evaluations, seed 1; `own` is the time
 * beyond Central differences on the same problem. Runs one after another in fresh workers. */
async function ownWork({ budget = 20_000, methods = METHODS.map((m) => m.name) } = {}) {
  const problems = [
    { p: 3, script: preset('smooth').script, problem: { xDim: 2, thetaDim: 3, yDim: 2, xRange: [-1, 1] } },
    { p: 40, script: COUPLED_40, problem: { xDim: 1, thetaDim: 40, yDim: 40, xRange: [-1, 1] } },
  ];
  const out = {};
  for (const { p, script, problem } of problems) {
    const rows = {};
    for (const method of methods) {
      const config = { ...presetConfig({ settings: {} }, method), budget, maxSteps: 0, seed: 1 };
      config.problem = { ...config.problem, ...problem };
      const s = await runSession(config, script);
      rows[method] = { us: s.status.wallMs * 1000 / Math.max(1, s.status.evals), evals: s.status.evals,
        fUsPerCall: s.status.fMs * 1000 / Math.max(1, s.status.fRows) };
    }
    const base = rows.central?.us ?? 0;
    for (const r of Object.values(rows)) r.own = r.us - base;
    out[p] = rows;
  }
  return { budget, rows: out };
}

window.bench = { init, throughput, stepInit, stepRep, stepCheck, presetRuns, parallel, fWorkers, ownWork };
