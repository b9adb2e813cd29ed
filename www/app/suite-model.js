// What a suite is: a list of problems (problems of the built-in suite, www/suites.js; presets;
// scripts of the person's own, carried whole), the methods, the repeats, the budget in units of
// a problem's (p+1) evaluations, the levels τ and the page's training settings. Reading one from
// anything (storage, a file, a link) checks it and says what is wrong; a suite link is
// `#suite.` + base64url(deflate-raw(JSON)), made and read by the browser's CompressionStream.
// No page state here: suite-ui.js keeps the suite being built.
import { PRESETS } from '../presets.js';
import { mghProblem } from '../suites.js';

/**
 * One problem of a suite: `mgh` and `preset` name a built-in script by id, `script` carries
 * its text (the person's own, or a file's).
 * @typedef {{source: 'mgh' | 'preset' | 'script', id: string, name: string, script?: string}} SuiteEntry
 * @typedef {object} Suite
 * @property {SuiteEntry[]} problems
 * @property {string[]} methods
 * @property {number} repeats
 * @property {number} budget   evaluations per problem, in units of its (p+1) evaluations
 * @property {number[]} taus   the levels τ of the profiles
 * @property {Record<string, any> | null} settings  the page's training settings it ran with
 */

export const DEFAULT_TAUS = [0.1, 0.01, 0.001];

/** @returns {Suite} */
export const emptySuite = () => ({ problems: [], methods: [], repeats: 3, budget: 200, taus: [...DEFAULT_TAUS], settings: null });

/** The link's prefix. */
export const LINK_PREFIX = 'suite.';

/** Longest suite link (characters of the fragment) the page makes; a longer suite goes as a file. */
export const MAX_LINK = 8000;

/**
 * The script of a suite's problem (null when it names a problem this page does not have).
 * @param {SuiteEntry} entry
 */
export function scriptOf(entry) {
  if (entry.source === 'mgh') return mghProblem(entry.id)?.script ?? null;
  if (entry.source === 'preset') return PRESETS.find((p) => p.id === entry.id)?.script ?? null;
  return entry.script ?? null;
}

/**
 * A script's thetaDim (p) and xDim, read from its `problem` (the suite needs p before a run,
 * for the budget). Null when the text does not say them as plain numbers.
 * @param {string} script
 */
export function dims(script) {
  const p = /\bthetaDim\s*:\s*(\d+)/.exec(script);
  const x = /\bxDim\s*:\s*(\d+)/.exec(script);
  if (!p || !x) return null;
  return { p: Number(p[1]), xDim: Number(x[1]) };
}

/**
 * The unit of a problem's evaluations: (p+1) F-evaluations, a simplex gradient's worth (Moré
 * and Wild). With x (a network), every step sees a minibatch: (p+1) × the batch size.
 * @param {{p: number, xDim: number}} d @param {number} batchSize
 */
export const unitOf = (d, batchSize) => (d.p + 1) * (d.xDim === 0 ? 1 : Math.max(1, batchSize));

/** @param {unknown} v */
const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A suite from untrusted JSON (storage, a file, a link), checked; an Error says what is wrong.
 * @param {unknown} raw @param {(method: string) => boolean} knownMethod
 * @returns {Suite}
 */
