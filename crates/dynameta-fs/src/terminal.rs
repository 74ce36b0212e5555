//! Text from table data shown in a terminal, escaped.
//!
//! A table name, attribute name or value can hold any character. Printed raw, an ESC
//! starts a terminal control sequence (colours, cursor moves, window titles, even
//! clipboard writes), a CR or BS overwrites what was printed before it, and a bidi
//! override (U+202E) shows text in another order than it has. Every human-readable
//! output (`show`, `diff`, the console sink, `--explain`, the run summary) passes such
//! text through [`escape`]; JSON output escapes by itself.
//!
//! Hand-written: the crates that exist strip ANSI sequences (`strip-ansi-escapes`) or
//! escape for a shell (`shell-escape`); neither makes every control and bidi character
//! visible while leaving other Unicode (CJK, accents, emoji) as it is, which is what
//! a person reading a table's name needs.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a terminal as it is: C0 and C1 controls and DEL (`Cc`),
/// and the characters that reorder or hide text: the bidi embeddings, overrides and
/// isolates (U+202A–U+202E, U+2066–U+2069), the direction marks (U+200E, U+200F,
/// U+061C) and the line and paragraph separators (U+2028, U+2029).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{061C}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// `text` with every [`is_unsafe`] character written visibly: `\n`, `\r`, `\t`, and
/// `\u{1b}` for the others (as Rust writes them). Other text, including non-ASCII
/// letters, is unchanged (and not copied).
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`escape`] for a text of several lines (a rendered report): each line escaped, the
/// line breaks kept.
pub fn escape_lines(text: &str) -> Cow<'_, str> {
    escape_keeping(text, &['\n'])
}

/// [`escape`], leaving the characters of `keep` as they are.
fn escape_keeping<'a>(text: &'a str, keep: &[char]) -> Cow<'a, str> {
    let unsafe_here = |c: char| is_unsafe(c) && !keep.contains(&c);
    if !text.chars().any(unsafe_here) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut buf = [0u8; 4];
    for c in text.chars() {
        if unsafe_here(c) {
            out.push_str(&escape(c.encode_utf8(&mut buf)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn controls_and_bidi_are_made_visible() {
        assert_eq!(escape("a\u{1b}[31mred"), "a\\u{1b}[31mred");
        assert_eq!(escape("bell\u{7}bs\u{8}cr\r"), "bell\\u{7}bs\\u{8}cr\\r");
        assert_eq!(escape("x\u{202E}y\u{2066}z"), "x\\u{202e}y\\u{2066}z");
        assert_eq!(escape("\u{9b}31m\u{7f}"), "\\u{9b}31m\\u{7f}");
        assert_eq!(
            escape("\u{200E}\u{200F}\u{61C}"),
            "\\u{200e}\\u{200f}\\u{61c}"
        );
        assert_eq!(escape("a\nb\tc"), "a\\nb\\tc");
    }

    #[test]
    fn other_unicode_is_left_alone_and_not_copied() {
        for text in ["顧客テーブル", "café", "naïve 👍", "a\\u{1b}"] {
            assert!(matches!(escape(text), Cow::Borrowed(t) if t == text));
        }
    }

    #[test]
    fn lines_keep_their_breaks() {
        assert_eq!(escape_lines("a\u{1b}\nb\r\n"), "a\\u{1b}\nb\\r\n");
        assert!(matches!(escape_lines("a\nb\n"), Cow::Borrowed(_)));
    }

    proptest! {
        /// Whatever the input, nothing unsafe reaches the terminal, and safe text is
        /// unchanged.
        #[test]
        fn no_unsafe_character_survives(text in any::<String>()) {
            let escaped = escape(&text);
            prop_assert!(!escaped.chars().any(is_unsafe));
            if !text.chars().any(is_unsafe) {
                prop_assert_eq!(escaped.as_ref(), text.as_str());
            }
            let lines = escape_lines(&text);
            prop_assert!(!lines.chars().any(|c| c != '\n' && is_unsafe(c)));
            prop_assert_eq!(lines.split('\n').count(), text.split('\n').count());
        }
    }
}
