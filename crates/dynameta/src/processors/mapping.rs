//! From a described and sampled DynamoDB table to OpenMetadata create requests.

use serde_json::{json, Map, Value};

use crate::config::{AwsConfig, Workflow, DEFAULT_NAME};
use crate::openmetadata::entities::{
    source_hash, CreateDatabase, CreateDatabaseSchema, CreateDatabaseService, CreateTable,
    TableConstraint,
};
use crate::openmetadata::fqn;
use crate::processors::inference::{columns, ColumnOptions, KeyAttribute, KeyKind, Sample};
use crate::source::TableDescription;

/// Names of the service, database and schema every table of a run belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Service name.
    pub service: String,
    /// Database name.
    pub database: String,
    /// Schema name.
    pub schema: String,
}

impl Scope {
    /// The scope of a workflow: `serviceName`, `databaseName` (default `default`), `default`.
    pub fn of(workflow: &Workflow) -> Scope {
        Scope {
            service: workflow.service_name.clone(),
            database: workflow.database_name.clone(),
            schema: DEFAULT_NAME.to_string(),
        }
    }

    /// The scope of one (account, region) pair of the estate: database = the account
    /// (`database`: its configured name, else its id), schema = the region. Same-named
    /// tables of two accounts or regions get two FQNs.
    pub fn of_pair(workflow: &Workflow, database: &str, region: &str) -> Scope {
        Scope {
            service: workflow.service_name.clone(),
            database: database.to_string(),
            schema: region.to_string(),
        }
    }

    /// `service.database`.
    pub fn database_fqn(&self) -> String {
        fqn::build(&[&self.service, &self.database])
    }

    /// `service.database.schema`.
    pub fn schema_fqn(&self) -> String {
        fqn::build(&[&self.service, &self.database, &self.schema])
    }

    /// `service.database.schema.table`, quoted where needed.
    pub fn table_fqn(&self, table: &str) -> String {
        fqn::build(&[&self.service, &self.database, &self.schema, table])
    }
}

/// `CreateDatabaseServiceRequest` for the workflow's connection, without any secret:
/// keys, secret and session token are left out (OpenMetadata keeps only what is sent).
pub fn database_service(
    scope: &Scope,
    aws: &AwsConfig,
    database_name: Option<&str>,
) -> CreateDatabaseService {
    let mut aws_config = Map::new();
    aws_config.insert("awsRegion".into(), json!(aws.aws_region.trim()));
    let optional = [
        ("endPointURL", &aws.end_point_url),
        ("profileName", &aws.profile_name),
        ("assumeRoleArn", &aws.assume_role_arn),
        ("assumeRoleSessionName", &aws.assume_role_session_name),
        ("assumeRoleSourceIdentity", &aws.assume_role_source_identity),
    ];
    for (key, value) in optional {
        if let Some(v) = value {
            aws_config.insert(key.into(), json!(v));
        }
    }
    let mut config = Map::new();
    config.insert("type".into(), json!("DynamoDB"));
    config.insert("awsConfig".into(), Value::Object(aws_config));
    if let Some(db) = database_name {
        config.insert("databaseName".into(), json!(db));
    }
    CreateDatabaseService {
        name: scope.service.clone(),
        service_type: "DynamoDB".into(),
        description: None,
        connection: json!({ "config": config }),
    }
}

/// `CreateDatabaseRequest`.
pub fn database(scope: &Scope) -> CreateDatabase {
    database_described(scope, None)
}

/// `CreateDatabaseRequest` with a description (an account of the estate: its id and
/// alias). The text (an Organization's account name is anybody's text) is written as
/// the server's sanitizer stores it ([`om_text`]), as table descriptions are: what is
/// sent is what is stored.
pub fn database_described(scope: &Scope, description: Option<String>) -> CreateDatabase {
    let mut d = CreateDatabase {
        name: scope.database.clone(),
        service: fqn::build(&[&scope.service]),
        description: description.map(|text| om_text(&text)),
        source_hash: None,
    };
    d.source_hash = Some(source_hash(&d));
    d
}

/// `CreateDatabaseSchemaRequest`.
pub fn database_schema(scope: &Scope) -> CreateDatabaseSchema {
    let mut s = CreateDatabaseSchema {
        name: scope.schema.clone(),
        database: scope.database_fqn(),
        source_hash: None,
    };
    s.source_hash = Some(source_hash(&s));
    s
}

