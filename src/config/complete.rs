//! Completing the page's run settings from the problem script: the page's values win, the
//! script's `problem` object fills what the page left out (shape, xRange, thetaBounds,
//! samples, noise), and the point where one call of F tells yDim. The worker hands the
//! script's `problem` over as JSON and never edits the settings itself.

use super::limits::MAX_DIM;
use super::{ConfigError, RawConfig};
use crate::data::read_csv;
use serde_json::Value;

fn err<T>(msg: String) -> Result<T, ConfigError> {
    Err(ConfigError(msg))
}

/// A value as people read it in a message.
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => format!("the text {s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
        other => other.to_string(),
    }
}

/// `xDim` or `thetaDim` from the page, else the script; at least `min` (xDim may be 0:
/// calibration, theta learned directly).
fn dim(
    page: &Value,
    script: &Value,
    name: &str,
    meaning: &str,
    min: u64,
) -> Result<Value, ConfigError> {
    let v = match page.get(name) {
        Some(v) if !v.is_null() => v,
        _ => match script.get(name) {
            Some(v) if !v.is_null() => v,
            _ => {
                return err(format!(
                    "Set problem.{name} ({meaning}) in the script, e.g. `const problem = {{ xDim: 2, thetaDim: 3, ... }}`."
                ))
            }
        },
    };
    match v.as_u64() {
        Some(n) if (min..=MAX_DIM as u64).contains(&n) => Ok(v.clone()),
        _ => err(format!(
            "problem.{name} ({meaning}) must be a whole number from {min} to {MAX_DIM}, got {}.",
            shown(v)
        )),
    }
}

/// The page's settings JSON with the script's `problem` (JSON; `null` when the script has
/// none) filled in where the page left a value out.
pub fn complete(settings_json: &str, script_problem_json: &str) -> Result<RawConfig, ConfigError> {
    let mut cfg: Value = serde_json::from_str(settings_json).map_err(|e| {
        ConfigError(format!(
            "The run settings are not valid JSON (a bug in the page): {e}"
        ))
    })?;
    let script: Value = serde_json::from_str(script_problem_json).map_err(|e| {
        ConfigError(format!(
            "The script's `problem` object could not be read: {e}"
        ))
    })?;
    let script = if script.is_object() {
        script
    } else {
        Value::Null
    };
    let Some(obj) = cfg.as_object_mut() else {
        return err("The run settings must be a JSON object (a bug in the page).".into());
    };
    let problem = obj
        .entry("problem")
        .or_insert_with(|| Value::Object(Default::default()));
    if !problem.is_object() {
        *problem = Value::Object(Default::default());
    }
    let x_dim = dim(
        problem,
        &script,
        "xDim",
        "the length of x; 0 to calibrate theta itself",
        0,
    )?;
    let theta_dim = dim(problem, &script, "thetaDim", "the length of theta", 1)?;
    let p = problem.as_object_mut().expect("an object");
    p.insert("xDim".into(), x_dim);
    p.insert("thetaDim".into(), theta_dim);
    for key in ["xRange", "thetaBounds", "theta0"] {
        let missing = p.get(key).is_none_or(Value::is_null);
        if missing {
            if let Some(v) = script.get(key).filter(|v| !v.is_null()) {
                p.insert(key.into(), v.clone());
            }
        }
    }
    let data = obj
        .entry("data")
        .or_insert_with(|| Value::Object(Default::default()));
    if let Some(d) = data.as_object_mut() {
        for key in ["samples", "noise"] {
            if d.get(key).is_none_or(Value::is_null) {
                match script.get(key).filter(|v| !v.is_null()) {
                    Some(v) => {
                        d.insert(key.into(), v.clone());
                    }
                    None => {
                        d.remove(key);
                    }
                }
            }
        }
    }
    serde_json::from_value(cfg).map_err(|e| {
        ConfigError(format!(
            "The script's `problem` object or the run settings have a value of the wrong type: {e}. \
             problem.xRange is [lo, hi], problem.thetaBounds is null or one [lo, hi] per theta component, \
             samples and noise are numbers."
        ))
    })
}

/// Where one call of F tells yDim: the first CSV row's x when the data are pasted (and
/// readable), else the middle of xRange; theta = 0 moved into thetaBounds when given.
pub fn probe_point(raw: &RawConfig) -> (Vec<f64>, Vec<f64>) {
    let x_dim = raw.problem.x_dim.unwrap_or(1);
    let theta_dim = raw.problem.theta_dim.unwrap_or(1);
    let from_csv = (raw.data.source == "csv")
        .then(|| read_csv(&raw.data.csv, None).ok())
        .flatten()
        .filter(|(_, width)| *width >= x_dim)
        .map(|(cells, width)| cells[..width][..x_dim].to_vec());
    let x = from_csv.unwrap_or_else(|| {
        let (lo, hi) = raw.problem.x_range.unwrap_or((-1.0, 1.0));
        let mid = if lo.is_finite() && hi.is_finite() {
            0.5 * (lo + hi)
        } else {
            0.0
        };
        vec![mid; x_dim]
    });
    let theta = (0..theta_dim)
        .map(|j| {
            match raw
                .problem
                .theta_bounds
                .as_ref()
                .and_then(|b| b.get(j).copied())
            {
                Some((lo, hi)) if lo.is_finite() && hi.is_finite() => 0f64.max(lo).min(hi),
                _ => 0.0,
            }
        })
        .collect();
    (x, theta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_wins_and_the_script_fills_the_rest() {
        let raw = complete(
            r#"{"method":"es","problem":{"xDim":3},"data":{"noise":0.5}}"#,
            r#"{"xDim":2,"thetaDim":4,"xRange":[0,2],"samples":100,"noise":0.1}"#,
        )
        .unwrap();
        assert_eq!(raw.problem.x_dim, Some(3));
        assert_eq!(raw.problem.theta_dim, Some(4));
        assert_eq!(raw.problem.x_range, Some((0.0, 2.0)));
        assert_eq!(raw.data.samples, 100);
        assert_eq!(raw.data.noise, 0.5);
        assert_eq!(probe_point(&raw), (vec![1.0; 3], vec![0.0; 4]));
    }

    #[test]
    fn a_missing_or_wrong_dimension_says_what_to_write() {
        let e = complete("{}", "null").unwrap_err().0;
        assert!(
            e.starts_with(
                "Set problem.xDim (the length of x; 0 to calibrate theta itself) in the script"
            ),
            "{e}"
        );
        let e = complete("{}", r#"{"xDim":2,"thetaDim":"3"}"#)
            .unwrap_err()
            .0;
        assert_eq!(
            e,
            "problem.thetaDim (the length of theta) must be a whole number from 1 to 256, got the text \"3\"."
        );
        let e = complete("{}", r#"{"xDim":2,"thetaDim":3,"xRange":5}"#)
            .unwrap_err()
            .0;
        assert!(e.contains("problem.xRange is [lo, hi]"), "{e}");
    }

    #[test]
    fn the_probe_takes_the_first_csv_row_and_keeps_theta_in_its_bounds() {
        let raw = complete(
            r#"{"data":{"source":"csv","csv":"a,b,y\n0.25,-0.5,1\n1,1,2\n"}}"#,
            r#"{"xDim":2,"thetaDim":2,"thetaBounds":[[1,2],[-3,-1]]}"#,
        )
        .unwrap();
        assert_eq!(probe_point(&raw), (vec![0.25, -0.5], vec![1.0, -1.0]));
    }
}