export function readSuite(raw, knownMethod) {
  if (!isObject(raw)) throw new Error('It is not a suite: that is an object with "problems".');
  const o = /** @type {Record<string, any>} */ (raw);
  if (!Array.isArray(o.problems)) throw new Error('It is not a suite: it has no list of "problems".');
  /** @type {SuiteEntry[]} */
  const problems = o.problems.map((/** @type {unknown} */ p, /** @type {number} */ i) => {
    // A link writes a built-in problem as its id alone.
    if (typeof p === 'string') p = mghProblem(p) ? { source: 'mgh', id: p } : { source: 'preset', id: p };
    if (!isObject(p)) throw new Error(`Problem ${i + 1} is not an object.`);
    const e = /** @type {Record<string, any>} */ (p);
    if (e.source === 'mgh' || e.source === 'preset') {
      const id = String(e.id);
      const name = e.source === 'mgh' ? mghProblem(id)?.name : PRESETS.find((q) => q.id === id)?.name;
      if (!name) throw new Error(`Problem ${i + 1} names "${id}", which this page does not have.`);
      return { source: e.source, id, name };
    }
    if (typeof e.script !== 'string' || !e.script.trim()) throw new Error(`Problem ${i + 1} has no script.`);
    const name = typeof e.name === 'string' && e.name.trim() ? e.name.trim().slice(0, 80) : `Script ${i + 1}`;
    return { source: 'script', id: typeof e.id === 'string' && e.id ? e.id : `own-${i + 1}`, name, script: e.script };
  });
  const ids = new Set();
  for (const p of problems) {
    if (ids.has(p.id)) throw new Error(`The problem "${p.name}" is in the suite twice.`);
    ids.add(p.id);
  }
  const methods = Array.isArray(o.methods) ? o.methods.filter((/** @type {unknown} */ m) => typeof m === 'string' && knownMethod(m)) : [];
  const int = (/** @type {unknown} */ v, /** @type {number} */ lo, /** @type {number} */ hi, /** @type {number} */ def) => (
    typeof v === 'number' && Number.isFinite(v) ? Math.min(hi, Math.max(lo, Math.round(v))) : def);
  const taus = Array.isArray(o.taus) ? o.taus.filter((/** @type {unknown} */ t) => typeof t === 'number' && t > 0 && t < 1) : [];
  return {
    problems, methods,
    repeats: int(o.repeats, 1, 20, 3),
    budget: int(o.budget, 1, 1e6, 200),
    taus: taus.length ? [...new Set(/** @type {number[]} */ (taus))].sort((a, b) => b - a) : [...DEFAULT_TAUS],
    settings: isObject(o.settings) ? o.settings : null,
  };
}

/**
 * The levels τ a person typed ("0.1, 0.01"): each in (0, 1), largest first; an Error says
 * what is wrong.
 * @param {string} text
 */
export function parseTaus(text) {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  if (!parts.length) throw new Error('Give at least one level τ, such as 0.01.');
  const taus = parts.map((s) => {
    const v = Number(s);
    if (!(v > 0 && v < 1)) throw new Error(`"${s}" is no level τ: each is a number between 0 and 1, such as 0.01.`);
    return v;
  });
  return [...new Set(taus)].sort((a, b) => b - a);
}

/** Compact JSON of a suite for a link or a file: built-in problems as their ids. @param {Suite} suite */
export function suiteJson(suite) {
  return {
    kind: 'suite', version: 1,
    problems: suite.problems.map((p) => (p.source === 'script' ? { id: p.id, name: p.name, script: p.script } : p.id)),
    methods: suite.methods, repeats: suite.repeats, budget: suite.budget, taus: suite.taus,
    ...(suite.settings ? { settings: suite.settings } : {}),
  };
}

/** @param {Uint8Array} bytes */
function base64url(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Bytes through a compression or decompression stream.
 * @param {Uint8Array<ArrayBuffer>} bytes @param {CompressionStream | DecompressionStream} stream
 */
async function through(bytes, stream) {
  const out = new Response(new Blob([bytes]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

/**
 * A suite's link fragment (without '#').
 * @param {Suite} suite
 */
export async function encodeSuiteLink(suite) {
  const bytes = new TextEncoder().encode(JSON.stringify(suiteJson(suite)));
  return LINK_PREFIX + base64url(await through(bytes, new CompressionStream('deflate-raw')));
}

/**
 * A suite from its link fragment; an Error says why it cannot be read.
 * @param {string} fragment @param {(method: string) => boolean} knownMethod
 */
export async function decodeSuiteLink(fragment, knownMethod) {
  const data = fragment.replace(/^#/, '').slice(LINK_PREFIX.length).replace(/%20|\s/g, '');
  /** @type {unknown} */
  let json;
  try {
    const b = atob(data.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(b, (c) => c.charCodeAt(0));
    json = JSON.parse(new TextDecoder().decode(await through(bytes, new DecompressionStream('deflate-raw'))));
  } catch {
    throw new Error('This suite link could not be read: it is damaged (characters were changed or cut off).');
  }
  return readSuite(json, knownMethod);
}
