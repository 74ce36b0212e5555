//! Test and demo tables: every DynamoDB shape the inference must get right.
//!
//! This is the only code in the repository that writes to DynamoDB; dynameta itself is
//! read-only. The tests reach it as `dynameta_testkit::corpus`; the demo runs it through
//! this package's two programs, `seed_demo` and `change_demo` (scripts/demo).

#![forbid(unsafe_code)]

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue as AV, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, LocalSecondaryIndex, Projection, ProjectionType, PutRequest, ScalarAttributeType,
    StreamSpecification, StreamViewType, TimeToLiveSpecification, WriteRequest,
};
use aws_sdk_dynamodb::Client;

type Item = HashMap<String, AV>;

/// Runs `work` with a [`client`] of `endpoint` on a new multi-threaded runtime: the one
/// way the demo's and the benchmarks' programs start. A runtime that cannot start ends
/// the program with exit 1 and the reason.
pub fn run_with_client<T, F, Fut>(endpoint: &str, access_key: &str, region: &str, work: F) -> T
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start runtime: {e}");
            std::process::exit(1);
        }
    };
    runtime.block_on(async { work(client(endpoint, access_key, region).await).await })
}

/// A DynamoDB client for `endpoint` with static test credentials, for seeding tables.
pub async fn client(endpoint: &str, access_key: &str, region: &str) -> Client {
    let creds = aws_sdk_dynamodb::config::Credentials::new(
        access_key,
        "test-secret-key",
        None,
        None,
        "dynameta-testkit",
    );
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .credentials_provider(creds)
        .endpoint_url(endpoint)
        .http_client(http)
        .build();
    Client::from_conf(config)
}

fn s(v: impl Into<String>) -> AV {
    AV::S(v.into())
}
fn n(v: impl ToString) -> AV {
    AV::N(v.to_string())
}
fn m(pairs: Vec<(&str, AV)>) -> AV {
    AV::M(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}
fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .expect("key schema")
}
fn def(name: &str, kind: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(kind)
        .build()
        .expect("attribute definition")
}

/// Creates a table with on-demand billing and the given keys.
pub async fn create_table(
    client: &Client,
    name: &str,
    hash: (&str, ScalarAttributeType),
    range: Option<(&str, ScalarAttributeType)>,
) {
    let mut req = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(hash.0, KeyType::Hash))
        .attribute_definitions(def(hash.0, hash.1.clone()));
    if let Some((r, t)) = range {
        req = req
            .key_schema(key(r, KeyType::Range))
            .attribute_definitions(def(r, t));
    }
    req.send()
        .await
        .unwrap_or_else(|e| panic!("create {name}: {e:?}"));
}

/// Writes items in batches of 25.
pub async fn put_items(client: &Client, table: &str, items: Vec<Item>) {
    for chunk in items.chunks(25) {
        let mut requests: Vec<WriteRequest> = chunk
            .iter()
            .map(|item| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(item.clone()))
                            .build()
                            .expect("put request"),
                    )
                    .build()
            })
            .collect();
        // Retry unprocessed items (DynamoDB may return some under load).
        while !requests.is_empty() {
            let out = client
                .batch_write_item()
                .request_items(table, requests)
                .send()
                .await
                .unwrap_or_else(|e| panic!("batch write {table}: {e:?}"));
            requests = out
                .unprocessed_items
                .and_then(|mut u| u.remove(table))
                .unwrap_or_default();
        }
    }
}

/// Writes many items with `concurrency` batch writes in flight (large test tables).
pub async fn put_items_parallel(
    client: &Client,
    table: &str,
    items: Vec<Item>,
    concurrency: usize,
) {
    use futures_util::stream::{self, StreamExt};
    let chunks: Vec<Vec<Item>> = items.chunks(25 * 8).map(|c| c.to_vec()).collect();
    stream::iter(chunks)
        .for_each_concurrent(concurrency, |chunk| async move {
            put_items(client, table, chunk).await
        })
        .await;
}

