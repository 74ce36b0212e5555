//! Test-case parameters read the way OpenMetadata 2.0.7's validators read them
//! (`data_quality/validations/utils.py`: `get_test_case_param_value`, an empty value is
//! the default; bounds through Python's `float`; sets through `ast.literal_eval`).

use crate::processors::profiler::decimal::Decimal;

use super::pyfmt::py_parse_float;

/// One element of an allowed/forbidden/missing set as Python's `literal_eval` reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Num(Decimal),
    Bool(bool),
    None,
}

/// The value of parameter `name`, `None` when absent or empty (OpenMetadata's `if not
/// value: return default`).
pub fn get<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// A float parameter: absent → `default`; unreadable → the reason.
pub fn float(params: &[(String, String)], name: &str, default: f64) -> Result<f64, String> {
    match get(params, name) {
        None => Ok(default),
        Some(v) => py_parse_float(v).ok_or_else(|| {
            format!("parameter {name} = {v:?} is not a number; give a number such as 10 or 2.5")
        }),
    }
}

/// A boolean parameter as `get_bool_test_case_param` reads it ("true", any case).
pub fn boolean(params: &[(String, String)], name: &str) -> bool {
    get(params, name).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// A list literal (`["a", "b"]`, `['a', 1, True]`, `(1, 2)`): the subset of Python
/// literals a set parameter holds. Hand-written: `ast.literal_eval` is Python's own
/// grammar; JSON alone would refuse OpenMetadata's usual single-quoted form.
pub fn literal_list(text: &str) -> Result<Vec<Literal>, String> {
    let mut p = Parser {
        s: text.trim().as_bytes(),
        i: 0,
        text,
    };
    let (open, close) = match p.peek() {
        Some(b'[') => (b'[', b']'),
        Some(b'(') => (b'(', b')'),
        Some(b'{') => (b'{', b'}'),
        _ => {
            return Err(format!(
                "{text:?} is not a list; write it as [\"a\", \"b\"]"
            ))
        }
    };
    p.expect(open)?;
    let mut out = Vec::new();
    loop {
        p.ws();
        if p.peek() == Some(close) {
            p.i += 1;
            break;
        }
        out.push(p.literal()?);
        p.ws();
        match p.peek() {
            Some(b',') => p.i += 1,
            Some(c) if c == close => {
                p.i += 1;
                break;
            }
            _ => return Err(p.error("a ',' or the closing bracket")),
        }
    }
    p.ws();
    if p.i != p.s.len() {
        return Err(p.error("the end of the list"));
    }
    Ok(out)
}

/// A single literal (`missingCountValue`: `2`, `2.0`).
pub fn literal(text: &str) -> Result<Literal, String> {
    let mut p = Parser {
        s: text.trim().as_bytes(),
        i: 0,
        text,
    };
    let v = p.literal()?;
    p.ws();
    if p.i != p.s.len() {
        return Err(p.error("the end of the value"));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    text: &'a str,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }
    fn error(&self, wanted: &str) -> String {
        format!(
            "{:?} is not a Python/JSON literal: expected {wanted} at character {}",
            self.text,
            self.i + 1
        )
    }
    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.error(&format!("'{}'", c as char)))
        }
    }
    fn literal(&mut self) -> Result<Literal, String> {
        self.ws();
        match self.peek() {
            Some(q @ (b'"' | b'\'')) => self.string(q),
            Some(c) if c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.') => {
                let start = self.i;
                while self.peek().is_some_and(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'+' | b'_')
                }) {
                    self.i += 1;
                }
                let word = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
                let cleaned: String = word.chars().filter(|c| *c != '_').collect();
                Decimal::parse(&cleaned)
                    .map(Literal::Num)
                    .ok_or_else(|| self.error("a number"))
            }
            _ => {
                let start = self.i;
                while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                    self.i += 1;
                }
                match &self.s[start..self.i] {
                    b"True" | b"true" => Ok(Literal::Bool(true)),
                    b"False" | b"false" => Ok(Literal::Bool(false)),
                    b"None" | b"null" => Ok(Literal::None),
                    _ => {
                        self.i = start;
                        Err(self.error("a string, a number, True, False or None"))
                    }
                }
            }
        }
    }
    fn string(&mut self, quote: u8) -> Result<Literal, String> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(self.error("the closing quote")),
                Some(c) if c == quote => {
                    self.i += 1;
                    break;
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = self
                        .peek()
                        .ok_or_else(|| self.error("an escaped character"))?;
                    self.i += 1;
                    match c {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'0' => out.push(0),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'u' => {
                            let hex = self
                                .s
                                .get(self.i..self.i + 4)
                                .and_then(|h| std::str::from_utf8(h).ok())
                                .and_then(|h| u32::from_str_radix(h, 16).ok())
                                .and_then(char::from_u32)
                                .ok_or_else(|| self.error("four hex digits"))?;
                            self.i += 4;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(hex.encode_utf8(&mut buf).as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                Some(c) => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
        String::from_utf8(out)
            .map(Literal::Str)
            .map_err(|_| self.error("UTF-8 text"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(v: &str) -> Literal {
        Literal::Str(v.to_string())
    }

    #[test]
    fn reads_json_and_python_lists() {
        assert_eq!(literal_list(r#"["x", "y"]"#).unwrap(), vec![s("x"), s("y")]);
        assert_eq!(
            literal_list("['x', 'it\\'s']").unwrap(),
            vec![s("x"), s("it's")]
        );
        assert_eq!(
            literal_list("[1, 2.5, True, None]").unwrap(),
            vec![
                Literal::Num(Decimal::parse("1").unwrap()),
                Literal::Num(Decimal::parse("2.5").unwrap()),
                Literal::Bool(true),
                Literal::None
            ]
        );
        assert_eq!(literal_list("[]").unwrap(), vec![]);
        assert_eq!(literal_list("('a',)").unwrap(), vec![s("a")]);
        for bad in ["x", "[x]", "['a'", "['a' 'b']", "[1] 2", "", "[1e]"] {
            assert!(literal_list(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn never_panics_on_any_text(text in "\\PC{0,40}") {
            let _ = literal_list(&text);
            let _ = literal(&text);
        }

        #[test]
        fn json_string_lists_round_trip(items in proptest::collection::vec("\\PC{0,8}", 0..5)) {
            let text = serde_json::to_string(&items).unwrap();
            let parsed = literal_list(&text).unwrap();
            prop_assert_eq!(parsed, items.iter().map(|v| s(v)).collect::<Vec<_>>());
        }
    }
}
