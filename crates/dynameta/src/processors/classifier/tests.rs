use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::AttributeValue as AV;
use serde_json::json;

use super::*;
use crate::processors::inference::{columns, ColumnOptions, Sample};

fn s(v: &str) -> AV {
    AV::S(v.into())
}

fn item(pairs: Vec<(&str, AV)>) -> HashMap<String, AV> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn path<'a>(p: &[&'a str]) -> Vec<&'a str> {
    p.to_vec()
}

fn nested_items() -> Vec<HashMap<String, AV>> {
    vec![
        item(vec![
            ("id", s("1")),
            ("email", s("ada@example.com")),
            (
                "profile",
                AV::M(HashMap::from([(
                    "address".to_string(),
                    AV::M(HashMap::from([("street".to_string(), s("12 Main St"))])),
                )])),
            ),
            (
                "contacts",
                AV::L(vec![
                    AV::M(HashMap::from([("phone".to_string(), s("+14155552671"))])),
                    AV::M(HashMap::from([("phone".to_string(), s("+442071838750"))])),
                ]),
            ),
            ("ips", AV::Ss(vec!["10.0.0.1".into(), "10.0.0.2".into()])),
            ("n", AV::N("12".into())),
            ("flag", AV::Bool(true)),
            ("blob", AV::B(vec![1u8, 2, 3].into())),
        ]),
        item(vec![("id", s("2")), ("email", AV::Null(true))]),
    ]
}

#[test]
fn values_follow_maps_lists_and_sets() {
    let items = nested_items();
    let values = ColumnValues::collect(&items, 100);
    assert_eq!(values.get(&path(&["email"])), ["ada@example.com"]);
    assert_eq!(
        values.get(&path(&["profile", "address", "street"])),
        ["12 Main St"]
    );
    assert_eq!(
        values.get(&path(&["contacts", "phone"])),
        ["+14155552671", "+442071838750"]
    );
    let mut ips = values.get(&path(&["ips"])).to_vec();
    ips.sort();
    assert_eq!(ips, ["10.0.0.1", "10.0.0.2"]);
    assert_eq!(values.get(&path(&["n"])), ["12"]);
    assert!(
        values.get(&path(&["flag"])).is_empty(),
        "booleans are not text"
    );
    assert!(
        values.get(&path(&["blob"])).is_empty(),
        "binary is skipped, not crashed on"
    );
    assert!(
        values.get(&path(&["profile"])).is_empty(),
        "a map has no values of its own"
    );
}

#[test]
fn values_are_capped_per_path() {
    let items: Vec<_> = (0..50)
        .map(|i| item(vec![("id", s(&i.to_string()))]))
        .collect();
    assert_eq!(
        ColumnValues::collect(&items, 7).get(&path(&["id"])).len(),
        7
    );
}

#[test]
fn targets_are_leaves_with_fqns_and_attribute_paths() {
    let items = nested_items();
    let mut sample = Sample::default();
    for i in &items {
        sample.observe(i);
    }
    let cols = columns(&sample, &[], ColumnOptions::default());
    let found = targets("svc.default.default.users", &cols);
    let fqns: Vec<&str> = found.iter().map(|t| t.fqn.as_str()).collect();
    assert!(
        fqns.contains(&"svc.default.default.users.profile.address.street"),
        "{fqns:?}"
    );
    assert!(
        fqns.contains(&"svc.default.default.users.contacts.phone"),
        "{fqns:?}"
    );
    assert!(
        !fqns.contains(&"svc.default.default.users.profile"),
        "structs are not leaves"
    );
    let street = found.iter().find(|t| t.fqn.ends_with("street")).unwrap();
    assert_eq!(street.display_path(), "profile.address.street");
}

#[test]
fn a_dotted_attribute_is_quoted_in_the_fqn() {
    let items = [item(vec![("user.email", s("a@b.co"))])];
    let mut sample = Sample::default();
    sample.observe(&items[0]);
    let cols = columns(&sample, &[], ColumnOptions::default());
    let found = targets("svc.db.sc.t", &cols);
    assert_eq!(found[0].fqn, "svc.db.sc.t.\"user.email\"");
    assert_eq!(found[0].path, ["user.email"]);
}

