// Math for the user's script with the same bits in every engine: a JavaScript port of the
// functions of the core's libm (Rust's `libm`, a port of musl's and FreeBSD's msun, which are
// Sun's fdlibm), line by line, with the same constants and the same IEEE operations in the same
// order. Engines round Math.sin, Math.exp and the like differently in the last bit (Firefox's
// differ from Chromium's and WebKit's), and a long training run can carry a last-bit
// difference into a visibly different curve; with these in place of Math.<name>
// (installPortableMath in script.js), a share link reproduces its run bit for bit in
// Chromium, Firefox and WebKit, with the same bits as the core's own functions (the wasm's
// `portable_<name>` exports, src/wasm/math.rs; tests/js/math.test.mjs compares the two on
// edge cases and hundreds of thousands of random inputs per function).
//
// Why a port: an export called from the user's F crosses into wasm at every call, which costs
// about what a cheap F's whole body does; these are plain functions the engine compiles into
// F (docs/speed.md has the measurements, and why pow is still installed from the wasm).
//
// Only IEEE double operations (+ - * /, and Math.sqrt, Math.floor and Math.trunc, which every
// engine computes exactly) and 32-bit integer operations on the halves of a double. No
// Math.<name> is read after this module is loaded: the user's script may replace them.
//
// Sources (fdlibm: "Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
// Developed at SunPro, a Sun Microsystems, Inc. business. Permission to use, copy, modify,
// and distribute this software is freely granted, provided that this notice is preserved."):
// the `libm` crate 0.2.16 (MIT), src/math/{sin,cos,tan,k_sin,k_cos,k_tan,rem_pio2,
// rem_pio2_large,asin,acos,atan,atan2,sinh,cosh,tanh,exp,expm1,expo2,k_expo2,log,log1p,log2,
// log10,pow,hypot,scalbn}.rs, and cbrt.rs, CORE-MATH's correctly rounded cube root
// (Copyright (c) 2021-2022 Alexei Sibidanov, MIT); asinh, acosh and atanh as Rust's std
// computes them (library/std/src/num/f64.rs), from log, log1p, sqrt and hypot.

const sqrt = Math.sqrt;
const floor = Math.floor;
const clz32 = Math.clz32;
const trunc = Math.trunc;

// ---- The words of a double --------------------------------------------------------------
const scratch = new ArrayBuffer(8);
const F = new Float64Array(scratch);
const U = new Uint32Array(scratch);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE ? 1 : 0;
const LO = LITTLE ? 0 : 1;

/** High 32 bits of x, unsigned. @param {number} x */
function highWord(x) {
  F[0] = x;
  return U[HI];
}
/** Low 32 bits of x, unsigned. @param {number} x */
function lowWord(x) {
  F[0] = x;
  return U[LO];
}
/** @param {number} hi @param {number} lo */
function fromWords(hi, lo) {
  U[HI] = hi;
  U[LO] = lo;
  return F[0];
}
/** x with its low word replaced. @param {number} x @param {number} lo */
function withLowWord(x, lo) {
  F[0] = x;
  U[LO] = lo;
  return F[0];
}
/** x with its high word replaced. @param {number} x @param {number} hi */
function withHighWord(x, hi) {
  F[0] = x;
  U[HI] = hi;
  return F[0];
}
/** |x| (fabs: -0 gives +0). @param {number} x */
function fabs(x) {
  return x < 0 ? -x : 0 + x;
}

// Writing a word of a double and reading the double back costs a stall of the processor's
// store forwarding (two 32-bit stores, then a 64-bit load of the same bytes), several times
// a multiplication. Where the code below changes a word, it computes the same double with
// arithmetic instead, exactly: a change of the exponent field is a product with a power of
// two, and a zeroed low word is the value truncated to the 21 bits of its high word.

// 2^k for k = -1074..1023, exact.
const POW2 = new Float64Array(2098);
for (let k = -1074; k <= 1023; k++) {
  const b = k + 1074;
  POW2[b] = k >= -1022 ? fromWords((k + 1023) << 20, 0) : b >= 32 ? fromWords(2 ** (b - 32), 0) : fromWords(0, 2 ** b);
}
/** 2^k, for -1074 <= k <= 1023. @param {number} k */
function pow2(k) {
  return POW2[k + 1074];
}
/** x with its low word zeroed (truncated toward zero to its high word's bits). @param {number} x */
function truncLow(x) {
  const e = (highWord(x) >>> 20) & 0x7ff;
  // x * 2^(1043 - e) has 21 bits before the point: trunc keeps them.
  if (e >= 20 && e < 0x7ff) return trunc(x * POW2[2117 - e]) * POW2[e + 31];
  return withLowWord(x, 0);
}
/** The double whose high word is h and low word 0, for a normal exponent field. @param {number} h */
function fromHigh(h) {
  const m = ((h & 0xfffff) | 0x100000) * POW2[((h >>> 20) & 0x7ff) + 31];
  return h >>> 31 !== 0 ? -m : m;
}

const X1P1023 = fromWords(0x7fe00000, 0); // 2^1023
const X1P54 = fromWords(0x43500000, 0); // 2^54
const X1P24 = fromWords(0x41700000, 0); // 2^24
const X1P_24 = fromWords(0x3e700000, 0); // 2^-24
const X1P_969 = fromWords(0x03600000, 0); // 2^-1022 * 2^53
const X1P_52 = fromWords(0x3cb00000, 0); // 2^-52
const X1P_53 = fromWords(0x3ca00000, 0); // 2^-53
const X1P_60 = fromWords(0x3c300000, 0);
const X1P_75 = fromWords(0x3b400000, 0);
const X1P_98 = fromWords(0x39d00000, 0);

/** x * 2^n, as libm's generic scalbn (f64). @param {number} x @param {number} n */
function scalbn(x, n) {
  if (n > 1023) {
    x *= X1P1023;
    n -= 1023;
    if (n > 1023) {
      x *= X1P1023;
      n -= 1023;
      if (n > 1023) n = 1023;
    }
  } else if (n < -1022) {
    x *= X1P_969;
    n += 969;
    if (n < -1022) {
      x *= X1P_969;
      n += 969;
      if (n < -1022) n = -1022;
    }
  }
  return x * pow2(n);
}

// ---- sin, cos, tan ------------------------------------------------------------------------
const S1 = -1.66666666666666324348e-01;
const S2 = 8.33333333332248946124e-03;
const S3 = -1.98412698298579493134e-04;
const S4 = 2.75573137070700676789e-06;
const S5 = -2.50507602534068634195e-08;
const S6 = 1.58969099521155010221e-10;

/** Sine on ~[-pi/4, pi/4]; y the tail of x, iy = 0 when y is 0. */
function kSin(x, y, iy) {
  const z = x * x;
  const w = z * z;
  const r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6);
  const v = z * x;
  if (iy === 0) return x + v * (S1 + z * r);
  return x - ((z * (0.5 * y - v * r) - y) - v * S1);
}

const C1 = 4.16666666666666019037e-02;
const C2 = -1.38888888888741095749e-03;
const C3 = 2.48015872894767294178e-05;
const C4 = -2.75573143513906633035e-07;
const C5 = 2.08757232129817482790e-09;
const C6 = -1.13596475577881948265e-11;

/** Cosine on [-pi/4, pi/4]; y the tail of x. */
function kCos(x, y) {
  const z = x * x;
  const w = z * z;
  const r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
  const hz = 0.5 * z;
  const w1 = 1.0 - hz;
  return w1 + (((1.0 - w1) - hz) + (z * r - x * y));
}

