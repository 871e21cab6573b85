//! One declaration per scenario field.
//!
//! `spec!` takes a struct whose fields are written once each,
//!
//! ```text
//! spec! {
//!     #[derive(Clone, Debug, PartialEq, Serialize)]
//!     pub struct PoolSpec {
//!         /// Concurrent workers.
//!         workers: u32 = default(8), int(1.0, 4096.0, "concurrent workers").log();
//!         #[serde(skip_serializing_if = "Option::is_none")]
//!         limit: Option<Bytes> = optional, bytes(0.0, 64.0 * GI, "a limit");
//!     }
//! }
//! ```
//!
//! and writes the struct (every field `pub`, its attributes and doc comments
//! kept, so serialization is unchanged), its `Default`, its `FromValue` and
//! `PoolSpec::rules`, which adds the fields' `params` rules under the
//! caller's path.
//!
//! After `=` comes how the field decodes: `default(EXPR)` (absent means
//! EXPR, which is also its `Default`), `required` (absent is a problem;
//! `Default` takes the type's own) or `optional` (an `Option`: absent or
//! null is `None`). Decoding goes through `crate::decode::Fields`, field by
//! field in declaration order, so every problem of a table is reported at
//! once, each with its path, in that order.
//!
//! After the comma comes the field's rule: a leaf (`int`, `float`,
//! `duration`, `bytes`, `cpu`, `boolean`, `text`, `choice`, in base units:
//! micros, bytes, millicores), `each(..)` for every element of a list or
//! map (`calls.*`), or `section(T::rules)` for a nested struct. The rules
//! table is the root's rules with every section expanded in place, so its
//! order is the order of the declarations.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ParamKind {
    Int,
    Float,
    /// Microseconds; written with a unit.
    Duration,
    Bytes,
    /// Millicores.
    Cpu,
    Bool,
    Enum(&'static [&'static str]),
    Text,
}

/// Writes a scenario struct, its `Default`, its decoding and its rules
/// from one declaration per field (see the module's documentation).
macro_rules! spec {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[$field_meta:meta])*
                $field:ident : $ty:ty = $how:ident $(($default:expr))? , $knob:expr ;
            )*
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $( $(#[$field_meta])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name { $( $field: spec!(@default $how $(($default))?), )* }
            }
        }

        impl $crate::decode::FromValue for $name {
            fn from_value(
                value: &serde_json::Value,
                path: $crate::decode::Path<'_>,
            ) -> Result<Self, $crate::problem::Problems> {
                let mut fields = $crate::decode::Fields::new(value, path)?;
                let decoded = $name {
                    $( $field: spec!(@decode fields, stringify!($field), $how $(($default))?), )*
                };
                fields.finish(decoded)
            }
        }

        impl $name {
            /// The fields' `params` rules, in declaration order, under the
            /// path `at` has reached.
            pub(in $crate::scenario) fn rules(at: &mut $crate::scenario::spec::Rules) {
                $( at.field(stringify!($field), $knob); )*
            }
        }
    };
    (@default default($default:expr)) => { $default };
    (@default required) => { Default::default() };
    (@default optional) => { None };
    (@decode $fields:ident, $key:expr, default($default:expr)) => { $fields.or($key, $default) };
    (@decode $fields:ident, $key:expr, required) => { $fields.required($key) };
    (@decode $fields:ident, $key:expr, optional) => { $fields.optional($key) };
}

/// Base units of the rules' ranges: micros for durations, bytes for sizes.
pub(super) const US: f64 = 1.0;
pub(super) const MS: f64 = 1_000.0 * US;
pub(super) const S: f64 = 1_000.0 * MS;
pub(super) const MIN: f64 = 60.0 * S;
pub(super) const H: f64 = 60.0 * MIN;
pub(super) const KI: f64 = crate::units::KIB as f64;
pub(super) const MI: f64 = crate::units::MIB as f64;
pub(super) const GI: f64 = crate::units::GIB as f64;

