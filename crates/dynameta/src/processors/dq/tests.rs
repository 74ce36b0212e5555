use super::*;
use proptest::prelude::*;

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}
fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn case(name: &str, def: &str, column: Option<&str>, params: &[(&str, &str)]) -> CaseSpec {
    CaseSpec {
        name: name.to_string(),
        definition: def.to_string(),
        column: column.map(str::to_string),
        parameters: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        compute_passed_failed_row_count: true,
    }
}

fn item(pairs: &[(&str, AttributeValue)]) -> HashMap<String, AttributeValue> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// The five items of `docs/data-quality.md`.
fn items() -> Vec<HashMap<String, AttributeValue>> {
    vec![
        item(&[
            ("id", n("1")),
            ("name", s("a")),
            ("grp", s("x")),
            ("score", n("10")),
        ]),
        item(&[
            ("id", n("2")),
            ("name", s("bb")),
            ("grp", s("x")),
            ("score", n("20")),
        ]),
        item(&[
            ("id", n("3")),
            ("name", s("ccc")),
            ("grp", s("y")),
            ("score", n("30")),
        ]),
        item(&[
            ("id", n("4")),
            ("name", AttributeValue::Null(true)),
            ("grp", s("y")),
            ("score", n("40")),
        ]),
        item(&[("id", n("5")), ("grp", s("z"))]),
    ]
}

fn run(
    cases: Vec<CaseSpec>,
    items: &[HashMap<String, AttributeValue>],
    limits: &DqLimits,
) -> Vec<CaseOutcome> {
    let plan = DqPlan::new(cases, vec![]);
    let mut state = plan.state(limits);
    for i in items {
        state.observe(i).unwrap();
    }
    state.finish(&plan).unwrap()
}

fn values(o: &CaseOutcome) -> Vec<(&str, &str)> {
    o.values
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect()
}

#[test]
fn table_level_definitions_match_openmetadata() {
    let out = run(
        vec![
            case(
                "rows",
                "tableRowCountToBeBetween",
                None,
                &[("minValue", "1"), ("maxValue", "5")],
            ),
            case("eq", "tableRowCountToEqual", None, &[("value", "4")]),
            case(
                "cols",
                "tableColumnCountToBeBetween",
                None,
                &[("minColValue", "5")],
            ),
        ],
        &items(),
        &DqLimits::default(),
    );
    assert_eq!(out[0].status, CaseStatus::Success);
    assert_eq!(
        out[0].result,
        "Found rowCount=5 vs. the expected min=1.0,  max=5.0."
    );
    assert_eq!(values(&out[0]), [("rowCount", "5")]);
    assert_eq!(out[1].status, CaseStatus::Failed);
    assert_eq!(out[1].result, "Found rowCount=5 rows vs. the expected 4.0");
    // Without catalogued columns: the attributes the items hold.
    assert_eq!(out[2].status, CaseStatus::Failed);
    assert_eq!(values(&out[2]), [("columnCount", "4")]);
    assert_eq!(
        out[2].result,
        "Found columnCount=4 columns vs. the expected min=5.0 and max=inf"
    );
}

#[test]
fn catalogued_columns_are_the_column_count_and_the_testable_columns() {
    let plan = DqPlan::new(
        vec![
            case(
                "cols",
                "tableColumnCountToBeBetween",
                None,
                &[("minColValue", "5")],
            ),
            case("ghost", "columnValuesToBeNotNull", Some("nope"), &[]),
        ],
        ["id", "name", "grp", "score", "extra"]
            .map(String::from)
            .to_vec(),
    );
    let mut st = plan.state(&DqLimits::default());
    for i in items() {
        st.observe(&i).unwrap();
    }
    let out = st.finish(&plan).unwrap();
    assert_eq!(values(&out[0]), [("columnCount", "5")]);
    assert_eq!(out[0].status, CaseStatus::Success);
    assert_eq!(out[1].status, CaseStatus::Aborted);
    assert!(
        out[1].result.contains("\"nope\" is not a catalogued"),
        "{}",
        out[1].result
    );
}

