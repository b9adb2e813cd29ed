//! Reading a payload's JSON object into a state, field by field: a wrong type or an unknown
//! name gives a warning a person can read and the field keeps its v1 default; a number out
//! of range is clamped to its range (`values.rs` reads each value by its kind). The run
//! settings are read as `settings::SETTINGS` lists them, path by path. Used for links and,
//! with stricter rules, for the page's own state before it becomes a link (`encode_json`).

use super::json::J;
use super::v1::{self, v1_defaults, valid_preset_id, CHARTS_V1, CSV_PATH, TOP_KEYS};
use super::writer::Tree;
use super::{run_settings, short, Members, ShareSettings, ShareState};
use crate::methods::Method;
use crate::settings::lookup;

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Mode {
    /// The page's full state handed to `encode_json`.
    Page,
    /// A link's payload.
    Link { damaged: bool },
}

/// How messages name a group of settings (by its path): "Optimiser settings: …",
/// "The optimiser setting "x" is not known …". A group not named here goes by its key.
const GROUP_WORDS: [(&str, &str); 4] = [
    ("data", "data"),
    ("network", "network"),
    ("optimizer", "optimiser"),
    ("methodSettings", "method"),
];

#[derive(Default)]
pub(super) struct Reader {
    pub warnings: Vec<String>,
}

impl Reader {
    pub fn warn(&mut self, w: String) {
        if self.warnings.len() < 50 {
            self.warnings.push(w);
        } else if self.warnings.len() == 50 {
            self.warnings
                .push("More problems were found; the rest are not listed.".into());
        }
    }

    fn unknown_keys(&mut self, obj: &Members, known: &[&str], where_: &str) {
        for (k, _) in obj {
            if !known.contains(&k.as_str()) {
                self.warn(format!(
                    "{where_} {:?} is not known to link format v1 (made by a newer page?); it was ignored.",
                    short(k, 40)
                ));
            }
        }
    }

    fn object<'a>(&mut self, v: Option<&'a J>, label: &str) -> &'a Members {
        match v {
            None => &[],
            Some(J::Obj(o)) => o,
            Some(other) => {
                self.warn(format!(
                    "{label}: expected an object, got {}; its defaults are used.",
                    describe(other)
                ));
                &[]
            }
        }
    }

    pub fn state(&mut self, obj: &Members, mode: Mode) -> ShareState {
        let d = v1_defaults();
        let page = mode == Mode::Page;
        let damaged = matches!(mode, Mode::Link { damaged: true });
        let mut known: Vec<&str> = TOP_KEYS.to_vec();
        if page {
            known.push("embed");
        }
        self.unknown_keys(obj, &known, "The field");

        let methods = match get(obj, "methods") {
            None => d.methods.clone(),
            Some(J::Arr(items)) => {
                let methods =
                    self.names(items, &Method::ALL, Method::from_name, |item| match item {
                        J::Str(s) => format!(
                            "The method {:?} is not known; it was left out.",
                            short(s, 30)
                        ),
                        other => format!(
                            "Methods: {} is not a method name; it was left out.",
                            describe(other)
                        ),
                    });
                if methods.is_empty() && !items.is_empty() {
                    self.warn(format!(
                        "No method in the link is known; using {}.",
                        d.methods[0].label()
                    ));
                    d.methods.clone()
                } else {
                    methods
                }
            }
            Some(v) => {
                self.warn(format!(
                    "Methods: expected a list of method names, got {}; using {}.",
                    describe(v),
                    d.methods[0].label()
                ));
                d.methods.clone()
            }
        };

        let settings = self.settings(get(obj, "settings"));

        let charts = match get(obj, "charts") {
            None => d.charts.clone(),
            Some(J::Arr(items)) => {
                let known = |s: &str| CHARTS_V1.into_iter().find(|c| *c == s);
                let unknown = |item: &J| {
                    let item = describe(item);
                    format!("Charts: {item} is not a chart of link format v1; it was left out.")
                };
                let names = self.names(items, &CHARTS_V1, known, unknown);
                names.into_iter().map(String::from).collect()
            }
            Some(v) => {
                self.warn(format!(
                    "Charts: expected a list of chart names, got {}; every chart is shown.",
                    describe(v)
                ));
                d.charts.clone()
            }
        };

        let embed = if page {
            self.boolean(obj, "embed", "Embed", false)
        } else {
            false
        };

        let mut preset = match self.text(get(obj, "preset"), "Preset") {
            Some(p) if valid_preset_id(&p) => Some(p),
            Some(p) => {
                self.warn(format!(
                    "The preset name {:?} is not valid; it was ignored.",
                    short(&p, 40)
                ));
                None
            }
            None => None,
        };
        let mut script = self.text(get(obj, "script"), "Script");
        if page {
            // The page sends the preset id when its script is a preset's text.
            if preset.is_some() {
                script = None;
            } else if script.is_none() {
                self.warn("There is no script to share.".into());
            }
        } else if script.is_some() && preset.is_some() {
            self.warn("The link holds both a script and a preset name; the script is used.".into());
            preset = None;
        } else if script.is_none() && preset.is_none() {
            self.warn(if damaged {
                "The script was lost with the damaged part of the link; the default problem is shown.".into()
            } else {
                "The link holds no script; the default problem is shown.".into()
            });
        }
        ShareState {
            script,
            preset,
            methods,
            settings,
            charts,
            embed,
        }
    }

    /// The items of a list that `known` names, in the order of `order` (so each once); every
    /// other item is left out with the warning `unknown` writes for it.
    fn names<T: PartialEq + Copy>(
        &mut self,
        items: &[J],
        order: &[T],
        known: impl Fn(&str) -> Option<T>,
        unknown: impl Fn(&J) -> String,
    ) -> Vec<T> {
        let mut found = Vec::new();
        for item in items {
            let name = match item {
                J::Str(s) => known(s),
                _ => None,
            };
            match name {
                Some(t) => found.push(t),
                None => self.warn(unknown(item)),
            }
        }
        order
            .iter()
            .filter(|t| found.contains(t))
            .copied()
            .collect()
    }

    /// The run settings: each setting of `settings::SETTINGS` read by its kind from its
    /// path, with its v1 default; then the CSV data (not a setting of the table).
    fn settings(&mut self, v: Option<&J>) -> ShareSettings {
        let v1 = v1::settings_value();
        let root = self.object(v, "Settings");
        self.unknown_keys(root, &known_keys(""), "The setting");
        let mut groups: Vec<(&str, &Members)> = vec![("", root)];
        let mut read = Tree::default();
        for s in run_settings() {
            let (group, key) = split_path(s.path);
            let obj = self.group(&mut groups, group);
            let value = self.setting(obj, key, s, lookup(&v1, s.path));
            read.insert(s.path, value);
        }
        let (group, key) = split_path(CSV_PATH);
        let obj = self.group(&mut groups, group);
        let csv = self.text(get(obj, key), "CSV data").unwrap_or_default();
        read.insert(CSV_PATH, csv.into());
        match serde_json::from_value(read.into_value()) {
            Ok(mut s) => {
                v1::drop_unused_csv(&mut s);
                s
            }
            Err(e) => {
                self.warn(format!(
                    "internal error: the settings read do not fit ({e}); the defaults are used."
                ));
                v1_defaults().settings
            }
        }
    }

    /// The object of the settings group at `path` ("" is the settings object itself),
    /// checked the first time it is asked for: an object, and only known names in it.
    fn group<'a>(&mut self, found: &mut Vec<(&'a str, &'a Members)>, path: &'a str) -> &'a Members {
        if let Some((_, obj)) = found.iter().find(|(p, _)| *p == path) {
            return obj;
        }
        let (outer, key) = split_path(path);
        let outer = self.group(found, outer);
        let words = GROUP_WORDS
            .iter()
            .find(|(k, _)| *k == path)
            .map_or(path, |(_, w)| *w);
        let mut label = format!("{words} settings");
        label[..1].make_ascii_uppercase();
        let obj = self.object(get(outer, key), &label);
        self.unknown_keys(obj, &known_keys(path), &format!("The {words} setting"));
        found.push((path, obj));
        obj
    }
}