/// One settable parameter: its path pattern (`*` for any name or index),
/// its kind, its allowed range and a line of help.
pub(super) struct Rule {
    pub segments: Vec<&'static str>,
    pub kind: ParamKind,
    /// In base units: micros, bytes, millicores, or the number itself.
    pub min: f64,
    pub max: f64,
    /// The range spans decades: sliders use a log scale.
    pub log: bool,
    pub help: String,
}

#[cfg(test)]
impl Rule {
    /// `services.*.go.gogc`.
    pub fn pattern(&self) -> String {
        self.segments.join(".")
    }
}

/// What a leaf field's declaration says about its rule.
#[derive(Clone, Copy)]
pub(super) struct Leaf {
    kind: ParamKind,
    min: f64,
    max: f64,
    log: bool,
    help: &'static str,
}

impl Leaf {
    /// The range spans decades: sliders use a log scale.
    pub const fn log(self) -> Leaf {
        Leaf { log: true, ..self }
    }
}

const fn leaf(kind: ParamKind, min: f64, max: f64, help: &'static str) -> Leaf {
    Leaf {
        kind,
        min,
        max,
        log: false,
        help,
    }
}

pub(super) const fn int(min: f64, max: f64, help: &'static str) -> Leaf {
    leaf(ParamKind::Int, min, max, help)
}

pub(super) const fn float(min: f64, max: f64, help: &'static str) -> Leaf {
    leaf(ParamKind::Float, min, max, help)
}

/// A range in micros (`10.0 * S`), written with a unit in files.
pub(super) const fn duration(min_us: f64, max_us: f64, help: &'static str) -> Leaf {
    leaf(ParamKind::Duration, min_us, max_us, help)
}

pub(super) const fn bytes(min_bytes: f64, max_bytes: f64, help: &'static str) -> Leaf {
    leaf(ParamKind::Bytes, min_bytes, max_bytes, help)
}

pub(super) const fn cpu(min_millicores: f64, max_millicores: f64, help: &'static str) -> Leaf {
    leaf(ParamKind::Cpu, min_millicores, max_millicores, help)
}

pub(super) const fn boolean(help: &'static str) -> Leaf {
    leaf(ParamKind::Bool, 0.0, 0.0, help)
}

pub(super) const fn text(help: &'static str) -> Leaf {
    leaf(ParamKind::Text, 0.0, 0.0, help)
}

pub(super) const fn choice(names: &'static [&'static str], help: &'static str) -> Leaf {
    leaf(ParamKind::Enum(names), 0.0, 0.0, help)
}