#[test]
fn unusable_cases_are_aborted_with_the_reason_never_a_panic() {
    let out = run(
        vec![
            case(
                "unknown",
                "columnValuesToBeAtExpectedLocation",
                Some("id"),
                &[],
            ),
            case(
                "lookbehind",
                "columnValuesToMatchRegex",
                Some("name"),
                &[("regex", "(?<=a)b")],
            ),
            case("noregex", "columnValuesToMatchRegex", Some("name"), &[]),
            case(
                "badbound",
                "columnValueMaxToBeBetween",
                Some("id"),
                &[("minValueForMaxInCol", "abc")],
            ),
            case(
                "badset",
                "columnValuesToBeInSet",
                Some("grp"),
                &[("allowedValues", "x, y")],
            ),
            case("nocolumn", "columnValuesToBeNotNull", None, &[]),
            case("strings", "columnValueMinToBeBetween", Some("grp"), &[]),
            case("allnull", "columnValueSumToBeBetween", Some("missing"), &[]),
            case("numlen", "columnValueLengthsToBeBetween", Some("id"), &[]),
            case(
                "numregex",
                "columnValuesToNotMatchRegex",
                Some("id"),
                &[("forbiddenRegex", "1")],
            ),
        ],
        &items(),
        &DqLimits::default(),
    );
    for o in &out {
        assert_eq!(o.status, CaseStatus::Aborted, "{o:?}");
        assert!(o.values.is_empty());
    }
    assert!(
        out[0].result.contains("not one dynameta can evaluate"),
        "{}",
        out[0].result
    );
    assert!(out[1].result.contains("look-around"), "{}", out[1].result);
    assert!(
        out[2].result.contains("regex is missing"),
        "{}",
        out[2].result
    );
    assert!(
        out[3].result.contains("minValueForMaxInCol = \"abc\""),
        "{}",
        out[3].result
    );
    assert!(out[4].result.contains("allowedValues"), "{}", out[4].result);
    assert!(
        out[5].result.contains("set columnName"),
        "{}",
        out[5].result
    );
    assert!(
        out[6].result.contains("not numbers (5 string)"),
        "{}",
        out[6].result
    );
    assert!(
        out[8].result.contains("without a length"),
        "{}",
        out[8].result
    );
    assert!(
        out[9].result.contains("not strings (5 number)"),
        "{}",
        out[9].result
    );
}

#[test]
fn dynamodb_lengths_are_characters_bytes_and_elements() {
    let items = vec![
        item(&[("v", s("héé"))]),
        item(&[(
            "v",
            AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(vec![1, 2, 3, 4])),
        )]),
        item(&[("v", AttributeValue::Ss(vec!["a".into(), "b".into()]))]),
        item(&[("v", AttributeValue::L(vec![n("1")]))]),
    ];
    let out = run(
        vec![case(
            "len",
            "columnValueLengthsToBeBetween",
            Some("v"),
            &[("minLength", "2"), ("maxLength", "3")],
        )],
        &items,
        &DqLimits::default(),
    );
    assert_eq!(
        values(&out[0]),
        [("minValueLength", "1"), ("maxValueLength", "4")]
    );
    assert_eq!((out[0].passed_rows, out[0].failed_rows), (Some(2), Some(2)));
}

#[test]
fn numbers_are_exact_and_uniqueness_counts_values_seen_once() {
    // 0.1 + 0.2 summed exactly; 1 and 1.0 are one value, "1" another.
    let items = vec![
        item(&[("x", n("0.1")), ("u", n("1"))]),
        item(&[("x", n("0.2")), ("u", n("1.0"))]),
        item(&[("x", n("1E+2")), ("u", s("1"))]),
    ];
    let out = run(
        vec![
            case("sum", "columnValuesSumToBeBetween", Some("x"), &[]),
            case("uniq", "columnValuesToBeUnique", Some("u"), &[]),
        ],
        &items,
        &DqLimits::default(),
    );
    assert_eq!(values(&out[0]), [("sum", "100.3")]);
    assert_eq!(values(&out[1]), [("valueCount", "3"), ("uniqueCount", "1")]);
}