/// AWS console URL of a table in `region`.
pub fn console_url(region: &str, table: &str) -> String {
    let domain = if region.starts_with("cn-") {
        "console.amazonaws.cn".to_string()
    } else if region.starts_with("us-gov-") {
        "console.amazonaws-us-gov.com".to_string()
    } else {
        format!("{region}.console.aws.amazon.com")
    };
    format!(
        "https://{domain}/dynamodbv2/home?region={region}#table?name={}",
        fqn::url_encode(table)
    )
}

/// `CreateTableRequest`: keys first, inferred columns, key constraints, console URL.
pub fn table(
    scope: &Scope,
    region: &str,
    description: &TableDescription,
    sample: &Sample,
    options: ColumnOptions,
) -> CreateTable {
    let keys = key_attributes(description);
    let mut cols = columns(sample, &keys, options);
    let key_columns: Vec<String> = cols
        .iter()
        .take(keys.len())
        .map(|c| c.name.clone())
        .collect();
    // OpenMetadata refuses a table whose primary key is both a column constraint and a
    // table constraint (`DatabaseUtil.validateConstraints`: "A column already tagged as
    // a primary key and table constraint also includes primary key"). As OpenMetadata's
    // own DynamoDB connector does: a lone partition key is marked on its column, a
    // composite key is a table constraint (plus SORT_KEY for the range key), its
    // columns NOT_NULL.
    let mut constraints = Vec::new();
    match key_columns.as_slice() {
        [] => {}
        [_] => cols[0].constraint = Some("PRIMARY_KEY".into()),
        [_, range @ ..] => {
            for c in cols.iter_mut().take(key_columns.len()) {
                c.constraint = Some("NOT_NULL".into());
            }
            constraints.push(TableConstraint {
                constraint_type: "PRIMARY_KEY".into(),
                columns: key_columns.clone(),
            });
            constraints.push(TableConstraint {
                constraint_type: "SORT_KEY".into(),
                columns: range.to_vec(),
            });
        }
    }
    let mut t = CreateTable {
        name: description.name.clone(),
        description: Some(describe(description)),
        table_type: "Regular".into(),
        columns: cols,
        table_constraints: (!constraints.is_empty()).then_some(constraints),
        database_schema: scope.schema_fqn(),
        source_url: Some(console_url(region, &description.name)),
        tags: None,
        source_hash: None,
    };
    t.source_hash = Some(source_hash(&t));
    t
}

/// Sets the table's tag labels (AWS tags, see [`crate::processors::aws_tags`]) and its
/// source hash again, so that a change of tags is a change of the table.
pub fn with_tags(table: &mut CreateTable, labels: Vec<crate::openmetadata::TagLabel>) {
    table.tags = Some(labels);
    table.source_hash = None;
    table.source_hash = Some(source_hash(table));
}

/// Key attributes in column order (hash, then range), typed for inference from the
/// table's `AttributeDefinitions`.
pub fn key_attributes(description: &TableDescription) -> Vec<KeyAttribute> {
    [&description.hash_key, &description.range_key]
        .into_iter()
        .flatten()
        .map(|k| KeyAttribute {
            name: k.name.clone(),
            kind: match k.attribute_type.as_str() {
                "N" => KeyKind::Number,
                "B" => KeyKind::Binary,
                _ => KeyKind::String,
            },
        })
        .collect()
}

/// Marks the description dynameta generates (see [`describe`]).
pub const DESCRIPTION_HEADER: &str = "**DynamoDB table** (generated by dynameta)";

