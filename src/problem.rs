//! The black box `F(x, theta)` as the optimisers see it: batch evaluation (one call, many
//! rows, because every crossing into JavaScript costs), an optional Jacobian `dF/dtheta`,
//! counting of every call by purpose.

use ndarray::{Array2, ArrayView2};
use std::cell::RefCell;
use std::rc::Rc;

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

/// What a deferred batch answers when its rows are not evaluated yet (never shown to anyone).
const PENDING: &str = "\u{0}F batch pending";

impl EvalError {
    /// A deferred batch's rows are out for evaluation elsewhere: the step is to be taken
    /// again from its start once their values are in (`Session::run_chunk_resumable`).
    pub fn pending() -> EvalError {
        EvalError(PENDING.into())
    }
    pub fn is_pending(&self) -> bool {
        self.0 == PENDING
    }
}

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
        // Rows by theta (x may have no columns: calibration).
        for (i, (t, y)) in thetas.chunks(d.theta).zip(out.chunks_mut(d.y)).enumerate() {
            (self.f)(&xs[i * d.x..(i + 1) * d.x], t, y)?;
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
        for (i, (t, j)) in thetas
            .chunks(d.theta)
            .zip(out.chunks_mut(d.y * d.theta))
            .enumerate()
        {
            df(&xs[i * d.x..(i + 1) * d.x], t, j)?;
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
        for (i, t) in out.chunks_mut(d.theta).enumerate() {
            tt(&xs[i * d.x..(i + 1) * d.x], t)?;
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

/// Learning and monitoring batches of a step that can be taken again
/// (`Session::run_chunk_resumable`), evaluated elsewhere: the first batch of a step not
/// evaluated yet is left `pending` (the step is undone), and once its values are `supply`-ed
/// the step is taken again from its start and finds them, batch by batch, in order.
///
/// Monitoring batches do not wait one by one: from the first unknown one, the step goes on
/// with zeros for their values, collecting the monitoring batches that follow (a log point's
/// losses, reference and estimate do not depend on one another), until a learning batch or
/// the step's end. They go out together as one pending batch. A batch collected this way
/// whose rows did depend on an earlier one's values does not match when the step is taken
/// again, and simply goes out again: the run is the same either way.
#[derive(Default)]
pub struct Deferred {
    /// Whether batches are deferred now (only inside a step that can be taken again).
    pub active: bool,
    /// The values of this step's batches so far, in order, with their inputs.
    done: Vec<(Vec<f64>, Vec<f64>, Vec<f64>)>,
    /// Batches of this attempt at the step handed out so far.
    next: usize,
    /// The rows waiting for their values: xs, thetas (one batch, or several collected).
    pub pending: Option<(Vec<f64>, Vec<f64>)>,
    /// Rows of each batch in `pending`, in order.
    parts: Vec<usize>,
}

impl Deferred {
    /// Fills `out` with a batch's values when known (true); when deferring and unknown, leaves
    /// the rows pending and fails with `EvalError::pending()` (a monitoring batch is collected
    /// and answered with zeros instead); else false (evaluate here).
    fn take(
        &mut self,
        purpose: Purpose,
        rows: usize,
        xs: &[f64],
        ts: &[f64],
        out: &mut [f64],
    ) -> Result<bool, EvalError> {
        if !self.active {
            return Ok(false);
        }
        let k = self.next;
        self.next += 1;
        if self.pending.is_none() {
            match self.done.get(k) {
                // The same step from the same state asks for the same rows; checked all the same.
                Some((x, t, v)) if x == xs && t == ts && v.len() == out.len() => {
                    out.copy_from_slice(v);
                    return Ok(true);
                }
                _ => self.done.truncate(k),
            }
        } else if purpose != Purpose::Monitoring {
            // Collecting, and a learning batch: its rows may depend on the zeros.
            return Err(EvalError::pending());
        }
        let (px, pt) = self.pending.get_or_insert_with(Default::default);
        px.extend_from_slice(xs);
        pt.extend_from_slice(ts);
        self.parts.push(rows);
        if purpose == Purpose::Monitoring {
            out.fill(0.0);
            Ok(true)
        } else {
            Err(EvalError::pending())
        }
    }
    /// A new attempt at the step: its batches are handed out from the first again.
    pub fn restart(&mut self) {
        self.next = 0;
    }
    /// The step is taken: its batches' values are of no more use.
    pub fn forget(&mut self) {
        self.done.clear();
        self.next = 0;
        self.pending = None;
        self.parts.clear();
    }
    /// The values of the pending rows (`n x dims.y`, row-major).
    pub fn supply(&mut self, values: Vec<f64>) -> Result<(), String> {
        let (xs, ts) = self
            .pending
            .take()
            .ok_or("no batch of F is waiting for values")?;
        let rows: usize = self.parts.iter().sum();
        let (xd, td, yd) = (
            xs.len() / rows.max(1),
            ts.len() / rows.max(1),
            values.len() / rows.max(1),
        );
        let mut at = 0;
        for n in self.parts.drain(..) {
            let (a, b) = (at, at + n);
            self.done.push((
                xs[a * xd..b * xd].to_vec(),
                ts[a * td..b * td].to_vec(),
                values[a * yd..b * yd].to_vec(),
            ));
            at = b;
        }
        Ok(())
    }
}

/// A black box that counts every row it evaluates, by purpose. Cloning shares the box and
/// copies the counts (a session's snapshot).
#[derive(Clone)]
pub struct CountedBox {
    inner: Rc<RefCell<Box<dyn BlackBox>>>,
    /// Batches evaluated elsewhere (other workers), shared by the clones.
    deferred: Rc<RefCell<Deferred>>,
    pub learning_evals: u64,
    pub monitoring_evals: u64,
    pub data_evals: u64,
    pub jacobian_evals: u64,
}

impl CountedBox {
    pub fn new(inner: Box<dyn BlackBox>) -> Self {
        CountedBox {
            inner: Rc::new(RefCell::new(inner)),
            deferred: Rc::default(),
            learning_evals: 0,
            monitoring_evals: 0,
            data_evals: 0,
            jacobian_evals: 0,
        }
    }
    /// The batches evaluated elsewhere (`Deferred`).
    pub fn deferred(&self) -> &Rc<RefCell<Deferred>> {
        &self.deferred
    }
    pub fn dims(&self) -> Dims {
        self.inner.borrow().dims()
    }
    pub fn has_jacobian(&self) -> bool {
        self.inner.borrow().has_jacobian()
    }
    pub fn has_theta_true(&self) -> bool {
        self.inner.borrow().has_theta_true()
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
        let (xs, ts, o) = (
            xs.as_slice().unwrap(),
            ts.as_slice().unwrap(),
            out.as_slice_mut().unwrap(),
        );
        if purpose == Purpose::Data || !self.deferred.borrow_mut().take(purpose, n, xs, ts, o)? {
            self.inner.borrow_mut().eval_batch(xs, ts, o)?;
        }
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
        self.inner.borrow_mut().jacobian_batch(
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
            .borrow_mut()
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
