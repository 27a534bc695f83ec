//! The YAML layer: serde-saphyr with budgets, span-carrying values, lenient scalars, and the translation of
//! serde-saphyr's errors into [`Diagnostic`]s.
//!
//! Strategy: the raw types deserialize every *scalar* leniently (as [`Any`]) and wrap it in [`Sp`], which records
//! where it came from, so that type and range errors become semantic checks with the key's name, a hint and the
//! exact position, and so that all of them can be reported at once. Only structural errors (YAML syntax, an unknown
//! key, a list where a mapping belongs, a duplicate key, a budget breach) stop deserialization; serde-saphyr reports
//! those with a position, which we re-word here.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, Visitor};
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{Error as YamlError, Location, MessageFormatter, Spanned, UserMessageFormatter};

use super::diag::{Diagnostic, Pos, Source, backticked_list, closest};

/// Largest input file accepted (256 MiB): room for a 10^6-process workload written with spaces and comments.
pub const MAX_FILE_BYTES: usize = 256 * 1024 * 1024;
/// Deepest nesting of YAML collections accepted. The formats need 5 levels.
pub const MAX_DEPTH: usize = 32;
/// Most events replayed from aliases (`*name`) in one file, and most events recorded for anchors (`&name`), against
/// "billion laughs" alias bombs. A bomb is stopped after about 0.15 s (release build).
pub const MAX_ALIAS_REPLAYED_EVENTS: usize = 100_000;
/// Most aliases and most anchors in one file.
pub const MAX_ALIASES: usize = 10_000;

/// The serde-saphyr options every schedgrade YAML file is read with.
pub fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_reader_input_bytes: Some(MAX_FILE_BYTES),
            // Every event and node needs at least one byte of input except those replayed from aliases, which are
            // bounded separately: these caps are linear in the file size.
            max_events: MAX_FILE_BYTES,
            max_nodes: MAX_FILE_BYTES,
            max_total_scalar_bytes: MAX_FILE_BYTES,
            max_depth: MAX_DEPTH,
            // The scanner checks this one before the depth budget sees the events: its error ("recursion limit
            // exceeded") is worded like a depth breach below.
            flow_nesting_limit: MAX_DEPTH,
            max_recorded_anchor_events: MAX_ALIAS_REPLAYED_EVENTS,
            max_aliases: MAX_ALIASES,
            max_anchors: MAX_ALIASES,
            max_merge_keys: MAX_ALIASES,
            max_documents: 2,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_ALIAS_REPLAYED_EVENTS,
            max_replay_stack_depth: MAX_DEPTH,
        },
        // Comments are never read: do not buffer them.
        emit_comments: false,
        // `yes`/`no`/`on`/`off` stay strings, so that `preemptive: yes` gets a clear error instead of a guess.
        strict_booleans: true,
        // `007` stays a string instead of becoming the float 7.0.
        leading_zero_numbers_as_strings: true,
        // `.inf` and `.nan` become strings, rejected with the key's name by the semantic checks.
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::AsString,
        // We render snippets ourselves.
        with_snippet: false,
    }
}

/// A value with the position of the YAML node it came from (for aliases: the position of the alias).
#[derive(Clone, Debug, PartialEq)]
pub struct Sp<T> {
    pub v: T,
    pub pos: Pos,
}

pub fn pos_of(location: &Location) -> Pos {
    if *location == Location::UNKNOWN {
        return Pos::default();
    }
    let span = location.span();
    Pos {
        line: u32::try_from(location.line()).unwrap_or(u32::MAX),
        col: u32::try_from(location.column()).unwrap_or(u32::MAX),
        offset: span.byte_offset().and_then(|o| u32::try_from(o).ok()).unwrap_or(u32::MAX),
        len: u32::try_from(span.len()).unwrap_or(u32::MAX),
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sp<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<T>::deserialize(deserializer)?;
        Ok(Sp { v: spanned.value, pos: pos_of(&spanned.referenced) })
    }
}

/// The schema of `Sp<T>` is the schema of `T`: positions are invisible in the file.
impl<T: JsonSchema> JsonSchema for Sp<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// Any YAML value, kept leniently so that its type can be checked later with a precise message. Collections are
/// skipped (only their kind is kept): a scalar key never legitimately holds one.
#[derive(Clone, Debug, PartialEq)]
pub enum Any {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq,
    Map,
}

