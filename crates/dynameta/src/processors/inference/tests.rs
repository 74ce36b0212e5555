use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue as AV;
use proptest::prelude::*;

use super::*;
use crate::openmetadata::{Column, DataType};

fn item(pairs: &[(&str, AV)]) -> HashMap<String, AV> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn sample(items: &[HashMap<String, AV>]) -> Sample {
    let mut s = Sample::default();
    for i in items {
        s.observe(i);
    }
    s
}

fn find<'a>(cols: &'a [Column], name: &str) -> &'a Column {
    cols.iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no column {name} in {cols:#?}"))
}

fn n(s: &str) -> AV {
    AV::N(s.into())
}
fn s(v: &str) -> AV {
    AV::S(v.into())
}

#[test]
fn numbers_are_read_from_digits() {
    let p = |t| parse_number(t).unwrap();
    assert_eq!(
        p("42"),
        NumberInfo {
            integer: true,
            int_digits: 2,
            scale: 0
        }
    );
    assert_eq!(
        p("-12.50"),
        NumberInfo {
            integer: false,
            int_digits: 2,
            scale: 1
        }
    );
    assert_eq!(
        p("1E+3"),
        NumberInfo {
            integer: true,
            int_digits: 4,
            scale: 0
        }
    );
    assert_eq!(
        p("0.005"),
        NumberInfo {
            integer: false,
            int_digits: 0,
            scale: 3
        }
    );
    assert_eq!(
        p("12.000"),
        NumberInfo {
            integer: true,
            int_digits: 2,
            scale: 0
        }
    );
    assert_eq!(p("1e125").int_digits, 126);
    assert!(parse_number("abc").is_none());
    assert!(parse_number("").is_none());
}

#[test]
fn scalar_types_map_to_openmetadata_types() {
    let items = [item(&[
        ("s", s("x")),
        ("i", n("7")),
        ("d", n("3.25")),
        ("big", n("12345678901234567890123")),
        ("b", AV::B(Blob::new(vec![1, 2]))),
        ("t", AV::Bool(true)),
        ("z", AV::Null(true)),
        ("ss", AV::Ss(vec!["a".into()])),
        ("ns", AV::Ns(vec!["1".into(), "2.5".into()])),
        ("bs", AV::Bs(vec![Blob::new(vec![0])])),
    ])];
    let cols = columns(&sample(&items), &[], ColumnOptions::default());
    let t = |name| find(&cols, name).data_type;
    assert_eq!(t("s"), DataType::String);
    assert_eq!(t("i"), DataType::Bigint);
    assert_eq!(t("d"), DataType::Decimal);
    assert_eq!(find(&cols, "d").precision, Some(3));
    assert_eq!(find(&cols, "d").scale, Some(2));
    assert_eq!(t("big"), DataType::Decimal);
    assert_eq!(t("b"), DataType::Bytes);
    assert_eq!(
        find(&cols, "b").data_type_display.as_deref(),
        Some("binary")
    );
    assert_eq!(t("t"), DataType::Boolean);
    assert_eq!(t("z"), DataType::Null);
    // OpenMetadata drops arrayDataType from a SET: the element type is in the display.
    for (name, display) in [
        ("ss", "set<string>"),
        ("ns", "set<number>"),
        ("bs", "set<binary>"),
    ] {
        let c = find(&cols, name);
        assert_eq!(c.data_type, DataType::Set);
        assert_eq!(c.array_data_type, None);
        assert_eq!(c.data_type_display.as_deref(), Some(display));
    }
}

#[test]
fn four_types_become_one_union_column() {
    let items = [
        item(&[("v", s("a"))]),
        item(&[("v", n("1"))]),
        item(&[("v", AV::Bool(false))]),
        item(&[("v", AV::M(HashMap::from([("k".to_string(), s("x"))])))]),
        item(&[("v", AV::Null(true))]),
    ];
    let cols = columns(&sample(&items), &[], ColumnOptions::default());
    let v = find(&cols, "v");
    assert_eq!(v.data_type, DataType::Union);
    assert_eq!(
        v.data_type_display.as_deref(),
        Some("union<string,number,boolean,struct>")
    );
    assert_eq!(v.children.as_ref().map(|c| c[0].name.as_str()), Some("k"));
}

