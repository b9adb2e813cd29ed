// The worker's Math (www/worker/math.js, a JavaScript port of the core's libm) gives the same
// bits as the core's own functions (the `portable_<name>` exports of www/pkg/session_bg.wasm,
// src/wasm/math.rs), so share links reproduce old runs and every engine gets one answer.
// Plain node: no browser.
//
// Each function is checked on the same deterministic inputs: edge cases (zeros, infinities,
// NaN, subnormals, the largest doubles, the thresholds of every branch and the doubles next to
// them, multiples of pi/2, exact cubes, pow's special pairs) and a few hundred thousand seeded
// random doubles of several kinds. Against:
// - the wasm, when it is built (make build): every input, and the first difference is shown;
// - always, a digest of the wasm's answers on the same inputs, kept in
//   tests/js/portable-math.golden.json (`BLESS=1 node --test tests/js/` writes a missing one
//   from the wasm, which must be built; a digest already there is never rewritten).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PORTABLE_MATH } from '../../www/worker/math.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const GOLDEN = path.join(root, 'tests/js/portable-math.golden.json');
const PKG = path.join(root, 'www/pkg');

const F = new Float64Array(1);
const U = new Uint32Array(F.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
/** @param {number} hi @param {number} lo */
const fromWords = (hi, lo) => {
  U[HI] = hi;
  U[1 - HI] = lo;
  return F[0];
};
/** @param {number} x */
const hex = (x) => {
  F[0] = x;
  return `0x${U[HI].toString(16).padStart(8, '0')}${U[1 - HI].toString(16).padStart(8, '0')}`;
};
/** The next double up (toward +inf) or down. @param {number} x @param {1 | -1} dir */
function next(x, dir) {
  if (x !== x || x === dir * Infinity) return x;
  if (x === 0) return dir * Number.MIN_VALUE;
  F[0] = x;
  let hi = U[HI];
  let lo = U[1 - HI];
  const up = (x > 0) === (dir > 0);
  if (up) {
    lo = (lo + 1) >>> 0;
    if (lo === 0) hi = (hi + 1) >>> 0;
  } else {
    if (lo === 0) hi = (hi - 1) >>> 0;
    lo = (lo - 1) >>> 0;
  }
  return fromWords(hi, lo);
}
/** x and the 3 doubles on each side of it, both signs. @param {number[]} xs */
function around(xs) {
  const out = [];
  for (const x0 of xs) {
    for (const x of [x0, -x0]) {
      let a = x;
      let b = x;
      out.push(x);
      for (let i = 0; i < 3; i++) {
        a = next(a, 1);
        b = next(b, -1);
        out.push(a, b);
      }
    }
  }
  return out;
}

// A seeded xorshift generator: the same inputs on every run.
let seed = 0x2545f491;
const r32 = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
};
const unit = () => r32() / 2 ** 32;
/** A random double of kind k: any bits, moderate, wide exponents, near integers, ... @param {number} k */
function random(k) {
  switch (k % 8) {
    case 0: return fromWords(r32(), r32()); // any bits: NaNs, infinities, subnormals, huge
    case 1: return (unit() * 2 - 1) * 10;
    case 2: return (unit() * 2 - 1) * 2 ** ((r32() % 140) - 70);
    case 3: return (unit() * 2 - 1) * 1000;
    case 4: return unit() * 2;
    case 5: return ((r32() % 4001) - 2000) / 16; // exact small fractions and integers
    case 6: return (unit() * 2 - 1) * 2 ** ((r32() % 2100) - 1075); // every exponent
    default: return 1 + (unit() * 2 - 1) * 2 ** -((r32() % 60)); // near 1
  }
}

