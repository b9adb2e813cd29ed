//! The policy network's backpropagation against a central-difference check of the
//! network itself, for parameters and inputs (and each alone against both together).

use approx::assert_relative_eq;
use blackbox_playground::nn::{Activation, Mlp};
use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Loss `sum(out .* c)` so that `dL/dout = c`.
fn loss(net: &Mlp, x: &Array2<f64>, c: &Array2<f64>) -> f64 {
    (net.predict(x.view()) * c).sum()
}

fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    let diff: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt();
    let norm: f64 = b.iter().map(|y| y * y).sum::<f64>().sqrt();
    diff / norm
}

/// Every element's bits, so that a difference of sign in a zero shows too.
fn bits(a: &Array2<f64>) -> Vec<u64> {
    a.iter().map(|v| v.to_bits()).collect()
}

fn check(hidden: &[usize], act: Activation, bounded: bool) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (n_in, n_out) = (3, 2);
    let mut sizes = vec![n_in];
    sizes.extend_from_slice(hidden);
    sizes.push(n_out);
    let bounds = bounded.then(|| vec![(-1.0, 2.0), (0.0, 0.5)]);
    let mut net = Mlp::new(&sizes, act, bounds, &mut rng);
    // Biases start at zero; move them so every term of the backward pass is exercised.
    for p in net.params_mut() {
        *p += rng.random_range(-0.1..0.1);
    }
    let x = Array2::from_shape_fn((5, n_in), |_| rng.random_range(-1.0..1.0));
    let c = Array2::from_shape_fn((5, n_out), |_| rng.random_range(-1.0..1.0));
    let (out, cache) = net.forward(x.view());
    // Without the cache, the same pass: the same bits.
    assert_eq!(bits(&net.predict(x.view())), bits(&out));
    let (g_params, g_input) = net.backward(&cache, c.view());
    // Each half alone is the same pass with the other half's products left out: same bits.
    assert_eq!(net.param_gradient(&cache, c.view()), g_params);
    assert_eq!(net.input_gradient(&cache, c.view()), g_input);

    let h = 1e-6;
    let mut fd_params = vec![0.0; net.params().len()];
    for (i, fd) in fd_params.iter_mut().enumerate() {
        let orig = net.params()[i];
        net.params_mut()[i] = orig + h;
        let up = loss(&net, &x, &c);
        net.params_mut()[i] = orig - h;
        let down = loss(&net, &x, &c);
        net.params_mut()[i] = orig;
        *fd = (up - down) / (2.0 * h);
    }
    let mut fd_input = Array2::zeros(x.dim());
    for i in 0..x.nrows() {
        for j in 0..x.ncols() {
            let mut xp = x.clone();
            xp[[i, j]] += h;
            let mut xm = x.clone();
            xm[[i, j]] -= h;
            fd_input[[i, j]] = (loss(&net, &xp, &c) - loss(&net, &xm, &c)) / (2.0 * h);
        }
    }
    let ep = rel_err(&g_params, &fd_params);
    let ei = rel_err(g_input.as_slice().unwrap(), fd_input.as_slice().unwrap());
    assert!(
        ep <= 1e-6,
        "{hidden:?} {act:?} bounded={bounded}: parameter gradient rel. error {ep:e}"
    );
    assert!(
        ei <= 1e-6,
        "{hidden:?} {act:?} bounded={bounded}: input gradient rel. error {ei:e}"
    );
}

#[test]
fn backprop_matches_central_differences_for_every_depth_and_activation() {
    for hidden in [vec![], vec![6], vec![5, 4], vec![4, 6, 3]] {
        for act in [Activation::Tanh, Activation::Relu, Activation::Gelu] {
            for bounded in [false, true] {
                check(&hidden, act, bounded);
            }
        }
    }
}

#[test]
fn a_network_with_no_inputs_predicts_and_differentiates_as_forward_and_backward_do() {
    // Calibration: no x columns, so the first layer has no weights and dL/dinput no columns.
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut net = Mlp::new(&[0, 5, 4, 2], Activation::Tanh, None, &mut rng);
    for p in net.params_mut() {
        *p += rng.random_range(-0.1..0.1);
    }
    let x = Array2::<f64>::zeros((6, 0));
    let c = Array2::from_shape_fn((6, 2), |_| rng.random_range(-1.0..1.0));
    let (out, cache) = net.forward(x.view());
    assert_eq!(bits(&net.predict(x.view())), bits(&out));
    let (g_params, g_input) = net.backward(&cache, c.view());
    assert_eq!(g_input.dim(), (6, 0));
    assert!(
        g_params.iter().any(|g| *g != 0.0),
        "the biases get a gradient"
    );
    assert_eq!(net.param_gradient(&cache, c.view()), g_params);
    assert_eq!(net.input_gradient(&cache, c.view()), g_input);
}

#[test]
fn output_bounds_keep_every_output_inside_its_interval() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let bounds = vec![(-0.5, 0.5), (10.0, 11.0)];
    let mut net = Mlp::new(&[2, 8, 2], Activation::Relu, Some(bounds.clone()), &mut rng);
    for p in net.params_mut() {
        *p *= 50.0; // saturate
    }
    let x = Array2::from_shape_fn((100, 2), |_| rng.random_range(-3.0..3.0));
    let y = net.predict(x.view());
    for row in y.rows() {
        for (v, (lo, hi)) in row.iter().zip(&bounds) {
            assert!(*v >= *lo && *v <= *hi, "{v} outside [{lo}, {hi}]");
        }
    }
}

#[test]
fn glorot_initialisation_depends_only_on_the_seed() {
    let a = Mlp::new(
        &[2, 16, 3],
        Activation::Tanh,
        None,
        &mut ChaCha8Rng::seed_from_u64(5),
    );
    let b = Mlp::new(
        &[2, 16, 3],
        Activation::Tanh,
        None,
        &mut ChaCha8Rng::seed_from_u64(5),
    );
    let c = Mlp::new(
        &[2, 16, 3],
        Activation::Tanh,
        None,
        &mut ChaCha8Rng::seed_from_u64(6),
    );
    assert_eq!(a.params(), b.params());
    assert_ne!(a.params(), c.params());
    let limit = (6.0f64 / 18.0).sqrt();
    let (w, bias) = a.layer(0);
    assert!(w.iter().all(|v| v.abs() <= limit));
    assert!(bias.iter().all(|&v| v == 0.0));
    assert_relative_eq!(
        Mlp::count_params(&[2, 16, 3]) as f64,
        (2 * 16 + 16 + 16 * 3 + 3) as f64
    );
}
