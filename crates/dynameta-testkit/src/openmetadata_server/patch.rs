//! JSON Patch (RFC 6902) as OpenMetadata's `PATCH /tables/{id}` applies it, by the
//! `json-patch` crate.

use serde_json::Value;

/// Applies every operation of `patch` (a JSON array) to `doc`, in order; on error `doc`
/// is left as it was. The error says which operation failed and why.
pub(super) fn apply(doc: &mut Value, patch: &Value) -> Result<(), String> {
    let patch: json_patch::Patch =
        serde_json::from_value(patch.clone()).map_err(|e| format!("{e}"))?;
    json_patch::patch(doc, &patch).map_err(|e| e.to_string())
}
