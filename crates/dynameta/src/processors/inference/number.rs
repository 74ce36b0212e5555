//! DynamoDB numbers are decimal strings of up to 38 significant digits; they are
//! classified by reading the digits, never through `f64`.

/// What one DynamoDB number looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberInfo {
    /// No fractional part.
    pub integer: bool,
    /// Digits left of the decimal point (0 for |x| < 1).
    pub int_digits: u32,
    /// Digits right of the decimal point, trailing zeros dropped.
    pub scale: u32,
}

/// Parses a DynamoDB `N` value such as `-12.50`, `1E+3` or `0.000`. `None` if it is
/// not a number at all (DynamoDB never sends such a value, but input is input).
pub fn parse_number(text: &str) -> Option<NumberInfo> {
    let s = text.trim();
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], s[i + 1..].parse::<i64>().ok()?),
        None => (s, 0),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part
        .bytes()
        .chain(frac_part.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let frac = frac_part.trim_end_matches('0');
    let digits = format!("{int_part}{frac}");
    // Saturating: an exponent near i64's limits is no DynamoDB number (they stay within
    // 1E-130..1E+126), but input is input and must not overflow.
    let significant = digits.trim_start_matches('0');
    let point = (int_part.len() as i64)
        .saturating_add(exp)
        .saturating_sub((digits.len() - significant.len()) as i64);
    if significant.is_empty() {
        return Some(NumberInfo {
            integer: true,
            int_digits: 1,
            scale: 0,
        });
    }
    let len = significant.len() as i64;
    let scale = len.saturating_sub(point).max(0);
    Some(NumberInfo {
        integer: scale == 0,
        int_digits: point.clamp(0, u32::MAX as i64) as u32,
        scale: scale.clamp(0, u32::MAX as i64) as u32,
    })
}