/// The table description dynameta sends: what DynamoDB says about the table in
/// Markdown, since OpenMetadata's table entity has no fields for indexes, billing,
/// TTL, streams, size, item count or AWS tags. OpenMetadata keeps a description
/// someone wrote in the UI: ingestion runs with `overrideMetadata=false`, under which
/// the server only fills an empty description.
///
/// Written so that OpenMetadata stores it unchanged: the server runs every description
/// through an HTML sanitizer (`DescriptionSanitizer`) that entity-encodes backticks,
/// apostrophes, `=`, `<`, `>`, `&`, `@`, `+` and `"` and keeps a few elements such as
/// `<code>`. Names therefore go in `<code>` elements (not backticks) and every text that
/// comes from DynamoDB (names, tag keys and values, statuses) is written the way the
/// sanitizer writes it ([`om_text`]): what is sent is what is stored, so a second run
/// compares equal and an OpenMetadata UI shows the same characters.
pub fn describe(t: &TableDescription) -> String {
    let mut lines = vec![DESCRIPTION_HEADER.to_string(), String::new()];
    let key = |k: &Option<crate::source::KeyDef>| {
        k.as_ref()
            .map(|k| format!("{} ({})", code(&k.name), om_text(&k.attribute_type)))
    };
    let mut keys = Vec::new();
    if let Some(h) = key(&t.hash_key) {
        keys.push(format!("partition {h}"));
    }
    if let Some(r) = key(&t.range_key) {
        keys.push(format!("sort {r}"));
    }
    if !keys.is_empty() {
        lines.push(format!("- Key: {}", keys.join(", ")));
    }
    match (&t.billing_mode, &t.provisioned_throughput) {
        (Some(mode), Some(p)) if mode == "PROVISIONED" => lines.push(format!(
            "- Billing: PROVISIONED, {} RCU / {} WCU",
            p.read_capacity_units, p.write_capacity_units
        )),
        (Some(mode), _) => lines.push(format!("- Billing: {}", om_text(mode))),
        _ => {}
    }
    if let Some(n) = t.item_count {
        let size = t
            .size_bytes
            .map(|b| format!(", {b} bytes"))
            .unwrap_or_default();
        lines.push(format!(
            "- Items: {n}{size} (an estimate by DynamoDB, refreshed about every 6 hours)"
        ));
    }
    for (kind, indexes) in [
        ("Global", &t.global_secondary_indexes),
        ("Local", &t.local_secondary_indexes),
    ] {
        for i in indexes {
            let keys: Vec<String> = [&i.hash_key, &i.range_key]
                .into_iter()
                .flatten()
                .map(|k| code(k))
                .collect();
            let mut detail = vec![format!("key {}", keys.join(", "))];
            if let Some(p) = &i.projection {
                if i.non_key_attributes.is_empty() {
                    detail.push(format!("projection {}", om_text(p)));
                } else {
                    let names: Vec<String> = i.non_key_attributes.iter().map(|n| code(n)).collect();
                    detail.push(format!("projection {} ({})", om_text(p), names.join(", ")));
                }
            }
            if let Some(s) = &i.status {
                detail.push(om_text(s));
            }
            lines.push(format!(
                "- {kind} secondary index {}: {}",
                code(&i.name),
                detail.join("; ")
            ));
        }
    }
    if let Some(s) = t.stream.as_ref().filter(|s| s.enabled) {
        lines.push(format!(
            "- Stream: {}",
            om_text(s.view_type.as_deref().unwrap_or("enabled"))
        ));
    }
    if let Some(ttl) = &t.ttl {
        match &ttl.attribute {
            Some(a) => lines.push(format!(
                "- Time to live: {} ({})",
                code(a),
                om_text(&ttl.status)
            )),
            None => lines.push(format!("- Time to live: {}", om_text(&ttl.status))),
        }
    }
    if let Some(p) = &t.point_in_time_recovery {
        lines.push(format!("- Point-in-time recovery: {}", om_text(p)));
    }
    if let Some(sse) = &t.sse {
        let kind = sse.sse_type.as_deref().unwrap_or("AWS owned key");
        lines.push(format!(
            "- Encryption: {}{}",
            om_text(kind),
            sse.status
                .as_ref()
                .map(|s| format!(" ({})", om_text(s)))
                .unwrap_or_default()
        ));
    }
    if let Some(c) = &t.table_class {
        lines.push(format!("- Table class: {}", om_text(c)));
    }
    if t.deletion_protection == Some(true) {
        lines.push("- Deletion protection: on".to_string());
    }
    if !t.replicas.is_empty() {
        // Replicas are facts, not lineage edges (the copies replicate each other: edges
        // would form cycles).
        let replicas: Vec<String> = t
            .replicas
            .iter()
            .map(|r| {
                if r.status.is_empty() {
                    code(&r.region)
                } else {
                    format!("{} ({})", code(&r.region), om_text(&r.status))
                }
            })
            .collect();
        lines.push(format!("- Global table replicas: {}", replicas.join(", ")));
    }
    if let Some(tags) = t.tags.as_ref().filter(|t| !t.is_empty()) {
        // `key: value`, not `key=value`: the sanitizer encodes `=`.
        let tags: Vec<String> = tags
            .iter()
            .map(|(k, v)| format!("{}: {}", code(k), code(v)))
            .collect();
        lines.push(format!("- AWS tags: {}", tags.join(", ")));
    }
    lines.join("\n")
}

