//! The policy network `NN_pi` and the surrogate `F~_rho`: a small multilayer perceptron
//! on ndarray with exact backpropagation to both its parameters and its inputs.
//!
//! Parameters live in one flat vector (layer by layer: `W` as `in x out` row-major, then
//! `b`), so optimisers, gradient comparisons and share links all see one `&[f64]`.

use ndarray::{s, Array2, ArrayView1, ArrayView2};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Hidden-layer nonlinearity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    Tanh,
    Relu,
    /// The tanh approximation of GELU (Hendrycks and Gimpel 2016).
    Gelu,
}

const GELU_C: f64 = 0.797_884_560_802_865_4; // sqrt(2/pi)

/// `tanh(x)` to about 2 ulp (checked against `f64::tanh` in the unit tests below), written
/// without branches or library calls so that loops over it vectorise, natively and in wasm,
/// and give the same bits on both. Cephes' method: for `|x| < 0.625` a rational function
/// in `x^2`; above, `(e - 1) / (e + 1)` with `e = exp(2|x|)` from a Pade approximant after
/// reduction by powers of two. One division either way. NaN in, NaN out.
#[inline(always)]
pub fn tanh(x: f64) -> f64 {
    const ROUND: f64 = 6755399441055744.0; // 1.5 * 2^52: adding it rounds to an integer
    let ax = x.abs();
    // exp(y) for y = 2|x| (tanh is +-1 in f64 beyond |x| = 19.1; 44 keeps 2^n finite).
    let y = (2.0 * ax).min(44.0);
    let t = y * std::f64::consts::LOG2_E + ROUND;
    let n = t - ROUND;
    // The low bits of `t` hold the integer n: 2^n from the exponent field.
    let scale = f64::from_bits(t.to_bits().wrapping_add(1023) << 52);
    let r = (y - n * 0.693145751953125) - n * 1.4286068203094173e-6;
    let rr = r * r;
    let p = r * ((0.00012617719307481058 * rr + 0.030299440770744195) * rr + 1.0);
    let q =
        ((3.0019850513866446e-6 * rr + 0.002524483403496841) * rr + 0.22726554820815503) * rr + 2.0;
    // exp(y) = scale (q + p) / (q - p), so tanh = (exp(y) - 1) / (exp(y) + 1) = (a - b) / (a + b).
    let a = scale * (q + p);
    let b = q - p;
    let z = x * x;
    let ps = (-0.9643991794250523 * z - 99.28772310019185) * z - 1614.6876844170845;
    let qs = ((z + 112.81167849163293) * z + 2235.4883906010045) * z + 4844.063053251255;
    let sign = x.to_bits() & 0x8000_0000_0000_0000;
    let (num, den) = if ax >= 0.625 {
        (f64::from_bits((a - b).to_bits() | sign), a + b)
    } else {
        (x * (qs + z * ps), qs)
    };
    num / den
}

impl Activation {
    #[inline(always)]
    fn apply(self, z: f64) -> f64 {
        match self {
            Activation::Tanh => tanh(z),
            Activation::Relu => z.max(0.0),
            Activation::Gelu => 0.5 * z * (1.0 + tanh(GELU_C * (z + 0.044715 * z * z * z))),
        }
    }

    /// `apply` over a slice, with the match outside the loop so that the loop vectorises.
    fn apply_all(self, z: &[f64]) -> Vec<f64> {
        match self {
            Activation::Tanh => z.iter().map(|&v| tanh(v)).collect(),
            Activation::Relu => z.iter().map(|&v| v.max(0.0)).collect(),
            Activation::Gelu => z.iter().map(|&v| Activation::Gelu.apply(v)).collect(),
        }
    }

