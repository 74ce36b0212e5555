//! Reading YAML text into a JSON value, with bounds.
//!
//! The YAML crate is serde_norway, the maintained fork of the deprecated serde_yaml
//! (same YAML 1.2 core schema and `Value`, so files mean what they meant). Not
//! serde_yml (unsound, unmaintained). serde-saphyr (safe Rust, a nesting budget
//! enforced while parsing) would let the unsafe depth check below go, but its untyped
//! values drop YAML tags and its YAML 1.1 booleans include `y`/`n`, which PyYAML does
//! not: left for a change of its own.
//!
//! serde_norway loads a whole document's events before it builds a value, and libyaml's
//! scanner is quadratic in the nesting depth (it re-checks every open flow level for
//! each token), so 100 000 nested `[` take tens of seconds before serde_norway's own
//! recursion limit (128) can say no. A workflow file is a few kilobytes nested fewer than
//! ten levels, so we bound both before serde_norway sees the text: its size, and its
//! nesting depth, measured by walking libyaml's own event stream (the same parser,
//! unsafe-libyaml-norway, serde_norway uses) and stopping at the first event past the
//! limit.
//!
//! Booleans are YAML 1.2's: only `true`/`false` (any case form YAML 1.2 allows). PyYAML,
//! which OpenMetadata's own ingestion uses, also reads `yes`/`no`/`on`/`off` as booleans;
//! here they stay strings, so a boolean key given `yes` is refused with the key named
//! (never silently read as something else), as it was with serde_yaml.

use std::mem::MaybeUninit;

use serde_json::{Map, Number, Value};
use unsafe_libyaml_norway as unsafe_yaml;

/// Largest workflow file read, in bytes (real files are a few KiB).
pub const MAX_BYTES: usize = 1024 * 1024;
/// Deepest nesting of mappings and sequences accepted (real files use fewer than 10).
pub const MAX_DEPTH: usize = 64;

/// Why YAML text could not be turned into a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum YamlProblem {
    /// Larger than [`MAX_BYTES`].
    TooLarge(usize),
    /// Nested deeper than [`MAX_DEPTH`], first seen at this 1-based line.
    TooDeep { line: u64 },
    /// libyaml / serde_norway said no (syntax, duplicate keys, ...).
    Syntax(String),
    /// A well-formed document dynameta cannot use, at this key path.
    Unsupported { key: String, message: String },
}

/// Parses `text` (one YAML document) into a JSON value, bounded in size and depth.
/// Mapping keys must be strings; floats must be finite (JSON has no NaN or infinity).
pub fn to_json(text: &str) -> Result<Value, YamlProblem> {
    if text.len() > MAX_BYTES {
        return Err(YamlProblem::TooLarge(text.len()));
    }
    check_depth(text, MAX_DEPTH)?;
    let yaml: serde_norway::Value =
        serde_norway::from_str(text).map_err(|e| YamlProblem::Syntax(e.to_string()))?;
    convert(yaml, "")
}

/// Walks libyaml's events and fails at the first mapping or sequence nested deeper than
/// `max`. Syntax errors are left to serde_norway, which reports them with more context.
fn check_depth(text: &str, max: usize) -> Result<(), YamlProblem> {
    let mut parser = EventParser::new(text.as_bytes());
    let mut depth = 0usize;
    while let Some((kind, line)) = parser.next() {
        match kind {
            unsafe_yaml::YAML_SEQUENCE_START_EVENT | unsafe_yaml::YAML_MAPPING_START_EVENT => {
                depth += 1;
                if depth > max {
                    return Err(YamlProblem::TooDeep { line: line + 1 });
                }
            }
            unsafe_yaml::YAML_SEQUENCE_END_EVENT | unsafe_yaml::YAML_MAPPING_END_EVENT => {
                depth = depth.saturating_sub(1);
            }
            unsafe_yaml::YAML_STREAM_END_EVENT => break,
            _ => {}
        }
    }
    Ok(())
}

/// A libyaml parser over a borrowed buffer, yielding event types and their lines.
struct EventParser<'a> {
    // Boxed: libyaml keeps pointers into the parser struct itself, so it must not move.
    sys: Box<MaybeUninit<unsafe_yaml::yaml_parser_t>>,
    _input: &'a [u8],
    initialized: bool,
    failed: bool,
}

// The one unsafe code of the workspace (see the root Cargo.toml's lints).
#[allow(unsafe_code)]
impl<'a> EventParser<'a> {
    fn new(input: &'a [u8]) -> Self {
        let mut sys = Box::new(MaybeUninit::<unsafe_yaml::yaml_parser_t>::uninit());
        // SAFETY: `sys` is heap-allocated and never moved until dropped; libyaml
        // initializes every field (memset) before use, and `input` outlives the parser
        // (it is borrowed for 'a, the parser's lifetime).
        let initialized = unsafe {
            let parser = sys.as_mut_ptr();
            if unsafe_yaml::yaml_parser_initialize(parser).fail {
                false
            } else {
                unsafe_yaml::yaml_parser_set_encoding(parser, unsafe_yaml::YAML_UTF8_ENCODING);
                unsafe_yaml::yaml_parser_set_input_string(
                    parser,
                    input.as_ptr(),
                    input.len() as u64,
                );
                true
            }
        };
        EventParser {
            sys,
            _input: input,
            initialized,
            failed: !initialized,
        }
    }

