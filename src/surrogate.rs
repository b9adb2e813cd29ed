//! A differentiable stand-in `F~_rho(x, theta)` for the black box: an MLP on `[x, theta]`
//! with fixed input normalisation and an output normalisation that follows F's range as
//! it moves (the last layer is rescaled so predictions stay put, as in PopArt), a replay
//! buffer of every `(x, theta, F)` it has been shown, its out-of-sample error, and the
//! backward pass that gives `dF~/dtheta` to the policy.

use crate::nn::{Activation, ForwardCache, Mlp};
use crate::optim::{Optimizer, OptimizerKind};
use ndarray::{concatenate, s, Array2, ArrayView2, Axis};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// Rows the replay buffer keeps (oldest overwritten first).
pub const BUFFER_CAPACITY: usize = 50_000;
/// Learning rate of the surrogate's Adam (a common default for small MLP regression).
pub const SURROGATE_LR: f64 = 3e-3;

#[derive(Clone)]
pub struct Surrogate {
    net: Mlp,
    opt: Optimizer,
    x_dim: usize,
    in_shift: Vec<f64>,
    in_scale: Vec<f64>,
    out_shift: Vec<f64>,
    out_scale: Vec<f64>,
    buf_x: Vec<f64>,
    buf_t: Vec<f64>,
    buf_f: Vec<f64>,
    buf_len: usize,
    buf_next: usize,
    /// Running sums of the remembered outputs about `f_centre` (the first row), so that the
    /// output normalisation follows F's range in O(outputs) per step, not O(buffer).
    f_centre: Vec<f64>,
    f_sum: Vec<f64>,
    f_sum_sq: Vec<f64>,
}

#[derive(Clone)]
pub struct SurrogateCache {
    net: ForwardCache,
}

impl Surrogate {
    /// `x_range` and `theta_scale` normalise the inputs; `y` (the data) the outputs.
    pub fn new(
        x_dim: usize,
        theta_scale: &[f64],
        x_range: (f64, f64),
        y: ArrayView2<f64>,
        hidden: &[usize],
        learning_rate: f64,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let p = theta_scale.len();
        let m = y.ncols();
        let mut sizes = vec![x_dim + p];
        sizes.extend_from_slice(hidden);
        sizes.push(m);
        let net = Mlp::new(&sizes, Activation::Tanh, None, rng);
        let opt = Optimizer::new(OptimizerKind::Adam, learning_rate, 0.0, net.params().len());
        let mid = 0.5 * (x_range.0 + x_range.1);
        let half = 0.5 * (x_range.1 - x_range.0);
        let mut in_shift = vec![mid; x_dim];
        let mut in_scale = vec![half; x_dim];
        in_shift.extend(std::iter::repeat_n(0.0, p));
        in_scale.extend_from_slice(theta_scale);
        let out_shift: Vec<f64> = (0..m).map(|k| y.column(k).mean().unwrap_or(0.0)).collect();
        let out_scale: Vec<f64> = (0..m)
            .map(|k| {
                let sd = y.column(k).std(0.0);
                if sd.is_finite() && sd > 1e-8 {
                    sd
                } else {
                    1.0
                }
            })
            .collect();
        Surrogate {
            net,
            opt,
            x_dim,
            in_shift,
            in_scale,
            out_shift,
            out_scale,
            buf_x: Vec::new(),
            buf_t: Vec::new(),
            buf_f: Vec::new(),
            buf_len: 0,
            f_centre: Vec::new(),
            f_sum: vec![0.0; m],
            f_sum_sq: vec![0.0; m],
            buf_next: 0,
        }
    }

    fn encode(&self, x: ArrayView2<f64>, theta: ArrayView2<f64>) -> Array2<f64> {
        let mut a = concatenate(Axis(1), &[x, theta]).expect("x and theta have the same rows");
        for mut row in a.rows_mut() {
            for ((v, s), c) in row.iter_mut().zip(&self.in_scale).zip(&self.in_shift) {
                *v = (*v - c) / s;
            }
        }
        a
    }

    /// `F~(x, theta)` and the cache for `backward`.
    pub fn forward(
        &self,
        x: ArrayView2<f64>,
        theta: ArrayView2<f64>,
    ) -> (Array2<f64>, SurrogateCache) {
        let (out, cache) = self.net.forward(self.encode(x, theta).view());
        (self.to_original_units(out), SurrogateCache { net: cache })
    }

    /// `F~(x, theta)` alone: the same bits as `forward(..).0`, without the cache.
    pub fn predict(&self, x: ArrayView2<f64>, theta: ArrayView2<f64>) -> Array2<f64> {
        self.to_original_units(self.net.predict(self.encode(x, theta).view()))
    }

    /// The network's normalised outputs in F's units.
    fn to_original_units(&self, mut out: Array2<f64>) -> Array2<f64> {
        for mut row in out.rows_mut() {
            for ((v, s), c) in row.iter_mut().zip(&self.out_scale).zip(&self.out_shift) {
                *v = c + s * *v;
            }
        }
        out
    }

