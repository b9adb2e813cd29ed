// Built-in problem scripts for the "Preset" menu, each with a short story: what F is, why it is
// hard for gradient estimation, and which methods should win. Scripts follow DESIGN.md's format
// exactly (function F, optional thetaTrue and dF, const problem). `methods` is the comparison
// the page selects when the preset is chosen; `settings` are suggested values for the page's
// inputs (keys are the input ids in index.html).

const smooth = `// Smooth vector-valued map: the default problem.
// The network NN_pi(x) -> theta is trained so that F(x, NN_pi(x)) matches Y.

// The black box. x, theta: arrays of numbers. Returns a number or an array.
function F(x, theta) {
  return [theta[0] + theta[1] * x[0], theta[2] * Math.exp(0.5 * theta[0])];
}

// The policy that generates the synthetic data: Y = F(X, thetaTrue(X)) (+ noise).
function thetaTrue(x) {
  return [Math.sin(Math.PI * x[0]), 0.5 * Math.cos(Math.PI * x[1]), x[0] * x[1]];
}

// The Jacobian dF/dtheta: yDim rows of thetaDim numbers.
function dF(x, theta) {
  const e = Math.exp(0.5 * theta[0]);
  return [
    [1, x[0], 0],
    [0.5 * theta[2] * e, 0, e],
  ];
}

const problem = { xDim: 2, thetaDim: 3, samples: 256, xRange: [-1, 1], noise: 0,
                  thetaBounds: null };
`;

const projectile = `// Projectile with air drag, simulated step by step.
// theta = [launch angle, launch speed] (both in scaled units, 0 = 45 degrees and 20 m/s);
// x = [wind (head- or tailwind), drag variation]. F returns [range, apex height], scaled.

const G = 9.81, DT = 0.01;

function F(x, theta) {
  const angle = Math.PI / 4 + 0.35 * theta[0];      // radians
  const speed = 20 * (1 + 0.25 * theta[1]);          // m/s
  const wind = 3 * x[0];                             // m/s along the range
  const k = 0.02 * (1 + 0.5 * x[1]);                 // quadratic drag per unit mass
  let px = 0, py = 0, apex = 0;
  let vx = speed * Math.cos(angle), vy = speed * Math.sin(angle);
  for (let i = 0; i < 2000; i++) {                   // semi-implicit Euler, at most 20 s
    const rx = vx - wind, ry = vy;                   // velocity relative to the air
    const v = Math.hypot(rx, ry);
    vx -= k * v * rx * DT;
    vy -= (G + k * v * ry) * DT;
    const nx = px + vx * DT, ny = py + vy * DT;
    if (ny < 0) {                                    // landed: interpolate the ground crossing
      const f = py / (py - ny);
      px += f * (nx - px);
      break;
    }
    px = nx; py = ny;
    if (py > apex) apex = py;
  }
  return [px / 20, apex / 5];
}

// The angle and speed a skilled thrower picks for each wind and drag.
function thetaTrue(x) {
  return [0.6 * x[0] - 0.2 * x[1], 0.5 * Math.sin(1.5 * x[1]) - 0.3 * x[0]];
}

const problem = { xDim: 2, thetaDim: 2, samples: 256, xRange: [-1, 1], noise: 0,
                  thetaBounds: null };
`;

const staircase = `// Piecewise-constant F: a quantised sensor.
// A three-parameter curve is read through an instrument that rounds to steps of 0.2,
// so F is flat almost everywhere and jumps at the step edges.

const STEP = 0.2;
const quantise = (v) => STEP * Math.round(v / STEP);

function F(x, theta) {
  const u = x[0];
  const signal = theta[0] + theta[1] * u + theta[2] * u * u;
  return [quantise(signal), quantise(theta[0] - theta[2] * Math.sin(2 * u))];
}

function thetaTrue(x) {
  return [0.8 * Math.cos(2 * x[0]), 0.6 * x[0], -0.5 + 0.3 * x[0]];
}

// The true derivative is 0 almost everywhere. This dF is the "straight-through" Jacobian of
// the un-rounded curve: the gradient that smoothing methods (ES, surrogates) estimate. It
// drives "Analytic gradient" and the reference for the gradient-error chart.
function dF(x, theta) {
  const u = x[0];
  return [
    [1, u, u * u],
    [1, 0, -Math.sin(2 * u)],
  ];
}

const problem = { xDim: 1, thetaDim: 3, samples: 256, xRange: [-1, 1], noise: 0,
                  thetaBounds: null };
`;

