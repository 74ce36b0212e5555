use std::path::Path;

use super::*;

const MINIMAL: &str = r#"
source:
  type: dynamodb
  serviceName: local_dynamodb
  serviceConnection:
    config:
      type: DynamoDB
      awsConfig:
        awsAccessKeyId: ${KEY_ID}
        awsSecretAccessKey: ${SECRET}
        awsRegion: us-east-1
        endPointURL: http://127.0.0.1:8000
  sourceConfig:
    config:
      type: DatabaseMetadata
      tableFilterPattern:
        includes: ["orders.*"]
sink:
  type: file
  config:
    filename: out.jsonl
"#;

fn env(name: &str) -> Option<String> {
    match name {
        "KEY_ID" => Some("AKIDEXAMPLE".into()),
        "SECRET" => Some("s3cr3t-value".into()),
        _ => None,
    }
}

#[test]
fn minimal_file_resolves_with_defaults() {
    let wf = parse(MINIMAL, Path::new("wf.yaml"), Command::Ingest, &env).unwrap();
    assert_eq!(wf.service_name, "local_dynamodb");
    assert_eq!(wf.database_name, "default");
    assert_eq!(wf.options.sample_size, 1000);
    assert_eq!(wf.aws().aws_access_key_id.as_deref(), Some("AKIDEXAMPLE"));
    assert_eq!(
        wf.aws().aws_secret_access_key.as_ref().map(|s| s.expose()),
        Some("s3cr3t-value")
    );
    assert!(wf.filters.table.excludes("users"));
    assert!(!wf.filters.table.excludes("orders_v2"));
    assert!(
        matches!(wf.sink, Some(ref s) if s.kind == "file" && s.config["filename"] == "out.jsonl")
    );
    assert!(wf.server.is_none(), "a file sink needs no server");
}

#[test]
fn debug_output_masks_secrets() {
    let wf = parse(MINIMAL, Path::new("wf.yaml"), Command::Ingest, &env).unwrap();
    let debug = format!("{wf:?}");
    assert!(!debug.contains("s3cr3t-value"), "{debug}");
    assert!(debug.contains(crate::secret::MASK));
}

#[test]
fn profiler_file_is_refused_by_ingest_with_the_right_command() {
    let text = MINIMAL.replace("type: DatabaseMetadata", "type: Profiler");
    let err = parse(&text, Path::new("wf.yaml"), Command::Ingest, &env).unwrap_err();
    assert_eq!(err.key(), Some("source.sourceConfig.config.type"));
    assert!(err.to_string().contains("dynameta profile"), "{err}");
}

#[test]
fn connection_arguments_are_typed_and_checked() {
    let text = MINIMAL.replace(
        "        endPointURL: http://127.0.0.1:8000\n",
        "        endPointURL: http://127.0.0.1:8000\n      connectionArguments:\n        sampleSize: 50\n        sampleSegments: 4\n",
    );
    let wf = parse(&text, Path::new("wf.yaml"), Command::Ingest, &env).unwrap();
    assert_eq!(wf.options.sample_size, 50);
    assert_eq!(wf.options.sample_segments, 4);
}

fn env_with<'a>(extra: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        extra
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
            .or_else(|| env(name))
    }
}

fn with_arguments(args: &str) -> String {
    MINIMAL.replace(
        "        endPointURL: http://127.0.0.1:8000\n",
        &format!("        endPointURL: http://127.0.0.1:8000\n      connectionArguments:\n{args}"),
    )
}

#[test]
fn numbers_from_the_environment_are_numbers_as_in_openmetadata() {
    let text = with_arguments("        sampleSize: ${N}\n        requestTimeoutSeconds: ${T}\n");
    let lookup = env_with(&[("N", "50"), ("T", "2.5")]);
    let wf = parse(&text, Path::new("wf.yaml"), Command::Ingest, &lookup).unwrap();
    assert_eq!(wf.options.sample_size, 50);
    assert_eq!(wf.options.request_timeout_seconds, 2.5);
    // Quoted, the reference stays text, as in OpenMetadata.
    let text = with_arguments("        sampleSize: \"${N}\"\n");
    let err = parse(&text, Path::new("wf.yaml"), Command::Ingest, &lookup).unwrap_err();
    assert_eq!(
        err.key(),
        Some("source.serviceConnection.config.connectionArguments.sampleSize")
    );
}

#[test]
fn references_in_comments_are_not_values() {
    let text = format!("# jwtToken: ${{NOT_SET_ANYWHERE}}\n{MINIMAL}");
    assert!(parse(&text, Path::new("wf.yaml"), Command::Ingest, &env).is_ok());
}

