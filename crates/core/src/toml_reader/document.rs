//! The document a TOML reader builds, and the specification's table rules:
//! no table defined twice, no key added to an inline table, arrays of
//! tables, and what dotted keys may enter.
//!
//! What the rules need to know about a table (was it opened by a header,
//! made by dotted keys, is it open at all) sits in a tree of `Marks` beside
//! the value, one node per open table, so each step of a key costs one
//! lookup however large the document is.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One step of a path through the document: a key, or the element of an
/// array of tables.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    marks: Marks,
    /// The table `key = value` lines go into.
    current: TablePath,
}

/// An open table: one made by a header, implied by one (a table a header
/// or an array of tables lies in), made by dotted keys, or an element of
/// an array of tables. A table from `{ … }` has no marks: it is closed.
#[derive(Default)]
struct Marks {
    /// Opened by its own `[header]`, which may appear once.
    header: bool,
    /// Made by dotted keys: a `[header]` may not reopen it.
    dotted: bool,
    /// The open tables in this one, by key.
    tables: BTreeMap<String, Marks>,
    /// The arrays made by `[[header]]` in this one, by key; other arrays
    /// are values and closed.
    arrays: BTreeMap<String, Vec<Marks>>,
}

type Table = Map<String, Value>;

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

/// The table at `path` under `table`, and its marks.
fn walk<'d>(
    mut table: &'d mut Table,
    mut marks: &'d mut Marks,
    path: &[Step],
) -> (&'d mut Table, &'d mut Marks) {
    let mut at = 0;
    while at < path.len() {
        let Step::Key(key) = &path[at] else {
            unreachable!("paths start every element with its key")
        };
        at += 1;
        let child = table
            .get_mut(key)
            .expect("path was built from the document");
        (table, marks) = match child {
            Value::Object(map) => (map, marks.tables.get_mut(key).expect("an open table")),
            Value::Array(items) => {
                let Some(Step::Element(i)) = path.get(at) else {
                    unreachable!("an array step is followed by its element")
                };
                at += 1;
                let Value::Object(map) = &mut items[*i] else {
                    unreachable!("arrays of tables hold tables")
                };
                let elements = marks.arrays.get_mut(key).expect("an array of tables");
                (map, &mut elements[*i])
            }
            _ => unreachable!("path was built from the document"),
        };
    }
    (table, marks)
}

/// Whether `keys` may enter the existing table they name (with `marks`,
/// none when it is closed); `last` when they end there.
fn check_enter_table(
    marks: Option<&Marks>,
    keys: &[String],
    dotted: bool,
    last: bool,
) -> Result<(), String> {
    // As the `toml` crate reads it: a dotted key never enters a table
    // with its own [header], and it puts values only into tables that
    // dotted keys made.
    let (header, made_dotted) = marks.map_or((false, false), |m| (m.header, m.dotted));
    if dotted && (header || (last && !made_dotted)) {
        return Err(format!(
            "`{}` is a table with its own [header]; a dotted key cannot add to it",
            show(keys)
        ));
    }
    if marks.is_none() {
        return Err(format!(
            "`{}` is an inline table; it cannot be extended",
            show(keys)
        ));
    }
    Ok(())
}