/// A dotted path as (its group's path, its key): `optimizer.clip` -> (`optimizer`, `clip`).
/// The member `key` of an object (the last one, as in JavaScript, when repeated).
pub(super) fn get<'a>(obj: &'a Members, key: &str) -> Option<&'a J> {
    obj.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// A value as a message shows it.
pub(super) fn describe(v: &J) -> String {
    match v {
        J::Null => "null".into(),
        J::Bool(b) => b.to_string(),
        J::Num(n) => short(n, 30),
        J::Str(s) => format!("the text {:?}", short(s, 30)),
        J::Arr(_) => "a list".into(),
        J::Obj(_) => "an object".into(),
    }
}

fn split_path(path: &str) -> (&str, &str) {
    path.rsplit_once('.').unwrap_or(("", path))
}

/// The names a settings group may hold: the next part of every run setting's path in it
/// (and of the CSV data's).
fn known_keys(group: &str) -> Vec<&'static str> {
    let mut keys = Vec::new();
    for path in run_settings().map(|s| s.path).chain([CSV_PATH]) {
        let rest = if group.is_empty() {
            Some(path)
        } else {
            path.strip_prefix(group).and_then(|r| r.strip_prefix('.'))
        };
        if let Some(k) = rest.and_then(|r| r.split('.').next()) {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_names_a_settings_group_knows_come_from_the_table() {
        for s in run_settings() {
            let (group, key) = split_path(s.path);
            assert!(known_keys(group).contains(&key), "{}", s.path);
            let top = s.path.split('.').next().unwrap();
            assert!(known_keys("").contains(&top), "{}", s.path);
        }
        assert!(known_keys("data").contains(&"csv"));
        assert!(
            !known_keys("").contains(&"watchdog"),
            "a page setting is not in links"
        );
        assert!(
            !known_keys("").contains(&"hRel"),
            "only the first part of a path"
        );
        assert_eq!(known_keys("network"), ["hidden", "activation"]);
    }
}
