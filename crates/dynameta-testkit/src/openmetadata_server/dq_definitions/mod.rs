//! OpenMetadata's shipped test definitions, for the 18 tests `dynameta test` (issue 23)
//! supports, as the contract server seeds them.
//!
//! Source: OpenMetadata (Apache License 2.0, copyright Collate), files
//! `openmetadata-service/src/main/resources/json/data/tests/*.json`, read in the
//! 1.9.x/2.0.x-era versions the code index holds. What is kept is what the server's rules
//! use — name, entity type, platforms, supported data types, and each parameter's name,
//! data type, `required` flag and `validationRule` — restated here as data rather than
//! copied (descriptions are left out). Parameters that only appear in versions newer than
//! 2.0.7 (`threshold`, `thresholdUnit`, `dimensionFailurePolicy`: not read by any
//! validator of openmetadata-ingestion 2.0.7) are left out; `matchEnum` of
//! `columnValuesToBeInSet`, read by the 2.0.7 validators, is kept. Upstream quirks are
//! kept too: `maxValueForMinInCol`'s rule points at `minValueForMeanInCol` (so it never
//! fires).

use serde_json::{json, Value};

/// `validationRule`: the other parameter and the comparison this one must satisfy.
pub(in crate::openmetadata_server) struct Rule {
    pub field: &'static str,
    pub rule: &'static str,
}

/// One `parameterDefinition` entry.
pub(in crate::openmetadata_server) struct Param {
    pub name: &'static str,
    pub data_type: &'static str,
    pub required: bool,
    pub rule: Option<Rule>,
}

/// One test definition.
pub(in crate::openmetadata_server) struct Definition {
    pub name: &'static str,
    pub display_name: &'static str,
    /// `TABLE` or `COLUMN`.
    pub entity_type: &'static str,
    pub platforms: &'static [&'static str],
    pub data_types: &'static [&'static str],
    pub params: Vec<Param>,
}

const NUMERIC: &[&str] = &[
    "NUMBER", "INT", "FLOAT", "DOUBLE", "DECIMAL", "TINYINT", "SMALLINT", "BIGINT", "BYTEINT",
];
const TEXT: &[&str] = &["BYTES", "STRING", "MEDIUMTEXT", "TEXT", "CHAR", "VARCHAR"];
const LENGTHS: &[&str] = &[
    "BYTES",
    "STRING",
    "MEDIUMTEXT",
    "TEXT",
    "CHAR",
    "VARCHAR",
    "ARRAY",
];
const IN_SET: &[&str] = &[
    "NUMBER",
    "INT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "TINYINT",
    "SMALLINT",
    "BIGINT",
    "BYTEINT",
    "BYTES",
    "STRING",
    "MEDIUMTEXT",
    "TEXT",
    "CHAR",
    "VARCHAR",
];
const NOT_IN_SET: &[&str] = &[
    "NUMBER",
    "INT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "TINYINT",
    "SMALLINT",
    "BIGINT",
    "BYTEINT",
    "BYTES",
    "STRING",
    "MEDIUMTEXT",
    "TEXT",
    "CHAR",
    "VARCHAR",
    "BOOLEAN",
];
const MEAN: &[&str] = &[
    "NUMBER", "INT", "FLOAT", "DOUBLE", "DECIMAL", "TINYINT", "SMALLINT", "BIGINT", "BYTEINT",
    "ARRAY", "SET",
];
const ANY: &[&str] = &[
    "NUMBER",
    "TINYINT",
    "SMALLINT",
    "INT",
    "BIGINT",
    "BYTEINT",
    "BYTES",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "NUMERIC",
    "TIMESTAMP",
    "TIMESTAMPZ",
    "TIME",
    "DATE",
    "DATETIME",
    "INTERVAL",
    "STRING",
    "MEDIUMTEXT",
    "TEXT",
    "CHAR",
    "VARCHAR",
    "BOOLEAN",
    "BINARY",
    "VARBINARY",
    "ARRAY",
    "BLOB",
    "LONGBLOB",
    "MEDIUMBLOB",
    "MAP",
    "STRUCT",
    "UNION",
    "SET",
    "GEOGRAPHY",
    "ENUM",
    "JSON",
    "UUID",
    "VARIANT",
    "GEOMETRY",
    "POINT",
    "POLYGON",
];
const OM: &[&str] = &["OpenMetadata"];

fn p(name: &'static str, data_type: &'static str, required: bool) -> Param {
    Param {
        name,
        data_type,
        required,
        rule: None,
    }
}

/// The usual optional `min`/`max` pair: min ≤ max checked both ways.
fn between(min: &'static str, max: &'static str) -> Vec<Param> {
    vec![
        Param {
            rule: Some(Rule {
                field: max,
                rule: "LESS_THAN_OR_EQUALS",
            }),
            ..p(min, "INT", false)
        },
        Param {
            rule: Some(Rule {
                field: min,
                rule: "GREATER_THAN_OR_EQUALS",
            }),
            ..p(max, "INT", false)
        },
    ]
}