const T0 = 3.33333333333334091986e-01;
const T1 = 1.33333333333201242699e-01;
const T2 = 5.39682539762260521377e-02;
const T3 = 2.18694882948595424599e-02;
const T4 = 8.86323982359930005737e-03;
const T5 = 3.59207910759131235356e-03;
const T6 = 1.45620945432529025516e-03;
const T7 = 5.88041240820264096874e-04;
const T8 = 2.46463134818469906812e-04;
const T9 = 7.81794442939557092300e-05;
const T10 = 7.14072491382608190305e-05;
const T11 = -1.85586374855275456654e-05;
const T12 = 2.59073051863633712884e-05;
const PIO4 = 7.85398163397448278999e-01;
const PIO4_LO = 3.06161699786838301793e-17;

/** tan (odd = 0) or -1/tan (odd = 1) on ~[-pi/4, pi/4]; y the tail of x. */
function kTan(x, y, odd) {
  const hx = highWord(x);
  const big = (hx & 0x7fffffff) >= 0x3fe59428;
  if (big) {
    if (hx >>> 31 !== 0) {
      x = -x;
      y = -y;
    }
    x = (PIO4 - x) + (PIO4_LO - y);
    y = 0.0;
  }
  const z = x * x;
  const w = z * z;
  let r = T1 + w * (T3 + w * (T5 + w * (T7 + w * (T9 + w * T11))));
  let v = z * (T2 + w * (T4 + w * (T6 + w * (T8 + w * (T10 + w * T12)))));
  let s = z * x;
  r = y + z * (s * (r + v) + y) + s * T0;
  const w1 = x + r;
  if (big) {
    s = 1.0 - 2.0 * odd;
    v = s - 2.0 * (x + (r - w1 * w1 / (w1 + s)));
    return hx >>> 31 !== 0 ? -v : v;
  }
  if (odd === 0) return w1;
  const w0 = truncLow(w1);
  v = r - (w0 - x);
  const a = -1.0 / w1;
  const a0 = truncLow(a);
  return a0 + a * (1.0 + a0 * w0 + a0 * v);
}

const TO_INT = 1.5 / 2.2204460492503131e-16;
const INV_PIO2 = 6.36619772367581382433e-01;
const PIO2_1 = 1.57079632673412561417e+00;
const PIO2_1T = 6.07710050650619224932e-11;
const PIO2_2 = 6.07710050630396597660e-11;
const PIO2_2T = 2.02226624879595063154e-21;
const PIO2_3 = 2.02226624871116645580e-21;
const PIO2_3T = 8.47842766036889956997e-32;

// remPio2's result: x - n*pi/2 = Y[0] + Y[1] (n is returned). A typed array: a double kept in
// a variable of the module would be boxed on every store.
const Y = new Float64Array(2);

function remPio2Medium(x, ix) {
  const tmp = x * INV_PIO2 + TO_INT;
  const fn = tmp - TO_INT;
  const n = fn | 0;
  let r = x - fn * PIO2_1;
  let w = fn * PIO2_1T;
  let y0 = r - w;
  const ex = ix >>> 20;
  let ey = (highWord(y0) >>> 20) & 0x7ff;
  if (ex - ey > 16) {
    let t = r;
    w = fn * PIO2_2;
    r = t - w;
    w = fn * PIO2_2T - ((t - r) - w);
    y0 = r - w;
    ey = (highWord(y0) >>> 20) & 0x7ff;
    if (ex - ey > 49) {
      t = r;
      w = fn * PIO2_3;
      r = t - w;
      w = fn * PIO2_3T - ((t - r) - w);
      y0 = r - w;
    }
  }
  Y[0] = y0;
  Y[1] = (r - y0) - w;
  return n;
}

/**
 * x rem pi/2 into Y[0] + Y[1]; returns n. The caller handles |x| ~<= pi/4. hx: x's high word.
 * The common case, |x| ~<= 5pi/4, is small enough for the engine to inline; the rest is in
 * remPio2Rest.
 */
function remPio2(x, hx) {
  const ix = hx & 0x7fffffff;
  if (ix > 0x400f6a7a || (ix & 0xfffff) === 0x921fb) return remPio2Rest(x, hx);
  let z;
  let y0;
  if (ix <= 0x4002d97c) {
    if (hx >>> 31 === 0) {
      z = x - PIO2_1;
      y0 = z - PIO2_1T;
      Y[0] = y0;
      Y[1] = (z - y0) - PIO2_1T;
      return 1;
    }
    z = x + PIO2_1;
    y0 = z + PIO2_1T;
    Y[0] = y0;
    Y[1] = (z - y0) + PIO2_1T;
    return -1;
  }
  if (hx >>> 31 === 0) {
    z = x - 2.0 * PIO2_1;
    y0 = z - 2.0 * PIO2_1T;
    Y[0] = y0;
    Y[1] = (z - y0) - 2.0 * PIO2_1T;
    return 2;
  }
  z = x + 2.0 * PIO2_1;
  y0 = z + 2.0 * PIO2_1T;
  Y[0] = y0;
  Y[1] = (z - y0) + 2.0 * PIO2_1T;
  return -2;
}

function remPio2Rest(x, hx) {
  const sign = hx >>> 31;
  const ix = hx & 0x7fffffff;
  if (ix <= 0x400f6a7a) return remPio2Medium(x, ix);
  if (ix <= 0x401c463b) {
    if (ix <= 0x4015fdbc) {
      if (ix === 0x4012d97c) return remPio2Medium(x, ix);
      if (sign === 0) {
        const z = x - 3.0 * PIO2_1;
        Y[0] = z - 3.0 * PIO2_1T;
        Y[1] = (z - Y[0]) - 3.0 * PIO2_1T;
        return 3;
      }
      const z = x + 3.0 * PIO2_1;
      Y[0] = z + 3.0 * PIO2_1T;
      Y[1] = (z - Y[0]) + 3.0 * PIO2_1T;
      return -3;
    }
    if (ix === 0x401921fb) return remPio2Medium(x, ix);
    if (sign === 0) {
      const z = x - 4.0 * PIO2_1;
      Y[0] = z - 4.0 * PIO2_1T;
      Y[1] = (z - Y[0]) - 4.0 * PIO2_1T;
      return 4;
    }
    const z = x + 4.0 * PIO2_1;
    Y[0] = z + 4.0 * PIO2_1T;
    Y[1] = (z - Y[0]) + 4.0 * PIO2_1T;
    return -4;
  }
  if (ix < 0x413921fb) return remPio2Medium(x, ix);
  if (ix >= 0x7ff00000) {
    Y[0] = x - x;
    Y[1] = Y[0];
    return 0;
  }
  // z = scalbn(|x|, -ilogb(x) + 23), cut into 24-bit pieces.
  let z = fromWords(((hx & 0x000fffff) | ((0x3ff + 23) << 20)) >>> 0, lowWord(x));
  const tx = [0, 0, 0];
  for (let i = 0; i < 2; i++) {
    tx[i] = z | 0;
    z = (z - tx[i]) * X1P24;
  }
  tx[2] = z;
  let i = 2;
  while (i !== 0 && tx[i] === 0.0) i--;
  const n = remPio2Large(tx, i + 1, (ix >> 20) - (0x3ff + 23));
  if (sign !== 0) {
    Y[0] = -LARGE_Y0;
    Y[1] = -LARGE_Y1;
    return -n;
  }
  Y[0] = LARGE_Y0;
  Y[1] = LARGE_Y1;
  return n;
}

