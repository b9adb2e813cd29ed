// TensorFlow.js side of the step benchmark (a classic worker, like the playground's own
// workers). The same network as the Rust `exact` run: MLP 2-32-32-3, tanh, linear output,
// the same initial weights, the same 256 rows, the same loss
//   L = mean over rows and outputs of (F(x, NN(x)) - y)^2,
// with the smooth preset's F written in TF.js ops (so autodiff plays the role of dF), and the
// same Adam (lr 0.01, 0.9, 0.999, eps 1e-8, no clipping), full batch.
// TF.js computes in float32; the Rust core in float64.
/* global tf */
'use strict';
importScripts('/tfjs/tf.min.js', '/tfjs-wasm/tf-backend-wasm.min.js');

async function setBackend(backend) {
  if (backend === 'wasm') {
    tf.wasm.setWasmPaths('/tfjs-wasm/');
    // One thread, like each of the playground's workers (the bench page is cross-origin
    // isolated for its timers, which would otherwise let TF.js start a thread pool).
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} did not start`);
  await tf.ready();
}

function build(weights, xs, ys, n) {
  const vars = weights.layers.map((l) => ({
    W: tf.variable(tf.tensor2d(l.weights)),
    b: tf.variable(tf.tensor1d(l.bias)),
  }));
  const X = tf.tensor2d(xs, [n, 2]);
  const Y = tf.tensor2d(ys, [n, 2]);
  const x0 = X.slice([0, 0], [n, 1]);
  const last = vars.length - 1;
  const loss = () => {
    let a = X;
    vars.forEach((v, i) => {
      a = tf.add(tf.matMul(a, v.W), v.b);
      if (i < last) a = tf.tanh(a);
    });
    const [t0, t1, t2] = tf.split(a, 3, 1);
    // F(x, theta) = [theta0 + theta1 x0, theta2 exp(theta0 / 2)]
    const f = tf.concat([tf.add(t0, tf.mul(t1, x0)), tf.mul(t2, tf.exp(tf.mul(t0, 0.5)))], 1);
    return tf.mean(tf.square(tf.sub(f, Y)));
  };
  return { vars: vars.flatMap((v) => [v.W, v.b]), loss };
}

onmessage = async (ev) => {
  const { backend, weights, xs, ys, n, steps, warmup } = ev.data;
  try {
    await setBackend(backend);
    const { vars, loss } = build(weights, xs, ys, n);
    const opt = tf.train.adam(0.01, 0.9, 0.999, 1e-8);
    const loss0 = tf.tidy(() => loss().dataSync()[0]);
    for (let i = 0; i < warmup; i++) opt.minimize(loss, false, vars);
    vars[vars.length - 1].dataSync();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) opt.minimize(loss, false, vars);
    vars[vars.length - 1].dataSync(); // the work is done (cpu and wasm run synchronously anyway)
    const ms = performance.now() - t0;
    const lossEnd = tf.tidy(() => loss().dataSync()[0]);
    let simd = null;
    if (backend === 'wasm') simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    postMessage({
      ok: true, msPerStep: ms / steps, steps: steps + warmup, loss0, lossEnd,
      backend: tf.getBackend(), version: tf.version.tfjs, simd, tensors: tf.memory().numTensors,
    });
  } catch (e) {
    postMessage({ ok: false, error: String((e && e.stack) || e) });
  }
};
