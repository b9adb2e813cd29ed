//! The black box `F(x, theta)` as the optimisers see it: batch evaluation (one call, many
//! rows, because every crossing into JavaScript costs), an optional Jacobian `dF/dtheta`,
//! counting of every call by purpose.

use ndarray::{Array2, ArrayView2};

/// Shapes of a problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dims {
    pub x: usize,
    pub theta: usize,
    pub y: usize,
}

/// A failure inside the user's code, with a message meant for the user.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct EvalError(pub String);

/// A function we can only evaluate. Rows are samples; `xs` is `n x dims.x` row-major,
/// `thetas` is `n x dims.theta`, `out` is `n x dims.y`.
pub trait BlackBox {
    fn dims(&self) -> Dims;
    fn eval_batch(&mut self, xs: &[f64], thetas: &[f64], out: &mut [f64]) -> Result<(), EvalError>;
    /// Whether `jacobian_batch` is available (the user wrote `dF`).
    fn has_jacobian(&self) -> bool {
        false
    }
    /// `out` is `n x dims.y x dims.theta`: per sample, `y` rows of `theta` numbers.
    fn jacobian_batch(
        &mut self,
        _xs: &[f64],
        _thetas: &[f64],
        _out: &mut [f64],
    ) -> Result<(), EvalError> {
        Err(EvalError("this problem has no dF".into()))
    }
    /// Whether `theta_true_batch` is available (the user wrote `thetaTrue`).
    fn has_theta_true(&self) -> bool {
        false
    }
    /// `out` is `n x dims.theta`.
    fn theta_true_batch(&mut self, _xs: &[f64], _out: &mut [f64]) -> Result<(), EvalError> {
        Err(EvalError("this problem has no thetaTrue".into()))
    }
}

type EvalFn = dyn FnMut(&[f64], &[f64], &mut [f64]) -> Result<(), EvalError>;
type TrueFn = dyn FnMut(&[f64], &mut [f64]) -> Result<(), EvalError>;

/// A black box made of Rust closures over ONE sample (tests, the native benchmark).
pub struct FnBlackBox {
    pub(crate) dims: Dims,
    pub(crate) f: Box<EvalFn>,
    pub(crate) df: Option<Box<EvalFn>>,
    pub(crate) theta_true: Option<Box<TrueFn>>,
}

impl FnBlackBox {
    /// `f(x, theta, y)` writes one output row.
    pub fn new(dims: Dims, f: impl FnMut(&[f64], &[f64], &mut [f64]) + 'static) -> Self {
        let mut f = f;
        FnBlackBox {
            dims,
            f: Box::new(move |x, t, y| {
                f(x, t, y);
                Ok(())
            }),
            df: None,
            theta_true: None,
        }
    }
    /// `df(x, theta, jac)` writes `y x theta` numbers.
    pub fn with_jacobian(mut self, df: impl FnMut(&[f64], &[f64], &mut [f64]) + 'static) -> Self {
        let mut df = df;
        self.df = Some(Box::new(move |x, t, j| {
            df(x, t, j);
            Ok(())
        }));
        self
    }
    /// `theta_true(x, theta)` writes one policy output.
    pub fn with_theta_true(mut self, tt: impl FnMut(&[f64], &mut [f64]) + 'static) -> Self {
        let mut tt = tt;
        self.theta_true = Some(Box::new(move |x, t| {
            tt(x, t);
            Ok(())
        }));
        self
    }
}

impl BlackBox for FnBlackBox {
    fn dims(&self) -> Dims {
        self.dims
    }
    fn eval_batch(&mut self, xs: &[f64], thetas: &[f64], out: &mut [f64]) -> Result<(), EvalError> {
        let d = self.dims;
        for ((x, t), y) in xs
            .chunks(d.x)
            .zip(thetas.chunks(d.theta))
            .zip(out.chunks_mut(d.y))
        {
            (self.f)(x, t, y)?;
        }
        Ok(())
    }
    fn has_jacobian(&self) -> bool {
        self.df.is_some()
    }
    fn jacobian_batch(
        &mut self,
        xs: &[f64],
        thetas: &[f64],
        out: &mut [f64],
    ) -> Result<(), EvalError> {
        let d = self.dims;
        let df = self
            .df
            .as_mut()
            .ok_or_else(|| EvalError("this problem has no dF".into()))?;
        for ((x, t), j) in xs
            .chunks(d.x)
            .zip(thetas.chunks(d.theta))
            .zip(out.chunks_mut(d.y * d.theta))
        {
            df(x, t, j)?;
        }
        Ok(())
    }
    fn has_theta_true(&self) -> bool {
        self.theta_true.is_some()
    }
    fn theta_true_batch(&mut self, xs: &[f64], out: &mut [f64]) -> Result<(), EvalError> {
        let d = self.dims;
        let tt = self
            .theta_true
            .as_mut()
            .ok_or_else(|| EvalError("this problem has no thetaTrue".into()))?;
        for (x, t) in xs.chunks(d.x).zip(out.chunks_mut(d.theta)) {
            tt(x, t)?;
        }
        Ok(())
    }
}

