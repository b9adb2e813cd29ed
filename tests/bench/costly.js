// The costly F both benchmark sides use (bench.js in the bench page, run.mjs driving the real
// page): a loop of arithmetic, `loops` turns a call (about 600 turns a µs in Chromium here:
// 6,000 turns, 10 µs), two outputs, nothing else to learn from.

/** The problem script of an F that runs `loops` turns a call. @param {number} loops */
export const COSTLY = (loops) => `function F(x, theta) {
  let s = 0;
  for (let i = 0; i < ${loops}; i++) s = s * 0.999 + (i & 7) * 1e-9;
  return [theta[0] * x[0] + theta[1] + s * 1e-6, theta[0] * theta[1]];
}
function thetaTrue(x) { return [Math.sin(x[0]), 0.5 * x[1]]; }
const problem = { xDim: 2, thetaDim: 2, samples: 256, xRange: [-1, 1], noise: 0 };`;

/** Turns of the loop a µs, as measured here (above). */
export const TURNS_PER_US = 600;
