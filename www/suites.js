// The built-in suite: the Moré–Garbow–Hillstrom nonlinear least-squares problems (Moré, Garbow
// and Hillstrom, "Testing unconstrained optimization software", ACM TOMS 7(1), 1981), and the
// four Moré and Wild add to them ("Benchmarking derivative-free optimization algorithms", SIAM
// J. Optim. 20(1), 2009: Cube, Mancino, Heart8), each a problem script in calibration mode
// (DESIGN.md's format with xDim 0: no x, no network, theta itself learned from problem.theta0,
// the standard starting point; no data, so F's outputs are residuals driven to zero and the
// training loss is their mean square). Each comes smooth and noisy: the noisy F multiplies each
// residual by (1 + 1e-3 eps), eps uniform in [-1, 1] from a small PRNG inside the script seeded
// from theta's bits, so the same theta always gets the same noise, in whatever order and worker
// F is called (Moré and Wild's noisy problems are likewise deterministic functions of x).
//
// `fStar` is the published minimum of f = sum of squared residuals at the published minimiser
// `xStar`, `fStart` f at the standard start (exact values where they are known);
// tests/js/mgh.test.mjs evaluates every script's F there. Texts are generated from the
// residual functions below, once, so a problem's script never changes under a share link.

/**
 * @typedef {object} MghProblem
 * @property {string} id      short id (the smooth script's; the noisy one's adds "-noisy")
 * @property {number} no      its number in Moré, Garbow and Hillstrom (1981); 0 for Moré and Wild's additions
 * @property {string} name
 * @property {number} n       parameters (thetaDim)
 * @property {number} m       residuals (F's outputs)
 * @property {number[]} theta0  the standard starting point
 * @property {number} fStar   the published minimum of the sum of squares
 * @property {number[]} xStar the published minimiser (to the digits published)
 * @property {number} [fStart]  f at theta0, where an exact value is known
 * @property {string} note    what makes it hard, one line
 * @property {string} body    the body of `function residuals(t)` (t: theta)
 * @property {string} [data]  constants the body reads (declared before it)
 */