    fn derivative(self, z: f64) -> f64 {
        match self {
            Activation::Tanh => {
                let t = tanh(z);
                1.0 - t * t
            }
            Activation::Relu => {
                if z > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Gelu => {
                let u = GELU_C * (z + 0.044715 * z * z * z);
                let t = tanh(u);
                let du = GELU_C * (1.0 + 3.0 * 0.044715 * z * z);
                0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * du
            }
        }
    }
}

/// A fully connected network `sizes[0] -> ... -> sizes[last]` with a linear last layer,
/// optionally squashed into per-output bounds by a scaled tanh.
#[derive(Clone, Debug)]
pub struct Mlp {
    sizes: Vec<usize>,
    activation: Activation,
    params: Vec<f64>,
    output_bounds: Option<Vec<(f64, f64)>>,
}

/// What the forward pass keeps for the backward pass.
#[derive(Clone, Debug)]
pub struct ForwardCache {
    /// Inputs of each layer (`activations[0]` is the network input).
    activations: Vec<Array2<f64>>,
    /// Pre-activations of each layer.
    pre: Vec<Array2<f64>>,
}

impl Mlp {
    /// A network with Glorot-uniform weights and zero biases, drawn from `rng`.
    pub fn new(
        sizes: &[usize],
        activation: Activation,
        output_bounds: Option<Vec<(f64, f64)>>,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        assert!(
            sizes.len() >= 2,
            "a network needs an input and an output size"
        );
        if let Some(b) = &output_bounds {
            assert_eq!(b.len(), *sizes.last().unwrap(), "one bound per output");
        }
        let mut params = Vec::with_capacity(Self::count_params(sizes));
        for w in sizes.windows(2) {
            let limit = (6.0 / (w[0] + w[1]) as f64).sqrt();
            for _ in 0..w[0] * w[1] {
                params.push(rng.random_range(-limit..limit));
            }
            params.extend(std::iter::repeat_n(0.0, w[1]));
        }
        Mlp {
            sizes: sizes.to_vec(),
            activation,
            params,
            output_bounds,
        }
    }

    pub fn count_params(sizes: &[usize]) -> usize {
        sizes.windows(2).map(|w| w[0] * w[1] + w[1]).sum()
    }

    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }
    pub fn activation(&self) -> Activation {
        self.activation
    }
    pub fn output_bounds(&self) -> Option<&[(f64, f64)]> {
        self.output_bounds.as_deref()
    }
    pub fn params(&self) -> &[f64] {
        &self.params
    }
    /// Sets the last layer so that, with zero inputs to it, the outputs are `theta` (through
    /// the bounds' squashing when there are bounds): a network with no hidden layer and no
    /// input is then the constant `theta` (calibration).
    pub fn set_constant_output(&mut self, theta: &[f64]) {
        let p = *self.sizes.last().expect("an output layer");
        let bias: Vec<f64> = theta
            .iter()
            .enumerate()
            .map(|(j, v)| match &self.output_bounds {
                Some(b) => {
                    let (lo, hi) = b[j];
                    (2.0 * (v - lo) / (hi - lo) - 1.0)
                        .clamp(-1.0 + 1e-12, 1.0 - 1e-12)
                        .atanh()
                }
                None => *v,
            })
            .collect();
        let n = self.params.len();
        self.params[n - p..].copy_from_slice(&bias);
    }

    pub fn params_mut(&mut self) -> &mut [f64] {
        &mut self.params
    }
    pub fn input_dim(&self) -> usize {
        self.sizes[0]
    }
    pub fn output_dim(&self) -> usize {
        *self.sizes.last().unwrap()
    }

    /// (weights `in x out`, bias) of layer `l`, as views into the flat parameters.
    pub fn layer(&self, l: usize) -> (ArrayView2<'_, f64>, ArrayView1<'_, f64>) {
        let off = self.layer_offset(l);
        let (i, o) = (self.sizes[l], self.sizes[l + 1]);
        let w = ArrayView2::from_shape((i, o), &self.params[off..off + i * o]).unwrap();
        let b = ArrayView1::from(&self.params[off + i * o..off + i * o + o]);
        (w, b)
    }

    fn layer_offset(&self, l: usize) -> usize {
        self.sizes[..=l]
            .windows(2)
            .map(|w| w[0] * w[1] + w[1])
            .sum()
    }

    fn layers(&self) -> usize {
        self.sizes.len() - 1
    }

    /// Outputs for a batch (rows are samples), without the cache: the same bits as
    /// `forward(..).0`, without keeping every layer's arrays.
    pub fn predict(&self, x: ArrayView2<f64>) -> Array2<f64> {
        self.pass(x, None)
    }

    /// Outputs for a batch, and the cache `backward` needs.
    pub fn forward(&self, x: ArrayView2<f64>) -> (Array2<f64>, ForwardCache) {
        let mut cache = ForwardCache {
            activations: Vec::with_capacity(self.layers()),
            pre: Vec::with_capacity(self.layers()),
        };
        let out = self.pass(x, Some(&mut cache));
        (out, cache)
    }

