// Numbers as the page shows them. Pure functions.

/**
 * Three significant digits; exponent form for very small and very large values; '–' for none.
 * @param {number | null | undefined} v
 */
export function fmtNum(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a < 1e-3 || a >= 1e5) return v.toExponential(2).replace('e+', 'e');
  return Number(v.toPrecision(3)).toString();
}

/**
 * A count, in k and M when large.
 * @param {number} n
 */
export function fmtCount(n) {
  if (!Number.isFinite(n)) return '–';
  if (n >= 1e6) return `${Number((n / 1e6).toPrecision(3))} M`;
  if (n >= 1e4) return `${Number((n / 1e3).toPrecision(3))} k`;
  return String(Math.round(n));
}

/**
 * A duration in ms, s, or min and s.
 * @param {number} ms
 */
export function fmtMs(ms) {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

/**
 * A short duration given in ms, with three significant digits: ns, µs or ms ('–' for none);
 * a cost per evaluation or per call.
 * @param {number | null | undefined} ms
 */
export function fmtShortMs(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const [v, unit] = ms >= 1 ? [ms, 'ms'] : ms >= 1e-3 ? [ms * 1e3, 'µs'] : [ms * 1e6, 'ns'];
  return `${Number(v.toPrecision(3))} ${unit}`;
}

/**
 * The median of the finite values, or null when there is none.
 * @param {(number | null | undefined)[]} values
 */
export function median(values) {
  const v = /** @type {number[]} */ (values.filter((x) => Number.isFinite(x))).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

/**
 * Median and range of the finite values, as the core's race summary measures a spread
 * (src/race.rs `spread`): min–max below 5 values, the interquartile range from 5 up. Null
 * fields when there is no value.
 * @param {(number | null | undefined)[]} values
 * @returns {{median: number | null, lo: number | null, hi: number | null, n: number}}
 */
export function spread(values) {
  const v = /** @type {number[]} */ (values.filter((x) => Number.isFinite(x))).sort((a, b) => a - b);
  if (!v.length) return { median: null, lo: null, hi: null, n: 0 };
  const q = (/** @type {number} */ p) => {
    const at = p * (v.length - 1);
    const i = Math.floor(at);
    return i + 1 < v.length ? v[i] + (at - i) * (v[i + 1] - v[i]) : v[i];
  };
  const [lo, hi] = v.length >= 5 ? [q(0.25), q(0.75)] : [v[0], v[v.length - 1]];
  return { median: q(0.5), lo, hi, n: v.length };
}