const noisy = `// Noisy F: a stochastic particle simulator.
// Each call releases 64 particles that drift with velocity theta[0] and diffuse with strength
// exp(theta[1]) for a time set by x; F returns the sample mean and spread of their positions.
// Every call draws fresh random numbers, so F(theta + h) - F(theta - h) is mostly noise.

// Mulberry32: a small seeded PRNG, so a run sees the same random sequence every time.
let prngState = 20240601;
function random() {
  prngState = (prngState + 0x6D2B79F5) | 0;
  let t = prngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function gaussian() {                      // Box-Muller
  const u = 1 - random(), v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

const PARTICLES = 64;

function F(x, theta) {
  const t = 1.5 + x[0];                    // time of flight, 0.5 .. 2.5
  const drift = theta[0], spread = Math.exp(theta[1]);
  let sum = 0, sumSq = 0;
  for (let i = 0; i < PARTICLES; i++) {
    const p = drift * t + spread * Math.sqrt(t) * gaussian();
    sum += p; sumSq += p * p;
  }
  const mean = sum / PARTICLES;
  const sd = Math.sqrt(Math.max(sumSq / PARTICLES - mean * mean, 0));
  return [mean, sd];
}

function thetaTrue(x) {
  return [0.8 * Math.sin(2 * x[0]), -0.7 + 0.4 * x[0]];
}

// The Jacobian of the EXPECTED outputs (mean = drift t, spread ~ exp(theta[1]) sqrt(t)):
// the noise-free gradient every estimate is measured against.
function dF(x, theta) {
  const t = 1.5 + x[0];
  return [
    [t, 0],
    [0, Math.exp(theta[1]) * Math.sqrt(t)],
  ];
}

const problem = { xDim: 1, thetaDim: 2, samples: 256, xRange: [-1, 1], noise: 0,
                  thetaBounds: null };
`;

const curve = `// High-dimensional theta: a soft curve renderer.
// theta holds 16 control heights of a curve; F renders the curve as the brightness seen by
// 20 pixels of a blurred camera, shifted by the camera offset x. 16 parameters, 20 outputs.

const CONTROLS = 16, PIXELS = 20, WIDTH = 0.09;

function basis(u, j) {                     // Gaussian bump around control point j
  const c = j / (CONTROLS - 1);
  return Math.exp(-((u - c) * (u - c)) / (2 * WIDTH * WIDTH));
}

function F(x, theta) {
  const out = new Array(PIXELS);
  for (let i = 0; i < PIXELS; i++) {
    const u = i / (PIXELS - 1) + 0.08 * x[0];
    let h = 0;
    for (let j = 0; j < CONTROLS; j++) h += theta[j] * basis(u, j);
    out[i] = Math.tanh(h);                 // the sensor saturates
  }
  return out;
}

function thetaTrue(x) {
  const th = new Array(CONTROLS);
  for (let j = 0; j < CONTROLS; j++) {
    const c = j / (CONTROLS - 1);
    th[j] = 0.6 * Math.sin(2 * Math.PI * c + 1.5 * x[0]) + 0.2 * Math.cos(5 * c) * x[0];
  }
  return th;
}

function dF(x, theta) {
  const y = F(x, theta);
  const rows = [];
  for (let i = 0; i < PIXELS; i++) {
    const u = i / (PIXELS - 1) + 0.08 * x[0];
    const s = 1 - y[i] * y[i];
    const row = new Array(CONTROLS);
    for (let j = 0; j < CONTROLS; j++) row[j] = s * basis(u, j);
    rows.push(row);
  }
  return rows;
}

const problem = { xDim: 1, thetaDim: 16, samples: 256, xRange: [-1, 1], noise: 0,
                  thetaBounds: null };
`;