    /// The forward pass, filling `cache` when there is one.
    fn pass(&self, x: ArrayView2<f64>, mut cache: Option<&mut ForwardCache>) -> Array2<f64> {
        assert_eq!(x.ncols(), self.input_dim(), "input width");
        let n = x.nrows();
        let layers = self.layers();
        // Row-major copy of the input: the kernels below work on contiguous rows.
        let mut a: Vec<f64> = x.iter().copied().collect();
        for l in 0..layers {
            let (i, o) = (self.sizes[l], self.sizes[l + 1]);
            let off = self.layer_offset(l);
            let w = &self.params[off..off + i * o];
            let b = &self.params[off + i * o..off + i * o + o];
            let mut z = Vec::with_capacity(n * o);
            for _ in 0..n {
                z.extend_from_slice(b);
            }
            gemm_acc(n, i, o, &a, w, &mut z);
            let next = if l + 1 < layers {
                self.activation.apply_all(&z)
            } else if cache.is_some() {
                z.clone()
            } else {
                std::mem::take(&mut z)
            };
            if let Some(c) = cache.as_deref_mut() {
                c.activations
                    .push(Array2::from_shape_vec((n, i), a).expect("layer input shape"));
                c.pre
                    .push(Array2::from_shape_vec((n, o), z).expect("pre-activation shape"));
            }
            a = next;
        }
        let mut out = Array2::from_shape_vec((n, self.output_dim()), a).expect("output shape");
        if let Some(bounds) = &self.output_bounds {
            for mut row in out.rows_mut() {
                for (v, &(lo, hi)) in row.iter_mut().zip(bounds) {
                    *v = lo + (hi - lo) * 0.5 * (v.tanh() + 1.0);
                }
            }
        }
        out
    }

    /// Given `d_out = dL/d(output)`, returns `(dL/dparams, dL/dinput)`.
    pub fn backward(
        &self,
        cache: &ForwardCache,
        d_out: ArrayView2<f64>,
    ) -> (Vec<f64>, Array2<f64>) {
        let (grad, d_in) = self.backward_parts(cache, d_out, Wanted::Both);
        (
            grad.expect("parameter gradient wanted"),
            d_in.expect("input gradient wanted"),
        )
    }

    /// `dL/dparams` alone: [`Mlp::backward`] without the first layer's `dL/dinput` (an
    /// optimiser's step needs no more). The same bits as `backward(..).0`.
    pub fn param_gradient(&self, cache: &ForwardCache, d_out: ArrayView2<f64>) -> Vec<f64> {
        let (grad, _) = self.backward_parts(cache, d_out, Wanted::Params);
        grad.expect("parameter gradient wanted")
    }

    /// `dL/dinput` alone: [`Mlp::backward`] without any layer's `dL/dW` (a Jacobian product
    /// needs no more). The same bits as `backward(..).1`.
    pub fn input_gradient(&self, cache: &ForwardCache, d_out: ArrayView2<f64>) -> Array2<f64> {
        let (_, d_in) = self.backward_parts(cache, d_out, Wanted::Input);
        d_in.expect("input gradient wanted")
    }

