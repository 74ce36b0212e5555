//! Exact decimal numbers for profiling DynamoDB `N` values (min, max, sum).
//!
//! A [`Decimal`] is a sign and a magnitude `Σ limbs[i] · (10⁹)^(exp + i)`: base-10⁹
//! limbs, least significant first, with a limb-aligned exponent. The form is canonical
//! (no zero limb at either end, one zero), so derived equality and hashing are numeric.
//! Addition aligns the limbs and carries or borrows: exact at any size, never rounded,
//! never through `f64` (only [`Decimal::to_f64`] leaves the decimal world).

use std::cmp::Ordering;
use std::fmt;

/// One limb holds nine decimal digits.
const BASE: u32 = 1_000_000_000;
const LIMB_DIGITS: i64 = 9;

/// Largest accepted |power of ten| of any digit of a parsed number. DynamoDB's own
/// range is 1E-130 to 9.99E+125; this bound only keeps hostile input (`1E+999999999`)
/// from allocating gigabytes when added to a small number.
const MAX_DIGIT_POWER: i64 = 100_000;

/// An exact decimal number of any size (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Decimal {
    /// True only for values below zero (zero is never negative).
    negative: bool,
    /// Base-10⁹ limbs, least significant first; empty for zero, else nonzero at both ends.
    limbs: Vec<u32>,
    /// Power of 10⁹ of `limbs[0]`; 0 for zero.
    exp: i64,
}

impl Decimal {
    /// The number 0.
    pub fn zero() -> Decimal {
        Decimal {
            negative: false,
            limbs: Vec::new(),
            exp: 0,
        }
    }