const pharma = `// Pharmacokinetics: one-compartment model with oral dosing (the Bateman function).
// x = [body weight, kidney function], scaled to [-1, 1]. The network predicts each patient's
// absorption gap, elimination rate and volume; F returns the blood concentration (mg/L, /2)
// at six sampling times after a 100 mg dose.

const TIMES = [0.5, 1, 2, 4, 8, 12], DOSE = 100;

function rates(theta) {
  const ke = 0.15 * Math.exp(theta[1]);    // elimination rate, 1/h
  const gap = Math.exp(theta[0]);          // absorption is faster than elimination by gap
  const ka = ke + gap;
  const V = 30 * Math.exp(theta[2]);       // volume of distribution, L
  return { ke, gap, ka, V };
}

function F(x, theta) {
  const { ke, gap, ka, V } = rates(theta);
  return TIMES.map((t) => 0.5 * (DOSE / V) * (ka / gap) * (Math.exp(-ke * t) - Math.exp(-ka * t)));
}

function thetaTrue(x) {
  return [0.3 * x[0] * x[1], 0.5 * x[1], 0.4 * x[0]];
}

function dF(x, theta) {
  const { ke, gap, ka, V } = rates(theta);
  const K = 0.5 * DOSE / V;
  return TIMES.map((t) => {
    const eke = Math.exp(-ke * t), eka = Math.exp(-ka * t), g = eke - eka;
    const c = K * (ka / gap) * g;
    const dGap = K * (-ke / (gap * gap) * g + (ka / gap) * t * eka);
    const dKe = K * (g / gap + (ka / gap) * (t * eka - t * eke));
    return [gap * dGap, ke * dKe, -c];
  });
}

const problem = { xDim: 2, thetaDim: 3, samples: 256, xRange: [-1, 1], noise: 0.01,
                  thetaBounds: null };
`;

const resonance = `// Spring-mass resonance: identify stiffness and damping from a frequency sweep.
// A mass on a spring is shaken at 12 frequencies; F returns the amplitude of its response.
// x = [temperature, load], scaled; the network predicts log stiffness and log damping.
// Near resonance the peak is tall and narrow, so the loss valley is steep in one direction
// and flat in the other: an ill-conditioned inverse problem.

const FREQS = [0.4, 0.6, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.4, 1.7, 2.0];

function F(x, theta) {
  const m = 1 + 0.2 * x[1];                // the load adds mass
  const k = Math.exp(theta[0]), c = 0.3 * Math.exp(theta[1]);
  return FREQS.map((w) => {
    const re = k - m * w * w, im = c * w;
    return 0.3 / Math.sqrt(re * re + im * im);
  });
}

function thetaTrue(x) {
  return [-0.2 * x[0] + 0.1 * x[1], 0.4 * x[0]];   // warm springs are softer and damp more
}

function dF(x, theta) {
  const m = 1 + 0.2 * x[1];
  const k = Math.exp(theta[0]), c = 0.3 * Math.exp(theta[1]);
  return FREQS.map((w) => {
    const re = k - m * w * w, im = c * w;
    const d2 = re * re + im * im, a = 0.3 / Math.sqrt(d2);
    return [-a * re * k / d2, -a * im * im / d2];
  });
}

const problem = { xDim: 2, thetaDim: 2, samples: 256, xRange: [-1, 1], noise: 0,
                  thetaBounds: null };
`;

/** The presets, in menu order. The first is the default script. */
const epidemic = `// Calibration (xDim: 0): no x and no network; theta itself is learned.
// An SIR epidemic, integrated day by day: from the reported share of people infected on
// 12 weekly days, recover the transmission rate beta and the recovery rate gamma.

const DAYS = 84, N0 = 0.001;

function F(x, theta) {
  const beta = theta[0], gamma = theta[1];
  let s = 1 - N0, i = N0;
  const out = [];
  for (let day = 1; day <= DAYS; day++) {
    for (let k = 0; k < 4; k++) {                 // Euler, a quarter of a day a step
      const infect = beta * s * i * 0.25, recover = gamma * i * 0.25;
      s -= infect;
      i += infect - recover;
    }
    if (day % 7 === 0) out.push(10 * i);          // weekly reports, scaled
  }
  return out;
}

// The rates that made the data (Y = F(thetaTrue()) + noise): with xDim 0 there is no x.
function thetaTrue() {
  return [0.45, 0.2];
}

const problem = { xDim: 0, thetaDim: 2, noise: 0,
                  thetaBounds: [[0.05, 1.5], [0.02, 0.8]],
                  theta0: [0.3, 0.3] };
`;

