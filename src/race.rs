//! A race read as a whole: several methods, each run once per repeat (seed, seed + 1, ...),
//! summarised per method (median and range of the final and best training loss and of the
//! F-evaluations to the target), with each method's median curve and band over
//! F-evaluations, and a verdict that names a winner only when its range is clear of the
//! runner-up's. Reads the `runs` of a `results.json` (schema 1 or 2), so a loaded file is
//! summarised the same way as a live race.

use crate::config::Method;
use serde::{Deserialize, Serialize};

/// One logged point of a run (the fields the summary needs).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Point {
    pub evals: f64,
    pub train_loss: Option<f64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RunFinal {
    pub outcome: Option<String>,
    pub stop_reason: Option<String>,
}

/// One run as `results.json` holds it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Run {
    pub method: String,
    pub repeat: u32,
    pub history: Vec<Point>,
    #[serde(rename = "final")]
    pub last: RunFinal,
    pub error: Option<String>,
}

/// What to summarise: the runs and the target (fraction of each run's first logged loss).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Race {
    pub runs: Vec<Run>,
    #[serde(default = "default_target")]
    pub target: f64,
}

fn default_target() -> f64 {
    crate::settings::default_number("target")
}

/// Median and range over repeats: min–max, or the interquartile range from 5 repeats up.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Spread {
    pub median: f64,
    pub lo: f64,
    pub hi: f64,
    /// How many values the spread is of.
    pub n: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ToTarget {
    /// Over the repeats that reached it (`NaN`, written `null`, when none did).
    pub median: f64,
    pub lo: f64,
    pub hi: f64,
    /// Repeats that reached the target.
    pub reached: usize,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodSummary {
    pub method: String,
    pub repeats: usize,
    pub final_train_loss: Spread,
    pub best_train_loss: Spread,
    pub evals_to_target: ToTarget,
    /// Repeats that failed or diverged.
    pub lost: usize,
}

/// A method's median training loss and band over F-evaluations: `[evals, median, lo, hi]`.
#[derive(Clone, Debug, Serialize)]
pub struct Band {
    pub method: String,
    pub points: Vec<[f64; 4]>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub summary: Vec<MethodSummary>,
    pub bands: Vec<Band>,
    pub verdict: String,
    /// The method named the winner, if the verdict names one.
    pub winner: Option<String>,
    /// Methods the verdict says tie for first.
    pub tied: Vec<String>,
}

/// The spread of `values` (sorted inside): min–max below 5 values, quartiles from 5 up.
pub fn spread(values: &[f64]) -> Spread {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return Spread {
            median: f64::NAN,
            lo: f64::NAN,
            hi: f64::NAN,
            n: 0,
        };
    }
    v.sort_by(f64::total_cmp);
    let q = |p: f64| {
        let at = p * (v.len() - 1) as f64;
        let (i, f) = (at.floor() as usize, at.fract());
        if i + 1 < v.len() {
            v[i] + f * (v[i + 1] - v[i])
        } else {
            v[i]
        }
    };
    let (lo, hi) = if v.len() >= 5 {
        (q(0.25), q(0.75))
    } else {
        (v[0], v[v.len() - 1])
    };
    Spread {
        median: q(0.5),
        lo,
        hi,
        n: v.len(),
    }
}

fn losses(run: &Run) -> Vec<(f64, f64)> {
    run.history
        .iter()
        .filter_map(|p| p.train_loss.map(|l| (p.evals, l)))
        .collect()
}

/// Learning evaluations at which the training loss first reached `target` × its first
/// logged value, interpolated between the two log points around the crossing.
pub fn evals_to_target(run: &Run, target: f64) -> Option<f64> {
    let pts = losses(run);
    let goal = target * pts.first()?.1;
    let mut prev = *pts.first()?;
    for &(e, l) in &pts {
        if l <= goal {
            if l == prev.1 || e == prev.0 {
                return Some(e);
            }
            let t = ((prev.1 - goal) / (prev.1 - l)).clamp(0.0, 1.0);
            return Some(prev.0 + t * (e - prev.0));
        }
        prev = (e, l);
    }
    None
}

