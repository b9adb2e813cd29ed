//! Accuracy of the finite-difference estimators and the reference, unbiasedness of SPSA
//! and ES (with a tolerance computed from the draws), and the evaluation counts.
#![allow(clippy::needless_range_loop)] // index notation mirrors the formulas

mod common;
use blackbox_playground::estimate::{
    compare, guided_direction, loss_and_grad, Batch, Estimator, CENTRAL_H_REL, FORWARD_H_REL,
    RICHARDSON_H_REL,
};
use blackbox_playground::problem::{CountedBox, Purpose};
use blackbox_playground::Dims;
use common::quadratic;
use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

struct Data {
    x: Array2<f64>,
    theta: Array2<f64>,
    y: Array2<f64>,
}

fn batch(dims: Dims, n: usize, seed: u64) -> Data {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Data {
        x: Array2::from_shape_fn((n, dims.x), |_| rng.random_range(-1.0..1.0)),
        theta: Array2::from_shape_fn((n, dims.theta), |_| rng.random_range(-2.0..2.0)),
        y: Array2::from_shape_fn((n, dims.y), |_| rng.random_range(-1.0..1.0)),
    }
}

fn grad(est: Estimator, bb: &mut CountedBox, b: &Data, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let lg = loss_and_grad(
        est,
        bb,
        Purpose::Learning,
        Batch::new(b.x.view(), b.theta.view(), b.y.view()),
        rng,
        false,
    )
    .unwrap();
    lg.grad.iter().copied().collect()
}

fn error_against_exact(est: Estimator) -> f64 {
    let mut bb = CountedBox::new(Box::new(common::smooth_map()));
    let b = batch(bb.dims(), 32, 3);
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let exact = grad(Estimator::Exact, &mut bb, &b, &mut rng);
    let estimate = grad(est, &mut bb, &b, &mut rng);
    compare(&estimate, &exact).0
}

#[test]
fn central_differences_are_accurate_to_1e_8_on_a_smooth_function() {
    let e = error_against_exact(Estimator::Central {
        h_rel: CENTRAL_H_REL,
        steps: None,
    });
    assert!(e <= 1e-8, "relative error {e:e}");
}

#[test]
fn forward_differences_are_accurate_to_1e_5_on_a_smooth_function() {
    let e = error_against_exact(Estimator::Forward {
        h_rel: FORWARD_H_REL,
        steps: None,
    });
    assert!(e <= 1e-5, "relative error {e:e}");
}

#[test]
fn the_richardson_reference_is_accurate_to_1e_10_on_a_smooth_function() {
    let e = error_against_exact(Estimator::Richardson {
        h_rel: RICHARDSON_H_REL,
    });
    assert!(e <= 1e-10, "relative error {e:e}");
}

#[test]
fn each_estimator_spends_exactly_its_documented_evaluations() {
    let p = 3;
    let cases = [
        (
            Estimator::Central {
                h_rel: CENTRAL_H_REL,
                steps: None,
            },
            2 * p + 1,
        ),
        (
            Estimator::Forward {
                h_rel: FORWARD_H_REL,
                steps: None,
            },
            p + 1,
        ),
        (
            Estimator::Richardson {
                h_rel: RICHARDSON_H_REL,
            },
            4 * p + 1,
        ),
        (
            Estimator::Spsa {
                k: 5,
                c: 0.1,
                scale: &ONES,
            },
            11,
        ),
        (
            Estimator::Es {
                k: 2,
                sigma: 0.1,
                scale: &ONES,
            },
            5,
        ),
        (Estimator::Exact, 1),
    ];
    for (est, per) in cases {
        let mut bb = CountedBox::new(Box::new(common::smooth_map()));
        let b = batch(bb.dims(), 10, 1);
        grad(est, &mut bb, &b, &mut ChaCha8Rng::seed_from_u64(0));
        assert_eq!(bb.learning_evals, 10 * per as u64, "{est:?}");
        assert_eq!(est.evals_per_sample(p), per as u64);
        assert_eq!(bb.monitoring_evals, 0);
    }
}

