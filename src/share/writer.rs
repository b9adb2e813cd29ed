//! Writing a state as a v1 payload: the JSON a link carries, with only what differs from
//! v1's frozen defaults. The settings are compared and written path by path as
//! `settings::SETTINGS` lists them; the script (or preset id) comes last, so that a cut link
//! keeps the rest.

use super::v1::{self, v1_defaults, CSV_PATH};
use super::{err, run_settings, ShareError, ShareSettings, ShareState};
use crate::settings::lookup;
use serde::Serialize;
use serde_json::Value;

/// The payload JSON: methods, settings that differ from v1's defaults, charts when not all,
/// then the preset id or the script (last, so a truncated link keeps the settings).
pub(super) fn wire_json(state: &ShareState) -> Result<String, ShareError> {
    let d = v1_defaults();
    let mut top = Tree::default();
    if state.methods != d.methods {
        top.insert("methods", json(&state.methods)?);
    }
    let settings = settings_diff(&state.settings)?;
    if !settings.is_empty() {
        top.put_tree("settings", settings);
    }
    if state.charts != d.charts {
        top.insert("charts", json(&state.charts)?);
    }
    match (&state.preset, &state.script) {
        (Some(p), _) => top.insert("preset", p.as_str().into()),
        (None, Some(s)) => top.insert("script", s.as_str().into()),
        (None, None) => return err("There is no script to share."),
    }
    Ok(top.to_json())
}

/// The settings that differ from v1's defaults, nested by their paths in the table's
/// order; the CSV data (when the data come from CSV) last with its group, as it may be long.
fn settings_diff(s: &ShareSettings) -> Result<Tree, ShareError> {
    let now = json(s)?;
    let v1 = v1::settings_value();
    let mut diff = Tree::default();
    for path in run_settings().map(|s| s.path) {
        let v = lookup(&now, path);
        if v != lookup(&v1, path) {
            diff.insert(path, v.clone());
        }
    }
    if v1::keeps_csv(s) && s.data.csv != v1_defaults().settings.data.csv {
        diff.insert(CSV_PATH, s.data.csv.as_str().into());
    }
    if let Some((group, _)) = CSV_PATH.split_once('.') {
        diff.move_last(group);
    }
    Ok(diff)
}

fn json<T: Serialize + ?Sized>(v: &T) -> Result<Value, ShareError> {
    serde_json::to_value(v).map_err(|e| ShareError(format!("internal error: {e}")))
}

/// A JSON object that keeps its members in the order they were added (serde_json's `Map`
/// sorts them; a link writes its script last, so that a cut link keeps the rest). The
/// reader gathers what it read in one too, path by path.
#[derive(Default)]
pub(super) struct Tree(Vec<(String, Node)>);

enum Node {
    Leaf(Value),
    Tree(Tree),
}

impl Tree {
    /// Sets the value at a dotted path, adding the objects on the way.
    pub fn insert(&mut self, path: &str, v: Value) {
        match path.split_once('.') {
            None => self.put(path, Node::Leaf(v)),
            Some((key, rest)) => {
                if !matches!(
                    self.0.iter().find(|(k, _)| k == key),
                    Some((_, Node::Tree(_)))
                ) {
                    self.put(key, Node::Tree(Tree::default()));
                }
                if let Some((_, Node::Tree(t))) = self.0.iter_mut().find(|(k, _)| k == key) {
                    t.insert(rest, v);
                }
            }
        }
    }

    /// Sets `key` (replacing its value, in place, when there is one).
    fn put(&mut self, key: &str, node: Node) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some((_, n)) => *n = node,
            None => self.0.push((key.to_string(), node)),
        }
    }

    pub fn put_tree(&mut self, key: &str, t: Tree) {
        self.put(key, Node::Tree(t));
    }

    /// Moves the member `key`, if any, to the end.
    pub fn move_last(&mut self, key: &str) {
        if let Some(i) = self.0.iter().position(|(k, _)| k == key) {
            let member = self.0.remove(i);
            self.0.push(member);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The JSON text, members in order.
    pub fn to_json(&self) -> String {
        let members: Vec<String> = self
            .0
            .iter()
            .map(|(k, n)| {
                let v = match n {
                    Node::Leaf(v) => v.to_string(),
                    Node::Tree(t) => t.to_json(),
                };
                format!("{}:{v}", Value::from(k.as_str()))
            })
            .collect();
        format!("{{{}}}", members.join(","))
    }

    pub fn into_value(self) -> Value {
        Value::Object(
            self.0
                .into_iter()
                .map(|(k, n)| match n {
                    Node::Leaf(v) => (k, v),
                    Node::Tree(t) => (k, t.into_value()),
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(f: impl FnOnce(&mut ShareSettings)) -> String {
        let mut s = ShareState {
            preset: Some("smooth".into()),
            ..v1_defaults()
        };
        f(&mut s.settings);
        wire_json(&s).unwrap()
    }

    #[test]
    fn only_settings_that_differ_are_written_nested_and_the_csv_group_last() {
        assert_eq!(payload(|_| {}), r#"{"preset":"smooth"}"#);
        let p = payload(|s| {
            s.data.source = "csv".into();
            s.data.csv = "1,2\n".into();
            s.data.samples = Some(300);
            s.seed = 7;
            s.optimizer.clip = 0.0;
            s.method_settings.k = 9;
        });
        assert_eq!(
            p,
            r#"{"settings":{"seed":7,"optimizer":{"clip":0.0},"methodSettings":{"k":9},"data":{"source":"csv","samples":300,"csv":"1,2\n"}},"preset":"smooth"}"#
        );
        // CSV data travel only when the data come from CSV.
        let p = payload(|s| s.data.csv = "1,2\n".into());
        assert_eq!(p, r#"{"preset":"smooth"}"#);
    }
}