    /// The next event's type and 0-based line, or None at a syntax error or the end.
    fn next(&mut self) -> Option<(unsafe_yaml::yaml_event_type_t, u64)> {
        if self.failed {
            return None;
        }
        let mut event = MaybeUninit::<unsafe_yaml::yaml_event_t>::uninit();
        // SAFETY: the parser was initialized in `new` (or `failed` is set); the event
        // is written by yaml_parser_parse before we read it and deleted right after.
        unsafe {
            let parser = self.sys.as_mut_ptr();
            if unsafe_yaml::yaml_parser_parse(parser, event.as_mut_ptr()).fail {
                self.failed = true;
                return None;
            }
            let event = event.as_mut_ptr();
            let out = ((*event).type_, (*event).start_mark.line);
            unsafe_yaml::yaml_event_delete(event);
            if out.0 == unsafe_yaml::YAML_STREAM_END_EVENT {
                self.failed = true;
            }
            Some(out)
        }
    }
}

#[allow(unsafe_code)]
impl Drop for EventParser<'_> {
    fn drop(&mut self) {
        if self.initialized {
            // SAFETY: initialized in `new`; deleted once, here.
            unsafe { unsafe_yaml::yaml_parser_delete(self.sys.as_mut_ptr()) }
        }
    }
}

/// serde_norway's value as JSON, naming the key of anything JSON cannot hold.
fn convert(value: serde_norway::Value, path: &str) -> Result<Value, YamlProblem> {
    use serde_norway::Value as Y;
    Ok(match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_u64() {
                Value::Number(i.into())
            } else if let Some(i) = n.as_i64() {
                Value::Number(i.into())
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                match Number::from_f64(f) {
                    Some(n) => Value::Number(n),
                    None => {
                        return Err(YamlProblem::Unsupported {
                            key: key_or_top(path),
                            message: format!(
                            "`{n}` is not a finite number; write a plain number such as 30 or 0.5."
                        ),
                        })
                    }
                }
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| convert(v, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s,
                    _ => {
                        return Err(YamlProblem::Unsupported {
                            key: key_or_top(path),
                            message: "has a key that is not a string (a number, list or map used as a key); quote it.".into(),
                        })
                    }
                };
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                let v = convert(v, &child)?;
                out.insert(key, v);
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => {
            return Err(YamlProblem::Unsupported {
                key: key_or_top(path),
                message: format!(
                    "YAML tags such as `{}` are not supported; remove the tag.",
                    tagged.tag
                ),
            })
        }
    })
}

fn key_or_top(path: &str) -> String {
    if path.is_empty() {
        "(top level)".to_string()
    } else {
        path.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_past_the_limit_is_refused_with_its_line() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(to_json(&ok).is_ok());
        let deep = format!("a: 1\nb: {}", "[".repeat(MAX_DEPTH + 1));
        assert_eq!(to_json(&deep), Err(YamlProblem::TooDeep { line: 2 }));
        let block = format!("x:\n  {}1", "- ".repeat(MAX_DEPTH + 5));
        assert!(matches!(to_json(&block), Err(YamlProblem::TooDeep { .. })));
    }

    #[test]
    fn deep_nesting_is_refused_fast() {
        // 100 000 levels took ~27 s in serde_yaml (same parser) alone; the bound stops at level 65.
        let text = "[".repeat(100_000);
        let start = std::time::Instant::now();
        assert!(matches!(to_json(&text), Err(YamlProblem::TooDeep { .. })));
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn size_is_bounded() {
        let text = format!("a: \"{}\"", "x".repeat(MAX_BYTES));
        assert!(matches!(to_json(&text), Err(YamlProblem::TooLarge(_))));
    }

    #[test]
    fn non_finite_numbers_and_odd_keys_are_named() {
        let err = to_json("a:\n  b: .nan\n").unwrap_err();
        assert!(
            matches!(err, YamlProblem::Unsupported { ref key, .. } if key == "a.b"),
            "{err:?}"
        );
        let err = to_json("a:\n  b: [1, .inf]\n").unwrap_err();
        assert!(
            matches!(err, YamlProblem::Unsupported { ref key, .. } if key == "a.b[1]"),
            "{err:?}"
        );
        let err = to_json("a:\n  1: x\n").unwrap_err();
        assert!(
            matches!(err, YamlProblem::Unsupported { ref key, .. } if key == "a"),
            "{err:?}"
        );
    }

    #[test]
    fn scalars_mean_what_they_meant_with_serde_yaml() {
        // YAML 1.2 core schema, as serde_yaml 0.9 read it (its scalar resolution in de.rs
        // is the code serde_norway 0.9.42 runs).
        let doc = to_json(concat!(
            "a: yes\nb: no\nc: on\nd: off\ne: y\nf: n\ng: true\nh: False\ni: TRUE\n",
            "j: ~\nk: null\nl:\nm: 0o17\nn: 0x1F\no: 017\np: 1_000\nq: 1e3\nr: -.5\n",
            "s: '5'\nt: \"true\"\nu: 2024-01-02\nv: 12:30\n",
        ))
        .unwrap();
        let expected = serde_json::json!({
            "a": "yes", "b": "no", "c": "on", "d": "off", "e": "y", "f": "n",
            "g": true, "h": false, "i": true,
            "j": null, "k": null, "l": null,
            "m": 15, "n": 31, "o": "017", "p": "1_000", "q": 1000.0, "r": -0.5,
            "s": "5", "t": "true", "u": "2024-01-02", "v": "12:30",
        });
        assert_eq!(doc, expected);
    }

    #[test]
    fn syntax_errors_pass_through() {
        assert!(matches!(to_json("a: [\n"), Err(YamlProblem::Syntax(_))));
    }
}