/// Whether the mean over `draws` seeded estimates lies within 5 standard errors
/// (computed from the draws themselves) of the true gradient in every component. Also
/// requires that tolerance to be tight (under 5% of |g|), so a biased estimator fails.
fn bias_check(
    mut estimate: impl FnMut(&mut CountedBox, &Data, &mut ChaCha8Rng) -> Vec<f64>,
    draws: usize,
) -> Result<(), String> {
    let mut bb = CountedBox::new(Box::new(quadratic()));
    let b = batch(bb.dims(), 1, 11);
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let truth = grad(Estimator::Exact, &mut bb, &b, &mut rng);
    let p = truth.len();
    let (mut sum, mut sum_sq) = (vec![0.0; p], vec![0.0; p]);
    for _ in 0..draws {
        let g = estimate(&mut bb, &b, &mut rng);
        for j in 0..p {
            sum[j] += g[j];
            sum_sq[j] += g[j] * g[j];
        }
    }
    let norm = truth.iter().map(|v| v * v).sum::<f64>().sqrt();
    let n = draws as f64;
    for j in 0..p {
        let mean = sum[j] / n;
        let var = (sum_sq[j] / n - mean * mean) * n / (n - 1.0);
        let tol = 5.0 * (var / n).sqrt();
        if tol >= 0.05 * norm {
            return Err(format!(
                "tolerance {tol} too loose against |g| = {norm}: take more draws"
            ));
        }
        if (mean - truth[j]).abs() > tol {
            return Err(format!(
                "component {j}: mean {mean} vs true {} (tolerance {tol})",
                truth[j]
            ));
        }
    }
    Ok(())
}

/// No perturbation scaling (unbounded theta).
const ONES: [f64; 64] = [1.0; 64];
/// Perturbations scaled per component, as with thetaBounds of different widths.
const SCALED: [f64; 6] = [0.5, 2.0, 1.5, 1.0, 0.8, 1.25];

#[test]
fn spsa_is_unbiased_on_a_quadratic_with_four_directions() {
    bias_check(
        |bb, b, rng| {
            grad(
                Estimator::Spsa {
                    k: 4,
                    c: 0.3,
                    scale: &ONES,
                },
                bb,
                b,
                rng,
            )
        },
        5_000,
    )
    .unwrap();
}

#[test]
fn evolution_strategies_are_unbiased_on_a_quadratic_with_four_pairs() {
    bias_check(
        |bb, b, rng| {
            grad(
                Estimator::Es {
                    k: 4,
                    sigma: 0.3,
                    scale: &ONES,
                },
                bb,
                b,
                rng,
            )
        },
        5_000,
    )
    .unwrap();
}

#[test]
fn spsa_and_es_stay_unbiased_when_perturbations_follow_thetas_scale() {
    bias_check(
        |bb, b, rng| {
            grad(
                Estimator::Spsa {
                    k: 4,
                    c: 0.3,
                    scale: &SCALED,
                },
                bb,
                b,
                rng,
            )
        },
        20_000,
    )
    .unwrap();
    bias_check(
        |bb, b, rng| {
            grad(
                Estimator::Es {
                    k: 4,
                    sigma: 0.3,
                    scale: &SCALED,
                },
                bb,
                b,
                rng,
            )
        },
        20_000,
    )
    .unwrap();
}

#[test]
fn the_bias_check_rejects_an_average_over_k_squared() {
    // A slip that divides by k twice is off by a factor k = 4.
    let slipped = |bb: &mut CountedBox, b: &Data, rng: &mut ChaCha8Rng| {
        grad(
            Estimator::Es {
                k: 4,
                sigma: 0.3,
                scale: &ONES,
            },
            bb,
            b,
            rng,
        )
        .into_iter()
        .map(|v| v / 4.0)
        .collect()
    };
    assert!(bias_check(slipped, 5_000).is_err());
}