// 2/pi in 24-bit pieces (the 32-bit target's table: enough for every double).
const IPIO2 = [
  0xa2f983, 0x6e4e44, 0x1529fc, 0x2757d1, 0xf534dd, 0xc0db62, 0x95993c, 0x439041, 0xfe5163,
  0xabdebb, 0xc561b7, 0x246e3a, 0x424dd2, 0xe00649, 0x2eea09, 0xd1921c, 0xfe1deb, 0x1cb129,
  0xa73ee8, 0x8235f5, 0x2ebb44, 0x84e99c, 0x7026b4, 0x5f7e41, 0x3991d6, 0x398353, 0x39f49c,
  0x845f8b, 0xbdf928, 0x3b1ff8, 0x97ffde, 0x05980f, 0xef2f11, 0x8b5a0a, 0x6d1f6d, 0x367ecf,
  0x27cb09, 0xb74f46, 0x3f669e, 0x5fea2d, 0x7527ba, 0xc7ebe5, 0xf17b3d, 0x0739f7, 0x8a5292,
  0xea6bfb, 0x5fb11f, 0x8d5d08, 0x560330, 0x46fc7b, 0x6babf0, 0xcfbc20, 0x9af436, 0x1da9e3,
  0x91615e, 0xe61b08, 0x659985, 0x5f14a0, 0x68408d, 0xffd880, 0x4d7327, 0x310606, 0x1556ca,
  0x73a8c9, 0x60e27b, 0xc08c6b,
];
const PIO2 = [
  1.57079625129699707031e+00,
  7.54978941586159635335e-08,
  5.39030252995776476554e-15,
  3.28200341580791294123e-22,
  1.27065575308067607349e-29,
  1.22933308981111328932e-36,
  2.73370053816464559624e-44,
  2.16741683877804819444e-51,
];
let LARGE_Y0 = 0;
let LARGE_Y1 = 0;

/** k_rem_pio2 for prec = 1 (53 bits): x[0..nx] rem pi/2 into LARGE_Y0 + LARGE_Y1; returns n & 7. */
function remPio2Large(x, nx, e0) {
  const jk = 4; // INIT_JK[1]
  const jp = jk;
  const f = new Array(20).fill(0);
  const fq = new Array(20).fill(0);
  const q = new Array(20).fill(0);
  const iq = new Array(20).fill(0);
  let fw;
  let n;
  let ih;
  let z;
  const jx = nx - 1;
  let jv = ((e0 - 3) / 24) | 0;
  if (jv < 0) jv = 0;
  let q0 = e0 - 24 * (jv + 1);

  let j = jv - jx;
  const m = jx + jk;
  for (let i = 0; i <= m; i++, j++) f[i] = j < 0 ? 0 : IPIO2[j];
  for (let i = 0; i <= jk; i++) {
    fw = 0;
    for (let k = 0; k <= jx; k++) fw += x[k] * f[jx + i - k];
    q[i] = fw;
  }
  let jz = jk;
  for (;;) {
    let i = 0;
    z = q[jz];
    for (let k = jz; k >= 1; k--) {
      fw = (X1P_24 * z) | 0;
      iq[i] = (z - X1P24 * fw) | 0;
      z = q[k - 1] + fw;
      i++;
    }
    z = scalbn(z, q0);
    z -= 8.0 * floor(z * 0.125);
    n = z | 0;
    z -= n;
    ih = 0;
    if (q0 > 0) {
      i = iq[jz - 1] >> (24 - q0);
      n += i;
      iq[jz - 1] -= i << (24 - q0);
      ih = iq[jz - 1] >> (23 - q0);
    } else if (q0 === 0) {
      ih = iq[jz - 1] >> 23;
    } else if (z >= 0.5) {
      ih = 2;
    }
    if (ih > 0) {
      n += 1;
      let carry = 0;
      for (let k = 0; k < jz; k++) {
        const t = iq[k];
        if (carry === 0) {
          if (t !== 0) {
            carry = 1;
            iq[k] = 0x1000000 - t;
          }
        } else {
          iq[k] = 0xffffff - t;
        }
      }
      if (q0 > 0) {
        if (q0 === 1) iq[jz - 1] &= 0x7fffff;
        else if (q0 === 2) iq[jz - 1] &= 0x3fffff;
      }
      if (ih === 2) {
        z = 1.0 - z;
        if (carry !== 0) z -= scalbn(1.0, q0);
      }
    }
    if (z === 0.0) {
      let t = 0;
      for (let k = jz - 1; k >= jk; k--) t |= iq[k];
      if (t === 0) {
        let k = 1;
        while (iq[jk - k] === 0) k++;
        for (let ii = jz + 1; ii <= jz + k; ii++) {
          f[jx + ii] = IPIO2[jv + ii];
          fw = 0;
          for (let kk = 0; kk <= jx; kk++) fw += x[kk] * f[jx + ii - kk];
          q[ii] = fw;
        }
        jz += k;
        continue;
      }
    }
    break;
  }
  if (z === 0.0) {
    jz -= 1;
    q0 -= 24;
    while (iq[jz] === 0) {
      jz -= 1;
      q0 -= 24;
    }
  } else {
    z = scalbn(z, -q0);
    if (z >= X1P24) {
      fw = (X1P_24 * z) | 0;
      iq[jz] = (z - X1P24 * fw) | 0;
      jz += 1;
      q0 += 24;
      iq[jz] = fw | 0;
    } else {
      iq[jz] = z | 0;
    }
  }
  fw = scalbn(1.0, q0);
  for (let i = jz; i >= 0; i--) {
    q[i] = fw * iq[i];
    fw *= X1P_24;
  }
  for (let i = jz; i >= 0; i--) {
    fw = 0;
    for (let k = 0; k <= jp && k <= jz - i; k++) fw += PIO2[k] * q[i + k];
    fq[jz - i] = fw;
  }
  fw = 0;
  for (let i = jz; i >= 0; i--) fw += fq[i];
  LARGE_Y0 = ih === 0 ? fw : -fw;
  fw = fq[0] - fw;
  for (let i = 1; i <= jz; i++) fw += fq[i];
  LARGE_Y1 = ih === 0 ? fw : -fw;
  return n & 7;
}

/** Math.sin as the core computes it. @param {number} x */
export function sin(x) {
  const hx = highWord(x);
  const ix = hx & 0x7fffffff;
  if (ix <= 0x3fe921fb) {
    if (ix < 0x3e500000) return x;
    return kSin(x, 0.0, 0);
  }
  if (ix >= 0x7ff00000) return x - x;
  const n = remPio2(x, hx);
  switch (n & 3) {
    case 0: return kSin(Y[0], Y[1], 1);
    case 1: return kCos(Y[0], Y[1]);
    case 2: return -kSin(Y[0], Y[1], 1);
    default: return -kCos(Y[0], Y[1]);
  }
}

/** Math.cos as the core computes it. @param {number} x */
export function cos(x) {
  const hx = highWord(x);
  const ix = hx & 0x7fffffff;
  if (ix <= 0x3fe921fb) {
    if (ix < 0x3e46a09e) return 1.0;
    return kCos(x, 0.0);
  }
  if (ix >= 0x7ff00000) return x - x;
  const n = remPio2(x, hx);
  switch (n & 3) {
    case 0: return kCos(Y[0], Y[1]);
    case 1: return -kSin(Y[0], Y[1], 1);
    case 2: return -kCos(Y[0], Y[1]);
    default: return kSin(Y[0], Y[1], 1);
  }
}

/** Math.tan as the core computes it. @param {number} x */
export function tan(x) {
  const hx = highWord(x);
  const ix = hx & 0x7fffffff;
  if (ix <= 0x3fe921fb) {
    if (ix < 0x3e400000) return x;
    return kTan(x, 0.0, 0);
  }
  if (ix >= 0x7ff00000) return x - x;
  const n = remPio2(x, hx);
  return kTan(Y[0], Y[1], n & 1);
}