fn all_cases() -> Vec<CaseSpec> {
    vec![
        case(
            "rows",
            "tableRowCountToBeBetween",
            None,
            &[("minValue", "1")],
        ),
        case("cols", "tableColumnCountToBeBetween", None, &[]),
        case("nn", "columnValuesToBeNotNull", Some("a"), &[]),
        case("uq", "columnValuesToBeUnique", Some("a"), &[]),
        case("uqs", "columnValuesToBeUnique", Some("b"), &[]),
        case(
            "bt",
            "columnValuesToBeBetween",
            Some("a"),
            &[("minValue", "-5"), ("maxValue", "50")],
        ),
        case(
            "len",
            "columnValueLengthsToBeBetween",
            Some("b"),
            &[("maxLength", "2")],
        ),
        case(
            "rx",
            "columnValuesToMatchRegex",
            Some("b"),
            &[("regex", "^[a-c]")],
        ),
        case(
            "nrx",
            "columnValuesToNotMatchRegex",
            Some("b"),
            &[("forbiddenRegex", "d")],
        ),
        case(
            "in",
            "columnValuesToBeInSet",
            Some("b"),
            &[("allowedValues", "['a', 'bb']")],
        ),
        case(
            "nin",
            "columnValuesToBeNotInSet",
            Some("a"),
            &[("forbiddenValues", "[1, 2]")],
        ),
        case(
            "miss",
            "columnValuesMissingCount",
            Some("b"),
            &[("missingCountValue", "2")],
        ),
        case("max", "columnValueMaxToBeBetween", Some("a"), &[]),
        case("min", "columnValueMinToBeBetween", Some("a"), &[]),
        case("mean", "columnValueMeanToBeBetween", Some("a"), &[]),
        case("med", "columnValueMedianToBeBetween", Some("a"), &[]),
        case("sd", "columnValueStdDevToBeBetween", Some("a"), &[]),
        case("sum", "columnValuesSumToBeBetween", Some("a"), &[]),
    ]
}