    fn backward_parts(
        &self,
        cache: &ForwardCache,
        d_out: ArrayView2<f64>,
        wanted: Wanted,
    ) -> (Option<Vec<f64>>, Option<Array2<f64>>) {
        let want_params = wanted != Wanted::Input;
        let want_input = wanted != Wanted::Params;
        let layers = self.layers();
        let last = layers - 1;
        let n = d_out.nrows();
        assert_eq!(d_out.ncols(), self.output_dim(), "output gradient width");
        let mut dz: Vec<f64> = d_out.iter().copied().collect();
        if let Some(bounds) = &self.output_bounds {
            let z = std_slice(&cache.pre[last]);
            let m = self.output_dim();
            for (r, drow) in dz.chunks_exact_mut(m).enumerate() {
                for ((d, &zv), &(lo, hi)) in drow.iter_mut().zip(&z[r * m..]).zip(bounds) {
                    let t = zv.tanh();
                    *d *= (hi - lo) * 0.5 * (1.0 - t * t);
                }
            }
        }
        let mut grad = if want_params {
            vec![0.0; self.params.len()]
        } else {
            Vec::new()
        };
        let mut scratch = Vec::new();
        for l in (0..layers).rev() {
            let off = self.layer_offset(l);
            let (i, o) = (self.sizes[l], self.sizes[l + 1]);
            let a = std_slice(&cache.activations[l]);
            if want_params {
                // dL/dW = a^T dz (i x o), reading a's columns in place.
                let (gw, rest) = grad[off..off + i * o + o].split_at_mut(i * o);
                gemm_at_acc(i, n, o, a, &dz, gw);
                // dL/db = column sums of dz.
                for row in dz.chunks_exact(o) {
                    for (g, &d) in rest.iter_mut().zip(row) {
                        *g += d;
                    }
                }
            }
            if l == 0 && !want_input {
                break;
            }
            // dL/da = dz W^T (n x i).
            let w = &self.params[off..off + i * o];
            transpose_into(w, i, o, &mut scratch);
            let mut da = vec![0.0; n * i];
            gemm_acc(n, o, i, &dz, &scratch, &mut da);
            if l > 0 {
                match self.activation {
                    // tanh' = 1 - tanh^2, and tanh(z) is this layer's input: no second tanh.
                    Activation::Tanh => {
                        for (d, &t) in da.iter_mut().zip(a) {
                            *d *= 1.0 - t * t;
                        }
                    }
                    act => {
                        let z = std_slice(&cache.pre[l - 1]);
                        for (d, &zv) in da.iter_mut().zip(z) {
                            *d *= act.derivative(zv);
                        }
                    }
                }
            }
            dz = da;
        }
        let d_in = want_input
            .then(|| Array2::from_shape_vec((n, self.input_dim()), dz).expect("input shape"));
        (want_params.then_some(grad), d_in)
    }

    /// Takes the weights of a network written by [`Mlp::to_json`] (a `weights.json` entry),
    /// which must have this network's sizes, activation and output bounds; the message says
    /// what differs and what to change.
    pub fn load_json(&mut self, v: &serde_json::Value) -> Result<(), String> {
        let sizes: Vec<usize> = serde_json::from_value(v["sizes"].clone()).map_err(|_| {
            "the loaded weights have no network sizes: load a weights.json the page exported"
                .to_string()
        })?;
        if sizes != self.sizes {
            return Err(format!(
                "the loaded weights are for a network of sizes {sizes:?}, this run's is {:?}: set Hidden layers (and the problem's xDim and thetaDim) to match, or load other weights",
                self.sizes
            ));
        }
        let activation: Activation = serde_json::from_value(v["activation"].clone())
            .map_err(|_| "the loaded weights name no activation".to_string())?;
        if activation != self.activation {
            return Err(format!(
                "the loaded weights use the {activation:?} activation, this run {:?}: set Activation to match",
                self.activation
            ));
        }
        let bounds: Option<Vec<(f64, f64)>> = serde_json::from_value(v["outputBounds"].clone())
            .map_err(|_| "the loaded weights' output bounds are not readable".to_string())?;
        if bounds != self.output_bounds {
            return Err("the loaded weights were trained with other thetaBounds than this problem's: load weights of this problem".into());
        }
        let layers = v["layers"]
            .as_array()
            .filter(|l| l.len() == self.layers())
            .ok_or_else(|| format!("the loaded weights do not have {} layers", self.layers()))?;
        let mut params = Vec::with_capacity(self.params.len());
        for (l, layer) in layers.iter().enumerate() {
            let (i, o) = (self.sizes[l], self.sizes[l + 1]);
            let w: Vec<Vec<f64>> = serde_json::from_value(layer["weights"].clone())
                .map_err(|_| format!("layer {l} of the loaded weights has no weights matrix"))?;
            let b: Vec<f64> = serde_json::from_value(layer["bias"].clone())
                .map_err(|_| format!("layer {l} of the loaded weights has no bias"))?;
            if w.len() != i || w.iter().any(|r| r.len() != o) || b.len() != o {
                return Err(format!("layer {l} of the loaded weights is not {i} x {o}"));
            }
            params.extend(w.iter().flatten().copied());
            params.extend_from_slice(&b);
        }
        if !params.iter().all(|p| p.is_finite()) {
            return Err("the loaded weights hold numbers that are not finite".into());
        }
        self.params = params;
        Ok(())
    }