/// An `orders` item: composite key, nested maps 6 levels deep, list of maps, sets,
/// binary, booleans, nulls, optional attributes, an attribute with 4 types, and
/// attribute names with a dot, a space and non-ASCII characters.
pub fn order_item(i: u32) -> Item {
    let mut item: Item = HashMap::new();
    item.insert("customerId".into(), s(format!("c{:03}", i % 37)));
    item.insert("orderId".into(), n(i));
    item.insert(
        "status".into(),
        s(["NEW", "PAID", "SHIPPED"][i as usize % 3]),
    );
    item.insert(
        "createdAt".into(),
        s(format!("2026-11-{:02}T10:00:00Z", 1 + i % 28)),
    );
    item.insert("total".into(), n(format!("{}.{:02}", 10 + i, i % 100)));
    item.insert("paid".into(), AV::Bool(i.is_multiple_of(2)));
    item.insert("giftMessage".into(), AV::Null(true));
    item.insert(
        "labels".into(),
        AV::Ss(vec!["fragile".into(), format!("zone-{}", i % 4)]),
    );
    item.insert(
        "ratings".into(),
        AV::Ns(vec!["1".into(), format!("{}", 2 + i % 3)]),
    );
    item.insert("blobs".into(), AV::Bs(vec![Blob::new(vec![1, 2, i as u8])]));
    item.insert(
        "signature".into(),
        AV::B(Blob::new(format!("sig{i}").into_bytes())),
    );
    item.insert(
        "lines".into(),
        AV::L(vec![
            m(vec![("sku", s(format!("SKU-{i}"))), ("qty", n(1 + i % 5))]),
            m(vec![("sku", s("SKU-X")), ("price", n("9.99"))]),
        ]),
    );
    item.insert(
        "shipping".into(),
        m(vec![(
            "address",
            m(vec![(
                "geo",
                m(vec![(
                    "region",
                    m(vec![(
                        "zone",
                        m(vec![("code", s(format!("Z{i}"))), ("lat", n("52.5"))]),
                    )]),
                )]),
            )]),
        )]),
    );
    let mixed = match i % 4 {
        0 => s("text"),
        1 => n(i),
        2 => AV::Bool(true),
        _ => m(vec![("k", s("v"))]),
    };
    item.insert("mixed".into(), mixed);
    if i.is_multiple_of(3) {
        item.insert("couponCode".into(), s(format!("SAVE{i}")));
    }
    item.insert("meta.source".into(), s("web"));
    item.insert("delivery notes".into(), s("leave at door"));
    item.insert("prénom✓".into(), s("Zoë"));
    item
}

/// A `shapes` item: the shapes OpenMetadata's server refuses unless mapped with care
/// (its `DatabaseUtil` and `FullyQualifiedName` rules): a binary partition key alone,
/// a binary attribute, empty maps and lists (also nested and in a list), a top-level
/// set of each kind, and attribute names with a line break, a quote, `::` and a
/// Unicode line separator next to a name they could collide with once made safe.
pub fn shapes_item(i: u32) -> Item {
    let mut item: Item = HashMap::new();
    item.insert("bin".into(), AV::B(Blob::new(vec![0xff, 0x00, i as u8])));
    item.insert(
        "payload".into(),
        AV::B(Blob::new(format!("p{i}").into_bytes())),
    );
    item.insert("emptyMap".into(), AV::M(HashMap::new()));
    item.insert("emptyList".into(), AV::L(vec![]));
    item.insert("listOfEmptyMaps".into(), AV::L(vec![AV::M(HashMap::new())]));
    item.insert(
        "nested".into(),
        m(vec![("inner", AV::M(HashMap::new())), ("n", n(i))]),
    );
    item.insert(
        "tags".into(),
        AV::Ss(vec!["a".into(), format!("t{}", i % 3)]),
    );
    item.insert(
        "scores".into(),
        AV::Ns(vec!["1".into(), format!("{}.5", i)]),
    );
    item.insert("hashes".into(), AV::Bs(vec![Blob::new(vec![i as u8, 1])]));
    item.insert("line\nbreak".into(), s("two\nlines"));
    item.insert("line break".into(), s("one line"));
    item.insert("say \"hi\"".into(), s("quoted"));
    item.insert("a::b".into(), s("colons"));
    item.insert("sep\u{2028}arator".into(), s("unicode line separator"));
    item
}