// ---- asin, acos, atan, atan2 --------------------------------------------------------------
const PIO2_HI = 1.57079632679489655800e+00;
const PIO2_LO = 6.12323399573676603587e-17;
const PS0 = 1.66666666666666657415e-01;
const PS1 = -3.25565818622400915405e-01;
const PS2 = 2.01212532134862925881e-01;
const PS3 = -4.00555345006794114027e-02;
const PS4 = 7.91534994289814532176e-04;
const PS5 = 3.47933107596021167570e-05;
const QS1 = -2.40339491173441421878e+00;
const QS2 = 2.02094576023350569471e+00;
const QS3 = -6.88283971605453293030e-01;
const QS4 = 7.70381505559019352791e-02;
const X1P_120 = fromWords(0x38700000, 0);

function asinR(z) {
  const p = z * (PS0 + z * (PS1 + z * (PS2 + z * (PS3 + z * (PS4 + z * PS5)))));
  const q = 1.0 + z * (QS1 + z * (QS2 + z * (QS3 + z * QS4)));
  return p / q;
}

/** Math.asin as the core computes it. @param {number} x */
export function asin(x) {
  const hx = highWord(x);
  const ix = hx & 0x7fffffff;
  if (ix >= 0x3ff00000) {
    if (((ix - 0x3ff00000) | lowWord(x)) === 0) return x * PIO2_HI + X1P_120;
    return 0.0 / (x - x);
  }
  if (ix < 0x3fe00000) {
    if (ix >= 0x00100000 && ix < 0x3e500000) return x;
    return x + x * asinR(x * x);
  }
  const z = (1.0 - fabs(x)) * 0.5;
  const s = sqrt(z);
  const r = asinR(z);
  if (ix >= 0x3fef3333) {
    x = PIO2_HI - (2.0 * (s + s * r) - PIO2_LO);
  } else {
    const f = truncLow(s);
    const c = (z - f * f) / (s + f);
    x = 0.5 * PIO2_HI - (2.0 * s * r - (PIO2_LO - 2.0 * c) - (0.5 * PIO2_HI - 2.0 * f));
  }
  return hx >>> 31 !== 0 ? -x : x;
}

/** Math.acos as the core computes it. @param {number} x */
export function acos(x) {
  const hx = highWord(x);
  const ix = hx & 0x7fffffff;
  if (ix >= 0x3ff00000) {
    if (((ix - 0x3ff00000) | lowWord(x)) === 0) {
      if (hx >>> 31 !== 0) return 2.0 * PIO2_HI + X1P_120;
      return 0.0;
    }
    return 0.0 / (x - x);
  }
  if (ix < 0x3fe00000) {
    if (ix <= 0x3c600000) return PIO2_HI + X1P_120;
    return PIO2_HI - (x - (PIO2_LO - x * asinR(x * x)));
  }
  if (hx >>> 31 !== 0) {
    const z = (1.0 + x) * 0.5;
    const s = sqrt(z);
    const w = asinR(z) * s - PIO2_LO;
    return 2.0 * (PIO2_HI - (s + w));
  }
  const z = (1.0 - x) * 0.5;
  const s = sqrt(z);
  const df = truncLow(s);
  const c = (z - df * df) / (s + df);
  const w = asinR(z) * s + c;
  return 2.0 * (df + w);
}

const ATANHI = [
  4.63647609000806093515e-01,
  7.85398163397448278999e-01,
  9.82793723247329054082e-01,
  1.57079632679489655800e+00,
];
const ATANLO = [
  2.26987774529616870924e-17,
  3.06161699786838301793e-17,
  1.39033110312309984516e-17,
  6.12323399573676603587e-17,
];
const AT0 = 3.33333333333329318027e-01;
const AT1 = -1.99999999998764832476e-01;
const AT2 = 1.42857142725034663711e-01;
const AT3 = -1.11111104054623557880e-01;
const AT4 = 9.09088713343650656196e-02;
const AT5 = -7.69187620504482999495e-02;
const AT6 = 6.66107313738753120669e-02;
const AT7 = -5.83357013379057348645e-02;
const AT8 = 4.97687799461593236017e-02;
const AT9 = -3.65315727442169155270e-02;
const AT10 = 1.62858201153657823623e-02;
const ATAN_TINY = fromWords(0, 0x03800000);

/** Math.atan as the core computes it. @param {number} x */
export function atan(x) {
  let ix = highWord(x);
  const sign = ix >>> 31;
  ix &= 0x7fffffff;
  if (ix >= 0x44100000) {
    if (x !== x) return x;
    const z = ATANHI[3] + ATAN_TINY;
    return sign !== 0 ? -z : z;
  }
  let id;
  if (ix < 0x3fdc0000) {
    if (ix < 0x3e400000) return x;
    id = -1;
  } else {
    x = fabs(x);
    if (ix < 0x3ff30000) {
      if (ix < 0x3fe60000) {
        x = (2.0 * x - 1.0) / (2.0 + x);
        id = 0;
      } else {
        x = (x - 1.0) / (x + 1.0);
        id = 1;
      }
    } else if (ix < 0x40038000) {
      x = (x - 1.5) / (1.0 + 1.5 * x);
      id = 2;
    } else {
      x = -1.0 / x;
      id = 3;
    }
  }
  const z = x * x;
  const w = z * z;
  const s1 = z * (AT0 + w * (AT2 + w * (AT4 + w * (AT6 + w * (AT8 + w * AT10)))));
  const s2 = w * (AT1 + w * (AT3 + w * (AT5 + w * (AT7 + w * AT9))));
  if (id < 0) return x - x * (s1 + s2);
  const zz = ATANHI[id] - (x * (s1 + s2) - ATANLO[id] - x);
  return sign !== 0 ? -zz : zz;
}

const PI = 3.1415926535897931160e+00;
const PI_LO = 1.2246467991473531772e-16;

/** Math.atan2 as the core computes it. @param {number} y @param {number} x */
export function atan2(y, x) {
  if (x !== x || y !== y) return x + y;
  let ix = highWord(x);
  const lx = lowWord(x);
  let iy = highWord(y);
  const ly = lowWord(y);
  if (((ix - 0x3ff00000) | lx) === 0) return atan(y);
  const m = ((iy >>> 31) & 1) | ((ix >>> 30) & 2);
  ix &= 0x7fffffff;
  iy &= 0x7fffffff;
  if ((iy | ly) === 0) {
    switch (m) {
      case 0:
      case 1: return y;
      case 2: return PI;
      default: return -PI;
    }
  }
  if ((ix | lx) === 0) return m & 1 ? -PI / 2.0 : PI / 2.0;
  if (ix === 0x7ff00000) {
    if (iy === 0x7ff00000) {
      switch (m) {
        case 0: return PI / 4.0;
        case 1: return -PI / 4.0;
        case 2: return 3.0 * PI / 4.0;
        default: return -3.0 * PI / 4.0;
      }
    }
    switch (m) {
      case 0: return 0.0;
      case 1: return -0.0;
      case 2: return PI;
      default: return -PI;
    }
  }
  if (ix + (64 << 20) < iy || iy === 0x7ff00000) return m & 1 ? -PI / 2.0 : PI / 2.0;
  let z;
  if ((m & 2) !== 0 && iy + (64 << 20) < ix) z = 0.0;
  else z = atan(fabs(y / x));
  switch (m) {
    case 0: return z;
    case 1: return -z;
    case 2: return PI - (z - PI_LO);
    default: return (z - PI_LO) - PI;
  }
}

// ---- exp, expm1 and the hyperbolic functions ----------------------------------------------
const LN2HI = 6.93147180369123816490e-01;
const LN2LO = 1.90821492927058770002e-10;
const INVLN2 = 1.44269504088896338700e+00;
const P1 = 1.66666666666666019037e-01;
const P2 = -2.77777777770155933842e-03;
const P3 = 6.61375632143793436117e-05;
const P4 = -1.65339022054652515390e-06;
const P5 = 4.13813679705723846039e-08;