#[test]
fn list_of_maps_merges_children_from_all_elements() {
    let m = |pairs: &[(&str, AV)]| {
        AV::M(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    };
    let items = [item(&[(
        "lines",
        AV::L(vec![m(&[("sku", s("a"))]), m(&[("qty", n("2"))])]),
    )])];
    let cols = columns(&sample(&items), &[], ColumnOptions { json_schema: true });
    let c = find(&cols, "lines");
    assert_eq!(c.data_type, DataType::Array);
    assert_eq!(c.array_data_type, Some(DataType::Struct));
    let children: Vec<_> = c
        .children
        .iter()
        .flatten()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(children, ["qty", "sku"]);
    assert_eq!(
        c.data_type_display.as_deref(),
        Some("list<map<qty:bigint,sku:string>>")
    );
    let schema: serde_json::Value =
        serde_json::from_str(c.json_schema.as_deref().unwrap()).unwrap();
    assert_eq!(schema["items"]["properties"]["qty"]["type"], "integer");
}

#[test]
fn nested_maps_keep_depth_and_list_of_numbers_has_element_type() {
    let mut v = s("leaf");
    for level in (0..6).rev() {
        v = AV::M(HashMap::from([(format!("l{level}"), v)]));
    }
    let items = [item(&[("deep", v), ("nums", AV::L(vec![n("1"), n("2")]))])];
    let cols = columns(&sample(&items), &[], ColumnOptions::default());
    let mut c = find(&cols, "deep");
    let mut depth = 0;
    while let Some(children) = &c.children {
        c = &children[0];
        depth += 1;
    }
    assert_eq!(depth, 6);
    assert_eq!(c.data_type, DataType::String);
    assert_eq!(find(&cols, "nums").array_data_type, Some(DataType::Bigint));
}

#[test]
fn keys_come_first_and_exist_without_samples() {
    let keys = [
        KeyAttribute {
            name: "pk".into(),
            kind: KeyKind::String,
        },
        KeyAttribute {
            name: "sk".into(),
            kind: KeyKind::Number,
        },
    ];
    let cols = columns(&Sample::default(), &keys, ColumnOptions::default());
    assert_eq!(cols.len(), 2);
    assert_eq!(cols[0].name, "pk");
    assert_eq!(cols[1].data_type, DataType::Number);
    let items = [item(&[
        ("zz", s("a")),
        ("sk", n("5")),
        ("aa", s("b")),
        ("pk", s("p")),
    ])];
    let cols = columns(&sample(&items), &keys, ColumnOptions::default());
    let names: Vec<_> = cols.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["pk", "sk", "aa", "zz"]);
    assert_eq!(
        cols[1].data_type,
        DataType::Bigint,
        "observed integers refine N keys"
    );
    assert_eq!(cols[3].ordinal_position, Some(4));
}

#[test]
fn awkward_names_never_collide() {
    let items = [item(&[
        ("a.b", s("x")),
        ("a", AV::M(HashMap::from([("b".to_string(), n("1"))]))),
        ("with space", s("x")),
        ("naïve ✓", s("x")),
        ("q\"uote", s("x")),
        ("q'uote", s("x")),
        (&"x".repeat(300), s("x")),
    ])];
    let cols = columns(&sample(&items), &[], ColumnOptions::default());
    let mut names: Vec<_> = cols.iter().map(|c| c.name.clone()).collect();
    let total = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), total, "unique names: {names:?}");
    assert!(cols
        .iter()
        .all(|c| c.name.chars().count() <= 256 && !c.name.contains('"')));
    assert_eq!(find(&cols, "a.b").data_type, DataType::String);
    assert_eq!(find(&cols, "a").data_type, DataType::Struct);
    let renamed = cols
        .iter()
        .find(|c| c.display_name.as_deref() == Some("q\"uote"))
        .unwrap();
    assert_ne!(renamed.name, "q'uote");
}