#[test]
fn unset_variable_still_names_its_key() {
    let text = with_arguments("        sampleSize: ${NOT_SET_ANYWHERE}\n");
    let err = parse(&text, Path::new("wf.yaml"), Command::Ingest, &env).unwrap_err();
    assert_eq!(
        err.key(),
        Some("source.serviceConnection.config.connectionArguments.sampleSize")
    );
    assert!(err.to_string().contains("NOT_SET_ANYWHERE"), "{err}");
}

#[test]
fn a_variable_that_changes_the_yaml_is_an_error_that_shows_no_value() {
    // ` #` would silently cut the secret short; `\n` would add keys.
    for value in [
        "SECRETMARKER #tail",
        "SECRETMARKER\n        awsRegion: eu-west-1",
        "'SECRETMARKER",
    ] {
        let vars = [("SECRET", value)];
        let lookup = env_with(&vars);
        let err = parse(MINIMAL, Path::new("wf.yaml"), Command::Ingest, &lookup).unwrap_err();
        let text = err.to_string();
        assert!(!text.contains("SECRETMARKER"), "{text}");
        assert!(text.contains("SECRET"), "names the variable: {text}");
    }
}

#[test]
fn secrets_in_the_wrong_place_are_never_quoted() {
    let with_server = |security: &str| {
        format!(
            "{MINIMAL}workflowConfig:\n  openMetadataServerConfig:\n    hostPort: http://localhost:8585/api\n    authProvider: openmetadata\n    securityConfig: {security}\n"
        )
    };
    let lookup = env_with(&[("OM_JWT_TOKEN", "eyJMARKERJWT.payload.sig")]);
    for text in [
        with_server("${OM_JWT_TOKEN}"),
        with_server("eyJMARKERJWT.payload.sig"),
        MINIMAL.replace(
            "awsSecretAccessKey: ${SECRET}",
            "awsSecretAccessKey: 987654321987654321",
        ),
        MINIMAL.replace(
            "awsSecretAccessKey: ${SECRET}",
            "awsSecretAccessKey: [eyJMARKERJWT.payload.sig]",
        ),
    ] {
        let err = parse(&text, Path::new("wf.yaml"), Command::Ingest, &lookup).unwrap_err();
        let shown = format!("{err} {}", err.to_json(Path::new("wf.yaml")));
        assert!(
            !shown.contains("MARKERJWT") && !shown.contains("987654321987654321"),
            "{shown}"
        );
        assert!(err.key().is_some_and(is_secret_path), "{shown}");
    }
    // A secret variable used where a region belongs is masked too.
    let lookup = env_with(&[("AWS_SECRET_ACCESS_KEY", "MARKERKEY/abc")]);
    let text = MINIMAL.replace(
        "awsRegion: us-east-1",
        "awsRegion: ${AWS_SECRET_ACCESS_KEY}",
    );
    let err = parse(&text, Path::new("wf.yaml"), Command::Ingest, &lookup).unwrap_err();
    assert!(!err.to_string().contains("MARKERKEY"), "{err}");
}

