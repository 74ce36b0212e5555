//! From a described and sampled DynamoDB table to OpenMetadata create requests.

use serde_json::{json, Map, Value};

use super::entities::{
    source_hash, CreateDatabase, CreateDatabaseSchema, CreateDatabaseService, CreateTable,
    TableConstraint,
};
use super::fqn;
use crate::config::{AwsConfig, Workflow, DEFAULT_NAME};
use crate::processors::inference::{columns, ColumnOptions, Sample};
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
    let mut d = CreateDatabase {
        name: scope.database.clone(),
        service: fqn::build(&[&scope.service]),
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
        percent_encode(table)
    )
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `CreateTableRequest`: keys first, inferred columns, key constraints, console URL.
pub fn table(
    scope: &Scope,
    region: &str,
    description: &TableDescription,
    sample: &Sample,
    options: ColumnOptions,
) -> CreateTable {
    let keys = description.key_attributes();
    let mut cols = columns(sample, &keys, options);
    let key_columns: Vec<String> = cols
        .iter()
        .take(keys.len())
        .map(|c| c.name.clone())
        .collect();
    let mut constraints = Vec::new();
    if !key_columns.is_empty() {
        constraints.push(TableConstraint {
            constraint_type: "PRIMARY_KEY".into(),
            columns: key_columns.clone(),
        });
        if key_columns.len() == 1 {
            cols[0].constraint = Some("PRIMARY_KEY".into());
        } else {
            for c in cols.iter_mut().take(key_columns.len()) {
                c.constraint = Some("NOT_NULL".into());
            }
            constraints.push(TableConstraint {
                constraint_type: "SORT_KEY".into(),
                columns: key_columns[1..].to_vec(),
            });
        }
    }
    let mut t = CreateTable {
        name: description.name.clone(),
        description: None,
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