/** Math.exp as the core computes it. @param {number} x */
export function exp(x) {
  let hx = highWord(x);
  const sign = hx >>> 31;
  hx &= 0x7fffffff;
  if (hx >= 0x4086232b) {
    if (x !== x) return x;
    if (x > 709.782712893383973096) return x * X1P1023;
    if (x < -708.39641853226410622 && x < -745.13321910194110842) return 0.0;
  }
  let hi;
  let lo;
  let k;
  if (hx > 0x3fd62e42) {
    if (hx >= 0x3ff0a2b2) k = (INVLN2 * x + (sign === 0 ? 0.5 : -0.5)) | 0;
    else k = 1 - sign - sign;
    hi = x - k * LN2HI;
    lo = k * LN2LO;
    x = hi - lo;
  } else if (hx > 0x3e300000) {
    k = 0;
    hi = x;
    lo = 0.0;
  } else {
    return 1.0 + x;
  }
  const xx = x * x;
  const c = x - xx * (P1 + xx * (P2 + xx * (P3 + xx * (P4 + xx * P5))));
  const y = 1.0 + (x * c / (2.0 - c) - lo + hi);
  if (k === 0) return y;
  return k >= -1022 && k <= 1023 ? y * POW2[k + 1074] : scalbn(y, k); // scalbn(y, k)
}

const O_THRESHOLD = 7.09782712893383973096e+02;
const Q1 = -3.33333333333331316428e-02;
const Q2 = 1.58730158725481460165e-03;
const Q3 = -7.93650757867487942473e-05;
const Q4 = 4.00821782732936239552e-06;
const Q5 = -2.01099218183624371326e-07;

/** Math.expm1 as the core computes it. @param {number} x */
export function expm1(x) {
  const hxs0 = highWord(x);
  const hx = hxs0 & 0x7fffffff;
  const sign = hxs0 >>> 31;
  let hi;
  let lo;
  let k;
  let c;
  if (hx >= 0x4043687a) {
    if (x !== x) return x;
    if (sign !== 0) return -1.0;
    if (x > O_THRESHOLD) return x * X1P1023;
  }
  if (hx > 0x3fd62e42) {
    if (hx < 0x3ff0a2b2) {
      if (sign === 0) {
        hi = x - LN2HI;
        lo = LN2LO;
        k = 1;
      } else {
        hi = x + LN2HI;
        lo = -LN2LO;
        k = -1;
      }
    } else {
      k = (INVLN2 * x + (sign !== 0 ? -0.5 : 0.5)) | 0;
      const t = k;
      hi = x - t * LN2HI;
      lo = t * LN2LO;
    }
    x = hi - lo;
    c = (hi - x) - lo;
  } else if (hx < 0x3c900000) {
    return x;
  } else {
    c = 0.0;
    k = 0;
  }
  const hfx = 0.5 * x;
  const hxs = x * hfx;
  const r1 = 1.0 + hxs * (Q1 + hxs * (Q2 + hxs * (Q3 + hxs * (Q4 + hxs * Q5))));
  const t = 3.0 - r1 * hfx;
  let e = hxs * ((r1 - t) / (6.0 - x * t));
  if (k === 0) return x - (x * e - hxs);
  e = x * (e - c) - c;
  e -= hxs;
  if (k === -1) return 0.5 * (x - e) - 0.5;
  if (k === 1) {
    if (x < -0.25) return -2.0 * (e - (x + 0.5));
    return 1.0 + 2.0 * (x - e);
  }
  const twopk = k === 1024 ? Infinity : pow2(k);
  let y;
  if (k < 0 || k > 56) {
    y = x - e + 1.0;
    if (k === 1024) y = y * 2.0 * X1P1023;
    else y *= twopk;
    return y - 1.0;
  }
  const uf = pow2(-k);
  if (k < 20) y = (x - e + (1.0 - uf)) * twopk;
  else y = (x - (e + uf) + 1.0) * twopk;
  return y;
}

const KLN2 = fromWords(0x40962066, 0x151add8b);
const EXPO2_SCALE = fromWords((0x3ff + (2043 >> 1)) << 20, 0);

/** exp(x)/2 for x >= log(DBL_MAX), without overflow in between. */
function expo2(x) {
  return exp(x - KLN2) * EXPO2_SCALE * EXPO2_SCALE;
}

/** Math.sinh as the core computes it. @param {number} x */
export function sinh(x) {
  const hx = highWord(x);
  const h = hx >>> 31 !== 0 ? -0.5 : 0.5;
  const w = hx & 0x7fffffff;
  const absx = fabs(x);
  if (w < 0x40862e42) {
    const t = expm1(absx);
    if (w < 0x3ff00000) {
      if (w < 0x3ff00000 - (26 << 20)) return x;
      return h * (2.0 * t - t * t / (t + 1.0));
    }
    return h * (t + t / (t + 1.0));
  }
  return 2.0 * h * expo2(absx);
}

/** Math.cosh as the core computes it. @param {number} x */
export function cosh(x) {
  const w = highWord(x) & 0x7fffffff;
  x = fabs(x);
  if (w < 0x3fe62e42) {
    if (w < 0x3ff00000 - (26 << 20)) return 1.0;
    const t = expm1(x);
    return 1.0 + t * t / (2.0 * (1.0 + t));
  }
  if (w < 0x40862e42) {
    const t = exp(x);
    return 0.5 * (t + 1.0 / t);
  }
  return expo2(x);
}

/** Math.tanh as the core computes it. @param {number} x */
export function tanh(x) {
  const hx = highWord(x);
  const sign = hx >>> 31 !== 0;
  const w = hx & 0x7fffffff;
  x = fabs(x);
  let t;
  if (w > 0x3fe193ea) {
    if (w > 0x40340000) {
      t = 1.0 - 0.0 / x;
    } else {
      t = expm1(2.0 * x);
      t = 1.0 - 2.0 / (t + 2.0);
    }
  } else if (w > 0x3fd058ae) {
    t = expm1(2.0 * x);
    t = t / (t + 2.0);
  } else if (w >= 0x00100000) {
    t = expm1(-2.0 * x);
    t = -t / (t + 2.0);
  } else {
    t = x;
  }
  return sign ? -t : t;
}

// ---- log, log1p, log2, log10 and the inverse hyperbolic functions -------------------------
const LN2_HI = 6.93147180369123816490e-01;
const LN2_LO = 1.90821492927058770002e-10;
const LG1 = 6.666666666666735130e-01;
const LG2 = 3.999999999940941908e-01;
const LG3 = 2.857142874366239149e-01;
const LG4 = 2.222219843214978396e-01;
const LG5 = 1.818357216161805012e-01;
const LG6 = 1.531383769920937332e-01;
const LG7 = 1.479819860511658591e-01;

