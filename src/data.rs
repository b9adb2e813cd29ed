//! The data set `(X, Y)` a run fits: generated from the script's `thetaTrue` (X uniform in
//! `xRange`, seeded, optional Gaussian noise) or read from pasted CSV, split into training
//! and held-out test rows. The CSV reader is also what the page uses to check pasted data.

use crate::problem::{CountedBox, Dims, EvalError, Purpose};
use ndarray::Array2;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

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

    /// Calibration with no data: one observation whose targets are zeros, so that F's outputs
    /// are residuals driven to zero (any nonlinear least-squares problem).
    pub fn residuals(x_dim: usize, y_dim: usize) -> Dataset {
        Dataset {
            x_train: Array2::zeros((1, x_dim)),
            y_train: Array2::zeros((1, y_dim)),
            x_test: Array2::zeros((0, x_dim)),
            y_test: Array2::zeros((0, y_dim)),
            theta_train: None,
            theta_test: None,
        }
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
