//! JSON Patch (RFC 6902) as OpenMetadata's `PATCH /tables/{id}` applies it, by the
//! `json-patch` crate.

use serde_json::Value;

/// Applies every operation of `patch` (a JSON array) to `doc`, in order; on error `doc`
/// is left as it was. The error says which operation failed and why; a failed `test`
/// reads as the server's JSON-P implementation words it (parsson `JsonPatchImpl`,
/// `JsonMessages.PATCH_TEST_FAILED`: "The JSON Patch operation 'test' failed for path
/// '<path>' and value '<value>'"). The caller answers every failure 400; upstream the
/// `JsonException` is rethrown by `JsonUtils.applyPatch` and, being no
/// `IllegalArgumentException`, probably reaches `CatalogGenericExceptionMapper`'s
/// unhandled branch (500) — not verified against a running server; dynameta reads the
/// table again after either answer.
pub(super) fn apply(doc: &mut Value, patch: &Value) -> Result<(), String> {
    let parsed: json_patch::Patch =
        serde_json::from_value(patch.clone()).map_err(|e| format!("{e}"))?;
    json_patch::patch(doc, &parsed).map_err(|e| match e.kind {
        json_patch::PatchErrorKind::TestFailed => {
            let value = patch
                .get(e.operation)
                .and_then(|op| op.get("value"))
                .cloned()
                .unwrap_or(Value::Null);
            format!(
                "The JSON Patch operation 'test' failed for path '{}' and value '{value}'",
                e.path
            )
        }
        _ => e.to_string(),
    })
}