    /// Parses a decimal string such as `-12.50`, `+3`, `.5`, `1E+125` or `1e-130`
    /// (surrounding whitespace is ignored). `None` for anything else: empty text, no
    /// digit in the mantissa (`.`), an exponent without digits (`1e`), two signs
    /// (`--1`), `NaN`, `inf`, or a digit beyond 10^±100000.
    pub fn parse(text: &str) -> Option<Decimal> {
        let s = text.trim();
        let (negative, s) = match s.as_bytes().first()? {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let (mantissa, exponent) = match s.find(['e', 'E']) {
            Some(i) => (&s[..i], parse_exponent(&s[i + 1..])?),
            None => (s, 0),
        };
        let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if (int_part.is_empty() && frac_part.is_empty())
            || !all_digits(int_part)
            || !all_digits(frac_part)
        {
            return None;
        }
        let digits: Vec<u8> = int_part
            .bytes()
            .chain(frac_part.bytes())
            .map(|b| b - b'0')
            .collect();
        let first = match digits.iter().position(|&d| d != 0) {
            Some(i) => i,
            None => return Some(Decimal::zero()),
        };
        // Position of the last nonzero digit; one exists because `first` does.
        let last = digits.iter().rposition(|&d| d != 0).unwrap_or(first);
        let significant = &digits[first..=last];
        // Power of ten of the last significant digit.
        // Saturating: a saturated position is far out of range and rejected below.
        let low = exponent
            .saturating_sub(frac_part.len() as i64)
            .saturating_add((digits.len() - 1 - last) as i64);
        let high = low.saturating_add(significant.len() as i64 - 1);
        if low < -MAX_DIGIT_POWER || high > MAX_DIGIT_POWER {
            return None;
        }
        Some(Decimal::from_digits(negative, significant, low))
    }

    /// The exact sum `self + other`.
    pub fn add(&self, other: &Decimal) -> Decimal {
        if self.limbs.is_empty() {
            return other.clone();
        }
        if other.limbs.is_empty() {
            return self.clone();
        }
        if self.negative == other.negative {
            return Decimal::normalized(
                self.negative,
                add_magnitudes(self, other),
                self.exp.min(other.exp),
            );
        }
        match cmp_magnitudes(self, other) {
            Ordering::Equal => Decimal::zero(),
            Ordering::Greater => Decimal::normalized(
                self.negative,
                sub_magnitudes(self, other),
                self.exp.min(other.exp),
            ),
            Ordering::Less => Decimal::normalized(
                other.negative,
                sub_magnitudes(other, self),
                self.exp.min(other.exp),
            ),
        }
    }

    /// The exact product `self × other` (schoolbook multiplication of the limbs).
    pub fn mul(&self, other: &Decimal) -> Decimal {
        if self.limbs.is_empty() || other.limbs.is_empty() {
            return Decimal::zero();
        }
        let mut out = vec![0u32; self.limbs.len() + other.limbs.len()];
        for (i, &a) in self.limbs.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &b) in other.limbs.iter().enumerate() {
                // < 10^18 + 2·10^9: fits u64.
                let t = u64::from(out[i + j]) + u64::from(a) * u64::from(b) + carry;
                out[i + j] = (t % u64::from(BASE)) as u32;
                carry = t / u64::from(BASE);
            }
            // Row i has not written this limb yet, and the carry is below 10^9.
            out[i + other.limbs.len()] = carry as u32;
        }
        Decimal::normalized(self.negative != other.negative, out, self.exp + other.exp)
    }

    /// The exact negation `-self`.
    pub fn neg(&self) -> Decimal {
        Decimal {
            negative: !self.negative && !self.limbs.is_empty(),
            ..self.clone()
        }
    }

    /// The exact integer `n`.
    pub fn from_u64(n: u64) -> Decimal {
        let limbs = vec![
            (n % u64::from(BASE)) as u32,
            ((n / u64::from(BASE)) % u64::from(BASE)) as u32,
            (n / u64::from(BASE) / u64::from(BASE)) as u32,
        ];
        Decimal::normalized(false, limbs, 0)
    }

    /// The nearest `f64` (±infinity beyond its range, ±0 below it).
    pub fn to_f64(&self) -> f64 {
        // Rust's float parser rounds correctly, and the canonical string always parses.
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// True when the number has no fractional part (zero included).
    pub fn is_integer(&self) -> bool {
        // The lowest limb is nonzero, so a negative limb exponent means a fraction.
        self.exp >= 0
    }

    /// True for values below zero.
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// The absolute value.
    pub fn abs(&self) -> Decimal {
        Decimal {
            negative: false,
            ..self.clone()
        }
    }

    /// Builds a canonical decimal from significant digits (nonzero at both ends, most
    /// significant first) whose last digit has the power of ten `low`.
    fn from_digits(negative: bool, significant: &[u8], low: i64) -> Decimal {
        let exp = low.div_euclid(LIMB_DIGITS);
        let pad = low.rem_euclid(LIMB_DIGITS) as u32;
        // Multiplying by 10^pad aligns the last digit to a limb boundary.
        let mut limbs = Vec::with_capacity(significant.len() / 9 + 2);
        let mut limb = 0u32;
        let mut scale = 10u32.pow(pad);
        for &d in significant.iter().rev() {
            limb += u32::from(d) * scale;
            if scale == BASE / 10 {
                limbs.push(limb);
                limb = 0;
                scale = 1;
            } else {
                scale *= 10;
            }
        }
        if limb != 0 {
            limbs.push(limb);
        }
        Decimal::normalized(negative, limbs, exp)
    }

    /// Makes `(negative, limbs, exp)` canonical: drops zero limbs at both ends.
    fn normalized(negative: bool, mut limbs: Vec<u32>, exp: i64) -> Decimal {
        while limbs.last() == Some(&0) {
            limbs.pop();
        }
        let low_zeros = limbs.iter().take_while(|&&l| l == 0).count();
        if limbs.is_empty() {
            return Decimal::zero();
        }
        limbs.drain(..low_zeros);
        Decimal {
            negative,
            limbs,
            exp: exp + low_zeros as i64,
        }
    }

    /// Power of 10⁹ just above the most significant limb.
    fn top(&self) -> i64 {
        self.exp + self.limbs.len() as i64
    }

    /// The limb of power `pos` of 10⁹ (0 outside the stored range).
    fn limb_at(&self, pos: i64) -> u32 {
        if pos < self.exp {
            return 0;
        }
        usize::try_from(pos - self.exp)
            .ok()
            .and_then(|i| self.limbs.get(i).copied())
            .unwrap_or(0)
    }

    /// Significant digits (most significant first, no zero at either end) and the
    /// power of ten of the last one; `None` for zero.
    fn digits(&self) -> Option<(String, i64)> {
        let (top, rest) = self.limbs.split_last()?;
        let mut text = top.to_string();
        for limb in rest.iter().rev() {
            text.push_str(&format!("{limb:09}"));
        }
        let trimmed = text.trim_end_matches('0').len();
        let low = self.exp * LIMB_DIGITS + (text.len() - trimmed) as i64;
        text.truncate(trimmed);
        Some((text, low))
    }
}

