//! What OpenMetadata stores of a description: the server runs every description it is
//! sent through an OWASP Java HTML Sanitizer policy, on create and on update (PUT,
//! bulk item, PATCH), and stores what comes out.
//!
//! Upstream: openmetadata-service/.../util/DescriptionSanitizer.java, sanitize and
//! MARKDOWN_POLICY (called from EntityRepository.copy on create and
//! EntityUpdater.updateDescription on update: "descriptionChangesRecordTheSanitizedValue";
//! a bot's PUT that keeps the stored description keeps it unsanitized). The text of the
//! output is written by the sanitizer's renderer with
//! owasp/java-html-sanitizer src/main/java/org/owasp/html/Encoding.java,
//! encodePcdataOnto → encodeHtmlOnto (REPLACEMENTS, braces, supplementary code points,
//! U+FE60.., U+1FEF), after the lexer decoded the entities of the input (decodeHtml).
//!
//! Ported faithfully for what a Markdown description holds: text, the elements the
//! policy allows (without attributes), comments (dropped), entity links `<#E::...>`
//! (kept), `<script>`/`<style>` (dropped with their content), other elements (the tag
//! dropped, its text kept), unbalanced tags (closed at the end, stray end tags dropped).
//! Anything this port does not model (attributes, other raw-text elements, named
//! entities beyond the common ones) is refused with a 500 naming the construct, so a
//! test can never pass on a guess.

use super::state::{api_error, ApiError};

/// `MARKDOWN_POLICY`'s allowed elements.
const ALLOWED: [&str; 47] = [
    "p",
    "br",
    "hr",
    "em",
    "strong",
    "b",
    "i",
    "u",
    "s",
    "del",
    "ins",
    "sub",
    "sup",
    "small",
    "mark",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "blockquote",
    "pre",
    "code",
    "div",
    "span",
    "section",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "caption",
    "colgroup",
    "col",
    "a",
    "img",
    "details",
    "summary",
    "dl",
    "dt",
    "dd",
];

/// Void elements: the renderer writes them as `<br />` and never closes them.
const VOID: [&str; 4] = ["br", "hr", "img", "col"];

/// Elements whose content the lexer reads as raw text; the policy allows none of them,
/// so their content goes with them.
const DROPPED_WITH_CONTENT: [&str; 2] = ["script", "style"];

/// Raw-text elements this port does not model.
const UNMODELLED_RAW: [&str; 8] = [
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noscript",
    "noembed",
    "noframes",
    "plaintext",
];

/// Named entities this port decodes (`HtmlEntities` knows ~2000; others are refused).
const NAMED: [(&str, char); 6] = [
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", '\u{a0}'),
];

fn unmodelled(what: String) -> ApiError {
    api_error(
        500,
        format!(
            "contract server: DescriptionSanitizer port does not model {what}; extend openmetadata_server/sanitize.rs from the upstream source before relying on it"
        ),
    )
}

/// The description OpenMetadata stores for `description`.
///
/// Upstream: DescriptionSanitizer.sanitize (entity links `<#E::[^<>]+>` put aside, the
/// rest sanitized, the links put back).
pub(super) fn sanitize(description: &str) -> Result<String, ApiError> {
    let mut links: Vec<&str> = Vec::new();
    let mut replaced = String::with_capacity(description.len());
    let mut rest = description;
    while let Some(start) = rest.find("<#E::") {
        let after = &rest[start + 5..];
        let Some(len) = after.find(['<', '>']) else {
            break;
        };
        if len == 0 || after.as_bytes()[len] != b'>' {
            replaced.push_str(&rest[..start + 5]);
            rest = after;
            continue;
        }
        links.push(&rest[start..start + 5 + len + 1]);
        replaced.push_str(&rest[..start]);
        replaced.push_str(&format!("__OM_ENTITY_LINK_{}__", links.len()));
        rest = &after[len + 1..];
    }
    replaced.push_str(rest);
    let mut out = sanitize_html(&replaced)?;
    for (i, link) in links.iter().enumerate() {
        out = out.replace(&format!("__OM_ENTITY_LINK_{}__", i + 1), link);
    }
    Ok(out)
}