fn lost(run: &Run) -> bool {
    run.error.is_some()
        || matches!(run.last.outcome.as_deref(), Some("failed" | "diverged"))
        || run.last.stop_reason.as_deref() == Some("diverged")
}

fn label(method: &str) -> String {
    Method::from_name(method)
        .map(|m| m.label().to_string())
        .unwrap_or_else(|| method.to_string())
}

fn count(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.1}k", v / 1000.0)
    } else {
        format!("{}", v.round())
    }
}

fn loss(v: f64) -> String {
    format!("{v:.3e}")
}

/// The band of one method's runs: at each evaluation count any of them logged, the median,
/// low and high of the runs' losses there (each run holding its last logged value).
fn band(runs: &[&Run]) -> Vec<[f64; 4]> {
    let curves: Vec<Vec<(f64, f64)>> = runs.iter().map(|r| losses(r)).collect();
    let mut grid: Vec<f64> = curves.iter().flatten().map(|p| p.0).collect();
    grid.sort_by(f64::total_cmp);
    grid.dedup();
    grid.iter()
        .filter_map(|&e| {
            let at: Vec<f64> = curves
                .iter()
                .filter_map(|c| c.iter().take_while(|p| p.0 <= e).last().map(|p| p.1))
                .collect();
            (!at.is_empty()).then(|| {
                let s = spread(&at);
                [e, s.median, s.lo, s.hi]
            })
        })
        .collect()
}

/// Summarises a race and says who won, if anyone clearly did.
pub fn summarize(race: &Race) -> Summary {
    let mut methods: Vec<&str> = Vec::new();
    for r in &race.runs {
        if !methods.contains(&r.method.as_str()) {
            methods.push(&r.method);
        }
    }
    let mut summary = Vec::new();
    let mut bands = Vec::new();
    for &m in &methods {
        let runs: Vec<&Run> = race.runs.iter().filter(|r| r.method == m).collect();
        let finals: Vec<f64> = runs
            .iter()
            .filter_map(|r| losses(r).last().map(|p| p.1))
            .collect();
        let bests: Vec<f64> = runs
            .iter()
            .filter_map(|r| losses(r).iter().map(|p| p.1).reduce(f64::min))
            .collect();
        let reach: Vec<f64> = runs
            .iter()
            .filter_map(|r| evals_to_target(r, race.target))
            .collect();
        let s = spread(&reach);
        summary.push(MethodSummary {
            method: m.to_string(),
            repeats: runs.len(),
            final_train_loss: spread(&finals),
            best_train_loss: spread(&bests),
            evals_to_target: ToTarget {
                median: s.median,
                lo: s.lo,
                hi: s.hi,
                reached: reach.len(),
            },
            lost: runs.iter().filter(|r| lost(r)).count(),
        });
        bands.push(Band {
            method: m.to_string(),
            points: band(&runs),
        });
    }
    let (verdict, winner, tied) = verdict(&summary, race.target);
    Summary {
        summary,
        bands,
        verdict,
        winner,
        tied,
    }
}

/// Candidates with the spread they are ranked by (lower is better).
type Ranking<'a> = Vec<(&'a MethodSummary, Spread)>;