const MAX = Number.MAX_VALUE;
const MIN_NORMAL = 2 ** -1022;
const SPECIAL = [0, Infinity, NaN, Number.MIN_VALUE, MIN_NORMAL, MAX, 1, 2, 0.5, 3, 10, 1e-300, 1e300];
const PI = Math.PI;
// Thresholds of the branches (as doubles from their high words) and points of interest.
const high = (/** @type {number} */ h) => fromWords(h, 0);
const BRANCHES = [
  0x3e500000, 0x3e46a09e, 0x3e400000, 0x3fe921fb, 0x400f6a7a, 0x4002d97c, 0x401c463b, 0x4015fdbc,
  0x413921fb, 0x3fe59428, 0x3ff00000, 0x3fe00000, 0x3fef3333, 0x3c600000, 0x44100000, 0x3fdc0000,
  0x3ff30000, 0x3fe60000, 0x40038000, 0x4086232b, 0x3fd62e42, 0x3ff0a2b2, 0x3e300000, 0x4043687a,
  0x3c900000, 0x40862e42, 0x3fe62e42, 0x3fe193ea, 0x40340000, 0x3fd058ae, 0x00100000, 0x3fda827a,
  0x3fd2bec4, 0x3ca00000, 0x41e00000, 0x43f00000, 0x43400000, 0x3fefffff, 0x40900000, 0x4090cc00,
].map(high);
const POINTS = [
  709.782712893383973096, 708.39641853226410622, 745.13321910194110842, Math.LN2 / 2, 1.5 * Math.LN2,
  Math.SQRT2, Math.SQRT1_2, Math.E, 56 * Math.LN2, 20, 0.975, 0.6744, 0.4375, 1.1875, 2.4375, 2 ** 26, 2 ** -26,
  2 ** 52, 2 ** 53, 2 ** 64, 2 ** 1023, 2 ** -1074, 1 / 3, 7 / 16, 11 / 16, 19 / 16,
];
const MULTIPLES_OF_PI2 = [];
for (const k of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100, 1000, 12345, 1e5, 1e6, 2 ** 20, 2 ** 30, 1e9, 1e15, 1e20]) {
  MULTIPLES_OF_PI2.push(k * PI / 2, k * PI / 4);
}
const HUGE_TRIG = [1e22, 1e100, 1e200, 1e300, MAX, 2 ** 1000, 6381956970095103 * 2 ** 797, 5.319372648326541e255];
const CUBES = [];
for (let k = 1; k <= 200; k++) CUBES.push(k ** 3, (k ** 3) * 2 ** -30, (k ** 3) * 2 ** 300, (k / 7) ** 3);
CUBES.push(fromWords(0x4009b782, 0x23aa307c), fromWords(0x401a202b, 0xfc89ddff));

const ONE_ARG = [...new Set(around([...SPECIAL, ...BRANCHES, ...POINTS, ...MULTIPLES_OF_PI2, ...HUGE_TRIG, ...CUBES]))];
// pow's special pairs: every base of interest with every exponent of interest.
const POW_BASES = around([0, 1, 2, 0.5, 10, 3, Infinity, MAX, Number.MIN_VALUE, MIN_NORMAL, 1e-10, 1e10, 0.999, 1.001]);
const POW_EXPONENTS = [
  ...around([0, 1, 2, 0.5, 3, 1.5, 10, 52, 53, 1023, 1024, 1074, 1075, 2 ** 31, 2 ** 53, 2 ** 64, 2 ** 70, 1e300, Infinity]),
  NaN, 0.25, 1 / 3, -1 / 3, 7, -7, 31, 63, 64, 65, 2 ** 52 + 1, 2 ** 53 - 1, 1e-300,
];
const RANDOM_PER_FUNCTION = 200_000;

/** The inputs of a function of `arity` arguments, in a fixed order. @param {number} arity */
function inputs(arity) {
  seed = 0x2545f491;
  /** @type {number[][]} */
  const out = [];
  if (arity === 1) {
    for (const x of ONE_ARG) out.push([x]);
    for (let i = 0; i < RANDOM_PER_FUNCTION; i++) out.push([random(i)]);
  } else {
    for (const x of POW_BASES) for (const y of POW_EXPONENTS) out.push([x, y], [y, x]);
    for (let i = 0; i < RANDOM_PER_FUNCTION; i++) out.push([random(i), random(r32())]);
    // Integer exponents, negative bases, results near overflow and underflow.
    for (let i = 0; i < 20_000; i++) out.push([-random(i) , (r32() % 2001) - 1000], [1 + (unit() - 0.5) * 2 ** -20, (unit() * 2 - 1) * 2 ** 40]);
  }
  return out;
}