/// Reads an exponent such as `+125`, `-130` or `7`; `None` if it has no digits or
/// does not fit an `i64` (its digits would be far beyond the accepted range anyway).
fn parse_exponent(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value = digits.bytes().try_fold(0i64, |acc, b| {
        acc.checked_mul(10)?.checked_add(i64::from(b - b'0'))
    })?;
    Some(if negative { -value } else { value })
}

/// |a| + |b|, limbs from power `min(a.exp, b.exp)` upwards (not normalized).
fn add_magnitudes(a: &Decimal, b: &Decimal) -> Vec<u32> {
    let low = a.exp.min(b.exp);
    let high = a.top().max(b.top());
    let mut out = Vec::with_capacity((high - low + 1) as usize);
    let mut carry = 0u32;
    for pos in low..high {
        let sum = a.limb_at(pos) + b.limb_at(pos) + carry;
        carry = u32::from(sum >= BASE);
        out.push(sum - carry * BASE);
    }
    out.push(carry);
    out
}

/// |a| - |b| for |a| > |b|, limbs from power `min(a.exp, b.exp)` upwards.
fn sub_magnitudes(a: &Decimal, b: &Decimal) -> Vec<u32> {
    let low = a.exp.min(b.exp);
    let mut out = Vec::with_capacity((a.top() - low) as usize);
    let mut borrow = 0u32;
    for pos in low..a.top() {
        let subtrahend = b.limb_at(pos) + borrow;
        let minuend = a.limb_at(pos);
        if minuend >= subtrahend {
            out.push(minuend - subtrahend);
            borrow = 0;
        } else {
            out.push(minuend + BASE - subtrahend);
            borrow = 1;
        }
    }
    out
}