fn def(
    name: &'static str,
    display_name: &'static str,
    entity_type: &'static str,
    data_types: &'static [&'static str],
    params: Vec<Param>,
) -> Definition {
    Definition {
        name,
        display_name,
        entity_type,
        platforms: OM,
        data_types,
        params,
    }
}

/// Every seeded definition, sorted by name.
#[rustfmt::skip]
pub(in crate::openmetadata_server) fn all() -> Vec<Definition> {
    let mut min_of_min = between("minValueForMinInCol", "maxValueForMinInCol");
    // Upstream's rule on maxValueForMinInCol names minValueForMeanInCol.
    min_of_min[1].rule = Some(Rule {
        field: "minValueForMeanInCol",
        rule: "GREATER_THAN_OR_EQUALS",
    });
    let mut defs = vec![
        def("tableRowCountToBeBetween", "Table Row Count To Be Between", "TABLE", &[], between("minValue", "maxValue")),
        def("tableRowCountToEqual", "Table Row Count To Equal", "TABLE", &[], vec![p("value", "INT", true)]),
        def("tableColumnCountToBeBetween", "Table Column Count To Be Between", "TABLE", &[], between("minColValue", "maxColValue")),
        def("columnValuesToBeNotNull", "Column Values To Be Not Null", "COLUMN", ANY, vec![]),
        def("columnValuesToBeUnique", "Column Values To Be Unique", "COLUMN", ANY, vec![]),
        def("columnValuesToBeBetween", "Column Values To Be Between", "COLUMN", NUMERIC, between("minValue", "maxValue")),
        def("columnValueLengthsToBeBetween", "Column Value Lengths To Be Between", "COLUMN", LENGTHS, between("minLength", "maxLength")),
        def("columnValuesToMatchRegex", "Column Values To Match Regex Pattern", "COLUMN", TEXT, vec![p("regex", "STRING", true)]),
        def("columnValuesToNotMatchRegex", "Column Values To Not Match Regex", "COLUMN", TEXT, vec![p("forbiddenRegex", "STRING", true)]),
        def("columnValuesToBeInSet", "Column Values To Be In Set", "COLUMN", IN_SET, vec![p("allowedValues", "ARRAY", true), p("matchEnum", "BOOLEAN", false)]),
        def("columnValuesToBeNotInSet", "Column Values To Be Not In Set", "COLUMN", NOT_IN_SET, vec![p("forbiddenValues", "ARRAY", true)]),
        def("columnValuesMissingCount", "Column Values Missing Count", "COLUMN", ANY, vec![p("missingCountValue", "INT", true), p("missingValueMatch", "STRING", false)]),
        Definition {
            platforms: &["OpenMetadata", "dbt"],
            ..def("columnValueMaxToBeBetween", "Column Value Max. To Be Between", "COLUMN", NUMERIC, between("minValueForMaxInCol", "maxValueForMaxInCol"))
        },
        def("columnValueMinToBeBetween", "Column Value Min. To Be Between", "COLUMN", NUMERIC, min_of_min),
        def("columnValueMeanToBeBetween", "Column Value Mean To Be Between", "COLUMN", MEAN, between("minValueForMeanInCol", "maxValueForMeanInCol")),
        def("columnValueMedianToBeBetween", "Column Value Median To Be Between", "COLUMN", NUMERIC, between("minValueForMedianInCol", "maxValueForMedianInCol")),
        def("columnValueStdDevToBeBetween", "Column Value Std Dev To Be Between", "COLUMN", NUMERIC, between("minValueForStdDevInCol", "maxValueForStdDevInCol")),
        def("columnValuesSumToBeBetween", "Column Values Sum To Be Between", "COLUMN", NUMERIC, between("minValueForColSum", "maxValueForColSum")),
    ];
    defs.sort_by_key(|d| d.name);
    defs
}

impl Definition {
    /// The stored `TestDefinition` entity.
    pub fn entity(&self, id: &str, href: String) -> Value {
        let params: Vec<Value> = self
            .params
            .iter()
            .map(|p| {
                let mut v = json!({
                    "name": p.name,
                    "dataType": p.data_type,
                    "required": p.required,
                });
                if let Some(r) = &p.rule {
                    v["validationRule"] = json!({ "parameterField": r.field, "rule": r.rule });
                }
                v
            })
            .collect();
        let mut v = json!({
            "id": id,
            "name": self.name,
            "fullyQualifiedName": self.name,
            "displayName": self.display_name,
            "entityType": self.entity_type,
            "testPlatforms": self.platforms,
            "parameterDefinition": params,
            "provider": "system",
            "version": 0.1,
            "updatedBy": "admin",
            "href": href,
            "deleted": false,
        });
        if !self.data_types.is_empty() {
            v["supportedDataTypes"] = json!(self.data_types);
        }
        v
    }
}