#[test]
fn sample_data_renders_json_and_masks_sensitive_columns() {
    let items = nested_items();
    let mut sample = Sample::default();
    for i in &items {
        sample.observe(i);
    }
    let cols = columns(&sample, &[], ColumnOptions::default());
    let masked = HashSet::from([vec!["email".to_string()]]);
    let data = serde_json::to_value(sample_data(&cols, &items, 50, &masked)).unwrap();
    let names: Vec<&str> = data["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let at = |row: usize, col: &str| {
        data["rows"][row][names.iter().position(|n| *n == col).unwrap()].clone()
    };
    assert_eq!(at(0, "n"), json!(12));
    assert_eq!(at(0, "flag"), json!(true));
    assert_eq!(at(0, "blob"), json!("AQID"));
    assert_eq!(
        at(0, "profile"),
        json!("{\"address\":{\"street\":\"12 Main St\"}}")
    );
    let email = at(0, "email");
    assert_ne!(email, json!("ada@example.com"));
    assert!(email.as_str().unwrap().contains('*'));
    assert_eq!(at(1, "email"), json!(null), "NULL stays null when masked");
    assert_eq!(at(1, "profile"), json!(null), "absent is null");
    assert_eq!(data["rows"].as_array().unwrap().len(), 2);
}

#[test]
fn sample_data_masks_the_sensitive_leaf_not_the_whole_map() {
    let contact = |email: &str, city: &str| {
        AV::M(HashMap::from([
            ("email".to_string(), s(email)),
            (
                "address".to_string(),
                AV::M(HashMap::from([("city".to_string(), s(city))])),
            ),
        ]))
    };
    let items = vec![item(vec![
        ("id", s("1")),
        ("profile", contact("ada@example.com", "London")),
        (
            "contacts",
            AV::L(vec![
                AV::M(HashMap::from([
                    ("email".to_string(), s("bob@example.org")),
                    ("kind".to_string(), s("work")),
                ])),
                AV::M(HashMap::from([("kind".to_string(), s("home"))])),
            ]),
        ),
        ("emails", AV::Ss(vec!["c@example.net".into()])),
    ])];
    let mut sample = Sample::default();
    sample.observe(&items[0]);
    let cols = columns(&sample, &[], ColumnOptions::default());
    let paths = |ps: &[&[&str]]| -> HashSet<Vec<String>> {
        ps.iter()
            .map(|p| p.iter().map(|x| x.to_string()).collect())
            .collect()
    };
    let masked = paths(&[&["profile", "email"], &["contacts", "email"], &["emails"]]);
    let data = serde_json::to_value(sample_data(&cols, &items, 50, &masked)).unwrap();
    let names: Vec<&str> = data["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let at = |col: &str| -> serde_json::Value {
        let text = data["rows"][0][names.iter().position(|n| *n == col).unwrap()].clone();
        serde_json::from_str(text.as_str().unwrap()).unwrap_or(text)
    };
    // The map keeps its keys and its non-PII sibling; only the e-mail leaf is masked.
    let profile = at("profile");
    assert_eq!(profile["address"]["city"], json!("London"), "{profile}");
    let email = profile["email"].as_str().unwrap();
    assert!(email.contains('*') && email != "ada@example.com", "{email}");
    // Inside a list of maps: each element's e-mail, not the element.
    let contacts = at("contacts");
    assert_eq!(contacts[0]["kind"], json!("work"), "{contacts}");
    assert_eq!(contacts[1], json!({"kind": "home"}), "{contacts}");
    assert!(contacts[0]["email"].as_str().unwrap().contains('*'));
    let id = names.iter().position(|n| *n == "id").unwrap();
    assert_eq!(data["rows"][0][id], json!("1"), "not masked");
    // A top-level path masks the whole cell, as before.
    let emails = data["rows"][0][names.iter().position(|n| *n == "emails").unwrap()].clone();
    assert!(
        !emails.as_str().unwrap().contains("c@example.net"),
        "{emails}"
    );

    // Nothing masked: the same map, readable.
    let plain = serde_json::to_value(sample_data(&cols, &items, 50, &HashSet::new())).unwrap();
    let i = names.iter().position(|n| *n == "profile").unwrap();
    assert!(plain["rows"][0][i]
        .as_str()
        .unwrap()
        .contains("ada@example.com"));
}