/// Creates the corpus: `orders` (GSI + LSI), `users` (hash-only, TTL), `empty_composite`
/// (no items), `acct.users-v2` (dot in name), `shapes` (see [`shapes_item`]), plus
/// `filler` small tables `bulk_NNN`.
pub async fn seed(client: &Client, filler: usize) {
    client
        .create_table()
        .table_name("orders")
        .billing_mode(BillingMode::Provisioned)
        .provisioned_throughput(
            aws_sdk_dynamodb::types::ProvisionedThroughput::builder()
                .read_capacity_units(25)
                .write_capacity_units(5)
                .build()
                .expect("throughput"),
        )
        .key_schema(key("customerId", KeyType::Hash))
        .key_schema(key("orderId", KeyType::Range))
        .attribute_definitions(def("customerId", ScalarAttributeType::S))
        .attribute_definitions(def("orderId", ScalarAttributeType::N))
        .attribute_definitions(def("status", ScalarAttributeType::S))
        .attribute_definitions(def("createdAt", ScalarAttributeType::S))
        .attribute_definitions(def("total", ScalarAttributeType::N))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_status")
                .key_schema(key("status", KeyType::Hash))
                .key_schema(key("createdAt", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::Include)
                        .non_key_attributes("total")
                        .build(),
                )
                .provisioned_throughput(
                    aws_sdk_dynamodb::types::ProvisionedThroughput::builder()
                        .read_capacity_units(5)
                        .write_capacity_units(5)
                        .build()
                        .expect("throughput"),
                )
                .build()
                .expect("gsi"),
        )
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("by_total")
                .key_schema(key("customerId", KeyType::Hash))
                .key_schema(key("total", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .build()
                .expect("lsi"),
        )
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .expect("stream"),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("create orders: {e:?}"));
    put_items(client, "orders", (0..120).map(order_item).collect()).await;

    create_table(client, "users", ("userId", ScalarAttributeType::S), None).await;
    client
        .update_time_to_live()
        .table_name("users")
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expiresAt")
                .build()
                .expect("ttl"),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("ttl users: {e:?}"));
    let users = (0..40)
        .map(|i| {
            let mut u: Item = HashMap::new();
            u.insert("userId".into(), s(format!("u{i:03}")));
            u.insert("email".into(), s(format!("user{i}@example.com")));
            u.insert("expiresAt".into(), n(1_800_000_000 + i));
            if i % 2 == 0 {
                u.insert("phone".into(), s(format!("+1-202-555-01{:02}", i % 100)));
            }
            u
        })
        .collect();
    put_items(client, "users", users).await;

    create_table(
        client,
        "empty_composite",
        ("pk", ScalarAttributeType::B),
        Some(("sk", ScalarAttributeType::N)),
    )
    .await;

    create_table(
        client,
        "acct.users-v2",
        ("id", ScalarAttributeType::S),
        None,
    )
    .await;
    put_items(
        client,
        "acct.users-v2",
        (0..5)
            .map(|i| {
                HashMap::from([
                    ("id".to_string(), s(format!("a{i}"))),
                    ("v".to_string(), n(i)),
                ])
            })
            .collect(),
    )
    .await;

    create_table(client, "shapes", ("bin", ScalarAttributeType::B), None).await;
    put_items(client, "shapes", (0..12).map(shapes_item).collect()).await;

    for i in 0..filler {
        let name = format!("bulk_{i:03}");
        create_table(client, &name, ("id", ScalarAttributeType::S), None).await;
        put_items(
            client,
            &name,
            (0..3)
                .map(|j| {
                    HashMap::from([
                        ("id".to_string(), s(format!("{j}"))),
                        ("n".to_string(), n(j)),
                    ])
                })
                .collect(),
        )
        .await;
    }
}