/// What an evaluation is spent on. Only `Learning` is charged to the budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Learning,
    Monitoring,
    /// Making synthetic data (`Y = F(X, thetaTrue(X))`): neither learning nor monitoring.
    Data,
}

/// A black box that counts every row it evaluates, by purpose.
pub struct CountedBox {
    inner: Box<dyn BlackBox>,
    pub learning_evals: u64,
    pub monitoring_evals: u64,
    pub data_evals: u64,
    pub jacobian_evals: u64,
}

impl CountedBox {
    pub fn new(inner: Box<dyn BlackBox>) -> Self {
        CountedBox {
            inner,
            learning_evals: 0,
            monitoring_evals: 0,
            data_evals: 0,
            jacobian_evals: 0,
        }
    }
    pub fn dims(&self) -> Dims {
        self.inner.dims()
    }
    pub fn has_jacobian(&self) -> bool {
        self.inner.has_jacobian()
    }
    pub fn has_theta_true(&self) -> bool {
        self.inner.has_theta_true()
    }

    fn charge(&mut self, purpose: Purpose, rows: usize) {
        let c = match purpose {
            Purpose::Learning => &mut self.learning_evals,
            Purpose::Monitoring => &mut self.monitoring_evals,
            Purpose::Data => &mut self.data_evals,
        };
        *c += rows as u64;
    }

    /// `F` on every row of `(x, theta)`; returns `n x y`.
    pub fn eval(
        &mut self,
        purpose: Purpose,
        x: ArrayView2<f64>,
        theta: ArrayView2<f64>,
    ) -> Result<Array2<f64>, EvalError> {
        let n = x.nrows();
        debug_assert_eq!(theta.nrows(), n);
        let d = self.dims();
        let mut out = Array2::zeros((n, d.y));
        let xs = x.as_standard_layout();
        let ts = theta.as_standard_layout();
        self.charge(purpose, n);
        self.inner.eval_batch(
            xs.as_slice().unwrap(),
            ts.as_slice().unwrap(),
            out.as_slice_mut().unwrap(),
        )?;
        check_finite("F", &out)?;
        Ok(out)
    }

    /// `dF/dtheta` on every row; returns `n x (y * theta)`.
    pub fn jacobian(
        &mut self,
        x: ArrayView2<f64>,
        theta: ArrayView2<f64>,
    ) -> Result<Array2<f64>, EvalError> {
        let n = x.nrows();
        let d = self.dims();
        let mut out = Array2::zeros((n, d.y * d.theta));
        let xs = x.as_standard_layout();
        let ts = theta.as_standard_layout();
        self.jacobian_evals += n as u64;
        self.inner.jacobian_batch(
            xs.as_slice().unwrap(),
            ts.as_slice().unwrap(),
            out.as_slice_mut().unwrap(),
        )?;
        check_finite("dF", &out)?;
        Ok(out)
    }

    /// `thetaTrue` on every row; returns `n x theta`.
    pub fn theta_true(&mut self, x: ArrayView2<f64>) -> Result<Array2<f64>, EvalError> {
        let d = self.dims();
        let mut out = Array2::zeros((x.nrows(), d.theta));
        let xs = x.as_standard_layout();
        self.inner
            .theta_true_batch(xs.as_slice().unwrap(), out.as_slice_mut().unwrap())?;
        check_finite("thetaTrue", &out)?;
        Ok(out)
    }
}

fn check_finite(what: &str, a: &Array2<f64>) -> Result<(), EvalError> {
    if let Some(i) = a.iter().position(|v| !v.is_finite()) {
        let row = i / a.ncols().max(1);
        return Err(EvalError(format!(
            "{what} returned {} for sample {row}; it must return finite numbers",
            a.as_slice().map(|s| s[i]).unwrap_or(f64::NAN)
        )));
    }
    Ok(())
}