#[test]
fn empty_maps_and_lists_have_types_openmetadata_accepts() {
    let items = [item(&[
        ("m", AV::M(HashMap::new())),
        ("l", AV::L(vec![])),
        ("lm", AV::L(vec![AV::M(HashMap::new())])),
        (
            "nested",
            AV::M(HashMap::from([(
                "inner".to_string(),
                AV::M(HashMap::new()),
            )])),
        ),
    ])];
    let cols = columns(&sample(&items), &[], ColumnOptions::default());
    // A STRUCT needs children (DatabaseUtil.validateStructColumn): an always-empty map
    // is a MAP, whose keys are unknown.
    let m = find(&cols, "m");
    assert_eq!((m.data_type, m.children.is_none()), (DataType::Map, true));
    assert_eq!(m.data_type_display.as_deref(), Some("map<>"));
    let l = find(&cols, "l");
    assert_eq!(l.data_type, DataType::Array);
    assert_eq!(l.array_data_type, Some(DataType::Unknown));
    assert_eq!(find(&cols, "lm").array_data_type, Some(DataType::Map));
    let nested = find(&cols, "nested");
    assert_eq!(nested.data_type, DataType::Struct);
    assert_eq!(
        nested.children.as_ref().unwrap()[0].data_type,
        DataType::Map
    );
}

#[test]
fn names_openmetadata_refuses_get_safe_names_that_never_collide() {
    let hostile = [
        "line\nbreak",
        "line break",
        "cr\rlf",
        "nel\u{85}x",
        "ls\u{2028}x",
        "ps\u{2029}x",
        "a::b",
        "a:_:b",
        ":::",
        "\"quoted\"",
        "",
    ];
    let items = [hostile.iter().map(|k| (k.to_string(), s("v"))).collect()];
    let cols = columns(&sample(&items), &[], ColumnOptions::default());
    assert_eq!(cols.len(), hostile.len());
    let mut names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
    for c in &cols {
        assert!(server_accepts_name(&c.name), "{:?}", c.name);
        if let Some(original) = &c.display_name {
            assert!(hostile.contains(&original.as_str()), "{original:?}");
        }
    }
    // Names OpenMetadata takes as they are stay unchanged.
    for kept in ["line break", "a:_:b"] {
        assert!(cols
            .iter()
            .any(|c| c.name == kept && c.display_name.is_none()));
    }
    // OpenMetadata's own encoding, which its client decodes on read.
    for (original, stored) in [
        ("a::b", "a__reserved__colon__b"),
        ("line\nbreak", "line__reserved__newline__break"),
        ("cr\rlf", "cr__reserved__carriage_return__lf"),
        ("\"quoted\"", "__reserved__quote__quoted__reserved__quote__"),
        ("ls\u{2028}x", "ls x"),
    ] {
        let c = cols
            .iter()
            .find(|c| c.display_name.as_deref() == Some(original))
            .unwrap();
        assert_eq!(c.name, stored);
    }
    names.sort();
    names.dedup();
    assert_eq!(names.len(), hostile.len(), "{names:?}");
}

/// What OpenMetadata 2.0.7 takes as a column name: 1 to 256 characters matching the
/// Java regex `^((?!::).)*$` (`.` matches no line terminator), and no `"` (the
/// `quote_name` of its 2.0.7 Python client refuses one).
fn server_accepts_name(name: &str) -> bool {
    let count = name.chars().count();
    (1..=256).contains(&count)
        && !name.contains("::")
        && !name.contains('"')
        && !name.contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}'])
}

/// Checks every column, at any depth, against the rules OpenMetadata's server applies
/// (`DatabaseUtil.validateColumns` and friends) to top-level columns; we hold nested
/// columns to them too.
fn check_server_rules(cols: &[Column]) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for c in cols {
        if !server_accepts_name(&c.name) {
            return Err(format!("name {:?}", c.name));
        }
        if !seen.insert(c.name.as_str()) {
            return Err(format!("Column name {} is repeated", c.name));
        }
        if c.data_type == DataType::Struct && c.children.is_none() {
            return Err(format!("STRUCT without children: {c:?}"));
        }
        if (c.data_type == DataType::Array) != c.array_data_type.is_some() {
            return Err(format!("arrayDataType on {c:?}"));
        }
        if let (Some(p), Some(s)) = (c.precision, c.scale) {
            if s > p {
                return Err(format!("scale > precision: {c:?}"));
            }
        }
        if let Some(d) = &c.data_type_display {
            if *d != d.to_lowercase() {
                return Err(format!("dataTypeDisplay not lower case: {d}"));
            }
        }
        if let Some(children) = &c.children {
            check_server_rules(children)?;
        }
    }
    Ok(())
}