/// Ranks by F-evaluations to the target (only methods where every repeat reached it), then
/// by best loss; names a winner only when its range is clear of the runner-up's.
fn verdict(summary: &[MethodSummary], target: f64) -> (String, Option<String>, Vec<String>) {
    let alive: Vec<&MethodSummary> = summary.iter().filter(|s| s.lost < s.repeats).collect();
    if alive.is_empty() {
        return (
            "Every method failed or diverged: there is no winner. Lower the learning rate, or check F on the Problem panel.".into(),
            None,
            vec![],
        );
    }
    let pct = format!("{}%", crate::settings::num(100.0 * target));
    let all_reached: Vec<&MethodSummary> = alive
        .iter()
        .copied()
        .filter(|s| s.evals_to_target.reached == s.repeats && s.lost == 0)
        .collect();
    // Candidates with the spread they are ranked by, how a number is written, and its unit.
    let (mut ranked, what, fmt, unit): (Ranking, String, fn(f64) -> String, &str) =
        if all_reached.is_empty() {
            (
                alive.iter().map(|s| (*s, s.best_train_loss)).collect(),
                format!("did not all reach the target ({pct} of the start); lowest loss"),
                loss,
                "",
            )
        } else {
            let r = all_reached
                .iter()
                .map(|s| {
                    let t = s.evals_to_target;
                    let spread = Spread {
                        median: t.median,
                        lo: t.lo,
                        hi: t.hi,
                        n: t.reached,
                    };
                    (*s, spread)
                })
                .collect();
            (
                r,
                format!("reached the target ({pct} of its start) in"),
                count,
                " F-evaluations",
            )
        };
    ranked.sort_by(|a, b| a.1.median.total_cmp(&b.1.median));
    let (first, f) = ranked[0];
    let name = label(&first.method);
    // "1.2k F-evaluations (1.1k–1.4k over 3 runs)": the unit once, the count of values.
    let range = |s: &Spread| {
        if s.n > 1 {
            let (m, lo, hi) = (fmt(s.median), fmt(s.lo), fmt(s.hi));
            format!("{m}{unit} ({lo}–{hi} over {} runs)", s.n)
        } else {
            format!("{}{unit}", fmt(s.median))
        }
    };
    let lead = if all_reached.is_empty() {
        "No method reached the target in every run. ".to_string()
    } else {
        String::new()
    };
    let Some(&(second, g)) = ranked.get(1) else {
        // The only method that reached the target in every run (or the only one left): it
        // wins when the others are there to lose and it has more than one run.
        let others = alive.len() - 1;
        if !all_reached.is_empty() && others > 0 {
            if f.n >= 2 {
                let text = format!(
                    "{name} wins: it {what} {}; no other method reached it in every run.",
                    range(&f)
                );
                return (text, Some(first.method.clone()), vec![]);
            }
            let text = format!(
                "{name} {what} {}; no other method reached it. One run per method: set Repeats to 3 or more to tell a difference from chance.",
                range(&f)
            );
            return (text, None, vec![]);
        }
        return (format!("{lead}{name} {what} {}.", range(&f)), None, vec![]);
    };
    let runner = label(&second.method);
    if f.n < 2 || g.n < 2 {
        let how = if all_reached.is_empty() {
            "had the lowest loss,"
        } else {
            "was first to the target, in"
        };
        let (a, b) = (fmt(f.median), fmt(g.median));
        let text = format!(
            "{lead}{name} {how} {a}{unit}, {runner} {b}{unit}. One run per method: set Repeats to 3 or more to tell a difference from chance."
        );
        return (text, None, vec![]);
    }
    if f.hi < g.lo {
        let text = format!(
            "{lead}{name} wins: it {what} {}, clear of {runner}: {}.",
            range(&f),
            range(&g)
        );
        return (text, Some(first.method.clone()), vec![]);
    }
    // Everyone whose range overlaps the leader's ties with it.
    let tied: Vec<(&MethodSummary, Spread)> = ranked
        .iter()
        .copied()
        .filter(|(_, s)| s.lo <= f.hi)
        .collect();
    let names: Vec<String> = tied.iter().map(|(m, _)| label(&m.method)).collect();
    let ranges: Vec<String> = tied
        .iter()
        .map(|(m, s)| format!("{}: {}–{}{unit}", label(&m.method), fmt(s.lo), fmt(s.hi)))
        .collect();
    let text = format!(
        "{lead}{} tie: their ranges overlap ({}). More repeats may separate them.",
        names.join(" and "),
        ranges.join("; ")
    );
    (
        text,
        None,
        tied.iter().map(|(m, _)| m.method.clone()).collect(),
    )
}
