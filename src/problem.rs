//! The black box `F(x, theta)` as the optimisers see it: batch evaluation (one call, many
//! rows, because every crossing into JavaScript costs), an optional Jacobian `dF/dtheta`,
//! counting of every call by purpose, and the data set `(X, Y)` to fit.

use ndarray::{Array2, ArrayView2};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

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
    dims: Dims,
    f: Box<EvalFn>,
    df: Option<Box<EvalFn>>,
    theta_true: Option<Box<TrueFn>>,
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
    /// An F that fails (tests of error paths).
    pub fn failing(dims: Dims, message: &str) -> Self {
        let message = message.to_string();
        FnBlackBox {
            dims,
            f: Box::new(move |_, _, _| Err(EvalError(message.clone()))),
            df: None,
            theta_true: None,
        }
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

/// The page's default preset (DESIGN.md's example, `smooth` in www/presets.js) in Rust, with
/// dF and thetaTrue: the fixed task of the native tests and the native benchmark.
pub fn smooth_map() -> FnBlackBox {
    FnBlackBox::new(
        Dims {
            x: 2,
            theta: 3,
            y: 2,
        },
        |x, t, y| {
            y[0] = t[0] + t[1] * x[0];
            y[1] = t[2] * (0.5 * t[0]).exp();
        },
    )
    .with_jacobian(|x, t, j| {
        let e = (0.5 * t[0]).exp();
        j.copy_from_slice(&[1.0, x[0], 0.0, 0.5 * t[2] * e, 0.0, e]);
    })
    .with_theta_true(|x, t| {
        t[0] = (std::f64::consts::PI * x[0]).sin();
        t[1] = 0.5 * (std::f64::consts::PI * x[1]).cos();
        t[2] = x[0] * x[1];
    })
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

/// Training and test data. `theta_*` hold `thetaTrue(X)` when the data were generated.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub x_train: Array2<f64>,
    pub y_train: Array2<f64>,
    pub x_test: Array2<f64>,
    pub y_test: Array2<f64>,
    pub theta_train: Option<Array2<f64>>,
    pub theta_test: Option<Array2<f64>>,
}

/// Splits rows `0..n` into train (first) and test (last `test_fraction`).
fn split_rows(a: &Array2<f64>, n_test: usize) -> (Array2<f64>, Array2<f64>) {
    let n = a.nrows();
    (
        a.slice(ndarray::s![..n - n_test, ..]).to_owned(),
        a.slice(ndarray::s![n - n_test.., ..]).to_owned(),
    )
}

pub fn test_count(n: usize, test_fraction: f64) -> usize {
    if n < 2 {
        return 0;
    }
    ((n as f64 * test_fraction).round() as usize).min(n - 1)
}

impl Dataset {
    /// `X` uniform in `x_range`, `Y = F(X, thetaTrue(X)) + noise * N(0, 1)`.
    pub fn generate(
        bb: &mut CountedBox,
        samples: usize,
        x_range: (f64, f64),
        noise: f64,
        test_fraction: f64,
        rng: &mut ChaCha8Rng,
    ) -> Result<Dataset, EvalError> {
        let d = bb.dims();
        if !bb.has_theta_true() {
            return Err(EvalError(
                "the script defines no thetaTrue(x), so there is no synthetic data: define thetaTrue or paste CSV data".into(),
            ));
        }
        let x = Array2::from_shape_fn((samples, d.x), |_| rng.random_range(x_range.0..=x_range.1));
        let theta = bb.theta_true(x.view())?;
        let mut y = bb.eval(Purpose::Data, x.view(), theta.view())?;
        if noise > 0.0 {
            y.mapv_inplace(|v| {
                let z: f64 = StandardNormal.sample(rng);
                v + noise * z
            });
        }
        let n_test = test_count(samples, test_fraction);
        let (x_train, x_test) = split_rows(&x, n_test);
        let (y_train, y_test) = split_rows(&y, n_test);
        let (t_train, t_test) = split_rows(&theta, n_test);
        Ok(Dataset {
            x_train,
            y_train,
            x_test,
            y_test,
            theta_train: Some(t_train),
            theta_test: Some(t_test),
        })
    }

    /// Data from CSV text with columns `x1..x_xdim, y1..y_ydim` (a header row is optional).
    /// Rows are shuffled with `rng` before the split so an ordered file gives a fair test set.
    pub fn from_csv(
        text: &str,
        dims: Dims,
        test_fraction: f64,
        rng: &mut ChaCha8Rng,
    ) -> Result<Dataset, String> {
        let (x, y) = parse_csv(text, dims.x, dims.y)?;
        let n = x.nrows();
        let mut order: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            order.swap(i, rng.random_range(0..=i));
        }
        let x = x.select(ndarray::Axis(0), &order);
        let y = y.select(ndarray::Axis(0), &order);
        let n_test = test_count(n, test_fraction);
        let (x_train, x_test) = split_rows(&x, n_test);
        let (y_train, y_test) = split_rows(&y, n_test);
        Ok(Dataset {
            x_train,
            y_train,
            x_test,
            y_test,
            theta_train: None,
            theta_test: None,
        })
    }
}