impl Any {
    /// How the value is described after "found": `` `0` ``, `` the string `"4"` ``, `a list`...
    pub fn describe(&self, spelling: Option<&str>) -> String {
        // Numbers are shown as written (`0x10`, `1e3`), without backticks, like rustc shows values.
        let spelled = |fallback: String| -> String {
            match spelling {
                Some(s) if !s.is_empty() && s.chars().count() <= 40 && !s.contains('\n') => s.to_string(),
                _ => fallback,
            }
        };
        match self {
            Any::Null => "nothing (null)".to_string(),
            Any::Bool(b) => format!("`{b}`"),
            Any::Int(i) => spelled(i.to_string()),
            Any::Float(f) => spelled(f.to_string()),
            Any::Str(s) => {
                let shown: String = s.chars().take(40).collect();
                let ellipsis = if s.chars().count() > 40 { "..." } else { "" };
                format!("the string `{shown}{ellipsis}`")
            }
            Any::Seq => "a list".to_string(),
            Any::Map => "a mapping".to_string(),
        }
    }
}

pub struct AnyVisitor;

impl<'de> Visitor<'de> for AnyVisitor {
    type Value = Any;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_unit<E>(self) -> Result<Any, E> {
        Ok(Any::Null)
    }
    fn visit_none<E>(self) -> Result<Any, E> {
        Ok(Any::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Any, D::Error> {
        d.deserialize_any(AnyVisitor)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Any, E> {
        Ok(Any::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Any, E> {
        Ok(Any::Int(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Any, E> {
        Ok(Any::Int(v.into()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Any, E> {
        Ok(Any::Int(v))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Any, E> {
        Ok(i128::try_from(v).map_or(Any::Float(v as f64), Any::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Any, E> {
        Ok(Any::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Any, E> {
        Ok(Any::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Any, E> {
        Ok(Any::Str(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Any, E> {
        Ok(Any::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Any, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Any::Seq)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Any, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Any::Map)
    }
}

impl<'de> Deserialize<'de> for Any {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AnyVisitor)
    }
}

/// A mapping kept in source order with positioned keys and values (for maps with free-form keys).
#[derive(Clone, Debug, PartialEq)]
pub struct Entries<K, V>(pub Vec<(Sp<K>, Sp<V>)>);

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for Entries<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<K, V>(PhantomData<(K, V)>);
        impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<K, V> {
            type Value = Entries<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<Sp<K>, Sp<V>>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor(PhantomData))
    }
}

/// The words one YAML format is made of, to word structural errors.
pub struct Vocabulary {
    /// What the document is ("a test case", "a rubric"), for messages about the file as a whole.
    pub document: &'static str,
    /// Each mapping of the format: its name as shown in messages, and its keys.
    pub sections: &'static [(&'static str, &'static [&'static str])],
    /// A hint for a key, e.g. how its value is written.
    pub key_hint: fn(&str) -> Option<String>,
    /// What a minimal valid file looks like, for empty files.
    pub minimal: &'static str,
}

impl Vocabulary {
    fn section_of(&self, expected: &[&str]) -> Option<&'static str> {
        let mut sorted: Vec<&str> = expected.to_vec();
        sorted.sort_unstable();
        self.sections
            .iter()
            .find(|(_, keys)| {
                let mut k: Vec<&str> = keys.to_vec();
                k.sort_unstable();
                k == sorted
            })
            .map(|(name, _)| *name)
    }
}

/// Deserializes `source` as `T` with the budgets of [`options`], translating errors into a diagnostic.
pub fn from_yaml<T: DeserializeOwned>(source: &Source<'_>, vocab: &Vocabulary) -> Result<T, Box<Diagnostic>> {
    if source.text.len() > MAX_FILE_BYTES {
        return Err(Box::new(too_large(source, source.text.len())));
    }
    if source.text.trim().is_empty()
        || source.text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(Box::new(Diagnostic::file_error(
            "empty-file",
            source.path,
            format!("the file is empty: expected {}", vocab.document),
            Some(format!("a minimal file looks like `{}`", vocab.minimal)),
        )));
    }
    serde_saphyr::from_str_with_options::<T>(source.text, options()).map_err(|e| Box::new(translate(&e, source, vocab)))
}

pub fn too_large(source: &Source<'_>, size: usize) -> Diagnostic {
    Diagnostic::file_error(
        "file-too-large",
        source.path,
        format!("the file is {size} bytes, more than the limit of {MAX_FILE_BYTES} bytes (256 MiB)"),
        Some("split the workload into several test cases".to_string()),
    )
}

/// The innermost error, and the position the user should look at (for aliases: the alias).
fn unwrap_error(err: &YamlError) -> (&YamlError, Option<Location>) {
    match err {
        YamlError::WithSnippet { error, .. } => unwrap_error(error),
        YamlError::AliasError { error, locations, .. } => {
            let (inner, loc) = unwrap_error(error);
            (inner, locations.primary_location().or(loc))
        }
        other => (other, other.location()),
    }
}

/// Finds the key whose value starts at byte `offset` (`key: value`), by reading backwards from the value.
pub fn key_before(text: &str, offset: usize) -> Option<(usize, &str)> {
    let before = text.get(..offset)?.trim_end();
    let before = before.strip_suffix(':')?.trim_end_matches([' ', '\t']);
    let (start, key) = if let Some(inner) = before.strip_suffix(['"', '\'']) {
        let open = inner.rfind(['"', '\''])?;
        (open, &inner[open + 1..])
    } else {
        let start = before
            .char_indices()
            .rev()
            .take_while(|&(_, c)| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
            .last()
            .map(|(i, _)| i)?;
        (start, &before[start..])
    };
    (!key.is_empty()).then_some((start, key))
}

/// What the node at `pos` looks like, from its spelling: "a list", "a mapping" or its first token.
fn describe_node_at(source: &Source<'_>, pos: Pos) -> String {
    let Some(rest) = source.text.get(pos.offset as usize..) else {
        return "something else".to_string();
    };
    let line = rest.lines().next().unwrap_or("").trim_end();
    if line.starts_with('[') || line == "-" || line.starts_with("- ") {
        return "a list".to_string();
    }
    if line.starts_with('{') {
        return "a mapping".to_string();
    }
    let token: String = line.chars().take_while(|&c| !matches!(c, ',' | ']' | '}' | '#')).collect();
    let token = token.trim();
    if let Some((k, _)) = token.split_once(": ")
        && !k.contains(' ')
    {
        return "a mapping".to_string();
    }
    if token.ends_with(':') {
        return "a mapping".to_string();
    }
    if token.is_empty() {
        return "nothing (null)".to_string();
    }
    format!("`{}`", token.chars().take(40).collect::<String>())
}

fn translate(err: &YamlError, source: &Source<'_>, vocab: &Vocabulary) -> Diagnostic {
    let (inner, location) = unwrap_error(err);
    let pos = location.as_ref().map_or_else(Pos::default, pos_of);
    let key_at = |pos: Pos| key_before(source.text, pos.offset as usize).map(|(_, k)| k.to_string());
    match inner {
        YamlError::SerdeUnknownField { field, expected, .. } => {
            let section = vocab.section_of(expected);
            let message = match section {
                Some(s) => format!("unknown key `{field}` in {s}"),
                None => format!("unknown key `{field}`"),
            };
            let hint = if let Some(best) = closest(field, expected.iter().copied()) {
                format!("did you mean `{best}`?")
            } else if let Some((home, _)) = vocab.sections.iter().find(|(_, keys)| keys.contains(&field.as_str())) {
                format!("`{field}` belongs in {home}; the keys allowed here are {}", backticked_list(expected, "and"))
            } else {
                format!("the keys allowed here are {}", backticked_list(expected, "and"))
            };
            source.error("unknown-key", pos, message, Some(hint))
        }
        YamlError::Unexpected { expected, .. } => {
            let what = match *expected {
                "sequence start" => "a list",
                "mapping start" => "a mapping",
                other => other,
            };
            let found = describe_node_at(source, pos);
            let key = key_at(pos);
            let message = match &key {
                Some(k) => format!("`{k}` must be {what}, found {found}"),
                None => format!("expected {what} here, found {found}"),
            };
            let hint = key.as_deref().and_then(vocab.key_hint).or_else(|| {
                Some(if what == "a list" {
                    "write a list as `[a, b]` or as lines starting with `- `".to_string()
                } else {
                    "write a mapping as `{ key: value }` or as indented `key: value` lines".to_string()
                })
            });
            source.error("wrong-type", pos, message, hint)
        }
        YamlError::SerdeInvalidType { unexpected, expected, .. }
        | YamlError::SerdeInvalidValue { unexpected, expected, .. } => {
            let message = match key_at(pos) {
                Some(k) => format!("`{k}` must be {expected}, found {unexpected}"),
                None => format!("expected {expected}, found {unexpected}"),
            };
            let hint = key_at(pos).as_deref().and_then(vocab.key_hint);
            source.error("wrong-type", pos, message, hint)
        }
        YamlError::InvalidScalar { ty, .. } => {
            let found = describe_node_at(source, pos);
            source.error("wrong-type", pos, format!("expected {ty}, found {found}"), None)
        }
        YamlError::DuplicateMappingKey { key, .. } => {
            let message = match key {
                Some(k) => format!("duplicate key `{k}`"),
                None => "duplicate key".to_string(),
            };
            let hint = "a key may appear only once in a mapping: remove one of them, or merge their values";
            source.error("duplicate-key", pos, message, Some(hint.to_string()))
        }
        YamlError::MultipleDocuments { .. } => source.error(
            "multiple-documents",
            pos,
            "the file holds more than one YAML document",
            Some(format!(
                "a file holds exactly one {}: remove the `---` separator or split the file",
                vocab.document.trim_start_matches("a ").trim_start_matches("an ")
            )),
        ),
        YamlError::Eof { .. } => source.error(
            "yaml-syntax",
            pos,
            "unexpected end of the file",
            Some("check for an unclosed `[`, `{` or quote".to_string()),
        ),
        YamlError::Budget { breach, .. } => budget_error(source, pos, breach),
        YamlError::AliasReplayLimitExceeded { .. }
        | YamlError::AliasExpansionLimitExceeded { .. }
        | YamlError::AliasReplayCounterOverflow { .. } => source.error(
            "too-complex",
            pos,
            format!("aliases expand to more than {MAX_ALIAS_REPLAYED_EVENTS} YAML nodes"),
            Some(ALIAS_HINT.to_string()),
        ),
        YamlError::AliasReplayStackDepthExceeded { .. } => source.error(
            "too-complex",
            pos,
            format!("aliases are nested more than {MAX_DEPTH} deep"),
            Some(ALIAS_HINT.to_string()),
        ),
        YamlError::UnknownAnchor { .. } => source.error(
            "yaml-syntax",
            pos,
            "this alias names an anchor that is not defined before it",
            Some("define the anchor (`&name`) before using the alias (`*name`)".to_string()),
        ),
        YamlError::InvalidUtf8Input => Diagnostic::file_error(
            "not-utf8",
            source.path,
            "the file is not valid UTF-8",
            Some("save the file as UTF-8".to_string()),
        ),
        YamlError::IOError { cause } => {
            Diagnostic::file_error("io", source.path, format!("cannot read the file: {cause}"), None)
        }
        other => {
            let message = parser_message(&UserMessageFormatter.format_message(other));
            if message.contains("recursion limit exceeded") {
                return budget_error(source, pos, &BudgetBreach::Depth { depth: MAX_DEPTH + 1 });
            }
            if message.contains("tab") {
                let hint = "YAML indents with spaces only: replace the tab with spaces";
                return source.error("yaml-syntax", pos, message, Some(hint.to_string()));
            }
            source.error(
                "yaml-syntax",
                pos,
                message,
                Some(
                    "check the YAML syntax here: indentation, a missing `:` or `,`, or an unclosed bracket or quote"
                        .to_string(),
                ),
            )
        }
    }
}

/// A parser message in our style: no control characters, lowercase start, quoted characters in backticks.
fn parser_message(text: &str) -> String {
    let chars: Vec<char> = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\'' && i + 2 < chars.len() && chars[i + 2] == '\'' {
            out.push('`');
            out.push(chars[i + 1]);
            out.push('`');
            i += 3;
        } else {
            out.push(if i == 0 { chars[i].to_ascii_lowercase() } else { chars[i] });
            i += 1;
        }
    }
    out
}

const ALIAS_HINT: &str = "aliases (`*name`) are expanded in full, so a small file can stand for a huge document: write the values out, or split the file";

fn budget_error(source: &Source<'_>, pos: Pos, breach: &BudgetBreach) -> Diagnostic {
    let (message, hint) = match breach {
        BudgetBreach::Depth { .. } => (
            format!("the YAML is nested more than {MAX_DEPTH} levels deep"),
            "the format needs only a few levels of nesting: check the indentation and brackets".to_string(),
        ),
        BudgetBreach::Aliases { .. }
        | BudgetBreach::Anchors { .. }
        | BudgetBreach::AliasAnchorRatio { .. }
        | BudgetBreach::MergeKeys { .. }
        | BudgetBreach::RecordedAnchorEvents { .. }
        | BudgetBreach::RecordedAnchorBytes { .. } => {
            ("the file uses too many aliases, anchors or merge keys".to_string(), ALIAS_HINT.to_string())
        }
        BudgetBreach::Documents { .. } => (
            "the file holds more than one YAML document".to_string(),
            "remove the `---` separators: one file holds one document".to_string(),
        ),
        BudgetBreach::InputBytes { .. } | BudgetBreach::ScalarBytes { .. } => {
            (format!("the file is larger than the limit of {MAX_FILE_BYTES} bytes"), "split the file".to_string())
        }
        other => (
            format!("the file is too large or too complex to read ({other:?})"),
            "split the file, and write values out instead of using aliases".to_string(),
        ),
    };
    source.error("too-complex", pos, message, Some(hint))
}