/// The policy applied to HTML: lex, keep allowed elements, encode text, balance tags.
fn sanitize_html(input: &str) -> Result<String, ApiError> {
    let mut out = String::with_capacity(input.len() + 16);
    let mut open: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut rest = input;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            text.push_str(rest);
            break;
        };
        text.push_str(&rest[..lt]);
        let tail = &rest[lt..];
        if let Some(comment) = tail.strip_prefix("<!--") {
            flush(&mut text, &mut out)?;
            let end = comment
                .find("-->")
                .ok_or_else(|| unmodelled("an unterminated comment".into()))?;
            rest = &comment[end + 3..];
            continue;
        }
        let closing = tail.as_bytes().get(1) == Some(&b'/');
        let name_start = if closing { 2 } else { 1 };
        if !tail
            .as_bytes()
            .get(name_start)
            .is_some_and(u8::is_ascii_alphabetic)
        {
            if tail
                .as_bytes()
                .get(1)
                .is_some_and(|b| *b == b'!' || *b == b'?')
            {
                return Err(unmodelled("a declaration or processing instruction".into()));
            }
            // A `<` that starts no tag is text.
            text.push('<');
            rest = &tail[1..];
            continue;
        }
        let Some(gt) = tail.find('>') else {
            return Err(unmodelled("a tag without its closing `>`".into()));
        };
        let inner = &tail[name_start..gt];
        let name_len = inner
            .find(|c: char| c.is_ascii_whitespace() || c == '/')
            .unwrap_or(inner.len());
        let name = inner[..name_len].to_ascii_lowercase();
        let attributes = inner[name_len..].trim().trim_end_matches('/').trim();
        if !attributes.is_empty() {
            return Err(unmodelled(format!("attributes (`<{name} {attributes}>`)")));
        }
        rest = &tail[gt + 1..];
        flush(&mut text, &mut out)?;
        if UNMODELLED_RAW.contains(&name.as_str()) {
            return Err(unmodelled(format!("the raw-text element <{name}>")));
        }
        if DROPPED_WITH_CONTENT.contains(&name.as_str()) {
            if !closing {
                let end = format!("</{name}");
                let lower = rest.to_ascii_lowercase();
                let at = lower.find(&end).unwrap_or(rest.len());
                let after = &rest[at..];
                rest = after.find('>').map_or("", |g| &after[g + 1..]);
            }
            continue;
        }
        if !ALLOWED.contains(&name.as_str()) {
            continue;
        }
        if VOID.contains(&name.as_str()) {
            if !closing {
                out.push_str(&format!("<{name} />"));
            }
            continue;
        }
        if closing {
            if let Some(at) = open.iter().rposition(|o| *o == name) {
                for o in open.drain(at..).rev() {
                    out.push_str(&format!("</{o}>"));
                }
            }
        } else {
            out.push_str(&format!("<{name}>"));
            open.push(name);
        }
    }
    flush(&mut text, &mut out)?;
    for o in open.into_iter().rev() {
        out.push_str(&format!("</{o}>"));
    }
    Ok(out)
}

/// Decodes and encodes one text chunk onto `out`.
fn flush(text: &mut String, out: &mut String) -> Result<(), ApiError> {
    if !text.is_empty() {
        let plain = decode(text)?;
        encode_pcdata(&plain, out);
        text.clear();
    }
    Ok(())
}

/// Upstream: Encoding.decodeHtml / HtmlEntities.decodeEntityAt for numeric entities
/// and the common named ones; an `&` that starts no entity stays an `&`. Banned code
/// units (controls other than tab, LF, CR) are left for the encoder to elide.
fn decode(text: &str) -> Result<String, ApiError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        if let Some(num) = after.strip_prefix('#') {
            let (hex, digits_from) = match num.as_bytes().first() {
                Some(b'x' | b'X') => (true, &num[1..]),
                _ => (false, num),
            };
            let len = digits_from
                .find(|c: char| {
                    if hex {
                        !c.is_ascii_hexdigit()
                    } else {
                        !c.is_ascii_digit()
                    }
                })
                .unwrap_or(digits_from.len());
            let digits = &digits_from[..len];
            let terminated = digits_from[len..].starts_with(';');
            if digits.is_empty() || !terminated {
                if !digits.is_empty() {
                    return Err(unmodelled(format!(
                        "a numeric character reference without `;` (`&#{}`)",
                        &num[..num.len().min(12)]
                    )));
                }
                out.push('&');
                rest = after;
                continue;
            }
            let value = u32::from_str_radix(digits, if hex { 16 } else { 10 }).ok();
            let Some(c) = value.and_then(char::from_u32) else {
                return Err(unmodelled(format!("the character reference &#{digits};")));
            };
            out.push(c);
            rest = &digits_from[len + 1..];
            continue;
        }
        let len = after
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(after.len());
        if len > 0 {
            let name = &after[..len];
            if let Some((_, c)) = NAMED.iter().find(|(n, _)| *n == name) {
                if after[len..].starts_with(';') {
                    out.push(*c);
                    rest = &after[len + 1..];
                    continue;
                }
            }
            return Err(unmodelled(format!("the entity `&{name}`")));
        }
        out.push('&');
        rest = after;
    }
    out.push_str(rest);
    Ok(out)
}

