//! The optimisers minimise a simple quadratic and respect clipping.

use blackbox_playground::optim::{Optimizer, OptimizerKind};

fn minimise(kind: OptimizerKind, lr: f64) -> f64 {
    // f(p) = sum (i+1) (p_i - 1)^2
    let mut p = vec![0.0; 4];
    let mut opt = Optimizer::new(kind, lr, 0.0, 4);
    for _ in 0..2000 {
        let g: Vec<f64> = p
            .iter()
            .enumerate()
            .map(|(i, v)| 2.0 * (i + 1) as f64 * (v - 1.0))
            .collect();
        opt.step(&mut p, &g);
    }
    p.iter().map(|v| (v - 1.0).abs()).fold(0.0, f64::max)
}

#[test]
fn sgd_momentum_and_adam_each_find_the_minimum_of_a_quadratic() {
    assert!(minimise(OptimizerKind::Sgd, 0.05) < 1e-6);
    assert!(minimise(OptimizerKind::Momentum, 0.01) < 1e-6);
    assert!(minimise(OptimizerKind::Adam, 0.01) < 1e-3);
}

#[test]
fn clipping_limits_the_step_of_sgd_to_the_clip_norm() {
    let mut p = vec![0.0, 0.0];
    let mut opt = Optimizer::new(OptimizerKind::Sgd, 1.0, 1.0, 2);
    let norm = opt.step(&mut p, &[30.0, 40.0]);
    assert_eq!(norm, Some(50.0));
    let moved = (p[0] * p[0] + p[1] * p[1]).sqrt();
    assert!((moved - 1.0).abs() < 1e-12, "moved {moved}");
}

#[test]
fn adam_is_bias_corrected_so_its_first_step_is_the_learning_rate() {
    let mut p = vec![0.0];
    let mut opt = Optimizer::new(OptimizerKind::Adam, 0.1, 0.0, 1);
    opt.step(&mut p, &[1e-3]);
    assert!((p[0] + 0.1).abs() < 1e-6, "first step {}", p[0]);
}

#[test]
fn adam_gives_the_bits_of_its_textbook_formula_before_and_after_the_corrections_reach_one() {
    // Past 356 and 37,412 steps the bias corrections round to 1 and the optimiser
    // leaves their divisions out: the parameters must be those of the formula as written.
    let (lr, b1, b2, eps) = (0.01, 0.9f64, 0.999f64, 1e-8);
    let n = 5;
    let mut p = vec![0.3; n];
    let mut reference = p.clone();
    let (mut m, mut v) = (vec![0.0; n], vec![0.0; n]);
    let mut opt = Optimizer::new(OptimizerKind::Adam, lr, 0.0, n);
    for t in 1..=40_000 {
        let g: Vec<f64> = (0..n)
            .map(|i| ((t * (i + 3)) as f64 * 0.37).sin() + reference[i] - 0.1)
            .collect();
        opt.step(&mut p, &g);
        let (c1, c2) = (1.0 - b1.powi(t as i32), 1.0 - b2.powi(t as i32));
        for i in 0..n {
            m[i] = b1 * m[i] + (1.0 - b1) * g[i];
            v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
            reference[i] -= lr * (m[i] / c1) / ((v[i] / c2).sqrt() + eps);
        }
        assert_eq!(p, reference, "step {t}");
    }
}
