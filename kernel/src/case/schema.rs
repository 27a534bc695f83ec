//! The JSON Schema of the test-case format, for editors (yaml-language-server) and documentation.

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use super::raw::{RawCase, SECTIONS};
use super::validate::{POLICY_KEYS, REQUIRED_KEYS};
use super::validate_program::OBJECT_KEYS;

/// The JSON Schema (draft 7) of a test-case file, as committed in `schemas/testcase.schema.json`.
///
/// Generated from the loader's own serde types, so it lists exactly the keys the loader accepts; per-policy rules
/// (which `scheduler` keys each policy uses or needs) come from the same table as the loader's checks.
pub fn testcase_schema() -> Value {
    let generator = SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<RawCase>().to_value();
    if let Some(scheduler) = schema.pointer_mut("/definitions/Scheduler").and_then(Value::as_object_mut) {
        scheduler.insert("allOf".to_string(), Value::Array(policy_rules()));
    }
    if let Some(object) = schema.pointer_mut("/definitions/Object").and_then(Value::as_object_mut) {
        object.insert("allOf".to_string(), Value::Array(object_rules()));
    }
    schema
}

/// `if kind is K then (required keys) and (keys K does not use are absent)`, one per object kind.
fn object_rules() -> Vec<Value> {
    let all_keys = SECTIONS.iter().find(|(name, _)| *name == "an object").map_or(&[][..], |(_, keys)| *keys);
    OBJECT_KEYS
        .iter()
        .map(|(kind, uses, needs)| {
            let forbidden: Map<String, Value> = all_keys
                .iter()
                .filter(|k| !matches!(**k, "kind" | "wake") && !uses.contains(k))
                .map(|k| ((*k).to_string(), Value::Bool(false)))
                .collect();
            let mut then = json!({ "properties": forbidden });
            if !needs.is_empty() {
                then["required"] = json!(needs);
            }
            json!({
                "if": { "properties": { "kind": { "const": kind.as_str() } }, "required": ["kind"] },
                "then": then,
            })
        })
        .collect()
}

/// `if policy is P then (required keys) and (keys P does not use are absent)`, one per policy.
fn policy_rules() -> Vec<Value> {
    let all_keys = SECTIONS.iter().find(|(name, _)| *name == "`scheduler`").map_or(&[][..], |(_, keys)| *keys);
    POLICY_KEYS
        .iter()
        .map(|(policy, keys)| {
            let forbidden: Map<String, Value> = all_keys
                .iter()
                .filter(|k| **k != "policy" && !keys.contains(k))
                .map(|k| ((*k).to_string(), Value::Bool(false)))
                .collect();
            let required: Vec<&str> = REQUIRED_KEYS.iter().filter(|(p, _)| p == policy).map(|(_, k)| *k).collect();
            let mut then = json!({ "properties": forbidden });
            if !required.is_empty() {
                then["required"] = json!(required);
            }
            json!({
                "if": { "properties": { "policy": { "const": policy.as_str() } }, "required": ["policy"] },
                "then": then,
            })
        })
        .collect()
}