export const PRESETS = [
  {
    id: 'smooth',
    name: 'Smooth vector map (default)',
    script: smooth,
    story: 'A smooth map with two outputs and three parameters, and its exact Jacobian. '
      + 'Nothing is hard here: it is the baseline that shows every method working.',
    winners: 'Central differences track the Analytic gradient almost exactly at 7 evaluations '
      + 'per sample; SPSA and ES pay for noise they do not need.',
    methods: ['central', 'exact'],
    settings: {},
  },
  {
    id: 'projectile',
    name: 'Projectile with drag (ODE loop)',
    script: projectile,
    story: 'Each call of F integrates a throw with quadratic air drag and wind for up to 2000 '
      + 'time steps. No formula for dF: differentiating the loop by hand would need the '
      + 'sensitivity equations, which is exactly when a black-box method earns its keep.',
    winners: 'A close race: with two parameters Central differences are exact at 5 evaluations '
      + 'per sample; SPSA pays 9 for four random directions but they are nearly as good '
      + '(cosine about 0.99). Forward differences are the cheapest of all here.',
    methods: ['central', 'spsa'],
    settings: { budget: 80000 },
  },
  {
    id: 'staircase',
    name: 'Piecewise-constant F (rounding)',
    script: staircase,
    story: 'The output is rounded to steps of 0.2, so F is flat almost everywhere: a tiny '
      + 'finite-difference step sees a change of exactly 0, or, when it straddles an edge, a '
      + 'huge spike. The gradient that matters is the one of the smoothed F.',
    winners: 'Evolution strategies (sigma comparable to the step) and the surrogates see the '
      + 'trend through the steps; Central differences stall. Try raising h to 0.1.',
    methods: ['es', 'central'],
    settings: { sigma: 0.1 },
  },
  {
    id: 'noisy',
    name: 'Noisy F (stochastic simulator)',
    script: noisy,
    story: 'F averages 64 random particles, drawn afresh on every call (from a seeded PRNG, '
      + 'so runs stay reproducible). Differences over a step of 1e-5 divide noise by 1e-5: '
      + 'finite-difference gradients explode.',
    winners: 'SPSA and Evolution strategies with a large perturbation average the noise away; '
      + 'Central differences only recover with a large h (try 0.1).',
    methods: ['es', 'central'],
    settings: { sigma: 0.1 },
  },
  {
    id: 'curve',
    name: 'High-dimensional theta (curve renderer, 16 parameters)',
    script: curve,
    story: 'Sixteen control heights of a curve are rendered into 20 blurred, saturating pixels. '
      + 'Finite differences pay 2p + 1 = 33 evaluations per sample per step; SPSA and ES pay '
      + '2k + 1 regardless of p, so on the same budget they take about four times more steps.',
    winners: 'SPSA and ES trade gradient accuracy for many more steps; the surrogates spend '
      + 'their evaluations on learning F once. Central differences are exact but slow.',
    methods: ['spsa', 'central'],
    settings: { budget: 300000 },
  },
  {
    id: 'pharma',
    name: 'Pharmacokinetics (inverse problem)',
    script: pharma,
    story: 'A one-compartment drug model: from weight and kidney function, predict each '
      + 'patient\'s absorption, elimination and volume so that the six measured blood '
      + 'concentrations (with 1% noise) are reproduced. Smooth, with an analytic Jacobian.',
    winners: 'Central differences match the Analytic gradient at a fraction of the cost of '
      + 'learning a surrogate for six outputs; the surrogates must learn a curve family first.',
    methods: ['central', 'exact'],
    settings: {},
  },
  {
    id: 'resonance',
    name: 'Spring-mass resonance (ill-conditioned)',
    script: resonance,
    story: 'Stiffness and damping are identified from the amplitude of a mass shaken at 12 '
      + 'frequencies. The resonance peak is tall and narrow: the loss is steep across the '
      + 'valley and flat along it.',
    winners: 'Central differences and the Analytic gradient; SPSA\'s random directions mostly '
      + 'probe the steep side and need a small learning rate.',
    methods: ['central', 'spsa'],
    settings: {},
  },
  {
    id: 'epidemic',
    name: 'Epidemic calibration (no x: theta itself)',
    script: epidemic,
    story: 'One outbreak, one set of rates: with xDim 0 there is no x and no network, and the '
      + 'methods learn beta and gamma directly from 12 weekly reports of an SIR model '
      + 'integrated day by day. Every nonlinear least-squares fit is a problem of this kind '
      + '(with no data, F\'s outputs are residuals driven to zero).',
    winners: 'With two parameters Central and Forward differences are exact and cheap; the '
      + 'surrogates must first learn how the curve moves with the rates.',
    methods: ['central', 'forward', 'spsa', 'joint'],
    settings: { budget: 40000 },
  },
];

export const DEFAULT_PRESET = PRESETS[0];