#[test]
fn json_error_has_the_same_fields_as_the_text() {
    let text = with_arguments("        sampleSise: 5\n");
    let err = parse(&text, Path::new("wf.yaml"), Command::Ingest, &env).unwrap_err();
    let json = err.to_json(Path::new("wf.yaml"));
    assert_eq!(
        json["key"],
        "source.serviceConnection.config.connectionArguments.sampleSise"
    );
    assert!(json["problem"]
        .as_str()
        .unwrap()
        .contains("Did you mean `sampleSize`?"));
    assert!(json["hint"].as_str().unwrap().contains("`sampleSegments`"));
    assert_eq!(json["file"], "wf.yaml");
    let plain = err.to_string();
    for field in ["key", "problem", "hint"] {
        assert!(
            plain.contains(json[field].as_str().unwrap()),
            "{field}: {plain}"
        );
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Keys whose values are typed (numbers, strings, lists, mappings).
    const KEYS: &[&str] = &[
        "sampleSize",
        "sampleSegments",
        "connectTimeoutSeconds",
        "requestTimeoutSeconds",
        "maxAttempts",
        "stsEndpointUrl",
        "scanSegments",
        "scanWorkers",
        "maxReadCapacityPercent",
        "maxReadUnitsPerSecond",
        "sampleSeed",
        "maskSensitiveSampleData",
        "classificationValuesPerColumn",
    ];

    /// YAML-ish values: numbers of every size and sign, special floats, strings,
    /// references, flow collections, and raw fragments.
    fn yaml_value() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            any::<i64>().prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|f| format!("{f:e}")),
            any::<f64>().prop_map(|f| f.to_string()),
            Just(".nan".to_string()),
            Just("-.inf".to_string()),
            Just("~".to_string()),
            Just("${N}".to_string()),
            Just("${HUGE}".to_string()),
            Just("\"${N}\"".to_string()),
            "[a-z0-9:/.\\[\\]{}#&*!|>'\" -]{0,12}",
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4)
                    .prop_map(|v| format!("[{}]", v.join(", "))),
                prop::collection::vec(inner, 0..3).prop_map(|v| {
                    let pairs: Vec<String> = v
                        .iter()
                        .enumerate()
                        .map(|(i, x)| format!("k{i}: {x}"))
                        .collect();
                    format!("{{{}}}", pairs.join(", "))
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn any_value_in_a_known_key_gives_ok_or_a_typed_error(
            key in prop::sample::select(KEYS),
            value in yaml_value(),
        ) {
            let text = with_arguments(&format!("        {key}: {value}\n"));
            let lookup = env_with(&[("N", "7"), ("HUGE", "1e308")]);
            match parse(&text, Path::new("wf.yaml"), Command::Ingest, &lookup) {
                Ok(_) => {}
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }

        #[test]
        fn any_text_gives_ok_or_a_typed_error(text in "[a-z:{}\\[\\]\\- \n#'\"$&*!|>.0-9]{0,80}") {
            let _ = parse(&text, Path::new("wf.yaml"), Command::Ingest, &env);
            let doc = format!("{MINIMAL}{text}");
            let _ = parse(&doc, Path::new("wf.yaml"), Command::Ingest, &env);
        }
    }
}

/// serviceName and databaseName: OpenMetadata 2.0.7's `EntityName` limit (256
/// characters, counted as characters, not bytes) and no `"`; the message gives the limit.
#[test]
fn entity_names_are_checked_at_load_with_the_limit() {
    let with_names = |service: &str, database: &str| {
        MINIMAL.replace("serviceName: local_dynamodb", &format!("serviceName: '{service}'"))
            .replace(
                "        endPointURL: http://127.0.0.1:8000\n",
                &format!("        endPointURL: http://127.0.0.1:8000\n      databaseName: '{database}'\n"),
            )
    };
    let load = |text: &str| parse(text, Path::new("wf.yaml"), Command::Ingest, &env);
    let at_limit = "é".repeat(ENTITY_NAME_MAX);
    let wf = load(&with_names(&at_limit, &at_limit)).unwrap();
    assert_eq!(wf.database_name.chars().count(), 256);
    let over = "n".repeat(ENTITY_NAME_MAX + 1);
    for (text, key) in [
        (with_names(&over, "db"), "source.serviceName"),
        (
            with_names("svc", &over),
            "source.serviceConnection.config.databaseName",
        ),
    ] {
        let err = load(&text).unwrap_err();
        assert_eq!(err.key(), Some(key), "{err}");
        let message = err.to_string();
        assert!(
            message.contains("257 characters") && message.contains("at most 256"),
            "{message}"
        );
    }
    let err = load(&with_names("svc", "a\"b")).unwrap_err();
    assert_eq!(
        err.key(),
        Some("source.serviceConnection.config.databaseName"),
        "{err}"
    );
    assert!(err.to_string().contains("`\"`"), "{err}");
}

/// `extraHeaders` names and values are checked at load; the value is never shown.
#[test]
fn extra_headers_must_be_http_headers() {
    let with_header = |name: &str, value: &str| {
        format!(
            "{MINIMAL}workflowConfig:\n  openMetadataServerConfig:\n    hostPort: http://localhost:8585/api\n    authProvider: openmetadata\n    securityConfig:\n      jwtToken: t\n    extraHeaders:\n      {name:?}: {value:?}\n"
        )
    };
    let load = |text: &str| parse(text, Path::new("wf.yaml"), Command::Ingest, &env);
    load(&with_header("X-Request-Source", "dynameta ✓")).unwrap();
    for (name, value, problem) in [
        ("bad header", "v", "not an HTTP header name"),
        ("X-Colon:", "v", "not an HTTP header name"),
        ("", "v", "not an HTTP header name"),
        (
            "X-Ok",
            "s3cr3t\nInjected: 1",
            "not a valid HTTP header value",
        ),
    ] {
        let err = load(&with_header(name, value)).unwrap_err();
        let key = format!(
            "workflowConfig.openMetadataServerConfig.extraHeaders.{}",
            name.escape_debug()
        );
        assert_eq!(err.key(), Some(key.as_str()), "{err}");
        let message = err.to_string();
        assert!(message.contains(problem), "{message}");
        assert!(!message.contains("s3cr3t"), "{message}");
    }
}

/// `awsConfig: "<string>"` (a credential pasted in the wrong place) is refused without
/// quoting the string. The value is a dummy shaped like an access key id (underscores
/// keep it from looking like a real one to secret scanners); it is no credential.
#[test]
fn an_aws_config_string_is_never_quoted() {
    let text = MINIMAL.replace(
        "      awsConfig:\n        awsAccessKeyId: ${KEY_ID}\n        awsSecretAccessKey: ${SECRET}\n        awsRegion: us-east-1\n        endPointURL: http://127.0.0.1:8000\n",
        "      awsConfig: \"AKIA_DUMMY_PASTED_NOT_A_KEY\"\n",
    );
    let err = parse(&text, Path::new("wf.yaml"), Command::Ingest, &env).unwrap_err();
    assert_eq!(
        err.key(),
        Some("source.serviceConnection.config.awsConfig"),
        "{err}"
    );
    let message = err.to_string();
    assert!(!message.contains("AKIA_DUMMY"), "{message}");
    assert!(message.contains("not shown"), "{message}");
}

/// `classify`'s settings are resolved once, here: OpenMetadata's defaults when the
/// pipeline says nothing, the keys as written otherwise.
#[test]
fn classify_settings_are_resolved_from_the_pipeline_and_the_options() {
    let pipeline = |extra: &str| {
        MINIMAL
            .replace(
                "      type: DatabaseMetadata\n      tableFilterPattern:\n        includes: [\"orders.*\"]\n",
                &format!("      type: AutoClassification\n{extra}"),
            )
            .replace(
                "        endPointURL: http://127.0.0.1:8000\n",
                "        endPointURL: http://127.0.0.1:8000\n      connectionArguments:\n        classificationValuesPerColumn: 17\n        maskSensitiveSampleData: true\n",
            )
    };
    let defaults = parse(&pipeline(""), Path::new("wf.yaml"), Command::Classify, &env)
        .unwrap()
        .classify;
    assert_eq!(
        defaults,
        ClassifySettings {
            threads: DEFAULT_THREADS,
            confidence: DEFAULT_CONFIDENCE,
            tag_columns: true,
            sample_rows: None,
            values_per_column: 17,
            mask_sensitive_sample_data: true,
        }
    );
    let written = parse(
        &pipeline("      confidence: 65\n      enableAutoClassification: false\n      storeSampleData: true\n"),
        Path::new("wf.yaml"),
        Command::Classify,
        &env,
    )
    .unwrap()
    .classify;
    assert_eq!(written.confidence, 65.0);
    assert!(!written.tag_columns);
    assert_eq!(written.sample_rows, Some(DEFAULT_SAMPLE_ROWS as usize));
    let counted = parse(
        &pipeline("      storeSampleData: true\n      sampleDataCount: 7\n"),
        Path::new("wf.yaml"),
        Command::Classify,
        &env,
    )
    .unwrap()
    .classify;
    assert_eq!(counted.sample_rows, Some(7));
}

/// One spelling of the S3 endpoint key, as OpenMetadata spells endpoints
/// (`endPointURL`): the other is an unknown key whose error names the right one.
#[test]
fn the_s3_endpoint_key_has_one_spelling() {
    let with = |key: &str| {
        MINIMAL.replace(
            "        endPointURL: http://127.0.0.1:8000\n",
            &format!("        endPointURL: http://127.0.0.1:8000\n      connectionArguments:\n        {key}: http://127.0.0.1:5000\n"),
        )
    };
    let wf = parse(
        &with("s3EndpointURL"),
        Path::new("wf.yaml"),
        Command::Ingest,
        &env,
    )
    .unwrap();
    assert_eq!(
        wf.options.s3_endpoint_url.as_deref(),
        Some("http://127.0.0.1:5000")
    );
    let err = parse(
        &with("s3EndpointUrl"),
        Path::new("wf.yaml"),
        Command::Ingest,
        &env,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("connectionArguments.s3EndpointUrl"), "{err}");
    assert!(err.contains("Did you mean `s3EndpointURL`?"), "{err}");
    assert!(
        !err.contains("`s3EndpointUrl`,"),
        "listed as allowed: {err}"
    );
}