/// A Luhn-valid 16-digit Visa number derived from `i`.
pub fn visa_number(i: u32) -> String {
    let body = format!("4{:014}", 5_319_000_000_000u64 + u64::from(i) * 7_919);
    let digits: Vec<u32> = body.chars().filter_map(|c| c.to_digit(10)).collect();
    // Luhn: double every second digit from the right of the full number, whose
    // check digit is still to come (so the body's last digit is doubled).
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(k, d)| {
            if k % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                *d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

const FIRST: [&str; 8] = [
    "James", "Maria", "Robert", "Linda", "Michael", "Patricia", "David", "Jennifer",
];
const LAST: [&str; 8] = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
];
const STREETS: [&str; 6] = [
    "Main Street",
    "Oak Avenue",
    "Pine Road",
    "Maple Lane",
    "Cedar Drive",
    "Elm Street",
];

/// A customer with personal data in top-level, nested and list attributes, beside
/// innocent look-alikes (order numbers, SKUs) and a binary attribute.
pub fn customer_item(i: u32) -> Item {
    let mut item: Item = HashMap::new();
    let first = FIRST[i as usize % FIRST.len()];
    let last = LAST[(i as usize / FIRST.len()) % LAST.len()];
    item.insert("customerId".into(), s(format!("CUST-{i:06}")));
    item.insert("fullName".into(), s(format!("{first} {last}")));
    item.insert(
        "email".into(),
        s(format!(
            "{}.{}{i}@example.com",
            first.to_lowercase(),
            last.to_lowercase()
        )),
    );
    item.insert("phone".into(), s(format!("+44 20 7946 {:04}", i % 1000)));
    item.insert("cardNumber".into(), s(visa_number(i)));
    item.insert(
        "ssn".into(),
        s(format!(
            "{:03}-{:02}-{:04}",
            100 + i % 500,
            10 + i % 80,
            1000 + i
        )),
    );
    item.insert(
        "lastLoginIp".into(),
        s(format!("10.{}.{}.{}", i % 200, (i / 7) % 250, 1 + i % 250)),
    );
    item.insert(
        "orderNumber".into(),
        s(format!("ORD-{:08}", 20_240_000 + i)),
    );
    // An access key id someone stored with the customer: a secret in the data. The
    // value is a generated dummy (AKIA + 16 characters derived from the row number),
    // never a real key.
    let key: String = (0..16u32)
        .map(|k| {
            let x = (i.wrapping_mul(2_654_435_761) >> (k % 24)).wrapping_add(k * 7) % 36;
            char::from_digit(x, 36).unwrap_or('X').to_ascii_uppercase()
        })
        .collect();
    item.insert("apiKey".into(), s(format!("AKIA{key}")));
    item.insert(
        "sku".into(),
        s(format!(
            "SKU-{}-{:04}",
            ["XJ", "QP", "ZR"][i as usize % 3],
            i % 977
        )),
    );
    item.insert("loyaltyPoints".into(), n(i * 13 % 5000));
    item.insert(
        "avatar".into(),
        AV::B(Blob::new(vec![0x89, 0x50, 0x4e, 0x47, i as u8])),
    );
    item.insert(
        "profile".into(),
        AV::M(HashMap::from([(
            "address".to_string(),
            AV::M(HashMap::from([
                (
                    "street".to_string(),
                    s(format!(
                        "{} {}",
                        1 + i % 400,
                        STREETS[i as usize % STREETS.len()]
                    )),
                ),
                (
                    "city".to_string(),
                    s(["London", "Leeds", "York"][i as usize % 3]),
                ),
            ])),
        )])),
    );
    item.insert(
        "contacts".into(),
        AV::L(vec![AV::M(HashMap::from([
            ("kind".to_string(), s("mobile")),
            (
                "phone".to_string(),
                s(format!("+1 415 555 {:04}", 100 + i % 100)),
            ),
        ]))]),
    );
    item.insert(
        "signupDate".into(),
        s(format!("2025-{:02}-{:02}", 1 + i % 12, 1 + i % 28)),
    );
    item
}

/// Adds a global secondary index (partition key `attribute`, a string, projection ALL)
/// to an on-demand table.
pub async fn add_gsi(client: &Client, table: &str, index: &str, attribute: &str) {
    use aws_sdk_dynamodb::types::{CreateGlobalSecondaryIndexAction, GlobalSecondaryIndexUpdate};
    client
        .update_table()
        .table_name(table)
        .attribute_definitions(def(attribute, ScalarAttributeType::S))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    CreateGlobalSecondaryIndexAction::builder()
                        .index_name(index)
                        .key_schema(key(attribute, KeyType::Hash))
                        .projection(
                            Projection::builder()
                                .projection_type(ProjectionType::All)
                                .build(),
                        )
                        .build()
                        .expect("gsi"),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("add index {index} to {table}: {e:?}"));
}

/// What the demo changes between its two ingest runs, as a team's data drifts: every
/// `customers` item gains `loyaltyTier`, loses `sku`, and stores `loyaltyPoints` as a
/// string; `customers` gets a `by_email` index; table `bulk_019` (a filler) is deleted.
pub async fn drift_demo(client: &Client, customers: u32) {
    let items = (0..customers)
        .map(|i| {
            let mut item = customer_item(i);
            item.remove("sku");
            let points = item.remove("loyaltyPoints");
            if let Some(AV::N(p)) = points {
                item.insert("loyaltyPoints".into(), s(format!("{p} pts")));
            }
            item.insert(
                "loyaltyTier".into(),
                s(["gold", "silver", "bronze"][i as usize % 3]),
            );
            item
        })
        .collect();
    put_items(client, "customers", items).await;
    add_gsi(client, "customers", "by_email", "email").await;
    client
        .delete_table()
        .table_name("bulk_019")
        .send()
        .await
        .unwrap_or_else(|e| panic!("delete bulk_019: {e:?}"));
}

/// One item of about 300 bytes (`seed_wide`, the profiler benchmark's table, and the
/// data-quality engine benchmark's in-memory items): `id` distinct, a decimal, a status
/// of four, customers and e-mails of 50,000, a boolean, a note, a nested map.
pub fn wide_item(i: u64) -> Item {
    HashMap::from([
        ("id".to_string(), AV::S(format!("item-{i:09}"))),
        (
            "amount".to_string(),
            AV::N(format!("{}.{:02}", i % 10_000, i % 100)),
        ),
        (
            "status".to_string(),
            AV::S(["NEW", "PAID", "SHIPPED", "RETURNED"][(i % 4) as usize].into()),
        ),
        (
            "customer".to_string(),
            AV::S(format!("cust-{}", i % 50_000)),
        ),
        (
            "email".to_string(),
            AV::S(format!("user{}@example.com", i % 50_000)),
        ),
        ("flag".to_string(), AV::Bool(i.is_multiple_of(3))),
        (
            "note".to_string(),
            AV::S("lorem ipsum dolor sit amet ".repeat(6)),
        ),
        (
            "meta".to_string(),
            AV::M(HashMap::from([
                ("src".to_string(), AV::S("web".into())),
                ("v".to_string(), AV::N((i % 7).to_string())),
            ])),
        ),
    ])
}