#[test]
fn summaries_report_presence_and_paths() {
    let items = [
        item(&[
            ("a", AV::M(HashMap::from([("b".to_string(), n("1"))]))),
            ("o", s("x")),
        ]),
        item(&[("a", AV::M(HashMap::new()))]),
        item(&[("a.b", s("x"))]),
        item(&[("o", n("1"))]),
    ];
    let sums = sample(&items).summaries();
    let get = |path: &[&str]| {
        sums.iter()
            .find(|s| s.path == path)
            .unwrap_or_else(|| panic!("{path:?} in {sums:#?}"))
    };
    assert_eq!(get(&["a"]).presence, 0.5);
    assert_eq!(get(&["a", "b"]).presence, 0.5);
    assert_eq!(get(&["a.b"]).presence, 0.25);
    assert_eq!(get(&["o"]).types.len(), 2);
}

fn attribute_value() -> impl Strategy<Value = AV> {
    let leaf = prop_oneof![
        "[a-z]{0,4}".prop_map(AV::S),
        (-1000i64..1000).prop_map(|v| AV::N(v.to_string())),
        (-1000i64..1000, 1u32..4)
            .prop_map(|(v, d)| AV::N(format!("{v}.{}", "5".repeat(d as usize)))),
        any::<bool>().prop_map(AV::Bool),
        Just(AV::Null(true)),
        proptest::collection::vec(any::<u8>(), 0..3).prop_map(|b| AV::B(Blob::new(b))),
        proptest::collection::btree_set("[a-c]", 1..3)
            .prop_map(|s| AV::Ss(s.into_iter().collect())),
        proptest::collection::btree_set(0u8..5, 1..3)
            .prop_map(|s| AV::Ns(s.into_iter().map(|v| v.to_string()).collect())),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(AV::L),
            proptest::collection::hash_map("[a-d.:\n\"]{0,3}", inner, 0..4).prop_map(AV::M),
        ]
    })
}

fn items_strategy() -> impl Strategy<Value = Vec<HashMap<String, AV>>> {
    proptest::collection::vec(
        proptest::collection::hash_map("[a-e]{1,2}", attribute_value(), 0..5),
        0..30,
    )
}

proptest! {
    #[test]
    fn merge_does_not_depend_on_split_or_order(items in items_strategy(), cut in 0usize..30, seed in any::<u64>()) {
        let whole = sample(&items);
        let cut = cut.min(items.len());
        let mut left = sample(&items[..cut]);
        let right = sample(&items[cut..]);
        left.merge(&right);
        prop_assert_eq!(&left, &whole);
        // Reversed order, merged the other way round.
        let mut shuffled = items.clone();
        shuffled.rotate_left((seed as usize) % items.len().max(1));
        let mut other = sample(&shuffled[cut..]);
        other.merge(&sample(&shuffled[..cut]));
        prop_assert_eq!(&other, &whole);
    }

    #[test]
    fn every_attribute_becomes_exactly_one_column(items in items_strategy()) {
        let smp = sample(&items);
        let cols = columns(&smp, &[], ColumnOptions { json_schema: true });
        prop_assert_eq!(cols.len(), smp.attributes.len());
        for c in &cols {
            prop_assert!(!c.name.is_empty());
            prop_assert_eq!(c.array_data_type.is_some(), c.data_type == DataType::Array, "{:?}", c);
        }
        for item in &items {
            for name in item.keys() {
                prop_assert!(cols.iter().any(|c| &c.name == name));
            }
        }
    }

    #[test]
    fn every_column_is_one_openmetadata_accepts(
        items in proptest::collection::vec(
            proptest::collection::hash_map("[a-c:.\n\"\u{2028}]{0,3}", attribute_value(), 0..5),
            0..20,
        ),
        json_schema in any::<bool>(),
    ) {
        let cols = columns(&sample(&items), &[], ColumnOptions { json_schema });
        prop_assert_eq!(check_server_rules(&cols), Ok(()));
    }

    #[test]
    fn integer_strings_classify_like_integers(v in any::<i64>(), zeros in 0usize..3) {
        let text = if zeros > 0 { format!("{v}.{}", "0".repeat(zeros)) } else { v.to_string() };
        let info = parse_number(&text).unwrap();
        prop_assert!(info.integer);
        let digits = v.unsigned_abs().to_string().trim_start_matches('0').len().max(1) as u32;
        prop_assert_eq!(info.int_digits, if v == 0 { 1 } else { digits });
    }
}

