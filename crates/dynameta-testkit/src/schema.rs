//! Validation against OpenMetadata 2.0.7's JSON Schemas (copied into `openmetadata-spec/`).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

/// The folder holding the upstream schema files.
pub fn spec_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openmetadata-spec")
}

/// Validates `instance` against `file` (e.g. `createTable.json`); returns every error
/// as `instance_path: message`.
pub fn validate(file: &str, instance: &Value) -> Result<(), Vec<String>> {
    static CACHE: OnceLock<Mutex<HashMap<String, &'static jsonschema::Validator>>> =
        OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let validator = {
        let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry(file.to_string()).or_insert_with(|| {
            let path = spec_dir().join(file);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
            let v = jsonschema::draft202012::options()
                .should_validate_formats(true)
                .build(&schema)
                .unwrap_or_else(|e| panic!("compile {file}: {e}"));
            Box::leak(Box::new(v))
        })
    };
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{}: {}", e.instance_path(), e))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
