// `make bench`: how fast the playground is, against what people would use instead.
// Prints ONE table (with the machine noted), writes every raw number to
// target/bench/results.json and, after a full run, the table to docs/speed.md (between its
// bench:begin and bench:end markers). Needs `make build` and the native benchmark binary
// (target/release/bench); the Makefile's `bench` target builds both first.
//
//   node tests/bench/run.mjs [--quick] [--skip=native,throughput,steps,presets,parallel,longtask,workers,ownwork,pageworkers]
//                            [--pkg=DIR]   (serve another wasm-bindgen output as /pkg/: A/B builds)
//                            [--worker-b=FILE]  (a second worker bundle: the F-path rows measure
//                                          it too, interleaved with www/worker.bundle.js)
//                            [--ownwork-budget=N]  (the ownwork phase's evaluations per run)
//   node tests/bench/run.mjs --print          (the table of the last run again)
//
// Phases (each in a fresh worker, one after another unless said otherwise):
//  1. throughput: F-evaluations per second inside a `central` run (real worker, real batch
//     wrappers) on the smooth preset's cheap F, on an F calling Math.sin, Math.exp and Math.pow
//     (bench.js MATH_F) and on the projectile's ODE F, against a plain JS loop calling that F
//     (with the engine's Math) in a worker of the same page. Two rates: on the F path (F rows /
//     time inside F batch calls as wasm sees them: the status's fMs, the crossing
//     included) and for the whole run (F rows / session time, network work included).
//  2. steps: ms per training step of `exact` (MLP 2-32-32-3, batch 256, Adam) in wasm, against
//     TF.js 4.22 `cpu` and `wasm` backends on the same network, weights and rows, and against
//     the same Rust compiled natively (src/bin/bench.rs): each repetition runs all four one
//     after another, so the ratios compare measurements taken side by side.
//  3. presets: F-evaluations each method needs to reach a target loss on each preset (page
//     defaults plus the preset's own settings), two workers at a time.
//  4. parallel: four methods, and four equal runs: one after another, two at a time, all at once.
//  5. longtask: the real page (www/index.html) runs four methods, five times; PerformanceObserver
//     'longtask' entries and, from a Chromium trace, the longest main-thread task of each run;
//     then once more with 100,000 samples (the largest data the page accepts); then both again
//     with two busy processes (`node -e 'for (;;) {}'`) beside the browser.
//  6. workers: a costly F (tens of µs a call) in a `central` run with 1 and with n F-workers
//     (Workers per method), F rows per second of the run; the smooth preset with 1 and auto.
//  7. ownwork: every method's µs per learning evaluation at theta dimension 3 (the smooth map)
//     and 40 (a coupled map), beyond what Central differences spends on the same problem, in
//     the browser (bench.js ownWork) and natively (src/bin/bench.rs --per-evaluation).
//  8. pageworkers: the real page (www/index.html, its charts drawing) races Central differences
//     on an F of about 10, 40 and 170 µs a call with Workers per method 1 and 2, alternated:
//     F rows per second of the run, from the page's own results.json.
import http from 'node:http';
import fs from 'node:fs/promises';
import fsSync from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  launchBrowser, openPage, setScript, fill, waitForState, exportResults, withoutWallClock,
} from '../e2e/support/harness.mjs';
import { METHODS, HISTORY_FIELDS } from '../../www/schema.js';
import { COSTLY, TURNS_PER_US } from './costly.js';

// A history row from a worker: HISTORY_FIELDS.length numbers, in that order.
const WIDTH = HISTORY_FIELDS.length;
const EVALS = HISTORY_FIELDS.indexOf('evals');
const LOSS = HISTORY_FIELDS.indexOf('trainLoss');

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const outDir = path.join(root, 'target/bench');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const skip = new Set((args.find((a) => a.startsWith('--skip='))?.slice(7) ?? '').split(',').filter(Boolean));
const pkgDir = args.find((a) => a.startsWith('--pkg='))?.slice(6);
const workerB = args.find((a) => a.startsWith('--worker-b='))?.slice(11);
// --ownwork-budget=N: the ownwork phase's learning evaluations per run (20,000 by default; the
// page's default budget, 200,000, shows the cost per evaluation as a default race pays it).
const ownWorkBudget = Number(args.find((a) => a.startsWith('--ownwork-budget='))?.slice(17)) || null;
const log = (...m) => console.error(`[bench ${((performance.now()) / 1000).toFixed(0).padStart(3)} s]`, ...m);

const STEPS = quick ? 500 : 1500;                 // exact steps per wasm/native measurement
const TF_STEPS = quick ? { cpu: 40, tfwasm: 150, plain: 150 } : { cpu: 120, tfwasm: 400, plain: 400 };
const REPS = quick ? 1 : 3;
const STEP_REPS = quick ? 1 : 5;
const LONGTASK_RUNS = quick ? 1 : 5;
const FOUR = ['central', 'spsa', 'surrogate', 'exact'];

// ---- The machine ---------------------------------------------------------------------------
async function machine(browserVersion) {
  const cpuinfo = await fs.readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  return { cpu: model, cores: os.cpus().length, chromium: browserVersion, node: process.version,
    load: os.loadavg().map((v) => v.toFixed(2)).join(' '), memGiB: (os.totalmem() / 2 ** 30).toFixed(0) };
}

