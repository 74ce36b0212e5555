//! Per-leaf masking of nested values: the one walk that classify (sample data it
//! publishes) and the local catalog (sample rows it stores and shows) both use, so a
//! Sensitive leaf is masked the same way wherever a sample goes.

use serde_json::Value;

/// Masks every scalar at `path` below `value` with `mask_scalar`: map keys are followed,
/// lists are transparent, a map at the end of the path is masked leaf by leaf. A scalar
/// where the path expects a map is under the tagged column but is not the tagged leaf:
/// it is masked rather than guessed about (it may hold the very value, e.g. a string
/// where other items hold a map).
pub fn mask_leaves_at(value: &mut Value, path: &[String], mask_scalar: &dyn Fn(Value) -> Value) {
    match (value, path.split_first()) {
        (Value::Array(list), _) => list
            .iter_mut()
            .for_each(|v| mask_leaves_at(v, path, mask_scalar)),
        (Value::Object(map), Some((key, rest))) => {
            if let Some(child) = map.get_mut(key) {
                mask_leaves_at(child, rest, mask_scalar);
            }
        }
        (Value::Object(map), None) => map
            .values_mut()
            .for_each(|v| mask_leaves_at(v, path, mask_scalar)),
        (v, _) => *v = mask_scalar(v.take()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn star(v: Value) -> Value {
        Value::String("*".repeat(v.to_string().len()))
    }

    #[test]
    fn masks_the_leaf_and_keeps_keys_and_siblings() {
        let mut v = json!({"a": {"email": "x@y.z", "city": "Oslo"}, "n": 1});
        mask_leaves_at(&mut v, &["a".into(), "email".into()], &star);
        assert_eq!(
            v,
            json!({"a": {"email": "*******", "city": "Oslo"}, "n": 1})
        );
    }

    #[test]
    fn lists_are_transparent_and_a_scalar_where_a_map_is_expected_is_masked() {
        let mut v = json!([{"email": "a@b.c"}, "a@b.c plain", {"other": 1}]);
        mask_leaves_at(&mut v, &["email".into()], &star);
        assert_eq!(
            v,
            json!([{"email": "*******"}, "*************", {"other": 1}])
        );
    }
}