/** The digest of f's answers on its inputs (their bits; every NaN the same). */
function digest(/** @type {(...a: number[]) => number} */ f, /** @type {number[][]} */ args) {
  const h = crypto.createHash('sha256');
  const out = new Float64Array(args.length);
  for (let i = 0; i < args.length; i++) {
    const v = f(...args[i]);
    out[i] = v !== v ? NaN : v;
  }
  h.update(new Uint8Array(out.buffer));
  return h.digest('hex').slice(0, 32);
}

const ARITY = { atan2: 2, pow: 2 };
const names = Object.keys(PORTABLE_MATH);

/** The wasm's exports, when www/pkg is built. */
async function loadWasm() {
  try {
    const bytes = await fs.readFile(path.join(PKG, 'session_bg.wasm'));
    const glue = await import(pathToFileURL(path.join(PKG, 'session.js')).href);
    return glue.initSync({ module: bytes });
  } catch {
    return null;
  }
}

test('the worker\'s Math gives the core\'s bits, on edge cases and random inputs', async (t) => {
  const wasm = await loadWasm();
  /** @type {Record<string, string>} */
  const golden = JSON.parse(await fs.readFile(GOLDEN, 'utf8').catch(() => '{}'));
  let blessed = false;
  for (const name of names) {
    const js = /** @type {(...a: number[]) => number} */ (PORTABLE_MATH[/** @type {keyof typeof PORTABLE_MATH} */ (name)]);
    const args = inputs(ARITY[/** @type {keyof typeof ARITY} */ (name)] ?? 1);
    if (wasm) {
      const core = wasm[`portable_${name}`];
      assert.equal(typeof core, 'function', `the wasm exports portable_${name}`);
      for (const a of args) {
        const want = core(...a);
        const got = js(...a);
        if (!(Object.is(want, got) || (want !== want && got !== got))) {
          assert.fail(`Math.${name}(${a.map(hex).join(', ')}) = ${hex(got)} (${got}), the core gives ${hex(want)} (${want})`);
        }
      }
      if (!golden[name] && process.env.BLESS) {
        golden[name] = digest(core, args);
        blessed = true;
      }
    }
    if (golden[name]) {
      assert.equal(digest(js, args), golden[name], `Math.${name}: the digest of its answers differs from tests/js/portable-math.golden.json`);
    } else {
      assert.fail(`no digest for Math.${name} in tests/js/portable-math.golden.json: build the wasm (make build), then BLESS=1 node --test tests/js/`);
    }
  }
  if (blessed) await fs.writeFile(GOLDEN, `${JSON.stringify(golden, null, 2)}\n`);
  if (!wasm) t.diagnostic('www/pkg is not built: checked against the golden digests only');
});

test('the worker\'s Math reads no Math.<name> after it is loaded (the user\'s script may replace them)', () => {
  // Arguments that reach sqrt (asin, acos, pow(x, 0.5), hypot), floor (sin of a huge x) and
  // clz32 (cbrt of a subnormal) as well as every function's common path.
  const cases = () => [
    ...names.map((n) => PORTABLE_MATH[/** @type {keyof typeof PORTABLE_MATH} */ (n)](0.7, 1.3)),
    PORTABLE_MATH.sin(1e300), PORTABLE_MATH.cos(1e22), PORTABLE_MATH.cbrt(5e-324), PORTABLE_MATH.pow(0.7, 0.5),
    PORTABLE_MATH.asinh(3), PORTABLE_MATH.acos(0.9),
  ];
  const before = cases();
  const saved = Object.getOwnPropertyNames(Math).map((k) => /** @type {[string, PropertyDescriptor]} */ ([k, Object.getOwnPropertyDescriptor(Math, k)]));
  try {
    for (const [k, d] of saved) {
      if (typeof d.value === 'function') Object.defineProperty(Math, k, { value: () => 42, configurable: true, writable: true });
    }
    assert.deepEqual(cases(), before);
  } finally {
    for (const [k, d] of saved) Object.defineProperty(Math, k, d);
  }
});