    /// From `dL/dF~` (original units): `(dL/drho, dL/dtheta)`.
    pub fn backward(
        &self,
        cache: &SurrogateCache,
        d_out: ArrayView2<f64>,
    ) -> (Vec<f64>, Array2<f64>) {
        let (g, d_in) = self
            .net
            .backward(&cache.net, self.to_net_units(d_out).view());
        (g, self.d_theta_of(d_in))
    }

    /// `dL/drho` alone (the network's backward pass without `dL/dinput`).
    pub fn backward_rho(&self, cache: &SurrogateCache, d_out: ArrayView2<f64>) -> Vec<f64> {
        self.net
            .param_gradient(&cache.net, self.to_net_units(d_out).view())
    }

    /// `dL/dtheta` alone (the network's backward pass without `dL/drho`): a Jacobian product.
    pub fn backward_theta(&self, cache: &SurrogateCache, d_out: ArrayView2<f64>) -> Array2<f64> {
        let d_in = self
            .net
            .input_gradient(&cache.net, self.to_net_units(d_out).view());
        self.d_theta_of(d_in)
    }

    /// `dL/dF~` in the network's normalised output units.
    fn to_net_units(&self, d_out: ArrayView2<f64>) -> Array2<f64> {
        let mut d = d_out.to_owned();
        for mut row in d.rows_mut() {
            for (v, s) in row.iter_mut().zip(&self.out_scale) {
                *v *= s;
            }
        }
        d
    }

    /// The theta columns of `dL/dinput`, in theta's own units.
    fn d_theta_of(&self, d_in: Array2<f64>) -> Array2<f64> {
        let mut d_theta = d_in.slice(s![.., self.x_dim..]).to_owned();
        for mut row in d_theta.rows_mut() {
            for (v, s) in row.iter_mut().zip(&self.in_scale[self.x_dim..]) {
                *v /= s;
            }
        }
        d_theta
    }

    /// One optimiser step on the surrogate's parameters.
    pub fn apply_gradient(&mut self, grad: &[f64]) {
        self.opt.step(self.net.params_mut(), grad);
    }

    /// Stores evaluated rows for later fitting.
    pub fn remember(&mut self, x: ArrayView2<f64>, theta: ArrayView2<f64>, f: ArrayView2<f64>) {
        for i in 0..x.nrows() {
            let (xr, tr, fr) = (x.row(i), theta.row(i), f.row(i));
            if self.f_centre.is_empty() {
                self.f_centre = fr.to_vec();
            }
            if self.buf_len >= BUFFER_CAPACITY {
                let m = fr.len();
                let at = self.buf_next;
                for k in 0..m {
                    let d = self.buf_f[at * m + k] - self.f_centre[k];
                    self.f_sum[k] -= d;
                    self.f_sum_sq[k] -= d * d;
                }
            }
            for (k, v) in fr.iter().enumerate() {
                let d = v - self.f_centre[k];
                self.f_sum[k] += d;
                self.f_sum_sq[k] += d * d;
            }
            if self.buf_len < BUFFER_CAPACITY {
                self.buf_x.extend(xr.iter());
                self.buf_t.extend(tr.iter());
                self.buf_f.extend(fr.iter());
                self.buf_len += 1;
            } else {
                // Full: overwrite the oldest row.
                let at = self.buf_next;
                let put = |buf: &mut Vec<f64>, row: ndarray::ArrayView1<f64>| {
                    let w = row.len();
                    for (dst, src) in buf[at * w..(at + 1) * w].iter_mut().zip(row) {
                        *dst = *src;
                    }
                };
                put(&mut self.buf_x, xr);
                put(&mut self.buf_t, tr);
                put(&mut self.buf_f, fr);
                self.buf_next = (self.buf_next + 1) % BUFFER_CAPACITY;
            }
        }
    }

    pub fn remembered(&self) -> usize {
        self.buf_len
    }

    /// `steps` Adam updates on random minibatches of the buffer; returns the last
    /// normalised mean squared error (NaN when the buffer is empty).
    pub fn fit(&mut self, steps: usize, batch: usize, rng: &mut ChaCha8Rng) -> f64 {
        if self.buf_len == 0 {
            return f64::NAN;
        }
        let xd = self.x_dim;
        let td = self.in_scale.len() - xd;
        let m = self.out_scale.len();
        let b = batch.min(self.buf_len).max(1);
        let mut last = f64::NAN;
        for _ in 0..steps {
            let mut x = Array2::zeros((b, xd));
            let mut t = Array2::zeros((b, td));
            let mut f = Array2::zeros((b, m));
            for r in 0..b {
                let i = rng.random_range(0..self.buf_len);
                x.row_mut(r).assign(&ndarray::ArrayView1::from(
                    &self.buf_x[i * xd..(i + 1) * xd],
                ));
                t.row_mut(r).assign(&ndarray::ArrayView1::from(
                    &self.buf_t[i * td..(i + 1) * td],
                ));
                f.row_mut(r)
                    .assign(&ndarray::ArrayView1::from(&self.buf_f[i * m..(i + 1) * m]));
            }
            last = self.fit_batch(x.view(), t.view(), f.view());
        }
        last
    }