/** @type {MghProblem[]} */
const PROBLEMS = [
  { id: 'rosenbrock', no: 1, name: 'Rosenbrock', n: 2, m: 2, theta0: [-1.2, 1], fStar: 0, xStar: [1, 1], fStart: 24.2,
    note: 'a curved, narrow valley',
    body: 'return [10 * (t[1] - t[0] * t[0]), 1 - t[0]];' },
  { id: 'freudenstein-roth', no: 2, name: 'Freudenstein and Roth', n: 2, m: 2, theta0: [0.5, -2], fStar: 0, xStar: [5, 4], fStart: 400.5,
    note: 'a local minimum (48.9842 at (11.41, -0.8968)) traps most methods',
    body: 'return [-13 + t[0] + ((5 - t[1]) * t[1] - 2) * t[1], -29 + t[0] + ((t[1] + 1) * t[1] - 14) * t[1]];' },
  { id: 'powell-badly-scaled', no: 3, name: 'Powell badly scaled', n: 2, m: 2, theta0: [0, 1], fStar: 0,
    xStar: [1.09815932969975976e-05, 9.10614673986700218],
    note: 'the two parameters differ in scale by 10^6',
    body: 'return [1e4 * t[0] * t[1] - 1, Math.exp(-t[0]) + Math.exp(-t[1]) - 1.0001];' },
  { id: 'brown-badly-scaled', no: 4, name: 'Brown badly scaled', n: 2, m: 3, theta0: [1, 1], fStar: 0, xStar: [1e6, 2e-6],
    fStart: (1 - 1e6) ** 2 + (1 - 2e-6) ** 2 + 1,
    note: 'the minimiser is at 10^6 and 2·10^-6',
    body: 'return [t[0] - 1e6, t[1] - 2e-6, t[0] * t[1] - 2];' },
  { id: 'beale', no: 5, name: 'Beale', n: 2, m: 3, theta0: [1, 1], fStar: 0, xStar: [3, 0.5], fStart: 14.203125,
    note: 'flat plateaus around a curved valley',
    data: 'const Y = [1.5, 2.25, 2.625];',
    body: 'return Y.map((y, i) => y - t[0] * (1 - Math.pow(t[1], i + 1)));' },
  { id: 'jennrich-sampson', no: 6, name: 'Jennrich and Sampson (m = 10)', n: 2, m: 10, theta0: [0.3, 0.4], fStar: 124.362,
    xStar: [2.578252139935855e-01, 2.578252133471426e-01],
    note: 'exponentials of 10 theta: steep walls, a minimum far from zero',
    body: 'const r = [];\n  for (let i = 1; i <= 10; i++) r.push(2 + 2 * i - (Math.exp(i * t[0]) + Math.exp(i * t[1])));\n  return r;' },
  { id: 'helical-valley', no: 7, name: 'Helical valley', n: 3, m: 3, theta0: [-1, 0, 0], fStar: 0, xStar: [1, 0, 0], fStart: 2500,
    note: 'a helix-shaped valley; F jumps where theta[0] changes sign',
    body: 'const angle = t[0] > 0 ? Math.atan(t[1] / t[0]) / (2 * Math.PI)\n'
      + '    : t[0] < 0 ? Math.atan(t[1] / t[0]) / (2 * Math.PI) + 0.5 : (t[1] >= 0 ? 0.25 : -0.25);\n'
      + '  return [10 * (t[2] - 10 * angle), 10 * (Math.sqrt(t[0] * t[0] + t[1] * t[1]) - 1), t[2]];' },
  { id: 'bard', no: 8, name: 'Bard', n: 3, m: 15, theta0: [1, 1, 1], fStar: 8.21487e-3,
    xStar: [8.241055975623580e-02, 1.133036092245175, 2.343695178435405],
    note: 'a rational model fitted to 15 points',
    data: 'const Y = [0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39];',
    body: 'return Y.map((y, k) => {\n    const u = k + 1, v = 16 - u, w = Math.min(u, v);\n    return y - (t[0] + u / (v * t[1] + w * t[2]));\n  });' },
  { id: 'gaussian', no: 9, name: 'Gaussian', n: 3, m: 15, theta0: [0.4, 1, 0], fStar: 1.12793e-8,
    xStar: [0.398956137838762825, 1.00001908448786647, 0],
    note: 'starts very close to the minimum: a test of small steps',
    data: 'const Y = [0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989,\n           0.3521, 0.2420, 0.1295, 0.0540, 0.0175, 0.0044, 0.0009];',
    body: 'return Y.map((y, k) => {\n    const ti = (7 - k) / 2, d = ti - t[2];\n    return t[0] * Math.exp(-t[1] * d * d / 2) - y;\n  });' },
  { id: 'meyer', no: 10, name: 'Meyer', n: 3, m: 16, theta0: [0.02, 4000, 250], fStar: 87.9458,
    xStar: [5.609636471049458e-03, 6.181346346283188e+03, 3.452236346240292e+02],
    note: 'notoriously ill-conditioned: parameters of scale 0.005, 6000 and 350',
    data: 'const Y = [34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744,\n           8261, 7030, 6005, 5147, 4427, 3820, 3307, 2872];',
    body: 'return Y.map((y, k) => t[0] * Math.exp(t[1] / (45 + 5 * (k + 1) + t[2])) - y);' },
  { id: 'gulf', no: 11, name: 'Gulf research and development (m = 99)', n: 3, m: 99, theta0: [5, 2.5, 0.15], fStar: 0, xStar: [50, 25, 1.5],
    note: 'a power of an absolute value: flat far from the minimum',
    body: 'const r = [];\n  for (let i = 1; i <= 99; i++) {\n'
      + '    const ti = i / 100, yi = 25 + Math.pow(-50 * Math.log(ti), 2 / 3);\n'
      + '    r.push(Math.exp(-Math.pow(Math.abs(yi - t[1]), t[2]) / t[0]) - ti);\n  }\n  return r;' },
  { id: 'box-3d', no: 12, name: 'Box three-dimensional (m = 10)', n: 3, m: 10, theta0: [0, 10, 20], fStar: 0, xStar: [1, 10, 1],
    note: 'a difference of exponentials; a line of other minima (t0 = t1, t2 = 0)',
    body: 'const r = [];\n  for (let i = 1; i <= 10; i++) {\n    const ti = 0.1 * i;\n'
      + '    r.push(Math.exp(-ti * t[0]) - Math.exp(-ti * t[1]) - t[2] * (Math.exp(-ti) - Math.exp(-10 * ti)));\n  }\n  return r;' },
  { id: 'powell-singular', no: 13, name: 'Powell singular', n: 4, m: 4, theta0: [3, -1, 0, 1], fStar: 0, xStar: [0, 0, 0, 0], fStart: 215,
    note: 'the Hessian is singular at the minimum: slow, sublinear convergence',
    body: 'const a = t[1] - 2 * t[2], b = t[0] - t[3];\n  return [t[0] + 10 * t[1], Math.sqrt(5) * (t[2] - t[3]), a * a, Math.sqrt(10) * b * b];' },
  { id: 'wood', no: 14, name: 'Wood', n: 4, m: 6, theta0: [-3, -1, -3, -1], fStar: 0, xStar: [1, 1, 1, 1], fStart: 19192,
    note: 'two coupled Rosenbrock valleys',
    body: 'return [10 * (t[1] - t[0] * t[0]), 1 - t[0], Math.sqrt(90) * (t[3] - t[2] * t[2]), 1 - t[2],\n'
      + '          Math.sqrt(10) * (t[1] + t[3] - 2), (t[1] - t[3]) / Math.sqrt(10)];' },
  { id: 'kowalik-osborne', no: 15, name: 'Kowalik and Osborne', n: 4, m: 11, theta0: [0.25, 0.39, 0.415, 0.39], fStar: 3.07505e-4,
    xStar: [1.928069345723978e-01, 1.912823290344599e-01, 1.230565070690708e-01, 1.360623308065148e-01],
    note: 'a rational enzyme-kinetics fit with a second minimum at infinity',
    data: 'const Y = [0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246];\n'
      + 'const U = [4, 2, 1, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625];',
    body: 'return Y.map((y, k) => {\n    const u = U[k];\n    return y - t[0] * (u * u + u * t[1]) / (u * u + u * t[2] + t[3]);\n  });' },
  { id: 'brown-dennis', no: 16, name: 'Brown and Dennis (m = 20)', n: 4, m: 20, theta0: [25, 5, -5, -1], fStar: 85822.2,
    xStar: [-11.5944399, 13.2036301, -0.4034394, 0.2367788],
    note: 'squared residuals of squares: a large minimum, quartic growth',
    body: 'const r = [];\n  for (let i = 1; i <= 20; i++) {\n    const ti = i / 5;\n'
      + '    const a = t[0] + ti * t[1] - Math.exp(ti), b = t[2] + t[3] * Math.sin(ti) - Math.cos(ti);\n'
      + '    r.push(a * a + b * b);\n  }\n  return r;' },
  { id: 'osborne-1', no: 17, name: 'Osborne 1', n: 5, m: 33, theta0: [0.5, 1.5, -1, 0.01, 0.02], fStar: 5.46489e-5,
    xStar: [0.3754100521058740, 1.935847, -1.4646871, 0.01286753, 0.02212270],
    note: 'a sum of two exponentials: rates two orders below the amplitudes',
    data: 'const Y = [0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751,\n'
      + '           0.718, 0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490,\n'
      + '           0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406];',
    body: 'return Y.map((y, k) => {\n    const ti = 10 * k;\n    return y - (t[0] + t[1] * Math.exp(-ti * t[3]) + t[2] * Math.exp(-ti * t[4]));\n  });' },
  { id: 'osborne-2', no: 19, name: 'Osborne 2', n: 11, m: 65, theta0: [1.3, 0.65, 0.65, 0.7, 0.6, 3, 5, 7, 2, 4.5, 5.5], fStar: 4.01377e-2,
    xStar: [1.309977, 0.4315538, 0.6336617, 0.5994305, 0.7541832, 0.9042886, 1.3658118, 4.823699, 2.398685, 4.568875, 5.675341],
    note: 'an exponential and three Gaussians: 11 parameters',
    data: 'const Y = [1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746, 0.679, 0.608,\n'
      + '           0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724, 0.649, 0.649, 0.694, 0.644, 0.624, 0.661,\n'
      + '           0.612, 0.558, 0.533, 0.495, 0.500, 0.423, 0.395, 0.375, 0.372, 0.391, 0.396, 0.405, 0.428,\n'
      + '           0.429, 0.523, 0.562, 0.607, 0.653, 0.672, 0.708, 0.633, 0.668, 0.645, 0.632, 0.591, 0.559,\n'
      + '           0.597, 0.625, 0.739, 0.710, 0.729, 0.720, 0.636, 0.581, 0.428, 0.292, 0.162, 0.098, 0.054];',
    body: 'return Y.map((y, k) => {\n    const ti = k / 10, a = ti - t[8], b = ti - t[9], c = ti - t[10];\n'
      + '    return y - (t[0] * Math.exp(-ti * t[4]) + t[1] * Math.exp(-a * a * t[5])\n'
      + '                + t[2] * Math.exp(-b * b * t[6]) + t[3] * Math.exp(-c * c * t[7]));\n  });' },
  { id: 'cube', no: 0, name: 'Cube (n = 5)', n: 5, m: 5, theta0: [0.5, 0.5, 0.5, 0.5, 0.5], fStar: 0, xStar: [1, 1, 1, 1, 1],
    note: 'Rosenbrock with a cube: a chain of curved valleys (Moré and Wild)',
    body: 'const r = [t[0] - 1];\n  for (let i = 1; i < t.length; i++) r.push(10 * (t[i] - t[i - 1] * t[i - 1] * t[i - 1]));\n  return r;' },
  { id: 'mancino', no: 0, name: 'Mancino (n = 5)', n: 5, m: 5,
    theta0: [1, 2, 3, 4, 5].map((i) => {
      let s = 0;
      for (let j = 1; j <= 5; j++) {
        const v = Math.sqrt(i / j);
        s += v * (Math.sin(Math.log(v)) ** 5 + Math.cos(Math.log(v)) ** 5);
      }
      return -8.710996e-4 * ((i - 50) ** 3 + s);
    }),
    fStar: 0, xStar: [], // found by the test from the start: a root of the 5 equations (Moré and Wild)
    note: 'a nearly diagonal system with oscillating couplings (Moré and Wild)',
    body: 'const n = t.length, r = [];\n  for (let i = 0; i < n; i++) {\n    let s = 0;\n'
      + '    for (let j = 0; j < n; j++) {\n      const v = Math.sqrt(t[i] * t[i] + (i + 1) / (j + 1)), l = Math.log(v);\n'
      + '      s += v * (Math.pow(Math.sin(l), 5) + Math.pow(Math.cos(l), 5));\n    }\n'
      + '    r.push(1400 * t[i] + Math.pow(i - 49, 3) + s);\n  }\n  return r;' },
  { id: 'heart8', no: 0, name: 'Heart8', n: 8, m: 8, theta0: [-0.3, -0.39, 0.3, -0.344, -1.2, 2.69, 1.59, -1.5], fStar: 0,
    xStar: [-0.311626, -0.378374, 0.328213, -0.372213, -1.28258, 2.49447, 1.55402, -1.38718],
    note: 'the dipole model of the heart: 8 polynomial equations (Dennis, Gay and Vu; Moré and Wild)',
    body: 'const [a, b, c, d, x, u, v, w] = t;\n'
      + '  return [a + b + 0.69, c + d + 0.044,\n'
      + '    x * a + u * b - v * c - w * d + 1.57,\n'
      + '    v * a + w * b + x * c + u * d + 1.31,\n'
      + '    a * (x * x - v * v) - 2 * c * x * v + b * (u * u - w * w) - 2 * d * u * w + 2.65,\n'
      + '    c * (x * x - v * v) + 2 * a * x * v + d * (u * u - w * w) + 2 * b * u * w - 2,\n'
      + '    a * x * (x * x - 3 * v * v) + c * v * (v * v - 3 * x * x) + b * u * (u * u - 3 * w * w) + d * w * (w * w - 3 * u * u) + 12.6,\n'
      + '    c * x * (x * x - 3 * v * v) - a * v * (v * v - 3 * x * x) + d * u * (u * u - 3 * w * w) - b * w * (w * w - 3 * u * u) - 9.48];' },
];