#[test]
fn numbers_beyond_decimal_38_are_number() {
    let items = [
        item(&[
            ("huge", n("1E+125")),
            ("span", n("1E+125")),
            ("tiny", n("1E-130")),
            ("d38", n("12345678901234567890.123456789012345678")),
            ("frac", n("0.5")),
            ("wide", n("1E+37")),
        ]),
        item(&[
            ("span", n("1E-130")),
            ("wide", n("0.5")),
            ("frac", n("0.25")),
        ]),
    ];
    let cols = columns(&sample(&items), &[], ColumnOptions::default());
    let get = |name| {
        let c = find(&cols, name);
        (
            c.data_type,
            c.data_type_display.clone().unwrap_or_default(),
            c.precision,
            c.scale,
        )
    };
    let number = || (DataType::Number, "number".to_string(), None, None);
    // 126 integer digits, 130 fraction digits, and both together: no DECIMAL(38,s) holds them.
    assert_eq!(get("huge"), number());
    assert_eq!(get("tiny"), number());
    assert_eq!(get("span"), number());
    // 38 integer digits and one fraction digit: 39 digits.
    assert_eq!(get("wide"), number());
    // Exactly 38 digits still fits.
    assert_eq!(
        get("d38"),
        (
            DataType::Decimal,
            "decimal(38,18)".into(),
            Some(38),
            Some(18)
        )
    );
    assert_eq!(
        get("frac"),
        (DataType::Decimal, "decimal(2,2)".into(), Some(2), Some(2))
    );
    // The same rule for elements of lists and sets, shown in the display.
    let listed = [item(&[
        ("l", AV::L(vec![n("1E+125"), n("2")])),
        ("ns", AV::Ns(vec!["1E-130".into()])),
    ])];
    let cols = columns(&sample(&listed), &[], ColumnOptions::default());
    assert_eq!(find(&cols, "l").array_data_type, Some(DataType::Number));
    assert_eq!(
        find(&cols, "l").data_type_display.as_deref(),
        Some("list<number>")
    );
}

/// A number of DynamoDB's whole range: up to 38 significant digits, exponent 1E-130
/// to 9.99E+125.
fn dynamodb_number() -> impl Strategy<Value = String> {
    ("[1-9][0-9]{0,37}", -130i32..=88, any::<bool>()).prop_map(|(digits, exp, neg)| {
        let exp = exp.max(-130 + digits.len() as i32 - 1);
        format!("{}{digits}E{exp}", if neg { "-" } else { "" })
    })
}

proptest! {
    #[test]
    fn number_columns_have_a_type_openmetadata_accepts(
        values in proptest::collection::vec(dynamodb_number(), 1..6),
    ) {
        let items: Vec<_> = values.iter().map(|v| item(&[("x", n(v))])).collect();
        let cols = columns(&sample(&items), &[], ColumnOptions::default());
        let c = find(&cols, "x");
        let display = c.data_type_display.clone().unwrap_or_default();
        match c.data_type {
            DataType::Decimal => {
                let (p, s) = (c.precision.unwrap_or(0), c.scale.unwrap_or(u32::MAX));
                prop_assert!((1..=38).contains(&p) && s <= p, "{:?}", c);
                prop_assert_eq!(display, format!("decimal({p},{s})"));
                // Every value fits: its integer digits within p - s, its fraction within s.
                for v in &values {
                    let info = parse_number(v).unwrap();
                    prop_assert!(info.int_digits <= p - s && info.scale <= s, "{} in {:?}", v, c);
                }
            }
            DataType::Bigint => prop_assert_eq!(display, "bigint"),
            DataType::Number => {
                prop_assert_eq!(display, "number");
                prop_assert_eq!((c.precision, c.scale), (None, None));
                // NUMBER only when no DECIMAL(38,s) holds every value.
                let (int, scale) = values.iter().map(|v| parse_number(v).unwrap()).fold((0, 0), |(i, s), info| (info.int_digits.max(i), info.scale.max(s)));
                prop_assert!(int + scale > 38, "{:?}", values);
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }
}
