//! JSON Patch (RFC 6902) over JSON Pointers (RFC 6901), as OpenMetadata's
//! `PATCH /tables/{id}` applies it.

use serde_json::Value;

/// Applies every operation of `patch` (a JSON array) to `doc`, in order. On error `doc`
/// may be partly patched: callers patch a copy.
pub(super) fn apply(doc: &mut Value, patch: &Value) -> Result<(), String> {
    let ops = patch
        .as_array()
        .ok_or("a JSON Patch must be a JSON array of operations")?;
    for (i, op) in ops.iter().enumerate() {
        apply_one(doc, op).map_err(|e| format!("operation {i}: {e}"))?;
    }
    Ok(())
}

fn apply_one(doc: &mut Value, op: &Value) -> Result<(), String> {
    let fields = op.as_object().ok_or("an operation must be an object")?;
    let name = fields
        .get("op")
        .and_then(Value::as_str)
        .ok_or("\"op\" is missing or not a string")?;
    let path_text = fields
        .get("path")
        .and_then(Value::as_str)
        .ok_or("\"path\" is missing or not a string")?;
    let path = parse_pointer(path_text)?;
    let value = || {
        fields
            .get("value")
            .cloned()
            .ok_or_else(|| format!("\"{name}\" needs a \"value\""))
    };
    let from = || -> Result<Vec<String>, String> {
        let text = fields
            .get("from")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("\"{name}\" needs a string \"from\""))?;
        parse_pointer(text)
    };
    match name {
        "add" => add(doc, &path, value()?),
        "remove" => remove(doc, &path).map(drop),
        "replace" => {
            let target =
                get_mut(doc, &path).ok_or_else(|| format!("replace: no value at {path_text:?}"))?;
            *target = value()?;
            Ok(())
        }
        "test" => {
            let expected = value()?;
            match get(doc, &path) {
                Some(actual) if json_equal(actual, &expected) => Ok(()),
                Some(actual) => Err(format!(
                    "test failed: {path_text:?} is {actual}, expected {expected}"
                )),
                None => Err(format!("test failed: no value at {path_text:?}")),
            }
        }
        "move" => {
            let from = from()?;
            if path.len() > from.len() && path[..from.len()] == from[..] {
                return Err("move: \"from\" is a proper prefix of \"path\"".into());
            }
            let moved = remove(doc, &from)?;
            add(doc, &path, moved)
        }
        "copy" => {
            let from = from()?;
            let copied = get(doc, &from)
                .cloned()
                .ok_or("copy: no value at \"from\"")?;
            add(doc, &path, copied)
        }
        other => Err(format!("unknown op {other:?}")),
    }
}

/// The reference tokens of a JSON Pointer (`~1` is `/`, `~0` is `~`).
fn parse_pointer(text: &str) -> Result<Vec<String>, String> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = text.strip_prefix('/') else {
        return Err(format!("JSON Pointer {text:?} must start with '/'"));
    };
    rest.split('/')
        .map(|token| {
            let mut out = String::new();
            let mut chars = token.chars();
            while let Some(c) = chars.next() {
                if c == '~' {
                    match chars.next() {
                        Some('0') => out.push('~'),
                        Some('1') => out.push('/'),
                        _ => return Err(format!("JSON Pointer {text:?} has a bad '~' escape")),
                    }
                } else {
                    out.push(c);
                }
            }
            Ok(out)
        })
        .collect()
}

/// An array index token: digits, no leading zero.
fn index(token: &str) -> Option<usize> {
    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    if !digits || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    token.parse().ok()
}

fn get<'a>(doc: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(doc, |node, token| match node {
        Value::Object(map) => map.get(token),
        Value::Array(items) => items.get(index(token)?),
        _ => None,
    })
}

fn get_mut<'a>(doc: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    path.iter().try_fold(doc, |node, token| match node {
        Value::Object(map) => map.get_mut(token),
        Value::Array(items) => items.get_mut(index(token)?),
        _ => None,
    })
}

fn add(doc: &mut Value, path: &[String], value: Value) -> Result<(), String> {
    let Some((last, parent)) = path.split_last() else {
        *doc = value;
        return Ok(());
    };
    match get_mut(doc, parent) {
        Some(Value::Object(map)) => {
            map.insert(last.clone(), value);
            Ok(())
        }
        Some(Value::Array(items)) => {
            let at = if last == "-" {
                items.len()
            } else {
                index(last).ok_or_else(|| format!("add: bad array index {last:?}"))?
            };
            if at > items.len() {
                return Err(format!(
                    "add: index {at} is past the end of an array of {}",
                    items.len()
                ));
            }
            items.insert(at, value);
            Ok(())
        }
        Some(_) => Err("add: the parent is neither an object nor an array".into()),
        None => Err("add: the parent does not exist".into()),
    }
}

fn remove(doc: &mut Value, path: &[String]) -> Result<Value, String> {
    let Some((last, parent)) = path.split_last() else {
        return Err("remove: cannot remove the whole document".into());
    };
    match get_mut(doc, parent) {
        Some(Value::Object(map)) => map
            .shift_remove(last)
            .ok_or_else(|| format!("remove: no member {last:?}")),
        Some(Value::Array(items)) => match index(last) {
            Some(i) if i < items.len() => Ok(items.remove(i)),
            _ => Err(format!("remove: no array element {last:?}")),
        },
        _ => Err("remove: the parent does not exist".into()),
    }
}

/// JSON equality as RFC 6902's `test` defines it: numbers compare by value.
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}
