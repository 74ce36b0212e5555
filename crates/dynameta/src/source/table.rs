//! Our model of a DynamoDB table: everything `Describe*` and `ListTags` tell.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A table as DynamoDB describes it. Read back (a `dynamodbTable` line of a records
/// file) tolerantly: a field an older or hand-written line lacks is empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct TableDescription {
    /// Table name.
    pub name: String,
    /// Table ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// `ACTIVE`, `CREATING`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Creation time, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Partition key.
    pub hash_key: Option<KeyDef>,
    /// Sort key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range_key: Option<KeyDef>,
    /// All `AttributeDefinitions` (keys of the table and its indexes).
    pub attribute_definitions: BTreeMap<String, String>,
    /// Global secondary indexes.
    pub global_secondary_indexes: Vec<Index>,
    /// Local secondary indexes.
    pub local_secondary_indexes: Vec<Index>,
    /// `PROVISIONED` or `PAY_PER_REQUEST`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_mode: Option<String>,
    /// Provisioned read/write capacity units (0/0 for on-demand).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioned_throughput: Option<Throughput>,
    /// Approximate item count (DynamoDB refreshes it about every six hours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_count: Option<i64>,
    /// Approximate size in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<i64>,
    /// Stream settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<Stream>,
    /// Server-side encryption.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sse: Option<Sse>,
    /// `STANDARD` or `STANDARD_INFREQUENT_ACCESS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_class: Option<String>,
    /// Deletion protection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_protection: Option<bool>,
    /// Time to live (`None` when it could not be read; see `unavailable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<Ttl>,
    /// Point-in-time recovery status (`ENABLED` / `DISABLED`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub point_in_time_recovery: Option<String>,
    /// AWS resource tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    /// Facts that could not be read, with why (unsupported by the endpoint, access denied).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unavailable: BTreeMap<String, String>,
    /// Replicas of a global table in other regions (absent for a table that is not one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replicas: Vec<Replica>,
}

/// A global table's replica.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Replica {
    /// Its region, e.g. `eu-west-1`.
    pub region: String,
    /// `ACTIVE`, `CREATING`, `UPDATING`, ... (empty when DynamoDB did not say).
    pub status: String,
}

/// The replicas DynamoDB describes, sorted by region, each once.
pub fn replicas_of(described: &[aws_sdk_dynamodb::types::ReplicaDescription]) -> Vec<Replica> {
    let mut out: Vec<Replica> = described
        .iter()
        .filter_map(|r| {
            Some(Replica {
                region: r.region_name()?.to_string(),
                status: r
                    .replica_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
            })
        })
        .collect();
    out.sort();
    out.dedup_by(|a, b| a.region == b.region);
    out
}

/// A key attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct KeyDef {
    /// Attribute name.
    pub name: String,
    /// `S`, `N` or `B`.
    #[cfg_attr(test, schemars(extend("enum" = ["S", "N", "B"])))]
    pub attribute_type: String,
}

/// A secondary index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Index {
    /// Index name.
    pub name: String,
    /// Partition key attribute.
    pub hash_key: Option<String>,
    /// Sort key attribute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range_key: Option<String>,
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection: Option<String>,
    /// Attributes projected with `INCLUDE`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub non_key_attributes: Vec<String>,
    /// GSI status (`ACTIVE`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// GSI provisioned throughput.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioned_throughput: Option<Throughput>,
    /// Items in the index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_count: Option<i64>,
    /// Size of the index in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<i64>,
}

/// Provisioned capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Throughput {
    /// Read capacity units.
    pub read_capacity_units: i64,
    /// Write capacity units.
    pub write_capacity_units: i64,
}

/// Stream settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Stream {
    /// Stream on.
    pub enabled: bool,
    /// `NEW_IMAGE`, `OLD_IMAGE`, `NEW_AND_OLD_IMAGES`, `KEYS_ONLY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view_type: Option<String>,
    /// Latest stream ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
}

/// Server-side encryption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Sse {
    /// `ENABLED`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `KMS` or `AES256`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sse_type: Option<String>,
    /// KMS key ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_arn: Option<String>,
}

/// Time to live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Ttl {
    /// `ENABLED`, `DISABLED`, `ENABLING`, `DISABLING`.
    pub status: String,
    /// The expiry attribute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::{ReplicaDescription, ReplicaStatus};

    /// DynamoDB Local has no global tables: the SDK's own replica descriptions stand in.
    #[test]
    fn replicas_are_sorted_by_region_once_each_with_their_status() {
        let replica = |region: &str, status: Option<ReplicaStatus>| {
            ReplicaDescription::builder()
                .region_name(region)
                .set_replica_status(status)
                .build()
        };
        let described = [
            replica("us-west-2", Some(ReplicaStatus::Creating)),
            replica("eu-west-1", Some(ReplicaStatus::Active)),
            replica("eu-west-1", Some(ReplicaStatus::Active)),
            replica("ap-south-1", None),
            ReplicaDescription::builder().build(),
        ];
        let regions: Vec<(String, String)> = replicas_of(&described)
            .into_iter()
            .map(|r| (r.region, r.status))
            .collect();
        assert_eq!(
            regions,
            [
                ("ap-south-1".to_string(), String::new()),
                ("eu-west-1".to_string(), "ACTIVE".to_string()),
                ("us-west-2".to_string(), "CREATING".to_string()),
            ]
        );
    }
}