#[test]
fn the_bias_check_rejects_an_estimator_that_is_off_by_ten_percent() {
    let scaled = |bb: &mut CountedBox, b: &Data, rng: &mut ChaCha8Rng| {
        grad(
            Estimator::Es {
                k: 4,
                sigma: 0.3,
                scale: &ONES,
            },
            bb,
            b,
            rng,
        )
        .into_iter()
        .map(|v| 1.1 * v)
        .collect()
    };
    assert!(bias_check(scaled, 5_000).is_err());
}

#[test]
fn guided_es_leans_toward_a_good_guide_and_raises_the_cosine_in_16_dimensions() {
    for seed in [9, 10, 11] {
        let mut bb = CountedBox::new(Box::new(common::curve(16)));
        let b = batch(bb.dims(), 64, seed);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let exact = Array2::from_shape_vec((64, 16), grad(Estimator::Exact, &mut bb, &b, &mut rng))
            .unwrap();
        // A guide that is right up to noise, as a fitted surrogate's gradient would be.
        let guide = exact.mapv(|v| v + 0.3 * v.abs().max(1e-3) * rng.random_range(-1.0..1.0));
        let (mut plain, mut guided) = (vec![], vec![]);
        for _ in 0..15 {
            let es = grad(
                Estimator::Es {
                    k: 4,
                    sigma: 0.01,
                    scale: &ONES,
                },
                &mut bb,
                &b,
                &mut rng,
            );
            let ges = grad(
                Estimator::GuidedEs {
                    k: 4,
                    sigma: 0.01,
                    alpha: 0.5,
                    guide: guide.view(),
                    scale: &ONES,
                },
                &mut bb,
                &b,
                &mut rng,
            );
            plain.push(compare(&es, exact.as_slice().unwrap()).1);
            guided.push(compare(&ges, exact.as_slice().unwrap()).1);
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(|a, b| a.partial_cmp(b).unwrap());
            v[v.len() / 2]
        };
        let (mp, mg) = (median(&mut plain), median(&mut guided));
        assert!(
            mg > mp + 0.2,
            "seed {seed}: guided median cosine {mg} vs plain {mp}"
        );
    }
}

#[test]
fn guided_es_directions_have_the_papers_covariance() {
    // Maheswaranathan et al. 2019: Σ = (α/n) I + ((1 − α)/k) U Uᵀ, here with one guide
    // (k = 1); our directions are drawn from N(0, n Σ) so that α = 1 is plain ES.
    let (n, alpha, draws) = (6, 0.3, 200_000);
    let u: Vec<f64> = {
        let raw = [1.0, -2.0, 0.5, 0.0, 3.0, 1.0];
        let norm = raw.iter().map(|v: &f64| v * v).sum::<f64>().sqrt();
        raw.iter().map(|v| v / norm).collect()
    };
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let mut cov = vec![0.0; n * n];
    for _ in 0..draws {
        let d = guided_direction(&mut rng, n, alpha, Some(&u));
        for i in 0..n {
            for j in 0..n {
                cov[i * n + j] += d[i] * d[j] / draws as f64;
            }
        }
    }
    for i in 0..n {
        for j in 0..n {
            let paper =
                alpha / n as f64 * f64::from(u8::from(i == j)) + (1.0 - alpha) * u[i] * u[j];
            let got = cov[i * n + j] / n as f64;
            assert!(
                (got - paper).abs() < 0.01,
                "Σ[{i}][{j}]: sampled {got}, paper {paper}"
            );
        }
    }
}

