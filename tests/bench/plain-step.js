// The plain-JavaScript side of the step benchmark (a classic worker, like tf-worker.js): the
// `exact` step written as a person would write it in JavaScript, with no library. The same
// network as the Rust run (MLP 2-32-32-3, tanh, linear output), the same initial weights and
// 256 rows, the smooth preset's own F and dF (the script's functions, called a row at a time,
// as the playground's worker calls them), the same loss
//   L = mean over rows and outputs of (F(x, NN(x)) - y)^2
// and the same Adam (lr 0.01, 0.9, 0.999, eps 1e-8, no clipping), full batch, in float64
// throughout: Float64Arrays, row-major products in i-k-j order, Math.tanh.
'use strict';

/** The script's F and dF (the preset's text, as the worker compiles a script). */
function compile(script) {
  // eslint-disable-next-line no-new-func
  return new Function(`${script}\nreturn { F, dF };`)();
}

/** One dense layer: W (inputs x outputs, row-major), b, and Adam's moments for both. */
function layer(l) {
  const rows = l.weights.length;
  const cols = l.bias.length;
  const W = new Float64Array(rows * cols);
  l.weights.forEach((r, i) => W.set(r, i * cols));
  const b = Float64Array.from(l.bias);
  return { rows, cols, W, b, gW: new Float64Array(W.length), gb: new Float64Array(cols),
    mW: new Float64Array(W.length), vW: new Float64Array(W.length), mb: new Float64Array(cols), vb: new Float64Array(cols) };
}

function makeStep(weights, xs, ys, n, script) {
  const { F, dF } = compile(script);
  const layers = weights.layers.map(layer);
  const last = layers.length - 1;
  // Activations per layer (input first), and the gradient buffers.
  const acts = [Float64Array.from(xs), ...layers.map((l) => new Float64Array(n * l.cols))];
  const deltas = layers.map((l) => new Float64Array(n * l.cols));
  const dIn = layers.map((l) => new Float64Array(n * l.rows));
  const yDim = ys.length / n;
  const x = [0, 0];
  const theta = [0, 0, 0];
  let t = 0;
  const [lr, b1, b2, eps] = [0.01, 0.9, 0.999, 1e-8];

  function forward() {
    layers.forEach((l, li) => {
      const a = acts[li];
      const z = acts[li + 1];
      for (let i = 0; i < n; i++) {
        const zo = i * l.cols;
        for (let j = 0; j < l.cols; j++) z[zo + j] = l.b[j];
        for (let k = 0; k < l.rows; k++) {
          const av = a[i * l.rows + k];
          const wo = k * l.cols;
          for (let j = 0; j < l.cols; j++) z[zo + j] += av * l.W[wo + j];
        }
        if (li < last) for (let j = 0; j < l.cols; j++) z[zo + j] = Math.tanh(z[zo + j]);
      }
    });
  }

  /** Loss, and dL/dtheta into deltas[last]. */
  function lossAndGrad() {
    const out = acts[last + 1];
    const g = deltas[last];
    const scale = 2 / (n * yDim);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      x[0] = xs[2 * i]; x[1] = xs[2 * i + 1];
      for (let j = 0; j < 3; j++) theta[j] = out[3 * i + j];
      const f = F(x, theta);
      const J = dF(x, theta);
      for (let j = 0; j < 3; j++) g[3 * i + j] = 0;
      for (let k = 0; k < yDim; k++) {
        const r = f[k] - ys[i * yDim + k];
        loss += r * r;
        for (let j = 0; j < 3; j++) g[3 * i + j] += scale * r * J[k][j];
      }
    }
    return loss / (n * yDim);
  }

  function backward() {
    for (let li = last; li >= 0; li--) {
      const l = layers[li];
      const a = acts[li];
      const d = deltas[li];
      l.gW.fill(0);
      l.gb.fill(0);
      for (let i = 0; i < n; i++) {
        const dOff = i * l.cols;
        for (let j = 0; j < l.cols; j++) l.gb[j] += d[dOff + j];
        for (let k = 0; k < l.rows; k++) {
          const av = a[i * l.rows + k];
          const wo = k * l.cols;
          for (let j = 0; j < l.cols; j++) l.gW[wo + j] += av * d[dOff + j];
        }
      }
      if (li === 0) break;
      // Into the layer below: through W, then through its tanh (a = tanh(z): 1 - a^2).
      const below = deltas[li - 1];
      const dx = dIn[li];
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < l.rows; k++) {
          let s = 0;
          const wo = k * l.cols;
          for (let j = 0; j < l.cols; j++) s += l.W[wo + j] * d[i * l.cols + j];
          dx[i * l.rows + k] = s;
          const av = a[i * l.rows + k];
          below[i * l.rows + k] = s * (1 - av * av);
        }
      }
    }
  }

  function adam(p, g, m, v, c1, c2) {
    for (let i = 0; i < p.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      p[i] -= lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + eps);
    }
  }

  return {
    loss() { forward(); return lossAndGrad(); },
    step() {
      forward();
      const loss = lossAndGrad();
      backward();
      t++;
      const c1 = 1 - b1 ** t;
      const c2 = 1 - b2 ** t;
      for (const l of layers) {
        adam(l.W, l.gW, l.mW, l.vW, c1, c2);
        adam(l.b, l.gb, l.mb, l.vb, c1, c2);
      }
      return loss;
    },
  };
}

onmessage = (ev) => {
  const { weights, xs, ys, n, steps, warmup, script } = ev.data;
  try {
    const s = makeStep(weights, xs, ys, n, script);
    const loss0 = s.loss();
    for (let i = 0; i < warmup; i++) s.step();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) s.step();
    const ms = performance.now() - t0;
    postMessage({ ok: true, msPerStep: ms / steps, steps: steps + warmup, loss0, lossEnd: s.loss() });
  } catch (e) {
    postMessage({ ok: false, error: String((e && e.stack) || e) });
  }
};