/// `text` in a `<code>` element, written as OpenMetadata stores it.
fn code(text: &str) -> String {
    format!("<code>{}</code>", om_text(text))
}

/// `text` as OpenMetadata's description sanitizer writes text: its output for any
/// input, so the sanitizer (which decodes entities, then encodes again) gives it back
/// unchanged. Hand-written because it must be exactly that encoder, character for
/// character (owasp/java-html-sanitizer `Encoding.encodePcdataOnto`: the ASCII
/// `REPLACEMENTS`, control characters other than tab/LF/CR dropped, `{` before `{` or at
/// the end split by an empty comment, code points above U+FFFF and from U+FE60 as
/// numeric entities, U+FFFE/U+FFFF dropped, U+1FEF as `&#8175;`, a ZWNJ before an
/// Indic vowel dropped); general HTML escaping crates encode a different set.
pub fn om_text(text: &str) -> String {
    fn next_kept(rest: &[char]) -> Option<char> {
        rest.iter()
            .copied()
            .find(|&c| (c as u32) >= 0x20 || matches!(c, '\t' | '\n' | '\r'))
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let code = c as u32;
        match c {
            '"' => out.push_str("&#34;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '+' => out.push_str("&#43;"),
            '<' => out.push_str("&lt;"),
            '=' => out.push_str("&#61;"),
            '>' => out.push_str("&gt;"),
            '@' => out.push_str("&#64;"),
            '`' => out.push_str("&#96;"),
            '\t' | '\n' | '\r' => out.push(c),
            _ if code < 0x20 => {}
            // The next character the sanitizer keeps decides (controls are dropped:
            // `{` then a control at the end is a `{` at the end).
            '{' if matches!(next_kept(&chars[i + 1..]), None | Some('{')) => {
                out.push_str("{<!-- -->")
            }
            _ if indic_vowel(code) => {
                if out.ends_with('\u{200C}') {
                    out.pop();
                }
                out.push(c);
            }
            _ if code > 0xFFFF => out.push_str(&format!("&#x{code:x};")),
            _ if code >= 0xFE60 => {
                if code & 0xFFFE != 0xFFFE {
                    out.push_str(&format!("&#x{code:x};"));
                }
            }
            '\u{1FEF}' => out.push_str("&#8175;"),
            _ => out.push(c),
        }
    }
    out
}

/// The Devanagari, Bengali and Telugu vowels before which the encoder drops a ZWNJ.
fn indic_vowel(code: u32) -> bool {
    (0x93A..=0xC4C).contains(&code)
        && (code <= 0x94F
            || (0x985..=0x994).contains(&code)
            || (0x9BE..0x9CC).contains(&code)
            || (0x9E0..=0x9E3).contains(&code)
            || (0xC05..=0xC14).contains(&code)
            || (0xC3E <= code && code != 0xC48))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_url_encodes_name_and_partition() {
        assert_eq!(
            console_url("eu-west-1", "acct.users v2"),
            "https://eu-west-1.console.aws.amazon.com/dynamodbv2/home?region=eu-west-1#table?name=acct.users%20v2"
        );
        assert!(console_url("cn-north-1", "t").starts_with("https://console.amazonaws.cn/"));
    }

    #[test]
    fn an_accounts_description_is_sent_as_the_sanitizer_stores_it() {
        let scope = Scope {
            service: "svc".into(),
            database: "research".into(),
            schema: "eu-west-1".into(),
        };
        let d = database_described(
            &scope,
            Some("AWS account 123456789012 (R&D <prod>).".into()),
        );
        assert_eq!(
            d.description.as_deref(),
            Some("AWS account 123456789012 (R&amp;D &lt;prod&gt;).")
        );
        assert_eq!(database(&scope).description, None);
    }

    #[test]
    fn description_lists_dynamodb_facts() {
        use crate::source::{Index, KeyDef, Ttl};
        let t = TableDescription {
            name: "orders".into(),
            hash_key: Some(KeyDef {
                name: "pk".into(),
                attribute_type: "S".into(),
            }),
            billing_mode: Some("PAY_PER_REQUEST".into()),
            item_count: Some(12),
            global_secondary_indexes: vec![Index {
                name: "by_status".into(),
                hash_key: Some("status".into()),
                range_key: None,
                projection: Some("ALL".into()),
                non_key_attributes: vec![],
                status: Some("ACTIVE".into()),
                provisioned_throughput: None,
                item_count: None,
                size_bytes: None,
            }],
            ttl: Some(Ttl {
                status: "ENABLED".into(),
                attribute: Some("exp".into()),
            }),
            tags: Some([("team".to_string(), "data".to_string())].into()),
            replicas: vec![
                crate::source::Replica {
                    region: "eu-west-1".into(),
                    status: "ACTIVE".into(),
                },
                crate::source::Replica {
                    region: "us-west-2".into(),
                    status: "CREATING".into(),
                },
            ],
            ..TableDescription::default()
        };
        let d = describe(&t);
        for part in [
            DESCRIPTION_HEADER,
            "- Key: partition <code>pk</code> (S)",
            "- Billing: PAY_PER_REQUEST",
            "- Items: 12",
            "- Global secondary index <code>by_status</code>: key <code>status</code>; projection ALL; ACTIVE",
            "- Time to live: <code>exp</code> (ENABLED)",
            "- AWS tags: <code>team</code>: <code>data</code>",
            "- Global table replicas: <code>eu-west-1</code> (ACTIVE), <code>us-west-2</code> (CREATING)",
        ] {
            assert!(d.contains(part), "{part} missing from\n{d}");
        }
    }

    /// OpenMetadata stores the generated description as sent, whatever the names,
    /// tags and statuses hold (the contract server's port of `DescriptionSanitizer`).
    #[test]
    fn openmetadata_stores_the_description_unchanged() {
        use crate::source::{Index, KeyDef, Ttl};
        use proptest::prelude::*;
        let names = "(\\PC|[`'=<>&@+\"{}\u{1}\t\n]){0,12}";
        proptest!(ProptestConfig::with_cases(300), |(
            a in names, b in names, c in names, d in names
        )| {
            let t = TableDescription {
                name: a.clone(),
                hash_key: Some(KeyDef { name: a.clone(), attribute_type: "S".into() }),
                range_key: Some(KeyDef { name: b.clone(), attribute_type: "N".into() }),
                billing_mode: Some("PAY_PER_REQUEST".into()),
                item_count: Some(3),
                size_bytes: Some(10),
                global_secondary_indexes: vec![Index {
                    name: c.clone(),
                    hash_key: Some(d.clone()),
                    range_key: Some(a.clone()),
                    projection: Some("INCLUDE".into()),
                    non_key_attributes: vec![b.clone(), c.clone()],
                    status: Some("ACTIVE".into()),
                    provisioned_throughput: None,
                    item_count: None,
                    size_bytes: None,
                }],
                ttl: Some(Ttl { status: "ENABLED".into(), attribute: Some(d.clone()) }),
                tags: Some([(c.clone(), d.clone()), (format!("{a}="), b.clone())].into()),
                replicas: vec![crate::source::Replica { region: b.clone(), status: "ACTIVE".into() }],
                ..TableDescription::default()
            };
            let sent = describe(&t);
            let stored = dynameta_testkit::openmetadata_server::stored_description(&sent)
                .map_err(TestCaseError::fail)?;
            prop_assert_eq!(stored, sent);
        });
        // A `{` whose next kept character is none (a control character after it is
        // dropped) is encoded as the sanitizer would (proptest found `{\u{1}`).
        let sent = format!("{DESCRIPTION_HEADER}\n\n- x: {}", om_text("{\u{1}"));
        assert_eq!(
            dynameta_testkit::openmetadata_server::stored_description(&sent).unwrap(),
            sent
        );
        // The characters the sanitizer rewrites are sent already encoded.
        assert_eq!(
            om_text("a`b'c=d@e+f<g>&\"{{"),
            "a&#96;b&#39;c&#61;d&#64;e&#43;f&lt;g&gt;&amp;&#34;{<!-- -->{<!-- -->"
        );
    }

    #[test]
    fn fqns_quote_dotted_names() {
        let scope = Scope {
            service: "svc".into(),
            database: "default".into(),
            schema: "default".into(),
        };
        assert_eq!(
            scope.table_fqn("acct.users-v2"),
            "svc.default.default.\"acct.users-v2\""
        );
    }
}
