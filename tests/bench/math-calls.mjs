// ns per call of the Math the worker gives problem scripts (the core's wasm exports,
// src/wasm/math.rs and src/js_math.rs, called from JavaScript as a script calls them) against
// the engine's own, in headless Chromium: 2 million calls each, five rounds interleaved; the
// median of each. docs/speed.md, "Where the time goes".
//
//   node tests/bench/math-calls.mjs [--pkg=DIR]   (DIR: another wasm-bindgen output, for A/B)
//
// Needs `make build` (www/pkg). Run nothing else beside it: it times a few nanoseconds.
import path from 'node:path';
import { serveStatic, launchBrowser, wwwRoot } from '../e2e/support/harness.mjs';

const pkgArg = process.argv.find((a) => a.startsWith('--pkg='))?.slice(6);
const pkgDir = pkgArg ? path.resolve(pkgArg) : path.join(wwwRoot, 'pkg');

/** In the page: the timings, per function name, of the engine's and the core's. */
async function measure() {
  const glue = await import('/session.js');
  const core = await glue.default({ module_or_path: '/session_bg.wasm' });
  const N = 2e6;
  const xs = new Float64Array(N), ys = new Float64Array(N);
  let s = 12345;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < N; i++) { xs[i] = 0.6 + 1.8 * rnd(); ys[i] = -2 + 4 * rnd(); }
  /** @type {Record<string, number[]>} */
  const ns = {};
  const time = (/** @type {string} */ name, /** @type {(x: number, y: number) => number} */ f) => {
    let sum = 0;
    const t0 = performance.now();
    for (let i = 0; i < N; i++) sum += f(xs[i], ys[i]);
    (ns[name] ??= []).push((performance.now() - t0) * 1e6 / N);
    return sum;
  };
  const checks = [];
  for (let round = 0; round < 5; round++) {
    const [mp, me, ms, ml] = [Math.pow, Math.exp, Math.sin, Math.log];
    const [cp, ce, cs, cl] = [core.portable_pow, core.portable_exp, core.portable_sin, core.portable_log];
    checks.push(time('pow engine', mp) - time('pow core', cp));
    checks.push(time('exp engine', (x, y) => me(y)) - time('exp core', (x, y) => ce(y)));
    checks.push(time('sin engine', (x, y) => ms(y)) - time('sin core', (x, y) => cs(y)));
    checks.push(time('log engine', (x) => ml(x)) - time('log core', (x) => cl(x)));
  }
  const median = (/** @type {number[]} */ v) => [...v].sort((a, b) => a - b)[v.length >> 1];
  return { ns: Object.fromEntries(Object.entries(ns).map(([k, v]) => [k, median(v)])), worstSumDifference: Math.max(...checks.map(Math.abs)) };
}

const site = await serveStatic(pkgDir);
const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  await page.goto(`${site.url}session.js`);
  const { ns, worstSumDifference } = await page.evaluate(measure);
  console.log(`Chromium ${browser.version()}, ${pkgDir}: ns per call (median of 5 rounds of 2e6 calls)`);
  for (const f of ['pow', 'exp', 'sin', 'log']) {
    console.log(`${f.padEnd(4)} core ${ns[`${f} core`].toFixed(1).padStart(5)}   engine ${ns[`${f} engine`].toFixed(1).padStart(5)}`);
  }
  // The sums of 2e6 results agree to rounding: the core computes the same functions.
  console.log(`largest difference between the engine's and the core's sums of 2e6 results: ${worstSumDifference.toExponential(2)}`);
} finally {
  await browser.close();
  await site.close();
}