fn arb_item() -> impl Strategy<Value = HashMap<String, AttributeValue>> {
    (
        proptest::option::of(-20i32..60),
        proptest::option::of(prop_oneof![
            Just(""),
            Just("a"),
            Just("bb"),
            Just("ccd"),
            Just("d")
        ]),
    )
        .prop_map(|(a, b)| {
            let mut m = HashMap::new();
            if let Some(a) = a {
                m.insert("a".to_string(), n(&a.to_string()));
            }
            if let Some(b) = b {
                m.insert("b".to_string(), s(b));
            }
            m
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Two parts merged (through their serialised state files) give what one pass gives,
    /// with and without spilling.
    #[test]
    fn two_merged_parts_equal_one_pass(
        items in proptest::collection::vec(arb_item(), 0..60),
        split in 0usize..60,
        tiny_budget in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let limits = DqLimits {
            memory_budget: if tiny_budget { 200 } else { DEFAULT_MEMORY_BUDGET },
            spill_dir: Some(dir.path().to_path_buf()),
        };
        let plan = DqPlan::new(all_cases(), vec![]);
        let mut one = plan.state(&limits);
        for i in &items {
            one.observe(i).unwrap();
        }
        let split = split.min(items.len());
        let mut a = plan.state(&limits);
        let mut b = plan.state(&limits);
        for i in &items[..split] {
            a.observe(i).unwrap();
        }
        for i in &items[split..] {
            b.observe(i).unwrap();
        }
        let a: DqState = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        let b: DqState = serde_json::from_str(&serde_json::to_string(&b).unwrap()).unwrap();
        let mut merged = a;
        merged.set_limits(&limits);
        merged.merge(b).unwrap();
        prop_assert_eq!(merged.finish(&plan).unwrap(), one.finish(&plan).unwrap());
    }
}

#[test]
fn states_of_different_plans_are_not_merged() {
    let p1 = DqPlan::new(
        vec![case("a", "columnValuesToBeNotNull", Some("x"), &[])],
        vec![],
    );
    let p2 = DqPlan::new(
        vec![case("a", "columnValuesToBeNotNull", Some("y"), &[])],
        vec![],
    );
    let mut s1 = p1.state(&DqLimits::default());
    let s2 = p2.state(&DqLimits::default());
    let err = s1.merge(s2).unwrap_err();
    assert!(err.to_string().contains("same test cases"), "{err}");
    // A state read from a file observes only after resume.
    let text = serde_json::to_string(&p1.state(&DqLimits::default())).unwrap();
    let mut read: DqState = serde_json::from_str(&text).unwrap();
    assert!(matches!(
        read.observe(&HashMap::new()),
        Err(DqError::NotObserving)
    ));
    read.resume(&p1).unwrap();
    read.observe(&HashMap::new()).unwrap();
    assert_eq!(read.rows(), 1);
}

#[test]
fn uniqueness_and_median_spill_and_stay_exact() {
    let dir = tempfile::tempdir().unwrap();
    let items: Vec<_> = (0..3000)
        .map(|i| item(&[("k", n(&((i * 7919) % 2999).to_string()))]))
        .collect();
    let cases = vec![
        case("uq", "columnValuesToBeUnique", Some("k"), &[]),
        case("med", "columnValueMedianToBeBetween", Some("k"), &[]),
    ];
    let small = DqLimits {
        memory_budget: 4096,
        spill_dir: Some(dir.path().to_path_buf()),
    };
    let plan = DqPlan::new(cases.clone(), vec![]);
    let mut st = plan.state(&small);
    for i in &items {
        st.observe(i).unwrap();
    }
    assert!(
        st.columns[0].unique.as_ref().unwrap().spilled_runs() > 0,
        "spilled"
    );
    let spilled = st.finish(&plan).unwrap();
    let in_memory = run(cases, &items, &DqLimits::default());
    assert_eq!(spilled, in_memory);
    // 3000 items over 2999 values: one value twice, 2998 once.
    assert_eq!(
        values(&spilled[0]),
        [("valueCount", "3000"), ("uniqueCount", "2998")]
    );
}

#[test]
fn a_damaged_state_file_is_an_error_not_a_panic() {
    let plan = DqPlan::new(
        vec![
            case("nn", "columnValuesToBeNotNull", Some("a"), &[]),
            case(
                "in",
                "columnValuesToBeInSet",
                Some("a"),
                &[("allowedValues", "[1]")],
            ),
        ],
        vec![],
    );
    let mut value = serde_json::to_value(plan.state(&DqLimits::default())).unwrap();
    value["columns"] = serde_json::json!([]);
    value["counts"] = serde_json::json!([0]);
    let damaged: DqState = serde_json::from_value(value.clone()).unwrap();
    let err = damaged.finish(&plan).unwrap_err();
    assert!(err.to_string().contains("damaged state file"), "{err}");
    let mut damaged: DqState = serde_json::from_value(value).unwrap();
    assert!(damaged.resume(&plan).is_err());
    // Unreadable values in a state file are refused by serde, naming them.
    let mut value = serde_json::to_value(plan.state(&DqLimits::default())).unwrap();
    value["columns"][0]["sum"] = serde_json::json!("NaN");
    let err = serde_json::from_value::<DqState>(value).unwrap_err();
    assert!(
        err.to_string().contains("\"NaN\" is not a decimal number"),
        "{err}"
    );
}

fn arb_value() -> impl Strategy<Value = AttributeValue> {
    prop_oneof![
        "\\PC{0,6}".prop_map(AttributeValue::S),
        // Numbers DynamoDB sends, and text it never would (an edited export file).
        prop_oneof![
            Just("1E+125".to_string()),
            Just("-0.000001".to_string()),
            Just("abc".to_string()),
            Just("1e999999999".to_string()),
            (-1000i64..1000).prop_map(|i| i.to_string()),
        ]
        .prop_map(AttributeValue::N),
        any::<bool>().prop_map(AttributeValue::Bool),
        Just(AttributeValue::Null(true)),
        proptest::collection::vec("[a-c]{0,2}", 0..3).prop_map(AttributeValue::Ss),
        proptest::collection::vec(any::<u8>(), 0..4)
            .prop_map(|b| AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(b))),
        Just(AttributeValue::L(vec![AttributeValue::M(HashMap::new())])),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any mix of types in the tested columns: every case ends with an outcome, never a
    /// panic, and a case over mixed or unreadable values is Aborted with its reason.
    #[test]
    fn hostile_items_give_outcomes_never_a_panic(
        items in proptest::collection::vec(
            (proptest::option::of(arb_value()), proptest::option::of(arb_value())), 0..20),
    ) {
        let plan = DqPlan::new(all_cases(), vec![]);
        let mut st = plan.state(&DqLimits::default());
        for (a, b) in items {
            let mut m = HashMap::new();
            if let Some(a) = a { m.insert("a".to_string(), a); }
            if let Some(b) = b { m.insert("b".to_string(), b); }
            st.observe(&m).unwrap();
        }
        let out = st.finish(&plan).unwrap();
        prop_assert_eq!(out.len(), all_cases().len());
        for o in out {
            prop_assert!(!o.result.is_empty());
            prop_assert!(!o.result.contains("nan") || o.status == CaseStatus::Aborted, "{:?}", o);
        }
    }
}
