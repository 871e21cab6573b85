//! The document a TOML reader builds, and the specification's table rules:
//! no table defined twice, no key added to an inline table, arrays of
//! tables, and what dotted keys may enter.

use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// One step of a path through the document: a key, or the element of an
/// array of tables.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Key(String),
    Element(usize),
}

type TablePath = Vec<Step>;

/// The document being built, and what the specification needs remembered
/// about its tables.
#[derive(Default)]
pub(super) struct Document {
    pub(super) root: Map<String, Value>,
    /// Tables opened by a `[header]`: each may be opened once.
    headers: BTreeSet<TablePath>,
    /// Tables created by dotted keys: a `[header]` may not reopen them.
    dotted: BTreeSet<TablePath>,
    /// Arrays made by `[[header]]`; other arrays are values and closed.
    table_arrays: BTreeSet<TablePath>,
    /// The table `key = value` lines go into.
    current: TablePath,
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Object(_) => "a table",
        Value::Array(_) => "an array",
        _ => "a value",
    }
}

fn show(keys: &[String]) -> String {
    keys.join(".")
}

impl Document {
    /// The table at `path`.
    fn table_mut(&mut self, path: &[Step]) -> &mut Map<String, Value> {
        let mut table = &mut self.root;
        let mut at = 0;
        while at < path.len() {
            let Step::Key(key) = &path[at] else {
                unreachable!("paths start every element with its key")
            };
            let child = table
                .get_mut(key)
                .expect("path was built from the document");
            at += 1;
            table = match child {
                Value::Object(map) => map,
                Value::Array(items) => {
                    let Some(Step::Element(i)) = path.get(at) else {
                        unreachable!("an array step is followed by its element")
                    };
                    at += 1;
                    match &mut items[*i] {
                        Value::Object(map) => map,
                        _ => unreachable!("arrays of tables hold tables"),
                    }
                }
                _ => unreachable!("path was built from the document"),
            };
        }
        table
    }

    /// Walks `keys` from `start`, creating missing tables, and returns the
    /// path of the table it ends in. `dotted` marks created tables as made by
    /// a dotted key (rather than implied by a header).
    fn descend(
        &mut self,
        start: &[Step],
        keys: &[String],
        dotted: bool,
    ) -> Result<TablePath, String> {
        let mut path = start.to_vec();
        for (i, key) in keys.iter().enumerate() {
            let table = self.table_mut(&path);
            let found = match table.get(key) {
                None => {
                    table.insert(key.clone(), Value::Object(Map::new()));
                    None
                }
                Some(Value::Array(items)) => Some(Err((items.len(), "an array"))),
                Some(Value::Object(_)) => Some(Ok(())),
                Some(other) => Some(Err((0, describe(other)))),
            };
            path.push(Step::Key(key.clone()));
            let shown = || show(&keys[..=i]);
            let last = i + 1 == keys.len();
            match found {
                None if dotted => {
                    self.dotted.insert(path.clone());
                }
                None => {}
                Some(Ok(())) => {
                    self.check_enter_table(&path, &keys[..=i], dotted, last)?;
                }
                Some(Err((len, _))) if self.table_arrays.contains(&path) => {
                    // A dotted key may pass through the latest table of an
                    // array (as the `toml` crate allows) but not add a key
                    // to it directly: that table has its own [[header]].
                    if dotted && last {
                        return Err(format!(
                            "`{}` is an array of tables; a dotted key cannot add to it",
                            shown()
                        ));
                    }
                    path.push(Step::Element(len - 1));
                }
                Some(Err((_, what))) => {
                    return Err(format!(
                        "`{}` is already {what}; it cannot also be a table",
                        shown()
                    ));
                }
            }
        }
        Ok(path)
    }