/// Compares |a| and |b| for nonzero `a` and `b`.
fn cmp_magnitudes(a: &Decimal, b: &Decimal) -> Ordering {
    // The top limb is nonzero, so the higher top is the larger magnitude.
    a.top().cmp(&b.top()).then_with(|| {
        let low = a.exp.min(b.exp);
        (low..a.top())
            .rev()
            .map(|pos| a.limb_at(pos).cmp(&b.limb_at(pos)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    })
}

impl Default for Decimal {
    fn default() -> Decimal {
        Decimal::zero()
    }
}

impl Ord for Decimal {
    /// Numeric order.
    fn cmp(&self, other: &Decimal) -> Ordering {
        let sign = |d: &Decimal| match (d.negative, d.limbs.is_empty()) {
            (true, _) => -1,
            (false, true) => 0,
            (false, false) => 1,
        };
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal => match sign(self) {
                0 => Ordering::Equal,
                1 => cmp_magnitudes(self, other),
                _ => cmp_magnitudes(other, self),
            },
            unequal => unequal,
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Decimal) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Decimal {
    /// Canonical text: plain (`-12.5`, `0.000001`, `100`) when the power of ten of the
    /// leading digit is within ±40, scientific (`1.5E+125`, `-2E-130`) otherwise.
    /// No trailing zeros after a decimal point; parses back to an equal value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some((digits, low)) = self.digits() else {
            return f.write_str("0");
        };
        if self.negative {
            f.write_str("-")?;
        }
        let n = digits.len() as i64;
        let lead = low + n - 1;
        if lead.abs() > 40 {
            let (first, rest) = digits.split_at(1);
            let sign = if lead < 0 { '-' } else { '+' };
            if rest.is_empty() {
                write!(f, "{first}E{sign}{}", lead.abs())
            } else {
                write!(f, "{first}.{rest}E{sign}{}", lead.abs())
            }
        } else if low >= 0 {
            write!(f, "{digits}{}", "0".repeat(low as usize))
        } else if lead >= 0 {
            let (int, frac) = digits.split_at((lead + 1) as usize);
            write!(f, "{int}.{frac}")
        } else {
            write!(f, "0.{}{digits}", "0".repeat((-lead - 1) as usize))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(text: &str) -> Decimal {
        match Decimal::parse(text) {
            Some(v) => v,
            None => panic!("{text:?} should parse"),
        }
    }

    /// Exact rational value as (numerator, power of ten of the denominator) for
    /// small test values: `text` = num / 10^den.
    fn rational(text: &str) -> (i128, u32) {
        let negative = text.starts_with('-');
        let body = text.trim_start_matches(['-', '+']);
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let mut num: i128 = format!("{int}{frac}").parse().unwrap_or(0);
        if negative {
            num = -num;
        }
        (num, frac.len() as u32)
    }

    #[test]
    fn parses_and_displays_canonically() {
        let cases = [
            ("0", "0"),
            ("-0", "0"),
            ("+0.000e+99", "0"),
            ("-12.50", "-12.5"),
            ("12.", "12"),
            (".5", "0.5"),
            ("007", "7"),
            ("0.000001", "0.000001"),
            ("1E+3", "1000"),
            ("1e-3", "0.001"),
            ("1.5E+125", "1.5E+125"),
            ("1E+125", "1E+125"),
            ("1E-130", "1E-130"),
            ("-1e-130", "-1E-130"),
            ("1E+40", "10000000000000000000000000000000000000000"),
            ("1E+41", "1E+41"),
            ("1E-40", "0.0000000000000000000000000000000000000001"),
            ("1E-41", "1E-41"),
            (
                "123456789012345678901234567890.123456789",
                "123456789012345678901234567890.123456789",
            ),
            (
                "9.9999999999999999999999999999999999999E+125",
                "9.9999999999999999999999999999999999999E+125",
            ),
            ("1000000000", "1000000000"),
            ("0.999999999", "0.999999999"),
            ("  42 ", "42"),
        ];
        for (input, shown) in cases {
            let value = d(input);
            assert_eq!(value.to_string(), shown, "display of {input}");
            assert_eq!(d(shown), value, "round trip of {input}");
        }
        assert_eq!(d("-0"), Decimal::zero());
        assert_eq!(d("1.50"), d("15E-1"));
        // A long fraction and a large exponent that cancel out.
        assert_eq!(d(&format!("0.{}1e200000", "0".repeat(199_999))), d("1"));
        assert_eq!(d("1e100000").to_string(), "1E+100000");
        assert_eq!(d("1e-100000").to_string(), "1E-100000");
        assert_eq!(d("100"), d("1e2"));
    }

    #[test]
    fn rejects_garbage() {
        for text in [
            "",
            " ",
            ".",
            "1e",
            "1E+",
            "e5",
            "--1",
            "+-1",
            "-",
            "+",
            "1.2.3",
            "1e2e3",
            "abc",
            "1a",
            "0x10",
            "NaN",
            "inf",
            "Infinity",
            "1 000",
            "1,5",
            "1e1.5",
            "1e999999999999999999999",
            "1e-999999",
            "1e100001",
            "1e-100001",
            "-9223372036854775808e-9223372036854775808",
        ] {
            assert_eq!(Decimal::parse(text), None, "{text:?} should not parse");
        }
    }

    #[test]
    fn integer_detection() {
        for (text, integer) in [
            ("0", true),
            ("5", true),
            ("-5", true),
            ("1E+125", true),
            ("1000000000", true),
            ("12.5", false),
            ("1E-130", false),
            ("0.000000001", false),
            ("1000000000.5", false),
            ("12.000", true),
        ] {
            assert_eq!(d(text).is_integer(), integer, "{text}");
        }
    }

    #[test]
    fn to_f64_is_nearest() {
        assert_eq!(d("0.1").to_f64(), 0.1);
        assert_eq!(d("-12.50").to_f64(), -12.5);
        assert_eq!(d("1E+125").to_f64(), 1e125);
        assert_eq!(d("1E-130").to_f64(), 1e-130);
        assert_eq!(Decimal::zero().to_f64(), 0.0);
        assert_eq!(d("1e400").to_f64(), f64::INFINITY);
    }

    #[test]
    fn point_one_plus_point_two_is_point_three() {
        assert_eq!(d("0.1").add(&d("0.2")), d("0.3"));
        assert_eq!(d("0.1").add(&d("0.2")).to_string(), "0.3");
        assert_eq!(
            d("1").add(&d("-0.999999999999")).to_string(),
            "0.000000000001"
        );
        assert_eq!(d("-5").add(&d("5")), Decimal::zero());
        assert_eq!(
            d("1E+125").add(&d("1E-130")).to_string(),
            format!("1.{}1E+125", "0".repeat(254))
        );
    }

    #[test]
    fn products_at_dynamodb_limits() {
        assert_eq!(d("1E+125").mul(&d("1E+125")).to_string(), "1E+250");
        assert_eq!(d("1E-130").mul(&d("-1E-130")).to_string(), "-1E-260");
        let max = d("9.9999999999999999999999999999999999999E+125");
        // (10^126 − 10^88)² = 10^252 − 2·10^214 + 10^176.
        let expected = d("1E+252").add(&d("-2E+214")).add(&d("1E+176"));
        assert_eq!(max.mul(&max), expected);
        assert_eq!(
            d("999999999").mul(&d("999999999")).to_string(),
            "999999998000000001"
        );
        assert_eq!(
            Decimal::from_u64(u64::MAX).to_string(),
            u64::MAX.to_string()
        );
        assert_eq!(Decimal::from_u64(0), Decimal::zero());
    }

    #[test]
    fn sum_of_many_maximal_values_is_exact() {
        let max = d("9.9999999999999999999999999999999999999E+125");
        let mut sum = Decimal::zero();
        for _ in 0..10_000 {
            sum = sum.add(&max);
        }
        // 10^4 × (10^126 − 10^88) = 10^130 − 10^92 = 9999…9 (38 nines) × 10^92.
        assert_eq!(
            sum.to_string(),
            "9.9999999999999999999999999999999999999E+129"
        );
        assert_eq!(sum, d("99999999999999999999999999999999999999E+92"));
        let back = (0..10_000).fold(sum.clone(), |acc, _| {
            acc.add(&d("-9.9999999999999999999999999999999999999E+125"))
        });
        assert_eq!(back, Decimal::zero());
        // A sum with more than 38 significant digits is kept whole.
        let wide = max.add(&d("1E-130"));
        assert_eq!(
            wide.to_string(),
            format!(
                "9.9999999999999999999999999999999999999{}1E+125",
                "0".repeat(217)
            )
        );
        assert_eq!(d(&wide.to_string()), wide);
    }

    #[test]
    fn order_matches_exact_rationals() {
        let values = [
            "-1000000000.000000001",
            "-1000000000",
            "-999999999.999999999",
            "-12.5",
            "-12.49",
            "-0.1",
            "-0.000000001",
            "0",
            "0.000000001",
            "0.0000000011",
            "0.1",
            "0.10000000000000000001",
            "0.2",
            "1",
            "1.5",
            "12.5",
            "999999999.999999999",
            "1000000000",
            "1000000000.1",
        ];
        for a in values {
            for b in values {
                let (na, da) = rational(a);
                let (nb, db) = rational(b);
                let scale = da.max(db);
                let expected = (na * 10i128.pow(scale - da)).cmp(&(nb * 10i128.pow(scale - db)));
                assert_eq!(d(a).cmp(&d(b)), expected, "{a} vs {b}");
            }
        }
        assert!(d("1E-130") < d("1E-129"));
        assert!(d("-1E+125") < d("-9.99E+124"));
        assert!(d("9.9999999999999999999999999999999999999E+125") > d("1E+125"));
    }

    /// A decimal string: optional sign, up to 38 digits, an optional point, and an
    /// exponent within DynamoDB's range.
    fn decimal_text() -> impl Strategy<Value = String> {
        (any::<bool>(), "[0-9]{1,38}", 0usize..40, -130i64..=88).prop_map(
            |(negative, digits, point, exp)| {
                let point = point.min(digits.len());
                let (int, frac) = digits.split_at(point);
                let sign = if negative { "-" } else { "" };
                format!("{sign}{int}.{frac}E{exp}")
            },
        )
    }

    fn decimal() -> impl Strategy<Value = Decimal> {
        decimal_text().prop_map(|t| d(&t))
    }

    proptest! {
        #[test]
        fn display_round_trips(value in decimal()) {
            let shown = value.to_string();
            prop_assert_eq!(Decimal::parse(&shown), Some(value.clone()));
            prop_assert_eq!(value.to_f64(), value.to_string().parse::<f64>().unwrap_or(f64::NAN));
        }

        #[test]
        fn add_is_commutative_and_associative(a in decimal(), b in decimal(), c in decimal()) {
            prop_assert_eq!(a.add(&b), b.add(&a));
            prop_assert_eq!(a.add(&b).add(&c), a.add(&b.add(&c)));
            prop_assert_eq!(a.add(&Decimal::zero()), a.clone());
        }

        #[test]
        fn order_is_consistent_with_add(a in decimal(), b in decimal()) {
            let up = a.add(&b.abs());
            prop_assert!(a <= up);
            prop_assert_eq!(a == up, b == Decimal::zero());
            let negated = Decimal { negative: !b.negative && !b.limbs.is_empty(), ..b.clone() };
            prop_assert_eq!(b.add(&negated), Decimal::zero());
            prop_assert_eq!(a.cmp(&b), a.add(&negated).cmp(&Decimal::zero()));
        }

        #[test]
        fn mul_matches_i128(a in any::<i64>(), b in any::<i64>(), sa in 0u32..20, sb in 0u32..20) {
            let product = d(&format!("{a}E-{sa}")).mul(&d(&format!("{b}E-{sb}")));
            prop_assert_eq!(product, d(&format!("{}E-{}", i128::from(a) * i128::from(b), sa + sb)));
            prop_assert_eq!(d(&a.to_string()).neg(), d(&(-i128::from(a)).to_string()));
            prop_assert_eq!(Decimal::from_u64(a.unsigned_abs()), d(&a.unsigned_abs().to_string()));
        }

        #[test]
        fn mul_distributes_over_add(a in decimal(), b in decimal(), c in decimal()) {
            prop_assert_eq!(a.mul(&b.add(&c)), a.mul(&b).add(&a.mul(&c)));
            prop_assert_eq!(a.mul(&b), b.mul(&a));
        }

        #[test]
        fn integer_sums_match_i128(values in proptest::collection::vec(any::<i64>(), 0..200)) {
            let sum = values.iter().fold(Decimal::zero(), |acc, v| acc.add(&d(&v.to_string())));
            let exact: i128 = values.iter().map(|&v| i128::from(v)).sum();
            prop_assert_eq!(sum.to_string(), exact.to_string());
            prop_assert!(sum.is_integer());
        }

        #[test]
        fn order_matches_i128(a in any::<i64>(), b in any::<i64>(), sa in 0u32..20, sb in 0u32..20) {
            let (wa, wb) = (i128::from(a) * 10i128.pow(sa), i128::from(b) * 10i128.pow(sb));
            prop_assert_eq!(d(&format!("{a}E{sa}")).cmp(&d(&format!("{b}E+{sb}"))), wa.cmp(&wb));
            prop_assert_eq!(d(&wa.to_string()).cmp(&d(&wb.to_string())), wa.cmp(&wb));
        }
    }
}