/** The noisy version's F: the residuals times (1 + 1e-3 eps), eps from a PRNG keyed on theta. */
const NOISY_F = `// eps uniform in [-1, 1]: mulberry32 seeded from theta's bits and SEED, so the same theta
// always gets the same noise, whatever order the workers call F in.
const SEED = 2009;
function noiseFor(theta) {
  const words = new Uint32Array(Float64Array.from(theta).buffer);
  let h = SEED;
  for (let i = 0; i < words.length; i++) {
    h = Math.imul(h ^ words[i], 0x9e3779b1);
    h ^= h >>> 15;
  }
  return () => {
    h = (h + 0x6d2b79f5) | 0;
    let z = Math.imul(h ^ (h >>> 15), h | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return 2 * (((z ^ (z >>> 14)) >>> 0) / 4294967296) - 1;
  };
}

function F(x, theta) {
  const r = residuals(theta), eps = noiseFor(theta);
  for (let i = 0; i < r.length; i++) r[i] *= 1 + 1e-3 * eps();
  return r;
}`;

/**
 * A problem's script, smooth or noisy.
 * @param {MghProblem} p @param {boolean} noisy
 */
function scriptOf(p, noisy) {
  const source = p.no ? `Moré, Garbow and Hillstrom (1981), problem ${p.no}` : 'Moré and Wild (2009)';
  const head = `// ${p.name}${noisy ? ', noisy' : ''}: ${p.note}.\n`
    + `// ${source}; n = ${p.n} parameters, m = ${p.m} residuals. Calibration (xDim 0): theta itself\n`
    + '// is learned from the standard start, and with no data F\'s outputs are residuals driven to zero.\n'
    + `// Minimum of the sum of squares: ${p.fStar}${p.xStar.length ? ` at (${p.xStar.join(', ')})` : ''}.\n`
    + (noisy ? '// Noisy: each residual times (1 + 1e-3 eps), eps uniform in [-1, 1].\n' : '') + '\n';
  const data = p.data ? `${p.data}\n\n` : '';
  const residuals = `function residuals(t) {\n  ${p.body}\n}\n\n`;
  const f = noisy ? NOISY_F : 'function F(x, theta) {\n  return residuals(theta);\n}';
  const problem = `\n\nconst problem = { xDim: 0, thetaDim: ${p.n}, theta0: [${p.theta0.join(', ')}] };\n`;
  return head + data + residuals + f + problem;
}

/**
 * One problem of a built-in suite, in the shape the suite runs: its id, name, script, the
 * number of parameters and the facts the test checks.
 * @typedef {{id: string, name: string, script: string, noisy: boolean, problem: MghProblem}} SuiteProblem
 */

/** Every built-in suite problem: each MGH problem smooth, then noisy. @type {SuiteProblem[]} */
export const MGH = PROBLEMS.flatMap((p) => [
  { id: `mgh-${p.id}`, name: p.name, script: scriptOf(p, false), noisy: false, problem: p },
  { id: `mgh-${p.id}-noisy`, name: `${p.name}, noisy`, script: scriptOf(p, true), noisy: true, problem: p },
]);

/** The built-in suite problem of an id, or null. @param {string} id */
export const mghProblem = (id) => MGH.find((q) => q.id === id) ?? null;