/// Largest CSV accepted (rows), to keep the page responsive.
pub const MAX_CSV_ROWS: usize = 100_000;

/// Reads CSV (comma, semicolon or tab separated): blank and `#` lines are skipped, rows of
/// names above the numbers are headers, every other cell must be a finite number, and every row as wide
/// as the first (or as `dims` = (xDim, yDim) asks, when known). Returns the numbers row by
/// row and the width. Errors name the row and column at fault, counting from 1 as a
/// spreadsheet does. The page checks pasted data with this too (`checkCsv`), before a run.
pub fn read_csv(text: &str, dims: Option<(usize, usize)>) -> Result<(Vec<f64>, usize), String> {
    let mut width = dims.map(|(x, y)| x + y);
    let mut values = Vec::new();
    let mut rows = 0;
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split([',', ';', '\t']).map(str::trim).collect();
        if rows == 0 && cells.iter().all(|c| c.parse::<f64>().is_err()) {
            // Rows of names (and units) above the numbers: headers.
            if width.is_none() {
                width = Some(cells.len());
            }
            continue;
        }
        let want = *width.get_or_insert(cells.len());
        if cells.len() != want {
            return Err(match dims {
                Some((x_dim, y_dim)) => format!(
                    "CSV row {line_no} has {} columns; expected {want} (x{}, then y{}): xDim={x_dim}, yDim={y_dim}",
                    cells.len(),
                    if x_dim > 1 { format!("1..x{x_dim}") } else { String::new() },
                    if y_dim > 1 { format!("1..y{y_dim}") } else { String::new() },
                ),
                None => format!(
                    "CSV row {line_no} has {} columns; {} {want}. Every row needs the x columns, then the y columns.",
                    cells.len(),
                    if rows == 0 { "the header row has" } else { "the rows above have" },
                ),
            });
        }
        for (j, c) in cells.iter().enumerate() {
            match c.parse::<f64>() {
                Ok(v) if v.is_finite() => values.push(v),
                _ => {
                    return Err(format!(
                        "CSV row {line_no}, column {}: {:?} is not a finite number",
                        j + 1,
                        c
                    ))
                }
            }
        }
        rows += 1;
        if rows > MAX_CSV_ROWS {
            return Err(format!(
                "CSV has more than {MAX_CSV_ROWS} rows; use a sample of the data"
            ));
        }
    }
    if rows < 2 {
        return Err(format!(
            "CSV data need at least 2 rows of numbers; found {rows}"
        ));
    }
    Ok((values, width.unwrap_or(0)))
}

/// Parses CSV (see [`read_csv`]) into `(X, Y)`: xDim columns of x, then yDim of y.
pub fn parse_csv(
    text: &str,
    x_dim: usize,
    y_dim: usize,
) -> Result<(Array2<f64>, Array2<f64>), String> {
    let (values, width) = read_csv(text, Some((x_dim, y_dim)))?;
    let all = Array2::from_shape_vec((values.len() / width, width), values).unwrap();
    Ok((
        all.slice(ndarray::s![.., ..x_dim]).to_owned(),
        all.slice(ndarray::s![.., x_dim..]).to_owned(),
    ))
}