/** Math.log as the core computes it. @param {number} x */
export function log(x) {
  F[0] = x;
  let hx = U[HI];
  const lx = U[LO];
  let k = 0;
  if (hx < 0x00100000 || hx >>> 31 !== 0) {
    if (((hx & 0x7fffffff) | lx) === 0) return -1 / (x * x);
    if (hx >>> 31 !== 0) return (x - x) / 0.0;
    k -= 54;
    x *= X1P54;
    hx = highWord(x);
  } else if (hx >= 0x7ff00000) {
    return x;
  } else if (hx === 0x3ff00000 && lx === 0) {
    return 0.0;
  }
  // Reduce x into [sqrt(2)/2, sqrt(2)]: its exponent field, set from (hx & 0xfffff) +
  // 0x3fe6a09e, is x * 2^-kx.
  const kx = ((hx + (0x3ff00000 - 0x3fe6a09e)) >>> 20) - 0x3ff;
  k += kx;
  x *= pow2(-kx);
  const f = x - 1.0;
  const hfsq = 0.5 * f * f;
  const s = f / (2.0 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const r = t2 + t1;
  const dk = k;
  return s * (hfsq + r) + dk * LN2_LO - hfsq + f + dk * LN2_HI;
}

/** Math.log1p as the core computes it. @param {number} x */
export function log1p(x) {
  const hx = highWord(x);
  let f = 0.0;
  let c = 0.0;
  let k = 1;
  if (hx < 0x3fda827a || hx >>> 31 !== 0) {
    if (hx >= 0xbff00000) {
      if (x === -1.0) return x / 0.0;
      return (x - x) / 0.0;
    }
    if (((hx << 1) >>> 0) < ((0x3ca00000 << 1) >>> 0)) return x;
    if (hx <= 0xbfd2bec4) {
      k = 0;
      c = 0.0;
      f = x;
    }
  } else if (hx >= 0x7ff00000) {
    return x;
  }
  if (k > 0) {
    const u = 1.0 + x;
    let hu = highWord(u);
    hu += 0x3ff00000 - 0x3fe6a09e;
    k = (hu >>> 20) - 0x3ff;
    if (k < 54) {
      c = k >= 2 ? 1.0 - (u - x) : x - (u - 1.0);
      c /= u;
    } else {
      c = 0.0;
    }
    f = u * pow2(-k) - 1.0;
  }
  const hfsq = 0.5 * f * f;
  const s = f / (2.0 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const r = t2 + t1;
  const dk = k;
  return s * (hfsq + r) + (dk * LN2_LO + c) - hfsq + f + dk * LN2_HI;
}

const IVLN2HI = 1.44269504072144627571e+00;
const IVLN2LO = 1.67517131648865118353e-10;

/** Math.log2 as the core computes it. @param {number} x */
export function log2(x) {
  F[0] = x;
  let hx = U[HI];
  const lx = U[LO];
  let k = 0;
  if (hx < 0x00100000 || hx >>> 31 !== 0) {
    if (((hx & 0x7fffffff) | lx) === 0) return -1 / (x * x);
    if (hx >>> 31 !== 0) return (x - x) / 0.0;
    k -= 54;
    x *= X1P54;
    hx = highWord(x);
  } else if (hx >= 0x7ff00000) {
    return x;
  } else if (hx === 0x3ff00000 && lx === 0) {
    return 0.0;
  }
  // Reduce x into [sqrt(2)/2, sqrt(2)]: its exponent field, set from (hx & 0xfffff) +
  // 0x3fe6a09e, is x * 2^-kx.
  const kx = ((hx + (0x3ff00000 - 0x3fe6a09e)) >>> 20) - 0x3ff;
  k += kx;
  x *= pow2(-kx);
  const f = x - 1.0;
  const hfsq = 0.5 * f * f;
  const s = f / (2.0 + f);
  const z = s * s;
  let w = z * z;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const r = t2 + t1;
  const hi = truncLow(f - hfsq);
  const lo = f - hi - hfsq + s * (hfsq + r);
  let valHi = hi * IVLN2HI;
  let valLo = (lo + hi) * IVLN2LO + lo * IVLN2HI;
  const y = k;
  w = y + valHi;
  valLo += (y - w) + valHi;
  valHi = w;
  return valLo + valHi;
}

const IVLN10HI = 4.34294481878168880939e-01;
const IVLN10LO = 2.50829467116452752298e-11;
const LOG10_2HI = 3.01029995663611771306e-01;
const LOG10_2LO = 3.69423907715893078616e-13;

/** Math.log10 as the core computes it. @param {number} x */
export function log10(x) {
  F[0] = x;
  let hx = U[HI];
  const lx = U[LO];
  let k = 0;
  if (hx < 0x00100000 || hx >>> 31 !== 0) {
    if (((hx & 0x7fffffff) | lx) === 0) return -1 / (x * x);
    if (hx >>> 31 !== 0) return (x - x) / 0.0;
    k -= 54;
    x *= X1P54;
    hx = highWord(x);
  } else if (hx >= 0x7ff00000) {
    return x;
  } else if (hx === 0x3ff00000 && lx === 0) {
    return 0.0;
  }
  // Reduce x into [sqrt(2)/2, sqrt(2)]: its exponent field, set from (hx & 0xfffff) +
  // 0x3fe6a09e, is x * 2^-kx.
  const kx = ((hx + (0x3ff00000 - 0x3fe6a09e)) >>> 20) - 0x3ff;
  k += kx;
  x *= pow2(-kx);
  const f = x - 1.0;
  const hfsq = 0.5 * f * f;
  const s = f / (2.0 + f);
  const z = s * s;
  let w = z * z;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const r = t2 + t1;
  const hi = truncLow(f - hfsq);
  const lo = f - hi - hfsq + s * (hfsq + r);
  let valHi = hi * IVLN10HI;
  const dk = k;
  const y = dk * LOG10_2HI;
  let valLo = dk * LOG10_2LO + (lo + hi) * IVLN10LO + lo * IVLN10HI;
  w = y + valHi;
  valLo += (y - w) + valHi;
  valHi = w;
  return valLo + valHi;
}

// Rust's std computes these three itself, from ln, ln_1p, sqrt and hypot (library/std/src/
// num/f64.rs), not with libm's asinh, acosh and atanh.
const HYPOT_SPLIT = 134217728.0 + 1.0;
const X1P700 = fromWords(0x6bb00000, 0);
const X1P_700 = fromWords(0x14300000, 0);

/** libm's hypot. @param {number} x @param {number} y */
function hypot(x, y) {
  let xh = highWord(x) & 0x7fffffff;
  let xl = lowWord(x);
  let yh = highWord(y) & 0x7fffffff;
  let yl = lowWord(y);
  if (xh < yh || (xh === yh && xl < yl)) {
    const th = xh;
    const tl = xl;
    xh = yh;
    xl = yl;
    yh = th;
    yl = tl;
  }
  const ex = xh >>> 20;
  const ey = yh >>> 20;
  x = fromWords(xh, xl);
  y = fromWords(yh, yl);
  if (ey === 0x7ff) return y;
  if (ex === 0x7ff || (yh | yl) === 0) return x;
  if (ex - ey > 64) return x + y;
  let z = 1.0;
  if (ex > 0x3ff + 510) {
    z = X1P700;
    x *= X1P_700;
    y *= X1P_700;
  } else if (ey < 0x3ff - 450) {
    z = X1P_700;
    x *= X1P700;
    y *= X1P700;
  }
  let c = x * HYPOT_SPLIT;
  let h = x - c + c;
  let l = x - h;
  const hx = x * x;
  const lx = h * h - hx + 2.0 * h * l + l * l;
  c = y * HYPOT_SPLIT;
  h = y - c + c;
  l = y - h;
  const hy = y * y;
  const ly = h * h - hy + 2.0 * h * l + l * l;
  return z * sqrt(ly + lx + hy + hx);
}

/** Math.asinh as the core computes it (Rust's f64::asinh). @param {number} x */
export function asinh(x) {
  const ax = fabs(x);
  const ix = 1.0 / ax;
  const r = log1p(ax + (ax / (hypot(1.0, ix) + ix)));
  return highWord(x) >>> 31 !== 0 ? -r : r; // r.copysign(x), r >= 0
}

/** Math.acosh as the core computes it (Rust's f64::acosh). @param {number} x */
export function acosh(x) {
  if (x < 1.0) return NaN;
  return log(x + (sqrt(x - 1.0) * sqrt(x + 1.0)));
}

/** Math.atanh as the core computes it (Rust's f64::atanh). @param {number} x */
export function atanh(x) {
  return 0.5 * log1p((2.0 * x) / (1.0 - x));
}

// ---- pow ------------------------------------------------------------------------------------
const DP_H1 = 5.84962487220764160156e-01;
const DP_L1 = 1.35003920212974897128e-08;
const TWO53 = 9007199254740992.0;
const HUGE = 1.0e300;
const TINY = 1.0e-300;
const L1 = 5.99999999999994648725e-01;
const L2 = 4.28571428578550184252e-01;
const L3 = 3.33333329818377432918e-01;
const L4 = 2.72728123808534006489e-01;
const L5 = 2.30660745775561754067e-01;
const L6 = 2.06975017800338417784e-01;
const LG2_ = 6.93147180559945286227e-01;
const LG2_H = 6.93147182464599609375e-01;
const LG2_L = -1.90465429995776804525e-09;
const OVT = 8.0085662595372944372e-017;
const CP = 9.61796693925975554329e-01;
const CP_H = 9.61796700954437255859e-01;
const CP_L = -7.02846165095275826516e-09;
const IVLN2 = 1.44269504088896338700e+00;
const IVLN2_H = 1.44269502162933349609e+00;
const IVLN2_L = 1.92596299112661746887e-08;

/** C's pow (fdlibm's e_pow.c). @param {number} x @param {number} y */
function fdlibmPow(x, y) {
  F[0] = x;
  const hx = U[HI] | 0;
  const lx = U[LO];
  F[0] = y;
  const hy = U[HI] | 0;
  const ly = U[LO];
  let ix = hx & 0x7fffffff;
  const iy = hy & 0x7fffffff;
  if ((iy | ly) === 0) return 1.0;
  if (hx === 0x3ff00000 && lx === 0) return 1.0;
  if (ix > 0x7ff00000 || (ix === 0x7ff00000 && lx !== 0) || iy > 0x7ff00000 || (iy === 0x7ff00000 && ly !== 0)) {
    return x + y;
  }
  // yisint: 0 = y is not an integer, 1 = an odd one, 2 = an even one (only for x < 0).
  let yisint = 0;
  let k;
  let j;
  if (hx < 0) {
    if (iy >= 0x43400000) {
      yisint = 2;
    } else if (iy >= 0x3ff00000) {
      k = (iy >> 20) - 0x3ff;
      if (k > 20) {
        j = (ly >>> (52 - k)) | 0;
        if (j << (52 - k) === (ly | 0)) yisint = 2 - (j & 1);
      } else if (ly === 0) {
        j = iy >> (20 - k);
        if (j << (20 - k) === iy) yisint = 2 - (j & 1);
      }
    }
  }
  if (ly === 0) {
    if (iy === 0x7ff00000) {
      if (((ix - 0x3ff00000) | lx) === 0) return 1.0;
      if (ix >= 0x3ff00000) return hy >= 0 ? y : 0.0;
      return hy >= 0 ? 0.0 : -y;
    }
    if (iy === 0x3ff00000) return hy >= 0 ? x : 1.0 / x;
    if (hy === 0x40000000) return x * x;
    if (hy === 0x3fe00000 && hx >= 0) return sqrt(x);
  }
  let ax = fabs(x);
  if (lx === 0 && (ix === 0x7ff00000 || ix === 0 || ix === 0x3ff00000)) {
    let z = ax;
    if (hy < 0) z = 1.0 / z;
    if (hx < 0) {
      if (((ix - 0x3ff00000) | yisint) === 0) z = (z - z) / (z - z);
      else if (yisint === 1) z = -z;
    }
    return z;
  }
  let s = 1.0;
  if (hx < 0) {
    if (yisint === 0) return (x - x) / (x - x);
    if (yisint === 1) s = -1.0;
  }
  let t1;
  let t2;
  if (iy > 0x41e00000) {
    if (iy > 0x43f00000) {
      if (ix <= 0x3fefffff) return hy < 0 ? HUGE * HUGE : TINY * TINY;
      if (ix >= 0x3ff00000) return hy > 0 ? HUGE * HUGE : TINY * TINY;
    }
    if (ix < 0x3fefffff) return hy < 0 ? s * HUGE * HUGE : s * TINY * TINY;
    if (ix > 0x3ff00000) return hy > 0 ? s * HUGE * HUGE : s * TINY * TINY;
    const t = ax - 1.0;
    const w = (t * t) * (0.5 - t * (0.3333333333333333333333 - t * 0.25));
    const u = IVLN2_H * t;
    const v = t * IVLN2_L - w * IVLN2;
    t1 = truncLow(u + v);
    t2 = v - (t1 - u);
  } else {
    let n = 0;
    if (ix < 0x00100000) {
      ax *= TWO53;
      n -= 53;
      ix = highWord(ax) | 0;
    }
    n += (ix >> 20) - 0x3ff;
    const ixOld = ix;
    j = ix & 0x000fffff;
    let kk;
    ix = j | 0x3ff00000;
    if (j <= 0x3988e) {
      kk = 0;
    } else if (j < 0xbb67a) {
      kk = 1;
    } else {
      kk = 0;
      n += 1;
      ix -= 0x00100000;
    }
    ax *= pow2((ix >> 20) - (ixOld >> 20)); // its high word set to ix
    const bp = kk === 0 ? 1.0 : 1.5;
    const dpH = kk === 0 ? 0.0 : DP_H1;
    const dpL = kk === 0 ? 0.0 : DP_L1;
    let u = ax - bp;
    let v = 1.0 / (ax + bp);
    const ss = u * v;
    const sH = truncLow(ss);
    let tH = fromHigh(((ix >>> 1) | 0x20000000) + 0x00080000 + (kk << 18));
    let tL = ax - (tH - bp);
    const sL = v * ((u - sH * tH) - sH * tL);
    let s2 = ss * ss;
    let r = s2 * s2 * (L1 + s2 * (L2 + s2 * (L3 + s2 * (L4 + s2 * (L5 + s2 * L6)))));
    r += sL * (sH + ss);
    s2 = sH * sH;
    tH = truncLow(3.0 + s2 + r);
    tL = r - ((tH - 3.0) - s2);
    u = sH * tH;
    v = sL * tH + tL * ss;
    const pH = truncLow(u + v);
    const pL = v - (pH - u);
    const zH = CP_H * pH;
    const zL = CP_L * pH + pL * CP + dpL;
    const t = n;
    t1 = truncLow(((zH + zL) + dpH) + t);
    t2 = zL - (((t1 - t) - dpH) - zH);
  }
  // (y1 + y2) * (t1 + t2), y split in two.
  const y1 = truncLow(y);
  const pL = (y - y1) * t1 + y * t2;
  let pH = y1 * t1;
  let z = pL + pH;
  F[0] = z;
  j = U[HI] | 0;
  let i = U[LO] | 0;
  if (j >= 0x40900000) {
    if (((j - 0x40900000) | i) !== 0) return s * HUGE * HUGE;
    if (pL + OVT > z - pH) return s * HUGE * HUGE;
  } else if ((j & 0x7fffffff) >= 0x4090cc00) {
    if ((((j >>> 0) - 0xc090cc00) | i) !== 0) return s * TINY * TINY;
    if (pL <= z - pH) return s * TINY * TINY;
  }
  // 2^(pH + pL)
  i = j & 0x7fffffff;
  k = (i >> 20) - 0x3ff;
  let n = 0;
  if (i > 0x3fe00000) {
    n = (j + (0x00100000 >> (k + 1))) | 0;
    k = ((n & 0x7fffffff) >> 20) - 0x3ff;
    const t = fromHigh(n & ~(0x000fffff >> k));
    n = ((n & 0x000fffff) | 0x00100000) >> (20 - k);
    if (j < 0) n = -n;
    pH -= t;
  }
  const t = truncLow(pL + pH);
  const u = t * LG2_H;
  const v = (pL - (t - pH)) * LG2_ + t * LG2_L;
  z = u + v;
  const w = v - (z - u);
  const tt = z * z;
  const t1b = z - tt * (P1 + tt * (P2 + tt * (P3 + tt * (P4 + tt * P5))));
  const r = (z * t1b) / (t1b - 2.0) - (w + z * w);
  z = 1.0 - (r - z);
  j = (highWord(z) + (n << 20)) | 0;
  if (j >> 20 <= 0) z = scalbn(z, n);
  else z = z * pow2(n >> 1) * pow2(n - (n >> 1)); // its high word set to j: z * 2^n, normal
  return s * z;
}

/**
 * Math.pow as the core computes it: C's pow, but where JavaScript's Math.pow differs from C's
 * (a base of ±1 with an infinite or NaN exponent gives NaN in JavaScript, 1 in C), NaN.
 * @param {number} x @param {number} y
 */
export function pow(x, y) {
  if (y !== y || ((x === 1 || x === -1) && (y === Infinity || y === -Infinity))) return NaN;
  return fdlibmPow(x, y);
}

// ---- cbrt (CORE-MATH, correctly rounded) ----------------------------------------------------
const ESCALE = [1.0, fromWords(0x3ff428a2, 0xf98d728b), fromWords(0x3ff965fe, 0xa53d6e3d)];
const CB0 = fromWords(0x3fe1b0ba, 0xbccfef9c);
const CB1 = fromWords(0x3fe2c9a3, 0xe94d1da5);
const CB2 = fromWords(0xbfc4dc30, 0xb1a1ddba);
const CB3 = fromWords(0x3f97a8d3, 0xe4ec9b07);
const U0 = fromWords(0x3fd55555, 0x55555555);
const U1 = fromWords(0x3fcc71c7, 0x1c71c71c);
const RSC = [1.0, -1.0, 0.5, -0.5, 0.25, -0.25];
const SPLIT = 134217729.0; // 2^27 + 1

// The rounding error of a product: a*b - fl(a*b) exactly (Dekker's TwoProduct), which is what
// CORE-MATH's fma(a, b, -fl(a*b)) computes, for operands far from overflow and underflow.
function productError(a, b, p) {
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/** Math.cbrt as the core computes it (correctly rounded). @param {number} x */
export function cbrt(x) {
  F[0] = x;
  const hi = U[HI];
  const lo = U[LO];
  const sign = hi >>> 31;
  let mantHi = hi & 0x000fffff;
  let mantLo = lo;
  let e = (hi >>> 20) & 0x7ff;
  if (((e + 1) & 0x7ff) < 2) {
    if (e === 0x7ff || ((hi & 0x7fffffff) | lo) === 0) return x + x;
    // Subnormal: shift the mantissa up to its leading one.
    let nz;
    if (mantHi !== 0) nz = clz32(mantHi) - 11;
    else nz = clz32(mantLo) + 32 - 11;
    // mant <<= nz (64-bit), then keep the low 52 bits.
    if (nz >= 32) {
      mantHi = (mantLo << (nz - 32)) >>> 0;
      mantLo = 0;
    } else if (nz > 0) {
      mantHi = ((mantHi << nz) | (mantLo >>> (32 - nz))) >>> 0;
      mantLo = (mantLo << nz) >>> 0;
    }
    mantHi &= 0x000fffff;
    e = e - (nz - 1);
  }
  e += 3072;
  const et = (e / 3) | 0;
  const it = e % 3;
  const cvt1Hi = (mantHi | (0x3ff << 20)) >>> 0;
  const zz = fromWords(((cvt1Hi + (it << 20)) | (sign << 31)) >>> 0, mantLo);
  const cvt2 = fromWords((highWord(ESCALE[it]) | (sign << 31)) >>> 0, lowWord(ESCALE[it]));
  const z = fromWords(cvt1Hi, mantLo);
  const r = 1.0 / z;
  const rr = r * RSC[(it << 1) | sign];
  const z2 = z * z;
  const c0 = CB0 + z * CB1;
  const c2 = CB2 + z * CB3;
  let y = c0 + z2 * c2;
  let y2 = y * y;
  let h = y2 * (y * r) - 1.0;
  y -= (h * y) * (U0 - U1 * h);
  y *= cvt2;
  y2 = y * y;
  let y2l = productError(y, y, y2);
  let y3 = y2 * y;
  let y3l = productError(y, y2, y3) + y * y2l;
  h = ((y3 - zz) + y3l) * rr;
  let dy = h * (y * U0);
  let y1 = y - dy;
  dy = (y - y1) - dy;
  let ady = fabs(dy);
  let ady0 = fabs(ady - X1P_53);
  let ady1 = fabs(ady - (X1P_52 + X1P_53));
  if (ady0 < X1P_75 || ady1 < X1P_75) {
    y2 = y1 * y1;
    y2l = productError(y1, y1, y2);
    y3 = y2 * y1;
    y3l = productError(y1, y2, y3) + y1 * y2l;
    h = ((y3 - zz) + y3l) * rr;
    dy = h * (y1 * U0);
    y = y1 - dy;
    dy = (y1 - y) - dy;
    y1 = y;
    ady = fabs(dy);
    ady0 = fabs(ady - X1P_53);
    ady1 = fabs(ady - (X1P_52 + X1P_53));
    if (ady0 < X1P_98 || ady1 < X1P_98) {
      const azz = fabs(zz);
      if (azz === fromWords(0x4009b782, 0x23aa307c)) y1 = zz < 0 ? -fromWords(0x3ff79d15, 0xd0e8d59c) : fromWords(0x3ff79d15, 0xd0e8d59c);
      if (azz === fromWords(0x401a202b, 0xfc89ddff)) y1 = zz < 0 ? -fromWords(0x3ffde87a, 0xa837820f) : fromWords(0x3ffde87a, 0xa837820f);
    }
  }
  // cvt3 = bits(y1) + ((et - 342 - 1023) << 52), wrapping: only the high word changes.
  F[0] = y1;
  let c3Hi = (U[HI] + ((et - 342 - 1023) << 20)) >>> 0;
  let c3Lo = U[LO];
  // m0 = cvt3 << 30, m1 = m0 >> 63: (m0 ^ m1) <= 2^30 tests the low 34 bits of cvt3.
  const m0Hi = ((c3Hi << 30) | (c3Lo >>> 2)) >>> 0;
  const m0Lo = (c3Lo << 30) >>> 0;
  const m1 = m0Hi >>> 31;
  const xHi = m0Hi;
  const xLo = (m0Lo ^ m1) >>> 0;
  if (xHi === 0 && xLo <= 0x40000000) {
    // cvt4 = (bits(y1) + (164 << 15)) & ~0xffff
    F[0] = y1;
    const yHi = U[HI];
    const yLo = U[LO];
    let sLo = yLo + (164 << 15);
    let sHi = yHi;
    if (sLo > 0xffffffff) {
      sLo -= 0x100000000;
      sHi = (sHi + 1) >>> 0;
    }
    const cvt4 = fromWords(sHi, (sLo & 0xffff0000) >>> 0);
    if (fabs((cvt4 - y1) - dy) < X1P_60 || fabs(zz) === 1.0) {
      let tLo = c3Lo + (1 << 15);
      if (tLo > 0xffffffff) {
        tLo -= 0x100000000;
        c3Hi = (c3Hi + 1) >>> 0;
      }
      c3Lo = (tLo & 0xffff0000) >>> 0;
    }
  }
  return fromWords(c3Hi, c3Lo);
}

/** The functions above by the names Math gives them. */
export const PORTABLE_MATH = {
  sin, cos, tan, asin, acos, atan, atan2, sinh, cosh, tanh, asinh, acosh, atanh,
  exp, expm1, log, log1p, log2, log10, cbrt, pow,
};