    /// The network as JSON: sizes, activation, bounds and per-layer weights.
    pub fn to_json(&self) -> serde_json::Value {
        let layers: Vec<_> = (0..self.layers())
            .map(|l| {
                let (w, b) = self.layer(l);
                let rows: Vec<Vec<f64>> = w.rows().into_iter().map(|r| r.to_vec()).collect();
                serde_json::json!({ "weights": rows, "bias": b.to_vec() })
            })
            .collect();
        serde_json::json!({
            "sizes": self.sizes,
            "activation": self.activation,
            "outputBounds": self.output_bounds,
            "layout": "weights[i][o] maps input i to output o; y = act(x W + b); last layer linear, then bounds",
            "layers": layers,
        })
    }
}

/// Which gradients a backward pass computes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wanted {
    Both,
    Params,
    Input,
}

/// The elements of a cache array in row-major order (the cache only holds such arrays).
fn std_slice(a: &Array2<f64>) -> &[f64] {
    a.as_slice().expect("cache arrays are in standard layout")
}

/// `out` (cols x rows) = the transpose of `src` (rows x cols), both row-major.
fn transpose_into(src: &[f64], rows: usize, cols: usize, out: &mut Vec<f64>) {
    out.clear();
    out.resize(rows * cols, 0.0);
    if cols == 0 {
        return; // no input columns (calibration): nothing to transpose
    }
    for (r, row) in src.chunks_exact(cols).enumerate().take(rows) {
        for (c, &v) in row.iter().enumerate() {
            out[c * rows + r] = v;
        }
    }
}

/// Rows and columns of the register block of `gemm_acc` (4 x 4 results: 8 vector registers
/// of two lanes, which leaves room for the operands in x86-64's and V8's 16).
const MR: usize = 4;
const NR: usize = 4;

/// `c += a b` for row-major `a` (m x k), `b` (k x n), `c` (m x n).
///
/// Small-matrix kernel, no packing: a block of MR rows x W columns of `c` stays in registers
/// while the k loop streams rows of `b` and columns of `a` through it. The fixed-size inner
/// loops vectorise (SSE2 natively, simd128 in wasm when enabled). Narrow outputs (the last
/// layer's 2 or 3 columns) get their own block width instead of a scalar loop.
fn gemm_acc(m: usize, k: usize, n: usize, a: &[f64], b: &[f64], c: &mut [f64]) {
    assert!(a.len() >= m * k);
    gemm::<false>(m, k, n, a, b, c);
}

/// `c += a^T b` for row-major `a` (k x m), `b` (k x n), `c` (m x n): `gemm_acc` on the
/// transpose of `a` without writing it out. Each element of `c` adds the same products in the
/// same order as `gemm_acc` on a transposed copy, so the bits are the same.
fn gemm_at_acc(m: usize, k: usize, n: usize, a: &[f64], b: &[f64], c: &mut [f64]) {
    assert!(a.len() >= m * k);
    gemm::<true>(m, k, n, a, b, c);
}

fn gemm<const AT: bool>(m: usize, k: usize, n: usize, a: &[f64], b: &[f64], c: &mut [f64]) {
    assert!(b.len() >= k * n && c.len() >= m * n);
    if m == 0 || k == 0 || n == 0 {
        return; // an empty product (a network with no inputs: calibration)
    }
    let m_main = m - m % MR;
    for r0 in (0..m_main).step_by(MR) {
        let c = &mut c[r0 * n..];
        if AT {
            // Column kk of a^T's block: MR neighbours in row kk of a.
            row_block(k, n, |kk| a[kk * m + r0..][..MR].try_into().unwrap(), b, c);
        } else {
            let rows: [&[f64]; MR] = std::array::from_fn(|i| &a[(r0 + i) * k..][..k]);
            row_block(k, n, |kk| std::array::from_fn(|i| rows[i][kk]), b, c);
        }
    }
    for r in m_main..m {
        let crow = &mut c[r * n..(r + 1) * n];
        for (kk, brow) in b.chunks_exact(n).take(k).enumerate() {
            let av = if AT { a[kk * m + r] } else { a[r * k + kk] };
            for (cv, &bv) in crow.iter_mut().zip(brow) {
                *cv += av * bv;
            }
        }
    }
}

