//! Python's `str(float)` / `repr(float)` for the numbers OpenMetadata prints in its
//! result values and sentences (`"10.0"`, `"11.180339887498949"`, `"inf"`, `"1e+16"`).
//!
//! Hand-written because it is product logic: the exact text of OpenMetadata's results
//! (Python's "short repr" rule) is what the differential test holds us to, and no crate
//! formats floats the way CPython does. Rust's `{:e}` gives the same shortest
//! round-trip digits; only the layout differs.

/// `repr(x)` as CPython 3 prints a float.
pub fn py_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    // `{:e}` is the shortest round-trip form: `-1.2345e-5`, `1e16`.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if x < 0.0 { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let point = exp + 1;
        let body = if point <= 0 {
            format!("0.{}{digits}", "0".repeat((-point) as usize))
        } else if (point as usize) >= digits.len() {
            format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
        } else {
            let (int, frac) = digits.split_at(point as usize);
            format!("{int}.{frac}")
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1);
        let mant = if rest.is_empty() {
            first.to_string()
        } else {
            format!("{first}.{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mant}e{esign}{:02}", exp.abs())
    }
}

/// Python's `float(text)` for a parameter value: surrounding whitespace, `inf`,
/// `-Infinity`, `nan`, `1_000` and `1e3` accepted; `None` when Python would raise.
pub fn py_parse_float(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() || t.starts_with('_') || t.ends_with('_') || t.contains("__") {
        return None;
    }
    let cleaned: String = t.chars().filter(|c| *c != '_').collect();
    let lower = cleaned.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    if body.len() + 1 < lower.len() {
        return None;
    }
    match body {
        "inf" | "infinity" | "nan" => {}
        _ if body.chars().any(|c| c.is_ascii_alphabetic() && c != 'e') => return None,
        _ => {}
    }
    cleaned.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_cpython() {
        for (x, s) in [
            (10.0, "10.0"),
            (25.0, "25.0"),
            (11.180339887498949, "11.180339887498949"),
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            (0.0, "0.0"),
            (1e300, "1e+300"),
            (123.456, "123.456"),
        ] {
            assert_eq!(py_float(x), s, "{x}");
        }
    }

    #[test]
    fn parses_like_python_float() {
        assert_eq!(py_parse_float(" 15 "), Some(15.0));
        assert_eq!(py_parse_float("1e3"), Some(1000.0));
        assert_eq!(py_parse_float("1_000"), Some(1000.0));
        assert_eq!(py_parse_float("-inf"), Some(f64::NEG_INFINITY));
        assert!(py_parse_float("nan").is_some_and(f64::is_nan));
        for bad in ["", "abc", "1,5", "--1", "0x10", "_1", "1__0"] {
            assert_eq!(py_parse_float(bad), None, "{bad}");
        }
    }
}
