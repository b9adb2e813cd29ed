//! The policy network `NN_pi` and the surrogate `F~_rho`: a small multilayer perceptron
//! on ndarray with exact backpropagation to both its parameters and its inputs.
//!
//! Parameters live in one flat vector (layer by layer: `W` as `in x out` row-major, then
//! `b`), so optimisers, gradient comparisons and share links all see one `&[f64]`.

use ndarray::{s, Array2, ArrayView1, ArrayView2, Axis};
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

impl Activation {
    fn apply(self, z: f64) -> f64 {
        match self {
            Activation::Tanh => z.tanh(),
            Activation::Relu => z.max(0.0),
            Activation::Gelu => 0.5 * z * (1.0 + (GELU_C * (z + 0.044715 * z * z * z)).tanh()),
        }
    }

    fn derivative(self, z: f64) -> f64 {
        match self {
            Activation::Tanh => {
                let t = z.tanh();
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
                let t = u.tanh();
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

    /// Outputs for a batch (rows are samples).
    pub fn predict(&self, x: ArrayView2<f64>) -> Array2<f64> {
        self.forward(x).0
    }

    /// Outputs for a batch, and the cache `backward` needs.
    pub fn forward(&self, x: ArrayView2<f64>) -> (Array2<f64>, ForwardCache) {
        assert_eq!(x.ncols(), self.input_dim(), "input width");
        let mut activations = Vec::with_capacity(self.layers());
        let mut pre = Vec::with_capacity(self.layers());
        let mut a = x.to_owned();
        for l in 0..self.layers() {
            let (w, b) = self.layer(l);
            let mut z = a.dot(&w);
            z += &b;
            activations.push(a);
            a = if l + 1 < self.layers() {
                z.mapv(|v| self.activation.apply(v))
            } else {
                z.clone()
            };
            pre.push(z);
        }
        if let Some(bounds) = &self.output_bounds {
            for mut row in a.rows_mut() {
                for (v, &(lo, hi)) in row.iter_mut().zip(bounds) {
                    *v = lo + (hi - lo) * 0.5 * (v.tanh() + 1.0);
                }
            }
        }
        (a, ForwardCache { activations, pre })
    }

    /// Given `d_out = dL/d(output)`, returns `(dL/dparams, dL/dinput)`.
    pub fn backward(
        &self,
        cache: &ForwardCache,
        d_out: ArrayView2<f64>,
    ) -> (Vec<f64>, Array2<f64>) {
        let last = self.layers() - 1;
        let mut dz = d_out.to_owned();
        if let Some(bounds) = &self.output_bounds {
            let z = &cache.pre[last];
            for ((mut drow, zrow), _) in dz.rows_mut().into_iter().zip(z.rows()).zip(0..) {
                for ((d, &zv), &(lo, hi)) in drow.iter_mut().zip(zrow).zip(bounds) {
                    let t = zv.tanh();
                    *d *= (hi - lo) * 0.5 * (1.0 - t * t);
                }
            }
        }
        let mut grad = vec![0.0; self.params.len()];
        for l in (0..self.layers()).rev() {
            let off = self.layer_offset(l);
            let (i, o) = (self.sizes[l], self.sizes[l + 1]);
            let a = &cache.activations[l];
            let gw = a.t().dot(&dz);
            // Iterate in logical (row-major) order: `dot` may return a column-major array.
            for (dst, src) in grad[off..off + i * o].iter_mut().zip(gw.iter()) {
                *dst = *src;
            }
            for (dst, src) in grad[off + i * o..off + i * o + o]
                .iter_mut()
                .zip(dz.sum_axis(Axis(0)).iter())
            {
                *dst = *src;
            }
            let (w, _) = self.layer(l);
            let mut da = dz.dot(&w.t());
            if l > 0 {
                let zprev = &cache.pre[l - 1];
                da.zip_mut_with(zprev, |d, &z| *d *= self.activation.derivative(z));
            }
            dz = da;
        }
        (grad, dz)
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

/// Columns `from..to` of a batch, owned.
pub fn columns(a: ArrayView2<f64>, from: usize, to: usize) -> Array2<f64> {
    a.slice(s![.., from..to]).to_owned()
}