#[test]
fn the_step_size_sweep_shows_the_truncation_and_round_off_v() {
    let cfg = common::config(
        "central",
        Dims {
            x: 2,
            theta: 3,
            y: 2,
        },
        |_| {},
    );
    let mut s = blackbox_playground::Session::new(cfg, Box::new(common::smooth_map())).unwrap();
    let hs: Vec<f64> = (0..=24)
        .map(|i| 10f64.powf(-13.0 + i as f64 / 2.0))
        .collect();
    let sweep = s.step_sweep(&hs).unwrap();
    let rows = sweep.rows;
    assert_eq!(rows.len(), hs.len());
    let err = |i: usize, col: usize| rows[i][col];
    let best_central = (0..rows.len())
        .min_by(|&a, &b| err(a, 1).total_cmp(&err(b, 1)))
        .unwrap();
    // The minimum sits inside the range, near cbrt(eps); both ends are much worse.
    let h_best = err(best_central, 0);
    assert!(
        (1e-7..=1e-3).contains(&h_best),
        "best central step {h_best:e}"
    );
    assert!(
        err(0, 1) > 100.0 * err(best_central, 1),
        "round-off at h = 1e-13"
    );
    assert!(
        err(rows.len() - 1, 1) > 100.0 * err(best_central, 1),
        "truncation at h = 0.1"
    );
    assert!(
        s.monitoring_evals() > 0 && s.learning_evals() == 0,
        "the sweep is monitoring"
    );
}

/// The mean of `draws` Guided ES estimates on the quadratic (exact for antithetic pairs, so
/// any difference from the gradient is the estimator's scaling), with `scale` per component
/// and the true gradient as guide, and that gradient.
fn guided_mean(scale: &[f64], draws: usize) -> (Vec<f64>, Vec<f64>) {
    let mut bb = CountedBox::new(Box::new(quadratic()));
    let b = batch(bb.dims(), 1, 5);
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let exact = grad(Estimator::Exact, &mut bb, &b, &mut rng);
    let guide = Array2::from_shape_vec((1, exact.len()), exact.clone()).unwrap();
    let mut mean = vec![0.0; exact.len()];
    for _ in 0..draws {
        let g = grad(
            Estimator::GuidedEs {
                k: 4,
                sigma: 0.05,
                alpha: 0.5,
                guide: guide.view(),
                scale,
            },
            &mut bb,
            &b,
            &mut rng,
        );
        for (m, v) in mean.iter_mut().zip(g) {
            *m += v / draws as f64;
        }
    }
    (mean, exact)
}

#[test]
fn guided_es_with_a_perfect_guide_is_unbiased_not_eight_times_the_gradient() {
    // Before: E = (α I + n(1 − α) u uᵀ) ∇ = (0.5 + 6·0.5) ∇ = 3.5 ∇ at n = 6.
    let (mean, exact) = guided_mean(&[1.0; 6], 4000);
    let (rel, cos) = compare(&mean, &exact);
    assert!(
        rel < 0.05 && cos > 0.999,
        "relative error {rel}, cosine {cos}"
    );
}

#[test]
fn guided_es_takes_its_guide_in_the_probes_coordinates_with_unequal_bounds() {
    // Components scaled 1 and 10: the guide in theta's units points elsewhere in the probes'
    // coordinates (cosine 0.80 before); taken there, the perfect guide gives the gradient.
    let scale = [1.0, 10.0, 1.0, 10.0, 1.0, 10.0];
    let (mean, exact) = guided_mean(&scale, 4000);
    let (rel, cos) = compare(&mean, &exact);
    assert!(
        rel < 0.12 && cos > 0.995, // Monte Carlo noise only: each draw is exact on a quadratic
        "relative error {rel}, cosine {cos}"
    );
}

#[test]
fn guided_es_without_a_guide_is_plain_es_bit_for_bit() {
    let mut bb = CountedBox::new(Box::new(common::smooth_map()));
    let b = batch(bb.dims(), 8, 2);
    let zeros = Array2::zeros((8, 3));
    let scale = [1.0, 2.0, 0.5];
    let es = grad(
        Estimator::Es {
            k: 4,
            sigma: 0.05,
            scale: &scale,
        },
        &mut bb,
        &b,
        &mut ChaCha8Rng::seed_from_u64(1),
    );
    let ges = grad(
        Estimator::GuidedEs {
            k: 4,
            sigma: 0.05,
            alpha: 0.5,
            guide: zeros.view(),
            scale: &scale,
        },
        &mut bb,
        &b,
        &mut ChaCha8Rng::seed_from_u64(1),
    );
    assert_eq!(es, ges);
}