    /// Whether `keys` (ending in `path`, a table that exists) may enter it;
    /// `last` when they end there.
    fn check_enter_table(
        &self,
        path: &TablePath,
        keys: &[String],
        dotted: bool,
        last: bool,
    ) -> Result<(), String> {
        // As the `toml` crate reads it: a dotted key never enters a table
        // with its own [header], and it puts values only into tables that
        // dotted keys made.
        if dotted && (self.headers.contains(path) || (last && !self.dotted.contains(path))) {
            return Err(format!(
                "`{}` is a table with its own [header]; a dotted key cannot add to it",
                show(keys)
            ));
        }
        if !self.is_open(path) {
            return Err(format!(
                "`{}` is an inline table; it cannot be extended",
                show(keys)
            ));
        }
        Ok(())
    }

    /// A table is open to new keys when it was made by a header, implied
    /// by one, or made by dotted keys — not when it came from `{ … }`.
    fn is_open(&self, path: &TablePath) -> bool {
        // Inline tables are recorded nowhere; tables implied by a header
        // are the parents of recorded ones.
        self.headers.contains(path)
            || self.dotted.contains(path)
            || self
                .headers
                .iter()
                .any(|h| h.len() > path.len() && h.starts_with(path))
            || self
                .table_arrays
                .iter()
                .any(|a| a.len() >= path.len() && a.starts_with(path))
            || path.last().is_some_and(|s| matches!(s, Step::Element(_)))
    }

    pub(super) fn open_table(&mut self, keys: &[String]) -> Result<(), String> {
        let (last, parents) = keys.split_last().expect("a header has a key");
        let parent = self.descend(&[], parents, false)?;
        let mut path = parent.clone();
        path.push(Step::Key(last.clone()));
        let table = self.table_mut(&parent);
        match table.get(last) {
            None => {
                table.insert(last.clone(), Value::Object(Map::new()));
            }
            Some(Value::Object(_)) => {
                if self.headers.contains(&path) {
                    return Err(format!("table [{}] is defined twice", show(keys)));
                }
                if self.dotted.contains(&path) {
                    return Err(format!(
                        "table [{}] was already made by dotted keys; it cannot get a header too",
                        show(keys)
                    ));
                }
                if !self.is_open(&path) {
                    return Err(format!(
                        "`{}` is an inline table; it cannot be extended",
                        show(keys)
                    ));
                }
            }
            Some(other) => {
                return Err(format!(
                    "`{}` is already {}; it cannot also be a table",
                    show(keys),
                    describe(other)
                ));
            }
        }
        self.headers.insert(path.clone());
        self.current = path;
        Ok(())
    }

    pub(super) fn open_array_element(&mut self, keys: &[String]) -> Result<(), String> {
        let (last, parents) = keys.split_last().expect("a header has a key");
        let parent = self.descend(&[], parents, false)?;
        let mut path = parent.clone();
        path.push(Step::Key(last.clone()));
        let is_table_array = self.table_arrays.contains(&path);
        let table = self.table_mut(&parent);
        let index = match table.get_mut(last) {
            None => {
                table.insert(last.clone(), Value::Array(vec![Value::Object(Map::new())]));
                self.table_arrays.insert(path.clone());
                0
            }
            Some(Value::Array(items)) if is_table_array => {
                items.push(Value::Object(Map::new()));
                items.len() - 1
            }
            Some(other) => {
                return Err(format!(
                    "`{}` is already {}; it cannot also be an array of tables",
                    show(keys),
                    describe(other)
                ));
            }
        };
        path.push(Step::Element(index));
        self.current = path;
        Ok(())
    }

    pub(super) fn insert(&mut self, keys: &[String], value: Value) -> Result<(), String> {
        let (last, parents) = keys.split_last().expect("a key has a name");
        let current = self.current.clone();
        let parent = self.descend(&current, parents, true)?;
        let table = self.table_mut(&parent);
        if table.contains_key(last) {
            return Err(format!("key `{}` is defined twice", show(keys)));
        }
        table.insert(last.clone(), value);
        Ok(())
    }
}