// ---- The data of the step benchmark: 256 rows of the smooth preset --------------------------
function stepData(n = 256) {
  let s = 20240611;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const xs = []; const ys = []; const lines = [];
  for (let i = 0; i < n; i++) {
    const x = [rnd(), rnd()];
    const t = [Math.sin(Math.PI * x[0]), 0.5 * Math.cos(Math.PI * x[1]), x[0] * x[1]];
    const y = [t[0] + t[1] * x[0], t[2] * Math.exp(0.5 * t[0])];
    xs.push(...x); ys.push(...y);
    lines.push([...x, ...y].map(String).join(','));
  }
  return { n, xs, ys, csv: `${lines.join('\n')}\n` };
}

// ---- A static server: www/ at /, this folder at /bench/, TF.js from node_modules -----------
const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml', '.json': 'application/json', '.map': 'application/json' };
const ROUTES = [
  ...(pkgDir ? [['/pkg/', path.resolve(pkgDir)]] : []),
  ...(workerB ? [['/bench/worker-b.js', path.resolve(workerB)]] : []),
  ['/bench/', here],
  ['/tfjs/', path.join(root, 'node_modules/@tensorflow/tfjs/dist')],
  ['/tfjs-wasm/', path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist')],
  ['/', path.join(root, 'www')],
];
async function serve() {
  const server = http.createServer(async (req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const [prefix, dir] = ROUTES.find(([p]) => urlPath.startsWith(p));
    let file = prefix.endsWith('/') ? path.join(dir, urlPath.slice(prefix.length)) : dir;
    if (!file.startsWith(dir)) { res.writeHead(403).end(); return; }
    if (urlPath.endsWith('/')) file = path.join(file, 'index.html');
    const headers = { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' };
    // The bench page is cross-origin isolated: performance.now() then has 5 us resolution
    // (100 us otherwise), which the timing of individual F batches needs.
    if (prefix === '/bench/') Object.assign(headers, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
    try {
      const body = await fs.readFile(file);
      res.writeHead(200, headers).end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) };
}

// ---- The .wasm files: raw and gzip -9 sizes ----------------------------------------------------
// gzip's size as `gzip -9 -c FILE | wc -c` gives it (docs/speed.md); node's zlib at level 9 when
// there is no gzip (within a few bytes of it).
async function wasmSizes(pkg) {
  const out = {};
  for (const part of ['session', 'diagnose', 'page']) {
    const file = path.join(pkg, `${part}_bg.wasm`);
    const bytes = await fs.readFile(file).catch(() => null);
    if (!bytes && part === 'diagnose') continue; // a build from before Diagnose F had its own (--pkg)
    if (!bytes) throw new Error('www/pkg is missing: run `make build` first (make bench does).');
    let gzip;
    try {
      gzip = execFileSync('gzip', ['-9', '-c', file], { maxBuffer: 1 << 26 }).length;
    } catch {
      gzip = zlib.gzipSync(bytes, { level: 9 }).length;
    }
    out[part] = { raw: bytes.length, gzip };
  }
  return out;
}

// ---- Native ----------------------------------------------------------------------------------
function native(csvPath, extra = ['--json', '--reps', String(quick ? 3 : 7)]) {
  const bin = path.join(root, 'target/release/bench');
  const out = execFileSync(bin, [...extra, '--csv', csvPath, '--steps', String(STEPS)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop());
}

// ---- The step benchmark: every repetition measures all four side by side -------------------
const median = (a) => { const s = [...a].filter((v) => Number.isFinite(v)).sort((x, y) => x - y); return s.length ? s[s.length >> 1] : null; };
async function steps(call, data, csvPath) {
  const common = { csv: data.csv, xs: data.xs, ys: data.ys, n: data.n, steps: STEPS, tfSteps: TF_STEPS };
  const sizes = await call('stepInit', { csv: data.csv });
  const reps = [];
  for (let r = 0; r < STEP_REPS; r++) {
    const rep = await call('stepRep', common);
    if (!skip.has('native')) rep.native = native(csvPath, ['--exact-only', '--reps', '1']).exactMsPerStep;
    reps.push(rep);
  }
  const first = reps[0];
  const check = {
    rustLoss0: first.rustLoss0, cpu: first.cpuInfo, tfwasm: first.tfwasmInfo, plain: first.plainInfo,
  };
  [check.cpu.rustLossSameSteps, check.tfwasm.rustLossSameSteps, check.plain.rustLossSameSteps] = await call('stepCheck',
    { csv: data.csv, stepsList: [check.cpu.steps, check.tfwasm.steps, check.plain.steps] });
  const col = (k) => reps.map((x) => x[k]);
  const ratios = (a, b) => reps.map((x) => x[a] / x[b]);
  return {
    sizes, steps: STEPS, tfSteps: TF_STEPS, reps: reps.map(({ cpuInfo, tfwasmInfo, plainInfo, ...x }) => x), check,
    wasmMs: median(col('wasm')), wasmWholeMs: median(col('wasmWhole')), cpuMs: median(col('cpu')), tfwasmMs: median(col('tfwasm')), nativeMs: median(col('native')),
    cpuOverWasm: median(ratios('cpu', 'wasm')), tfwasmOverWasm: median(ratios('tfwasm', 'wasm')),
    plainMs: median(col('plain')), wasmOverPlain: median(ratios('wasm', 'plain')),
    wasmOverNative: skip.has('native') ? null : median(ratios('wasm', 'native')),
  };
}

// ---- Evaluations to reach the target ----------------------------------------------------------
// Target per preset: 5% of the starting training loss (every method starts from the same
// network and data, so from the same loss). Evals = learning evaluations where the logged
// training loss first crosses it, interpolated (log-linear) between the two log points around
// the crossing; the two-stage surrogate's evaluations jump by whole rounds, so for it the
// reading is the evaluations after the round that got there.
const TARGET_FRACTION = 0.05;
function toTarget(presetRuns) {
  const byPreset = new Map();
  for (const r of presetRuns.results) {
    if (!byPreset.has(r.preset)) byPreset.set(r.preset, []);
    byPreset.get(r.preset).push(r);
  }
  const table = [];
  for (const [preset, runs] of byPreset) {
    const start = runs.find((r) => r.rows)?.rows[LOSS];
    const target = start * TARGET_FRACTION;
    const row = { preset, start, target, methods: {} };
    for (const r of runs) {
      if (r.error) { row.methods[r.method] = { error: r.error }; continue; }
      let hit = null;
      for (let i = 0; i + WIDTH <= r.rows.length; i += WIDTH) {
        const [evals, loss] = [r.rows[i + EVALS], r.rows[i + LOSS]];
        if (!(loss <= target)) continue;
        hit = evals;
        if (i >= WIDTH && r.method !== 'surrogate') {
          const [e0, l0] = [r.rows[i - WIDTH + EVALS], r.rows[i - WIDTH + LOSS]];
          if (l0 > target && loss > 0) hit = e0 + (evals - e0) * Math.log(l0 / target) / Math.log(l0 / loss);
        }
        break;
      }
      const last = r.rows.length - WIDTH;
      let minLoss = Infinity;
      for (let i = LOSS; i < r.rows.length; i += WIDTH) if (r.rows[i] < minLoss) minLoss = r.rows[i];
      row.methods[r.method] = { evals: hit, finalLoss: r.rows[last + LOSS], minLoss, finalEvals: r.rows[last + EVALS],
        budget: r.budget, stop: r.status.stopReason, seconds: r.clockMs / 1000 };
    }
    table.push(row);
  }
  return table;
}

// ---- The real page: longest main-thread task while four methods run ----------------------------
const PAGE_WORKER_COSTS = [10, 40, 170];

/** The browser's processes: `[pid, process type]` (Linux /proc; none elsewhere). */
function browserProcesses() {
  /** @type {[string, string][]} */
  const out = [];
  let pids = [];
  try { pids = fsSync.readdirSync('/proc').filter((d) => /^\d+$/.test(d)); } catch { return out; }
  for (const pid of pids) {
    try {
      const cmd = fsSync.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (/chrom/i.test(cmd)) out.push([pid, /--type=([a-z-]+)/.exec(cmd)?.[1] ?? 'browser']);
    } catch { /* ended meanwhile */ }
  }
  return out;
}

/**
 * CPU ms so far of every thread of `processes`, by `process type/thread name/tid`: where the
 * cores went during a run. Synchronous reads of a few dozen small files, about a millisecond:
 * reading all of /proc asynchronously ten times a second took a fifth of a core from the run
 * it measured (F ran 20% slower).
 * @param {[string, string][]} processes
 * @returns {Map<string, number>}
 */
function browserThreads(processes) {
  const out = new Map();
  const tick = 1000 / 100; // USER_HZ
  for (const [pid, type] of processes) {
    try {
      for (const tid of fsSync.readdirSync(`/proc/${pid}/task`)) {
        const st = fsSync.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
        out.set(`${type}/${name}/${tid}`, (Number(f[11]) + Number(f[12])) * tick);
      }
    } catch { /* the process or thread ended meanwhile */ }
  }
  return out;
}

/** CPU ms each kind of thread spent between two `browserThreads` readings: the workers (by
 * CPU, busiest first), the page's main thread, and the rest together. */
function threadShares(before, after) {
  const workers = [];
  let main = 0;
  let rest = 0;
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (k.startsWith('renderer/DedicatedWorker')) workers.push(d);
    else if (/^renderer\/(CrRendererMain|chromium)\//.test(k)) main += d;
    else rest += d;
  }
  return { workers: workers.filter((d) => d > 0).sort((a, b) => b - a), main, rest };
}

/**
 * Workers per method as people use them: the real page, its charts drawing, one Central
 * differences run of about 3 s with 1 worker and then 2 (alternated `reps` times) for each F
 * cost; the rate of F rows (learning and monitoring) over the run's own clock, from the
 * page's results.json, and F's measured µs a call. Throws when 1 and 2 workers differ.
 */
async function pageWorkers(browser, url, { reps }) {
  const rows = [];
  for (const us of PAGE_WORKER_COSTS) {
    const budget = Math.round(3e6 / us / 1000) * 1000;
    const one = [];
    const two = [];
    const fUs = [];
    const cpuOne = [];
    const cpuTwo = [];
    for (let r = 0; r < reps; r++) {
      let first = null;
      for (const [workers, into] of [[1, one], [2, two]]) {
        const { page, context } = await openPage(browser, url);
        try {
          await waitForState(page, 'idle', 30_000);
          for (const { label } of METHODS) {
            await page.getByRole('checkbox', { name: label, exact: true }).setChecked(label === 'Central differences');
          }
          await setScript(page, COSTLY(us * TURNS_PER_US));
          await fill(page, 'F-evaluation budget', budget);
          await fill(page, 'Workers per method', workers);
          // Threads are read while the run lasts too, four times a second: the F-workers end
          // with it (they are threads of the page's renderer process, found before Run).
          const processes = browserProcesses();
          const before = browserThreads(processes);
          const seen = new Map(before);
          let watching = true;
          const watch = (async () => {
            while (watching) {
              for (const [k, v] of browserThreads(processes)) seen.set(k, v);
              await new Promise((r) => setTimeout(r, 250));
            }
          })();
          await page.getByRole('button', { name: 'Run', exact: true }).click();
          const end = await waitForState(page, ['finished', 'error'], 300_000).finally(async () => { watching = false; await watch; });
          if (end !== 'finished') throw new Error(`page workers: the run ended in ${end}`);
          for (const [k, v] of browserThreads(processes)) seen.set(k, v);
          const shares = threadShares(before, seen);
          const results = await exportResults(page);
          const last = results.runs[0].history.at(-1);
          into.push((last.evals + last.monitorEvals) / last.wallMs * 1000);
          (workers === 1 ? cpuOne : cpuTwo).push({ ...shares, runMs: last.wallMs });
          if (workers === 1) fUs.push(1000 * results.summary.find((m) => m.method === 'central').fMsPerCall.median);
          const same = JSON.stringify(withoutWallClock(results).runs);
          if (first === null) first = same;
          else if (same !== first) throw new Error(`page workers: 1 and 2 workers gave different results at ${us} µs`);
        } finally {
          await context.close();
        }
      }
    }
    rows.push({ us, budget, usPerCall: median(fUs), oneRate: median(one), twoRate: median(two),
      speedup: median(one.map((v, i) => two[i] / v)), oneRates: one, twoRates: two, cpuOne, cpuTwo });
  }
  return rows;
}

async function longtask(browser, url, { samples = null } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.addInitScript(() => {
    window.__longtasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longtasks.push({ start: e.startTime, duration: e.duration, name: e.name });
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('[role="status"]')?.dataset.state === 'idle', null, { timeout: 30_000 });
  // The page warms its chart code up while idle (app/charts.js warmUpCharts), as it would be by the
  // time a person has read the page and pressed Run.
  await page.waitForFunction(() => document.documentElement.dataset.chartsWarm === 'true', null, { timeout: 30_000 });
  for (const { name, label } of METHODS) {
    const box = page.getByRole('checkbox', { name: label, exact: true });
    if (await box.isChecked() !== FOUR.includes(name)) await box.click();
  }
  if (samples) {
    const input = page.getByLabel('Samples', { exact: true });
    await input.fill(String(samples));
    await input.dispatchEvent('change');
  }
  // Light categories: the RunTask events and which process is the page. The detailed timeline
  // ('disabled-by-default-devtools.timeline') makes every thread log much more, and that
  // itself lengthened the tasks measured by up to a third.
  await browser.startTracing(page, { categories: ['toplevel', 'devtools.timeline'] });
  const t0 = await page.evaluate(() => performance.now());
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.waitForFunction(() => ['finished', 'error'].includes(document.querySelector('[role="status"]')?.dataset.state),
    null, { timeout: 180_000, polling: 200 });
  await page.waitForTimeout(500); // the last redraw
  const t1 = await page.evaluate(() => performance.now());
  const traceText = (await browser.stopTracing()).toString('utf8');
  await fs.writeFile(path.join(outDir, 'longtask-trace.json'), traceText);
  const trace = JSON.parse(traceText);
  const state = await page.locator('[role="status"]').getAttribute('data-state');
  const tasks = (await page.evaluate(() => window.__longtasks)).filter((t) => t.start + t.duration >= t0 && t.start <= t1);
  // The longest task on the page's main thread, whatever its length, from the trace. The
  // page's process is the one whose main thread ran app.js.
  const events = trace.traceEvents ?? trace;
  const pagePid = events.find((e) => e.name === 'FunctionCall' && /\/app\.js$/.test(e.args?.data?.url ?? ''))?.pid;
  const mainTids = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name'
    && e.args?.name === 'CrRendererMain' && e.pid === pagePid).map((e) => e.tid));
  const TASK = new Set(['RunTask', 'ThreadControllerImpl::RunTask']);
  let traceMax = 0;
  for (const e of events) {
    if (e.ph === 'X' && TASK.has(e.name) && e.pid === pagePid && mainTids.has(e.tid)) traceMax = Math.max(traceMax, e.dur / 1000);
  }
  await context.close();
  return {
    state, runSeconds: (t1 - t0) / 1000, methods: FOUR, samples,
    longtasks: tasks.length, longest: tasks.reduce((m, t) => Math.max(m, t.duration), 0),
    longtaskNames: [...new Set(tasks.map((t) => t.name))], traceLongestMs: pagePid ? traceMax : null, problems,
  };
}

// ---- Printing ---------------------------------------------------------------------------------
const fmt = (v, d = 2) => (v === null || v === undefined || Number.isNaN(v) ? 'n/a' : Number(v).toFixed(d));
const si = (v) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)} k` : String(Math.round(v)));
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}x` : 'n/a');
const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;

function table(r) {
  const L = [];
  const m = r.machine;
  L.push(`Machine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB; Chromium ${m.chromium}; Node ${m.node}; load average at start ${m.load}`);
  L.push(`wasm: ${r.wasm ? Object.entries(r.wasm).map(([k, v]) => `${k} ${kib(v.raw)} (${v.raw} bytes; gzip -9: ${v.gzip} bytes)`).join(', ') : 'n/a'}${r.init?.crossOriginIsolated === false ? '; WARNING: bench page not cross-origin isolated' : ''}`);
  L.push('');
  L.push('| measurement | playground (Rust/wasm) | reference | ratio | target |');
  L.push('|---|---|---|---|---|');
  for (const [t, what, target] of [[r.throughput, 'cheap F (smooth preset)', '>= 0.5x'],
    [r.throughputMath, 'F calling `Math.sin`, `Math.exp` and `Math.pow` (the worker\'s portable Math against the engine\'s)', '>= 0.7x'],
    [r.throughputSlow, 'ODE F (projectile preset)', '>= 0.5x']]) {
    if (!t) continue;
    if (t.fPathRate) {
      const x = t.fPathRatio ? `${fmt(t.fPathRatio)}x` : ratio(t.fPathRate, t.loopRate);
      L.push(`| F-evals/s on the F path inside a \`central\` run, ${what}: F rows / time in F batch calls as wasm sees them (the crossing and the worker's checks included) | ${si(t.fPathRate)}/s | plain JS loop, same F, same page: ${si(t.loopRate)}/s | ${x} | ${target} |`);
    }
    if (t.b) {
      L.push(`|  (A/B: the same F path in the second worker, --worker-b, interleaved; ${t.b.sameHistory ? 'same histories' : 'DIFFERENT histories'}) | ${si(t.b.fPathRate)}/s | plain JS loop: ${si(t.loopRate)}/s | ${fmt(t.b.fPathRatio)}x | |`);
    }
    if (t === r.throughputMath) continue;
    L.push(`| ... the whole run: all F rows / session time (F is ${t.fPathShare ? fmt(100 * t.fPathShare, 0) : 'n/a'}% of it; the rest is the network, the estimator and the optimiser) | ${si(t.rate)}/s | plain JS loop: ${si(t.loopRate)}/s | ${ratio(t.rate, t.loopRate)} | |`);
  }
  if (r.steps) {
    const s = r.steps;
    const n = s.reps.length;
    L.push(`| ms per \`exact\` step, MLP 2-32-32-3, batch 256, Adam, same weights and rows (medians of ${n} interleaved repetitions; ratio = median of the per-repetition ratios) | ${fmt(s.wasmMs, 3)} ms | TF.js ${s.check.cpu?.version} \`cpu\`: ${fmt(s.cpuMs, 3)} ms | ${fmt(s.cpuOverWasm, 1)}x faster | faster |`);
    L.push(`|  | ${fmt(s.wasmMs, 3)} ms | TF.js \`wasm\` (SIMD ${s.check.tfwasm?.simd ? 'on' : 'off'}, 1 thread): ${fmt(s.tfwasmMs, 3)} ms | ${fmt(s.tfwasmOverWasm, 1)}x faster | faster |`);
    L.push(`|  | ${fmt(s.wasmMs, 3)} ms | plain JavaScript (tests/bench/plain-step.js: Float64Array loops, Math.tanh, the preset's F and dF): ${fmt(s.plainMs, 3)} ms | ${fmt(s.wasmOverPlain, 3)}x plain JS | <= 0.15x |`);
    L.push(`|  (the same wasm runs timed whole, from a cold worker: ${fmt(s.wasmWholeMs, 3)} ms a step; the rows above time steps 30%-100%, after V8's tier-up) | | | | |`);
    if (s.wasmOverNative) L.push(`|  | ${fmt(s.wasmMs, 3)} ms | same Rust, native (x86-64 baseline, SSE2): ${fmt(s.nativeMs, 3)} ms | wasm ${fmt(s.wasmOverNative, 2)}x native | <= 1.5x |`);
  }
  if (r.parallel) {
    for (const [p, what] of [[r.parallel.mixed, `4 methods (${FOUR.join(', ')})`], [r.parallel.equal, '4 equal central runs (seeds 1-4)']]) {
      L.push(`| ${what}, smooth preset, wall clock, one worker each | all at once: ${fmt(p.allAtOnce / 1000, 1)} s; 2 at a time: ${fmt(p.twoAtOnce / 1000, 1)} s | one after another: ${fmt(p.sequential / 1000, 1)} s | speed-up ${ratio(p.sequential, p.allAtOnce)} (all), ${ratio(p.sequential, p.twoAtOnce)} (2 at a time) | ${r.parallel.cores} cores |`);
    }
  }
  for (const w of [r.workers, r.workersSlow]) {
    if (!w) continue;
    L.push(`| F-evals/s of a \`central\` run (learning and monitoring rows / run time), a costly F of ${fmt(w.usPerCall, 0)} µs a call, budget ${si(w.budget)}, ${w.n} F-workers (Workers per method) | ${si(w.manyRate)}/s | 1 worker: ${si(w.oneRate)}/s | ${fmt(w.speedup, 2)}x (median of the side-by-side ratios; histories identical) | >= ${fmt(0.8 * w.n, 1)}x |`);
    if (w === r.workers) L.push(`| run time, smooth preset (cheap F), \`central\`, Workers per method auto | ${fmt(w.cheapAutoMs, 0)} ms | 1 worker: ${fmt(w.cheapOneMs, 0)} ms | auto/1 = ${fmt(w.cheapAutoOverOne, 2)} | about 1 |`);
  }
  for (const w of r.pageWorkers ?? []) {
    L.push(`| F-evals/s of a \`central\` run in the real page (its charts drawing), F of ${fmt(w.usPerCall, 0)} µs a call (asked: ${w.us}), budget ${si(w.budget)}, 2 F-workers | ${si(w.twoRate)}/s | 1 worker: ${si(w.oneRate)}/s | ${fmt(w.speedup, 2)}x (median of ${w.oneRates.length} side-by-side ratios; results identical) | >= 1.6x |`);
    const c = w.cpuTwo?.[0];
    if (c?.workers.length) {
      L.push(`|  ... where the cores went in the first 2-worker run of ${fmt(c.runMs / 1000, 1)} s (CPU s from Run to the end, the workers' start included; Linux /proc): workers ${c.workers.map((v) => fmt(v / 1000, 2)).join(' and ')}; the page's main thread ${fmt(c.main / 1000, 2)}; the browser's other threads ${fmt(c.rest / 1000, 2)} | | | | |`);
    }
  }
  if (r.longtask) {
    const l = r.longtask;
    const per = (l.perRunTrace ?? [l.traceLongestMs]).map((v) => fmt(v, 0)).join(', ');
    L.push(`| longest main-thread task, real page, 4 methods (${FOUR.join(', ')}), ${l.runs?.length ?? 1} runs of ${fmt(l.runSeconds, 1)} s | ${l.longtasks ? `${fmt(l.longest, 0)} ms (${l.longtasks} longtask entries in all)` : 'no longtask entry (none over 50 ms)'}; longest task per run, from a trace: ${per} ms | | | <= 50 ms |`);
  }
  if (r.longtaskLarge) {
    const l = r.longtaskLarge;
    L.push(`| ... the same with ${l.samples.toLocaleString('en')} samples, one run of ${fmt(l.runSeconds, 1)} s | ${l.longtasks ? `${fmt(l.longest, 0)} ms (${l.longtasks} longtask entries: ${l.longtaskNames.join(', ')})` : 'no longtask entry (none over 50 ms)'}; longest task from a trace: ${fmt(l.traceLongestMs, 0)} ms | | | <= 50 ms |`);
  }
  if (r.longtaskBusy) {
    const l = r.longtaskBusy;
    L.push(`| ... 4 methods again, ${l.runs} runs, two busy processes (\`node -e 'for (;;) {}'\`) beside the browser | ${l.longtasks ? `${fmt(l.longest, 0)} ms (${l.longtasks} longtask entries in all)` : 'no longtask entry (none over 50 ms)'}; longest task per run, from a trace: ${l.perRunTrace.map((v) => fmt(v, 0)).join(', ')} ms | | | <= 50 ms |`);
  }
  if (r.longtaskBusyLarge) {
    const l = r.longtaskBusyLarge;
    L.push(`| ... ${l.samples.toLocaleString('en')} samples, two busy processes beside the browser | ${l.longtasks ? `${fmt(l.longest, 0)} ms (${l.longtasks} longtask entries: ${l.longtaskNames.join(', ')})` : 'no longtask entry (none over 50 ms)'}; longest task from a trace: ${fmt(l.traceLongestMs, 0)} ms | | | <= 50 ms |`);
  }
  if (r.ownWork) {
    // Every method's own µs per learning evaluation (beyond Central differences), browser and native.
    const o = r.ownWork;
    const nat = Object.fromEntries((r.ownWorkNative?.perEvaluation ?? []).map((x) => [x.method, x]));
    for (const { name, label } of r.init.methods) {
      const b3 = o.rows[3]?.[name];
      const b40 = o.rows[40]?.[name];
      if (!b3 || !b40) continue;
      const n = nat[name];
      L.push(`| own µs per learning evaluation beyond Central differences, ${label}: theta 3 (smooth map) / theta 40 (coupled map), page defaults, ${si(o.budget)} evaluations (Central's whole: ${fmt(o.rows[3].central?.us, 1)} / ${fmt(o.rows[40].central?.us, 1)} µs) | ${fmt(b3.own, 1)} / ${fmt(b40.own, 1)} µs | native (src/bin/bench.rs --per-evaluation): ${n ? `${fmt(n.ownUs3, 1)} / ${fmt(n.ownUs40, 1)} µs` : 'n/a'} | ${n ? `${fmt(b3.us / n.usPerEval3, 1)}x / ${fmt(b40.us / n.usPerEval40, 1)}x native (whole)` : ''} | <= 20 / 50 µs |`);
    }
  }
  if (r.wasm) {
    for (const [k, v] of Object.entries(r.wasm)) {
      L.push(`| .wasm size, ${k} (www/pkg/${k}_bg.wasm, after wasm-opt): raw, and gzip -9 (as \`gzip -9 -c FILE\` gives it: docs/speed.md) | ${v.raw.toLocaleString('en')} bytes (${kib(v.raw)}); gzip ${v.gzip.toLocaleString('en')} bytes (${kib(v.gzip)}) | | | raw <= 400 KiB |`);
    }
  }
  if (r.presets) {
    // One row per preset, in the same table: every method's F-evaluations to the target.
    const names = r.init.methods.map((x) => x.name);
    for (const row of r.presets) {
      const budget = Object.values(row.methods).find((x) => x.budget)?.budget;
      const exact = row.methods.exact;
      const cells = names.filter((n) => n !== 'exact').map((n) => {
        const c = row.methods[n];
        if (!c) return null;
        if (c.error) return `${n} x`;
        if (c.evals === null) return `${n} ${c.stop === 'diverged' ? 'diverged' : `- (best ${fmt(100 * c.minLoss / row.start, 1)}%)`}`;
        return `${n} ${si(c.evals)}${exact?.evals ? ` (${(c.evals / exact.evals).toFixed(1)}x)` : ''}`;
      }).filter(Boolean);
      const ref = exact?.error ? 'exact: x (no dF)' : exact?.evals ? `exact: ${si(exact.evals)}` : `exact: - (best ${fmt(100 * exact?.minLoss / row.start, 1)}%)`;
      const done = names.filter((n) => n !== 'exact' && row.methods[n]?.evals);
      const best = done.sort((a, b) => row.methods[a].evals - row.methods[b].evals)[0];
      L.push(`| F-evals to ${TARGET_FRACTION * 100}% of the starting loss, preset ${row.preset} (budget ${si(budget)}) | ${cells.join('; ')} | ${ref} | fewest: ${best ?? 'none'}${best && exact?.evals ? ` (${(row.methods[best].evals / exact.evals).toFixed(1)}x exact)` : ''} | |`);
    }
  }
  const notes = [];
  if (r.presets) {
    notes.push(`F-evals to target: learning evaluations where the training loss first crosses ${TARGET_FRACTION * 100}% of its start `
      + '(the same start for every method: same seed, data and network), interpolated between log points; page defaults plus '
      + "each preset's settings; '-' = not reached in the budget (lowest loss in % of the start); x = cannot run (no dF); "
      + '(Nx) = against exact, which also makes as many dF calls, not counted.');
  }
  if (r.steps) {
    const c = r.steps.check;
    const e = (v) => (typeof v === 'number' ? v.toExponential(4) : 'n/a');
    const ends = r.steps.reps.map((x) => x.rustLossEnd);
    const same = r.native && ends.every((v) => v === r.native.exactFinalLoss);
    notes.push(`Same computation? Starting loss: Rust ${e(c.rustLoss0)}, TF.js cpu ${e(c.cpu?.loss0)}, TF.js wasm ${e(c.tfwasm?.loss0)} (float32). `
      + `After ${c.cpu?.steps} steps: Rust ${e(c.cpu?.rustLossSameSteps)}, TF.js cpu ${e(c.cpu?.lossEnd)}; after ${c.tfwasm?.steps}: Rust ${e(c.tfwasm?.rustLossSameSteps)}, TF.js wasm ${e(c.tfwasm?.lossEnd)}, plain JS (float64) ${e(c.plain?.lossEnd)}. `
      + (r.native ? `After ${r.steps.steps} steps wasm ${e(ends[0])} and native ${e(r.native.exactFinalLoss)}: ${same ? 'identical to the last bit' : 'NOT identical'}.` : ''));
  }
  if (notes.length) L.push('', ...notes);
  return L.join('\n');
}

// ---- docs/speed.md: the table between its markers ------------------------------------------
// docs/speed.md is hand-written prose around one region that a full run rewrites: the table
// above, with when and where it was taken. Partial runs (--quick, --skip, --pkg, --worker-b,
// --ownwork-budget) leave it.
const SPEED_DOC = path.join(root, 'docs/speed.md');
const BEGIN = '<!-- bench:begin';
const END = '<!-- bench:end -->';
async function writeSpeedDoc(r, text) {
  const doc = await fs.readFile(SPEED_DOC, 'utf8').catch(() => null);
  const [b, e] = doc === null ? [-1, -1] : [doc.indexOf(BEGIN), doc.indexOf(END)];
  if (b < 0 || e < b) {
    log(`${path.relative(root, SPEED_DOC)} has no ${BEGIN} ... ${END} region: not written`);
    return;
  }
  const sh = (cmd, argv) => { try { return execFileSync(cmd, argv, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return null; } };
  const nproc = sh('nproc', []) ?? String(os.availableParallelism?.() ?? os.cpus().length);
  const commit = sh('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = commit && sh('git', ['status', '--porcelain', '--untracked-files=no']) ? ' plus uncommitted changes' : '';
  const date = new Date().toISOString().replace('T', ' ').slice(0, 16);
  const region = [
    `${BEGIN}: written by \`make bench\` (tests/bench/run.mjs) from here to the end marker; edit the text outside it -->`,
    `Taken by \`make bench\` on ${date} UTC, at commit ${commit ?? 'unknown'}${dirty}; \`nproc\`: ${nproc}; CPU (/proc/cpuinfo): ${r.machine?.cpu ?? 'unknown'}. Raw numbers: \`target/bench/results.json\` (not kept in the repo).`,
    '',
    text,
    END,
  ].join('\n');
  await fs.writeFile(SPEED_DOC, doc.slice(0, b) + region + doc.slice(e + END.length));
  log(`table written to ${path.relative(root, SPEED_DOC)}`);
}

// ---- Main -------------------------------------------------------------------------------------
async function main() {
  await fs.mkdir(outDir, { recursive: true });
  const results = {};
  const data = stepData();
  const csvPath = path.join(outDir, 'step-data.csv');
  await fs.writeFile(csvPath, data.csv);
  // The .wasm files: the runs' workers' (session), Diagnose F's (diagnose, fetched when it is
  // pressed) and the page's (charts, share links).
  const pkg = pkgDir ? path.resolve(pkgDir) : path.join(root, 'www/pkg');
  results.wasm = await wasmSizes(pkg);
  results.wasmSize = Math.max(results.wasm.session.raw, results.wasm.page.raw); // what the page loads

  if (!skip.has('native')) {
    log('native: exact step, central throughput, network alone (src/bin/bench.rs)');
    results.native = native(csvPath);
  }
  const server = await serve();
  const browser = await launchBrowser();
  try {
    results.machine = await machine(browser.version());
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => log('bench page error:', e.message));
    await page.goto(`${server.url}bench/bench.html`);
    await page.waitForFunction(() => window.bench);
    results.init = await page.evaluate((b) => window.bench.init({ workerB: b }), Boolean(workerB));
    const call = (fn, arg) => page.evaluate(([f, a]) => window.bench[f](a), [fn, arg]);
    if (!skip.has('throughput')) {
      log('F-evaluation throughput: central run against a plain loop (cheap F, an F calling sin, exp and pow, then the projectile ODE F)');
      results.throughput = await call('throughput', { reps: REPS });
      results.throughputMath = await call('throughput', { script: 'math', reps: REPS, budget: 600_000, loopRows: 100_000 });
      results.throughputSlow = await call('throughput', { presetId: 'projectile', reps: REPS, budget: 60_000, loopRows: 20_000 });
    }
    if (!skip.has('steps')) {
      log(`exact step: wasm, TF.js cpu, TF.js wasm, plain JS${skip.has('native') ? '' : ', native'}, interleaved, ${STEP_REPS} times`);
      results.steps = await steps(call, data, csvPath);
    }
    if (!skip.has('presets')) {
      log('F-evaluations to target: every method on every preset (2 workers at a time)');
      results.presetRuns = await call('presetRuns', { concurrency: 2 });
      results.presets = toTarget(results.presetRuns);
    }
    if (!skip.has('parallel')) {
      log('parallel workers');
      results.parallel = await call('parallel', { methodsToRun: FOUR });
    }
    if (!skip.has('workers')) {
      log('workers per method: a costly F with 1 and n F-workers; the smooth preset with 1 and auto');
      // At 10 µs a call, the page's default budget (a run of seconds, the helpers' start of
      // about 40 ms included); at 66 µs, 20,000 evaluations already take seconds.
      results.workers = await call('fWorkers', { reps: quick ? 2 : 3, loops: 6000, budget: quick ? 100_000 : null });
      results.workersSlow = await call('fWorkers', { reps: quick ? 1 : 3, loops: 40000, budget: 20_000 });
    }
    if (!skip.has('ownwork')) {
      const budget = ownWorkBudget ?? (quick ? 5_000 : 20_000);
      log(`own work per evaluation: every method at theta 3 and 40, ${budget} evaluations, browser then native`);
      results.ownWork = await call('ownWork', { budget });
      if (!skip.has('native')) {
        const out = execFileSync(path.join(root, 'target/release/bench'), ['--per-evaluation', '--json', '--reps', '1', '--budget', String(budget)],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
        results.ownWorkNative = JSON.parse(out.trim().split('\n').pop());
      }
    }
    await context.close();
    if (!skip.has('pageworkers')) {
      log(`workers per method in the real page: Central differences, F of ${PAGE_WORKER_COSTS.join(', ')} µs a call, 1 and 2 workers`);
      results.pageWorkers = await pageWorkers(browser, server.url, { reps: quick ? 1 : 3 });
    }
    if (!skip.has('longtask')) {
      log('longest main-thread task on the real page');
      // Several runs: the longest task depends on what else the machine does at that moment.
      const runs = [];
      for (let i = 0; i < LONGTASK_RUNS; i++) runs.push(await longtask(browser, server.url));
      results.longtask = { runs, longest: Math.max(...runs.map((x) => x.longest)),
        traceLongestMs: Math.max(...runs.map((x) => x.traceLongestMs ?? 0)),
        perRunTrace: runs.map((x) => x.traceLongestMs), longtasks: runs.reduce((a, x) => a + x.longtasks, 0),
        runSeconds: runs.reduce((a, x) => a + x.runSeconds, 0) / runs.length };
      log('longest main-thread task with 100,000 samples');
      results.longtaskLarge = await longtask(browser, server.url, { samples: 100_000 });
      // The same two measurements while two other processes keep every core busy (issue:
      // "no task over 50 ms during a four-method race while two processes keep every core busy").
      log('the same, with two busy processes beside the browser');
      const busy = [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
      try {
        const loaded = [];
        for (let i = 0; i < LONGTASK_RUNS; i++) loaded.push(await longtask(browser, server.url));
        results.longtaskBusy = { runs: loaded.length, perRunTrace: loaded.map((x) => x.traceLongestMs),
          longest: Math.max(...loaded.map((x) => x.longest)), longtasks: loaded.reduce((a, x) => a + x.longtasks, 0),
          runSeconds: loaded.reduce((a, x) => a + x.runSeconds, 0) / loaded.length };
        results.longtaskBusyLarge = await longtask(browser, server.url, { samples: 100_000 });
      } finally {
        for (const b of busy) b.kill();
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const text = table(results);
  const { presetRuns, ...kept } = results;
  kept.presetRunsSummary = presetRuns?.results.map(({ rows, ...rest }) => ({ ...rest, logRows: rows ? rows.length / 8 : 0 }));
  kept.table = text;
  await fs.writeFile(path.join(outDir, 'results.json'), JSON.stringify({ ...kept, presetRows: presetRuns?.results }, null, 1));
  console.log(text);
  log(`raw numbers: ${path.relative(root, path.join(outDir, 'results.json'))}`);
  if (quick || skip.size || pkgDir || workerB || ownWorkBudget) log('a partial or A/B run: docs/speed.md left as it was');
  else await writeSpeedDoc(results, text);
}

if (args.includes('--print')) {
  // Print the table of the last run again (from target/bench/results.json).
  console.log(table(JSON.parse(await fs.readFile(path.join(outDir, 'results.json'), 'utf8'))));
} else {
  main().catch((e) => { console.error(e); process.exit(1); });
}