/// Upstream: Encoding.REPLACEMENTS (ASCII), used by encodeHtmlOnto.
fn replacement(c: char) -> Option<&'static str> {
    Some(match c {
        '"' => "&#34;",
        '&' => "&amp;",
        '\'' => "&#39;",
        '+' => "&#43;",
        '<' => "&lt;",
        '=' => "&#61;",
        '>' => "&gt;",
        '@' => "&#64;",
        '`' => "&#96;",
        '\t' | '\n' | '\r' => return None,
        c if (c as u32) < 0x20 => "",
        _ => return None,
    })
}

/// Upstream: Encoding.appendNumericEntity (decimal below 100, else lower-case hex).
fn numeric_entity(code: u32, out: &mut String) {
    if code < 100 {
        out.push_str(&format!("&#{code};"));
    } else {
        out.push_str(&format!("&#x{code:x};"));
    }
}

/// Upstream: Encoding.encodePcdataOnto → encodeHtmlOnto(text, out, "{<!-- -->").
pub(super) fn encode_pcdata(plain: &str, out: &mut String) {
    let chars: Vec<char> = plain.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let code = c as u32;
        if code < 0x80 {
            if let Some(r) = replacement(c) {
                out.push_str(r);
            } else if c == '{' && (i + 1 == chars.len() || chars[i + 1] == '{') {
                out.push_str("{<!-- -->");
            } else {
                out.push(c);
            }
        } else if (0x93A..=0xC4C).contains(&code)
            && (code <= 0x94F
                || (0x985..=0x994).contains(&code)
                || (0x9BE..0x9CC).contains(&code)
                || (0x9E0..=0x9E3).contains(&code)
                || (0xC05..=0xC14).contains(&code)
                || (0xC3E <= code && code != 0xC48))
        {
            // A ZWNJ before one of these vowels is dropped.
            if out.ends_with('\u{200C}') {
                out.pop();
            }
            out.push(c);
        } else if code > 0xFFFF {
            // Supplementary code points (a surrogate pair in Java) become an entity.
            numeric_entity(code, out);
        } else if code >= 0xFE60 {
            if code & 0xFFFE != 0xFFFE {
                numeric_entity(code, out);
            }
        } else if c == '\u{1FEF}' {
            out.push_str("&#8175;");
        } else {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> String {
        sanitize(text).unwrap_or_else(|e| panic!("{text:?}: {}", e.message))
    }

    /// The characters the issue lists, as Encoding.REPLACEMENTS writes them.
    #[test]
    fn text_is_entity_encoded_like_owasp_encoding() {
        assert_eq!(
            s("a `b` it's x=1 3 < 4 > 2 & z@w + \"q\""),
            "a &#96;b&#96; it&#39;s x&#61;1 3 &lt; 4 &gt; 2 &amp; z&#64;w &#43; &#34;q&#34;"
        );
        assert_eq!(s("tab\tnew\nline\u{1}"), "tab\tnew\nline");
        assert_eq!(s("{{x}} {"), "{<!-- -->{x}} {<!-- -->");
        assert_eq!(s("emoji 😀 ﹤"), "emoji &#x1f600; &#xfe64;");
        assert_eq!(
            s("plain **markdown** - list: 1 / 2 (ok)"),
            "plain **markdown** - list: 1 / 2 (ok)"
        );
    }

    /// DescriptionSanitizer's own tests: scripts go, allowed markup stays.
    #[test]
    fn elements_follow_the_markdown_policy() {
        assert_eq!(s("<script>alert(1)</script><b>After</b>"), "<b>After</b>");
        assert_eq!(
            s("<code>pk</code> and <blink>x</blink>"),
            "<code>pk</code> and x"
        );
        assert_eq!(s("<p>open <em>end"), "<p>open <em>end</em></p>");
        assert_eq!(s("a<br>b</i>"), "a<br />b");
        assert_eq!(s("x <!-- note --> y"), "x  y");
        assert_eq!(s("1 < 2"), "1 &lt; 2");
        assert_eq!(
            s("see <#E::table::svc.db.sc.t> now"),
            "see <#E::table::svc.db.sc.t> now"
        );
    }

    /// Entities are decoded, then encoded again: the stored text of an encoded
    /// description is the description itself.
    #[test]
    fn encoded_text_is_a_fixed_point() {
        for text in [
            "a &#96;b&#96; x&#61;1 &amp; &lt;c&gt; &#64; &#43; &#39; &#34;",
            "{<!-- -->{x} {<!-- -->",
            "&#x1f600; <code>k&#61;v</code>",
        ] {
            assert_eq!(s(text), text);
        }
        assert_eq!(s("&quot;&apos;&nbsp;"), "&#34;&#39;\u{a0}");
    }

    #[test]
    fn what_the_port_does_not_model_is_refused_not_guessed() {
        for text in [
            "<a href=\"x\">y</a>",
            "&copy;",
            "<textarea>x</textarea>",
            "<b",
        ] {
            let e = sanitize(text).expect_err(text);
            assert_eq!(e.status, 500, "{text}");
            assert!(e.message.contains("does not model"), "{}", e.message);
        }
    }
}
