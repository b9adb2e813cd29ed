//! First-order optimisers over a flat parameter vector: SGD, momentum, Adam
//! (bias-corrected, Kingma and Ba 2015), with optional global gradient-norm clipping.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    Sgd,
    Momentum,
    Adam,
}

#[derive(Clone, Debug)]
pub struct Optimizer {
    kind: OptimizerKind,
    learning_rate: f64,
    /// Largest allowed global gradient norm; 0 disables clipping.
    clip: f64,
    m: Vec<f64>,
    v: Vec<f64>,
    t: i32,
}

const MOMENTUM: f64 = 0.9;
const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const ADAM_EPS: f64 = 1e-8;

impl Optimizer {
    pub fn new(kind: OptimizerKind, learning_rate: f64, clip: f64, n_params: usize) -> Self {
        Optimizer {
            kind,
            learning_rate,
            clip,
            m: vec![0.0; n_params],
            v: vec![0.0; n_params],
            t: 0,
        }
    }

    /// One update of `params` along `-grad`. Returns the gradient norm before clipping when
    /// clipping is on; without it the norm is not computed (a serial sum over every parameter:
    /// a fifth of an Adam step of the surrogates' F~).
    pub fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Option<f64> {
        assert_eq!(params.len(), grad.len());
        let norm = (self.clip > 0.0).then(|| grad.iter().map(|g| g * g).sum::<f64>().sqrt());
        let scale = match norm {
            Some(norm) if norm > self.clip => self.clip / norm,
            _ => 1.0,
        };
        self.t += 1;
        let lr = self.learning_rate;
        match self.kind {
            OptimizerKind::Sgd => {
                for (p, g) in params.iter_mut().zip(grad) {
                    *p -= lr * g * scale;
                }
            }
            OptimizerKind::Momentum => {
                for ((p, g), m) in params.iter_mut().zip(grad).zip(&mut self.m) {
                    *m = MOMENTUM * *m + g * scale;
                    *p -= lr * *m;
                }
            }
            OptimizerKind::Adam => {
                let c1 = 1.0 - BETA1.powi(self.t);
                let c2 = 1.0 - BETA2.powi(self.t);
                // The corrections round to exactly 1 after 356 and 37,412 steps (the
                // surrogates' F~ takes tens of thousands): dividing by 1 is exact, so leaving
                // those divisions out keeps the bits, and a step's three divisions per
                // parameter become two, then one.
                match (c1 == 1.0, c2 == 1.0) {
                    (true, true) => self.adam::<false, false>(params, grad, scale, c1, c2),
                    (true, false) => self.adam::<false, true>(params, grad, scale, c1, c2),
                    _ => self.adam::<true, true>(params, grad, scale, c1, c2),
                }
            }
        }
        norm
    }

    /// Adam's update, with the bias corrections' divisions where they are not by 1.
    fn adam<const DIVIDE_M: bool, const DIVIDE_V: bool>(
        &mut self,
        params: &mut [f64],
        grad: &[f64],
        scale: f64,
        c1: f64,
        c2: f64,
    ) {
        let lr = self.learning_rate;
        for (((p, g), m), v) in params
            .iter_mut()
            .zip(grad)
            .zip(&mut self.m)
            .zip(&mut self.v)
        {
            let g = g * scale;
            *m = BETA1 * *m + (1.0 - BETA1) * g;
            *v = BETA2 * *v + (1.0 - BETA2) * g * g;
            let m_hat = if DIVIDE_M { *m / c1 } else { *m };
            let v_hat = if DIVIDE_V { *v / c2 } else { *v };
            *p -= lr * m_hat / (v_hat.sqrt() + ADAM_EPS);
        }
    }
}