    /// One update toward `F` on the given rows, in normalised output units.
    pub fn fit_batch(
        &mut self,
        x: ArrayView2<f64>,
        theta: ArrayView2<f64>,
        f: ArrayView2<f64>,
    ) -> f64 {
        let (pred, cache) = self.net.forward(self.encode(x, theta).view());
        let count = (pred.len()).max(1) as f64;
        let mut d = pred;
        let mut mse = 0.0;
        for (mut row, frow) in d.rows_mut().into_iter().zip(f.rows()) {
            for ((v, &fv), (s, c)) in row
                .iter_mut()
                .zip(frow)
                .zip(self.out_scale.iter().zip(&self.out_shift))
            {
                let diff = *v - (fv - c) / s;
                mse += diff * diff;
                *v = 2.0 * diff / count;
            }
        }
        let g = self.net.param_gradient(&cache, d.view());
        self.apply_gradient(&g);
        mse / count
    }

    /// One update toward `F` on rows whose forward pass was already made (`pred`, in original
    /// units, with its cache), possibly before `follow_output_range` moved the normalisation:
    /// the hidden layers are the same, and the rescaled last layer is linear, so the cache
    /// still serves. Saves the joint surrogate a forward pass per step; equal to `fit_batch`
    /// up to rounding.
    pub fn fit_predicted(
        &mut self,
        cache: &SurrogateCache,
        pred: ArrayView2<f64>,
        f: ArrayView2<f64>,
    ) -> f64 {
        let count = (pred.len()).max(1) as f64;
        let mut d = pred.to_owned();
        let mut mse = 0.0;
        for (mut row, frow) in d.rows_mut().into_iter().zip(f.rows()) {
            for ((v, &fv), s) in row.iter_mut().zip(frow).zip(&self.out_scale) {
                let diff = (*v - fv) / s;
                mse += diff * diff;
                *v = 2.0 * diff / count;
            }
        }
        let g = self.net.param_gradient(&cache.net, d.view());
        self.apply_gradient(&g);
        mse / count
    }

    /// Mean squared error of `F~` against `f` on rows it has not been fitted on, in units of
    /// F's spread (normalised outputs): 0 is perfect, 1 is no better than the mean.
    pub fn error(&self, x: ArrayView2<f64>, theta: ArrayView2<f64>, f: ArrayView2<f64>) -> f64 {
        self.error_of(self.predict(x, theta).view(), f)
    }

    /// As `error`, from predictions already made.
    pub fn error_of(&self, pred: ArrayView2<f64>, f: ArrayView2<f64>) -> f64 {
        let mut sum = 0.0;
        for (prow, frow) in pred.rows().into_iter().zip(f.rows()) {
            for ((p, fv), s) in prow.iter().zip(frow).zip(&self.out_scale) {
                let d = (p - fv) / s;
                sum += d * d;
            }
        }
        sum / (pred.len().max(1) as f64)
    }

    /// Moves the output normalisation to the mean and spread of the remembered F values,
    /// rescaling the last layer so that every prediction stays the same.
    pub fn follow_output_range(&mut self) {
        let m = self.out_scale.len();
        if self.buf_len < 2 {
            return;
        }
        let n = self.buf_len as f64;
        for k in 0..m {
            let d_mean = self.f_sum[k] / n;
            let mean = self.f_centre[k] + d_mean;
            let var = (self.f_sum_sq[k] / n - d_mean * d_mean).max(0.0);
            let sd = var.sqrt();
            if !(sd.is_finite() && sd > 1e-8 && mean.is_finite()) {
                continue;
            }
            let (old_sd, old_mean) = (self.out_scale[k], self.out_shift[k]);
            let sizes = self.net.sizes().to_vec();
            let (i, o) = (sizes[sizes.len() - 2], sizes[sizes.len() - 1]);
            let off = self.net.params().len() - (i * o + o);
            let p = self.net.params_mut();
            for r in 0..i {
                p[off + r * o + k] *= old_sd / sd;
            }
            let b = &mut p[off + i * o + k];
            *b = (old_sd * *b + old_mean - mean) / sd;
            self.out_scale[k] = sd;
            self.out_shift[k] = mean;
        }
    }

    /// The network's parameters (to keep the best fit while fitting with early stopping).
    pub fn params(&self) -> Vec<f64> {
        self.net.params().to_vec()
    }
    pub fn set_params(&mut self, params: &[f64]) {
        self.net.params_mut().copy_from_slice(params);
    }
}