/// `c[0..MR, ..] += A b` for the MR rows of the left operand `A` whose column kk is
/// `column(kk)` (`c` starts at the block's first row).
#[inline(always)]
fn row_block(k: usize, n: usize, column: impl Fn(usize) -> [f64; MR], b: &[f64], c: &mut [f64]) {
    let n_main = n - n % NR;
    for c0 in (0..n_main).step_by(NR) {
        block::<NR>(k, n, c0, &column, b, c);
    }
    match n - n_main {
        1 => block::<1>(k, n, n_main, &column, b, c),
        2 => block::<2>(k, n, n_main, &column, b, c),
        3 => block::<3>(k, n, n_main, &column, b, c),
        _ => {}
    }
}

/// `c[0..MR, c0..c0 + W] += A * b[.., c0..c0 + W]` (as `row_block`).
#[inline(always)]
fn block<const W: usize>(
    k: usize,
    n: usize,
    c0: usize,
    column: &impl Fn(usize) -> [f64; MR],
    b: &[f64],
    c: &mut [f64],
) {
    let mut acc = [[0.0f64; W]; MR];
    for (kk, brow) in b.chunks_exact(n).take(k).enumerate() {
        let bv: &[f64; W] = brow[c0..c0 + W].try_into().unwrap();
        let av = column(kk);
        for (acc_row, &av) in acc.iter_mut().zip(&av) {
            for (s, &bj) in acc_row.iter_mut().zip(bv) {
                *s += av * bj;
            }
        }
    }
    for (i, acc_row) in acc.iter().enumerate() {
        for (cv, s) in c[i * n + c0..i * n + c0 + W].iter_mut().zip(acc_row) {
            *cv += s;
        }
    }
}

/// Columns `from..to` of a batch, owned.
pub fn columns(a: ArrayView2<f64>, from: usize, to: usize) -> Array2<f64> {
    a.slice(s![.., from..to]).to_owned()
}

#[cfg(test)]
mod tests {
    use super::{gemm_acc, gemm_at_acc, tanh, transpose_into};

    #[test]
    fn the_transposed_product_has_the_bits_of_the_product_on_a_transposed_copy() {
        // Values of mixed signs and magnitudes, so that a different order of the additions
        // would round differently.
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            ((seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 10f64.powi((seed % 7) as i32 - 3)
        };
        for m in 0..10 {
            for k in 0..7 {
                for n in 0..10 {
                    let a_t: Vec<f64> = (0..k * m).map(|_| next()).collect(); // k x m
                    let b: Vec<f64> = (0..k * n).map(|_| next()).collect();
                    let c0: Vec<f64> = (0..m * n).map(|_| next()).collect();
                    let mut a = Vec::new();
                    transpose_into(&a_t, k, m, &mut a);
                    let (mut want, mut got) = (c0.clone(), c0);
                    gemm_acc(m, k, n, &a, &b, &mut want);
                    gemm_at_acc(m, k, n, &a_t, &b, &mut got);
                    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&got), bits(&want), "m {m}, k {k}, n {n}");
                }
            }
        }
    }

    #[test]
    fn tanh_is_within_a_few_ulp_of_the_library_tanh() {
        let mut worst = 0.0f64;
        let mut check = |x: f64| {
            let (a, b) = (tanh(x), x.tanh());
            assert!(a.abs() <= 1.0, "tanh({x}) = {a}");
            if b != 0.0 {
                worst = worst.max(((a - b) / b).abs());
            } else {
                assert_eq!(a, 0.0);
            }
        };
        let mut x = -30.0;
        while x < 30.0 {
            check(x);
            x += 0.000_731;
        }
        let mut y = 1e-300;
        while y < 50.0 {
            check(y);
            check(-y);
            y *= 1.001;
        }
        for x in [
            0.625,
            -0.625,
            0.624_999_999_999_999_9,
            19.1,
            22.0,
            1e300,
            f64::INFINITY,
        ] {
            check(x);
            check(-x);
        }
        assert!(
            worst <= 4.0 * f64::EPSILON,
            "worst relative error {worst:e}"
        );
        assert!(tanh(f64::NAN).is_nan());
        assert_eq!(tanh(f64::INFINITY), 1.0);
        assert_eq!(tanh(f64::NEG_INFINITY), -1.0);
    }
}