impl Document {
    /// How many tables and arrays below the root hold the current table's
    /// keys.
    pub(super) fn depth(&self) -> usize {
        self.current.len()
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
        let (mut table, mut marks) = walk(&mut self.root, &mut self.marks, start);
        for (i, key) in keys.iter().enumerate() {
            let created = !table.contains_key(key);
            if created {
                table.insert(key.clone(), Value::Object(Map::new()));
                let made = Marks {
                    dotted,
                    ..Marks::default()
                };
                marks.tables.insert(key.clone(), made);
            }
            path.push(Step::Key(key.clone()));
            let last = i + 1 == keys.len();
            let child = table.get_mut(key).expect("the key is there");
            let table_array = matches!(child, Value::Array(_)) && marks.arrays.contains_key(key);
            if !matches!(child, Value::Object(_)) && !table_array {
                return Err(format!(
                    "`{}` is already {}; it cannot also be a table",
                    show(&keys[..=i]),
                    describe(child)
                ));
            }
            (table, marks) = match child {
                Value::Object(map) => {
                    if !created {
                        check_enter_table(marks.tables.get(key), &keys[..=i], dotted, last)?;
                    }
                    (map, marks.tables.get_mut(key).expect("checked above"))
                }
                Value::Array(items) => {
                    // A dotted key may pass through the latest table of an
                    // array (as the `toml` crate allows) but not add a key
                    // to it directly: that table has its own [[header]].
                    if dotted && last {
                        return Err(format!(
                            "`{}` is an array of tables; a dotted key cannot add to it",
                            show(&keys[..=i])
                        ));
                    }
                    path.push(Step::Element(items.len() - 1));
                    let Some(Value::Object(map)) = items.last_mut() else {
                        unreachable!("arrays of tables hold tables")
                    };
                    let elements = marks.arrays.get_mut(key).expect("an array of tables");
                    (map, elements.last_mut().expect("one per table"))
                }
                _ => unreachable!("refused above"),
            };
        }
        Ok(path)
    }

    pub(super) fn open_table(&mut self, keys: &[String]) -> Result<(), String> {
        let (last, parents) = keys.split_last().expect("a header has a key");
        let parent = self.descend(&[], parents, false)?;
        let (table, marks) = walk(&mut self.root, &mut self.marks, &parent);
        match table.get(last) {
            None => {
                table.insert(last.clone(), Value::Object(Map::new()));
                marks.tables.insert(last.clone(), Marks::default());
            }
            Some(Value::Object(_)) => match marks.tables.get(last) {
                Some(m) if m.header => {
                    return Err(format!("table [{}] is defined twice", show(keys)));
                }
                Some(m) if m.dotted => {
                    return Err(format!(
                        "table [{}] was already made by dotted keys; it cannot get a header too",
                        show(keys)
                    ));
                }
                Some(_) => {}
                None => {
                    return Err(format!(
                        "`{}` is an inline table; it cannot be extended",
                        show(keys)
                    ));
                }
            },
            Some(other) => {
                return Err(format!(
                    "`{}` is already {}; it cannot also be a table",
                    show(keys),
                    describe(other)
                ));
            }
        }
        marks.tables.get_mut(last).expect("made above").header = true;
        let mut path = parent;
        path.push(Step::Key(last.clone()));
        self.current = path;
        Ok(())
    }

    pub(super) fn open_array_element(&mut self, keys: &[String]) -> Result<(), String> {
        let (last, parents) = keys.split_last().expect("a header has a key");
        let parent = self.descend(&[], parents, false)?;
        let (table, marks) = walk(&mut self.root, &mut self.marks, &parent);
        let is_table_array = marks.arrays.contains_key(last);
        let index = match table.get_mut(last) {
            None => {
                table.insert(last.clone(), Value::Array(vec![Value::Object(Map::new())]));
                marks.arrays.insert(last.clone(), vec![Marks::default()]);
                0
            }
            Some(Value::Array(items)) if is_table_array => {
                items.push(Value::Object(Map::new()));
                let elements = marks.arrays.get_mut(last).expect("an array of tables");
                elements.push(Marks::default());
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
        let mut path = parent;
        path.push(Step::Key(last.clone()));
        path.push(Step::Element(index));
        self.current = path;
        Ok(())
    }

    pub(super) fn insert(&mut self, keys: &[String], value: Value) -> Result<(), String> {
        let (last, parents) = keys.split_last().expect("a key has a name");
        let current = std::mem::take(&mut self.current);
        let parent = self.descend(&current, parents, true);
        self.current = current;
        let (table, _) = walk(&mut self.root, &mut self.marks, &parent?);
        if table.contains_key(last) {
            return Err(format!("key `{}` is defined twice", show(keys)));
        }
        table.insert(last.clone(), value);
        Ok(())
    }
}