/// The names of an enum's `(name, value)` table, for its `choice` rule, so
/// the names are written once.
pub(super) const fn names_of<T: Copy, const N: usize>(
    table: &[(&'static str, T); N],
) -> [&'static str; N] {
    let mut names = [""; N];
    let mut i = 0;
    while i < N {
        names[i] = table[i].0;
        i += 1;
    }
    names
}

/// A nested struct's rules, under the field's name.
pub(super) struct Section {
    rules: fn(&mut Rules),
    help_prefix: &'static str,
    help_of: Vec<(&'static str, &'static str)>,
}

pub(super) fn section(rules: fn(&mut Rules)) -> Section {
    Section {
        rules,
        help_prefix: "",
        help_of: Vec::new(),
    }
}

impl Section {
    /// Starts the help of every rule of this section: the same struct at
    /// two places (the liveness and the readiness probe) says which it is.
    pub fn help_prefix(mut self, prefix: &'static str) -> Section {
        self.help_prefix = prefix;
        self
    }

    /// Replaces the declared help of one field (a path relative to the
    /// section) where its meaning depends on the place.
    pub fn help_of(mut self, field: &'static str, help: &'static str) -> Section {
        self.help_of.push((field, help));
        self
    }
}

/// A field's rule: one leaf, a nested struct, or the same for every
/// element of a list or map.
pub(super) enum Knob {
    Leaf(Leaf),
    Section(Section),
    Each(Box<Knob>),
}

impl From<Leaf> for Knob {
    fn from(leaf: Leaf) -> Knob {
        Knob::Leaf(leaf)
    }
}

impl From<Section> for Knob {
    fn from(section: Section) -> Knob {
        Knob::Section(section)
    }
}

/// Every element of a list or map: `calls.*`, `routes.*.cpu`.
pub(super) fn each(knob: impl Into<Knob>) -> Knob {
    Knob::Each(Box::new(knob.into()))
}

/// The help context of the section being expanded.
struct HelpScope {
    /// Path segments above the section.
    depth: usize,
    prefix: &'static str,
    help_of: Vec<(&'static str, &'static str)>,
}

/// Builds the rules table: each struct's `rules` adds its fields under the
/// path reached so far.
pub(super) struct Rules {
    table: Vec<Rule>,
    at: Vec<&'static str>,
    scope: HelpScope,
}

impl Rules {
    /// Every rule under `root`, in declaration order.
    pub fn table(root: fn(&mut Rules)) -> Vec<Rule> {
        let mut rules = Rules {
            table: Vec::new(),
            at: Vec::new(),
            scope: HelpScope {
                depth: 0,
                prefix: "",
                help_of: Vec::new(),
            },
        };
        root(&mut rules);
        rules.table
    }

    /// One field: its name, then what its rule says.
    pub fn field(&mut self, name: &'static str, knob: impl Into<Knob>) {
        self.at.push(name);
        self.expand(knob.into());
        self.at.pop();
    }

    fn expand(&mut self, knob: Knob) {
        match knob {
            Knob::Leaf(leaf) => self.push(leaf),
            Knob::Each(inner) => {
                self.at.push("*");
                self.expand(*inner);
                self.at.pop();
            }
            Knob::Section(section) => {
                let inner = HelpScope {
                    depth: self.at.len(),
                    prefix: section.help_prefix,
                    help_of: section.help_of,
                };
                let outer = std::mem::replace(&mut self.scope, inner);
                (section.rules)(self);
                self.scope = outer;
            }
        }
    }

    fn push(&mut self, leaf: Leaf) {
        let field = self.at[self.scope.depth..].join(".");
        let help = self
            .scope
            .help_of
            .iter()
            .find(|(name, _)| *name == field)
            .map_or(leaf.help, |(_, help)| *help);
        self.table.push(Rule {
            segments: self.at.clone(),
            kind: leaf.kind,
            min: leaf.min,
            max: leaf.max,
            log: leaf.log,
            help: format!("{}{help}", self.scope.prefix),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inner(at: &mut Rules) {
        at.field("period", duration(S, 5.0 * MIN, "period"));
        at.field("failures", int(1.0, 20.0, "failures before a restart"));
    }

    fn root(at: &mut Rules) {
        at.field("name", text("short identifier"));
        at.field("calls", each(text("a call")));
        at.field("live", section(inner).help_prefix("live: "));
        at.field(
            "ready",
            each(
                section(inner)
                    .help_prefix("ready: ")
                    .help_of("failures", "failures before unready"),
            ),
        );
        at.field("users", int(0.0, 20_000.0, "users").log());
    }

    #[test]
    fn sections_expand_in_place_under_their_field() {
        let table = Rules::table(root);
        let shown: Vec<String> = table
            .iter()
            .map(|r| format!("{} {} {}", r.pattern(), r.log, r.help))
            .collect();
        assert_eq!(
            shown,
            [
                "name false short identifier",
                "calls.* false a call",
                "live.period false live: period",
                "live.failures false live: failures before a restart",
                "ready.*.period false ready: period",
                "ready.*.failures false ready: failures before unready",
                "users true users",
            ]
        );
    }

    #[test]
    fn names_come_from_the_enum_table() {
        const NAMES: [&str; 2] = names_of(&[("on", true), ("off", false)]);
        assert_eq!(NAMES, ["on", "off"]);
    }
}
