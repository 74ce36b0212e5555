//! The records a run produces, in the order they are produced. In a JSON Lines file
//! each is one line `{"kind": ..., ...}`, `kind` named after the OpenMetadata request.

use serde::{Deserialize, Serialize};

use crate::openmetadata::{
    CreateDatabase, CreateDatabaseSchema, CreateDatabaseService, CreateTable, CreateTableProfile,
    TableData,
};
use crate::processors::aws_tags::OwnerCandidate;
use crate::processors::classifier::ColumnTag;
use crate::processors::dq::cases::{CaseReport, ResultPost};
use crate::processors::inference::AttributeSummary;
use crate::processors::lineage::FoundEdge;
use crate::processors::lineage_usage::DailyRequests;
use crate::processors::profiler::state_file::TableState;
use crate::processors::profiler::ProfileDetails;
use crate::source::{Replica, TableDescription};

/// One output record: one typed struct per kind, the contract between the processors and
/// every sink (no sink reads a record back from JSON by key). `dynameta publish` and
/// `show --from` read a file of them back (serde derives both ways).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Record {
    /// `PUT /api/v1/services/databaseServices` body.
    CreateDatabaseService {
        /// The request body.
        // The published schema references OpenMetadata's own schema here (see `schema`).
        #[cfg_attr(test, schemars(with = "serde_json::Value"))]
        payload: CreateDatabaseService,
    },
    /// `PUT /api/v1/databases` body.
    CreateDatabase {
        /// The request body.
        // The published schema references OpenMetadata's own schema here (see `schema`).
        #[cfg_attr(test, schemars(with = "serde_json::Value"))]
        payload: CreateDatabase,
    },
    /// `PUT /api/v1/databaseSchemas` body.
    CreateDatabaseSchema {
        /// The request body.
        // The published schema references OpenMetadata's own schema here (see `schema`).
        #[cfg_attr(test, schemars(with = "serde_json::Value"))]
        payload: CreateDatabaseSchema,
    },
    /// `PUT /api/v1/tables` body.
    CreateTable {
        /// The request body.
        // The published schema references OpenMetadata's own schema here (see `schema`).
        #[cfg_attr(test, schemars(with = "serde_json::Value"))]
        payload: CreateTable,
    },
    /// Every table DynamoDB listed (filtered or not), written after a successful
    /// listing; `publish` uses it to soft-delete tables that are gone.
    #[serde(rename_all = "camelCase")]
    TableListing {
        /// Schema FQN the tables belong to.
        schema: String,
        /// Table names, as listed.
        tables: Vec<String>,
    },
    /// `PUT /api/v1/tables/{id}/tableProfile` body of table `table`, with our fuller
    /// statistics beside it.
    #[serde(rename_all = "camelCase")]
    CreateTableProfile {
        /// Table FQN.
        table: String,
        /// The `CreateTableProfileRequest`.
        // The published schema references OpenMetadata's own schema here (see `schema`).
        #[cfg_attr(test, schemars(with = "serde_json::Value"))]
        payload: CreateTableProfile,
        /// How the profile was read and every attribute path's exact statistics.
        dynamodb: Box<ProfileDetails>,
    },
    /// PII tags chosen for a table's columns (`dynameta classify`); the REST sink
    /// patches them onto the columns.
    #[serde(rename_all = "camelCase")]
    ColumnTags {
        /// Table FQN.
        table: String,
        /// One entry per tagged column.
        payload: Vec<ColumnTag>,
    },
    /// `PUT /api/v1/tables/{id}/sampleData` body (`TableData`) of table `table`.
    #[serde(rename_all = "camelCase")]
    SampleData {
        /// Table FQN.
        table: String,
        /// The `TableData`.
        // The published schema references OpenMetadata's own schema here (see `schema`).
        #[cfg_attr(test, schemars(with = "serde_json::Value"))]
        payload: TableData,
    },
    /// Everything DynamoDB told about a table, and the inference statistics. Read back
    /// (`publish --from`, `show --from`) tolerantly: a field an older or hand-written
    /// line lacks is read as empty.
    #[serde(rename = "dynamodbTable", rename_all = "camelCase")]
    DynamodbTable {
        /// Table FQN in OpenMetadata.
        table: String,
        /// DescribeTable, tags, TTL, PITR.
        #[serde(default)]
        properties: Box<TableDescription>,
        /// How the inference sample was read.
        #[serde(default)]
        sampling: SamplingStats,
        /// Every attribute path with presence and types.
        #[serde(default)]
        attributes: Vec<AttributeSummary>,
        /// The owner the table declares (`ownerConfig`, or the `ownerTagKey` tag with
        /// `includeOwners`), not resolved to an OpenMetadata user or team; absent when
        /// none is declared.
        #[serde(skip_serializing_if = "Option::is_none")]
        owner: Option<OwnerCandidate>,
    },
    /// Where a table's data goes, as `dynameta lineage` found it in AWS (local
    /// catalog and file sink; OpenMetadata gets lineage edges between its entities
    /// instead). The far ends are named as AWS names them, not looked up anywhere.
    #[serde(rename_all = "camelCase")]
    TableLineage {
        /// Table FQN.
        table: String,
        /// One edge per far end: exports to an S3 prefix, Lambda functions and
        /// EventBridge Pipes reading the table's stream, Kinesis streaming destinations.
        edges: Vec<FoundEdge>,
        /// The global table's replicas in other regions: facts, not edges (they would
        /// form cycles).
        replicas: Vec<Replica>,
        /// Edge kinds that could not be read (`s3Export`, `lambda`, `pipe`,
        /// `kinesis`): an absent edge of these kinds is unknown, not gone.
        unread: Vec<String>,
        /// Calls that failed, each with the IAM action to grant or what to check.
        problems: Vec<String>,
    },
    /// A table's successful requests per UTC day (`dynameta usage`), from CloudWatch
    /// (dynameta's own requests included; not queries or users).
    #[serde(rename_all = "camelCase")]
    TableUsage {
        /// Table FQN.
        table: String,
        /// One count per day read, oldest first (0: no successful request that day).
        days: Vec<DailyRequests>,
    },
    /// One data-quality test case's result on a table (`dynameta test`, `dynameta test
    /// merge`), as the run's summary shows it. The local catalog keeps it per run and
    /// case (with history); the file sink writes it as one line.
    #[serde(rename_all = "camelCase")]
    TestCaseResult {
        /// Table FQN.
        table: String,
        /// The case and how it ended.
        test_case: CaseReport,
        /// Where OpenMetadata keeps the result: the case's FQN on the server and the
        /// outcome to post there (`dynameta test` against a server only). Never a
        /// line's field: a file's results name no case on any server.
        #[serde(skip)]
        post: Option<Box<ResultPost>>,
    },
    /// One part's statistics of a table (`dynameta profile --part I/N --state-out
    /// FILE`), for the state sink (`sinks::state`), the only sink a partial profile
    /// opens. Never a line of a records file: it is neither written nor read there.
    #[serde(skip)]
    ProfileState(Box<TableState>),
}

/// How the inference sample of a table was read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default, rename_all = "camelCase")]
pub struct SamplingStats {
    /// Items read.
    pub items_sampled: u64,
    /// `sampleSize` asked for.
    pub sample_size: u32,
    /// Scan segments used.
    pub segments: u32,
    /// Scan requests made.
    pub requests: u32,
    /// Read capacity units consumed.
    pub consumed_read_units: f64,
}

/// The JSON Schema of these records (`docs/schemas/dynameta-record.schema.json`),
/// generated from these types and checked against the committed file.
#[cfg(test)]
mod schema;
