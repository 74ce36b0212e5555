//! Where a newcomer stumbles on the command line: a workflow file given without `-c`,
//! a table name in the wrong case, and `--help` listing flags a command ignores.

use std::path::Path;

use dynameta_testkit::{dynamodb_local, unique_access_key};

use super::support::*;

#[test]
fn a_workflow_file_without_dash_c_gets_the_corrected_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let wf = write(dir.path(), "local.yaml", "not read\n");
    let wf = wf.to_str().unwrap();
    for (args, want) in [
        (vec!["ingest", wf], format!("dynameta ingest -c {wf}")),
        (
            vec!["test-connection", wf],
            format!("dynameta test-connection -c {wf}"),
        ),
        (
            vec!["classify", wf, "--explain", "orders"],
            format!("dynameta classify -c {wf} --explain orders"),
        ),
        // clap reads it as a subcommand of `profile`.
        (vec!["profile", wf], format!("dynameta profile -c {wf}")),
        // Among `merge`'s state files, the workflow is the YAML one.
        (
            vec!["profile", "merge", wf, "part-1.json"],
            format!("dynameta profile merge -c {wf} part-1.json"),
        ),
        // Not there (yet), but named like a workflow.
        (
            vec!["ingest", "missing.yml"],
            "dynameta ingest -c missing.yml".to_string(),
        ),
    ] {
        let run = dynameta(&args, &[]);
        assert_eq!(run.code, 2, "{args:?}: {}", run.output());
        assert!(
            run.stderr.contains(&format!(
                "tip: the workflow file is given with -c: did you mean `{want}`?"
            )),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn options_before_the_command_get_the_corrected_order() {
    let run = dynameta(&["-c", "local.yaml", "ingest", "--allow-empty"], &[]);
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(
        run.stderr.contains(
            "tip: a command's options go after it: did you mean `dynameta ingest -c local.yaml --allow-empty`?"
        ),
        "{}",
        run.stderr
    );
    // A word that is no option before the command is left to clap.
    let run = dynameta(&["ingst", "-c", "local.yaml"], &[]);
    assert!(!run.stderr.contains("go after it"), "{}", run.stderr);
}

#[test]
fn no_dash_c_hint_where_it_would_be_wrong() {
    // -c already given: the extra argument is just unexpected.
    let run = dynameta(&["ingest", "-c", "a.yaml", "b.yaml"], &[]);
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(!run.stderr.contains("did you mean"), "{}", run.stderr);
    // A word that is neither an existing file nor named like a workflow.
    let run = dynameta(&["ingest", "orders"], &[]);
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(!run.stderr.contains("-c orders"), "{}", run.stderr);
    // Shell-quoted when it has to be.
    let run = dynameta(&["ingest", "my flow.yaml"], &[]);
    assert!(
        run.stderr.contains("`dynameta ingest -c 'my flow.yaml'`"),
        "{}",
        run.stderr
    );
}

/// The options of `dynameta ARGS --help`, by long name.
fn flags_of(args: &[&str]) -> Vec<String> {
    let mut full: Vec<&str> = args.to_vec();
    full.push("--help");
    let run = dynameta(&full, &[]);
    assert_eq!(run.code, 0, "{args:?}: {}", run.output());
    let options = run
        .stdout
        .split_once("Options:\n")
        .unwrap_or_else(|| panic!("{args:?}: no options in {}", run.stdout))
        .1;
    options
        .lines()
        .take_while(|l| !l.starts_with(|c: char| c.is_alphabetic()))
        // Flag lines are indented at most 6 columns, their descriptions 10.
        .filter(|l| {
            let t = l.trim_start();
            t.starts_with('-') && l.len() - t.len() <= 6
        })
        .filter_map(|l| l.trim_start().split_once("--").map(|(_, rest)| rest))
        .filter_map(|rest| rest.split([' ', ',', '\n']).next())
        .filter(|f| !f.is_empty())
        .map(|f| format!("--{f}"))
        .collect()
}

#[test]
fn each_command_lists_only_the_flags_it_honours() {
    let run_flags = ["--config", "--quiet", "--log-format"];
    let common = ["--help", "--version"];
    for (args, own) in [
        (vec!["ingest"], vec!["--allow-empty", "--allow-mass-delete"]),
        (vec!["test-connection"], vec![]),
        (
            vec!["profile"],
            vec!["--part", "--state-out", "--allow-empty"],
        ),
        (vec!["profile", "merge"], vec![]),
        (vec!["classify"], vec!["--explain", "--allow-empty"]),
        (vec!["publish"], vec!["--from", "--allow-mass-delete"]),
        (
            vec!["export"],
            vec!["--table", "--s3-bucket", "--s3-prefix", "--wait"],
        ),
    ] {
        let mut want: Vec<String> = run_flags
            .iter()
            .chain(&own)
            .chain(&common)
            .map(|s| s.to_string())
            .collect();
        want.sort();
        let mut got = flags_of(&args);
        got.sort();
        assert_eq!(got, want, "{args:?}");
    }
}

#[test]
fn a_flag_a_command_does_not_honour_is_refused() {
    for args in [
        ["test-connection", "-c", "x.yaml", "--allow-empty"],
        ["profile", "-c", "x.yaml", "--allow-mass-delete"],
        ["classify", "-c", "x.yaml", "--allow-mass-delete"],
        ["export", "-c", "x.yaml", "--allow-empty"],
        ["publish", "-c", "x.yaml", "--allow-empty"],
    ] {
        let run = dynameta(&args, &[]);
        assert_eq!(run.code, 2, "{args:?}: {}", run.output());
        assert!(
            run.stderr.contains("unexpected argument"),
            "{args:?}: {}",
            run.stderr
        );
    }
    let run = dynameta(
        &[
            "classify",
            "-c",
            "x.yaml",
            "--explain",
            "t",
            "--allow-empty",
        ],
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
}

#[test]
fn show_suggests_the_name_in_its_case() {
    let key = unique_access_key("cli_hints_show");
    create_tables(&key, &["orders", "orders_archive", "customers"]);
    let dir = tempfile::tempdir().unwrap();
    let endpoint = dynamodb_local().endpoint.clone();
    let out = dir.path().join("out.jsonl");
    let yaml = workflow(&endpoint, &key, "", "", &out);
    let wf = write(dir.path(), "file.yaml", &yaml);
    let run = dynameta(&["ingest", "-c", wf.to_str().unwrap()], &[]);
    assert_eq!(run.code, 0, "{}", run.output());
    let db = dir.path().join("dynameta.db");
    let (head, _) = yaml.split_once("sink:\n").unwrap();
    let local = format!(
        "{head}sink:\n  type: local\n  config:\n    path: {}\n",
        db.display()
    );
    let wf = write(dir.path(), "local.yaml", &local);
    let run = dynameta(&["ingest", "-c", wf.to_str().unwrap()], &[]);
    assert_eq!(run.code, 0, "{}", run.output());

    for source in [
        ["--catalog", db.to_str().unwrap()],
        ["--from", out.to_str().unwrap()],
    ] {
        let run = dynameta(&["show", source[0], source[1], "Orders"], &[]);
        assert_eq!(run.code, 2, "{source:?}: {}", run.output());
        assert!(
            run.stderr.contains("no table `Orders`")
                && run
                    .stderr
                    .contains("did you mean `orders`, `orders_archive`? DynamoDB table names are case-sensitive"),
            "{source:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("customers"), "{}", run.stderr);
        // Nothing close: the plain message.
        let run = dynameta(&["show", source[0], source[1], "invoices"], &[]);
        assert_eq!(run.code, 2, "{source:?}: {}", run.output());
        assert!(
            run.stderr.contains("no table `invoices`") && !run.stderr.contains("did you mean"),
            "{source:?}: {}",
            run.stderr
        );
        let run = dynameta(&["show", source[0], source[1], "orders"], &[]);
        assert_eq!(run.code, 0, "{source:?}: {}", run.output());
    }
    assert!(Path::new(&db).is_file());
}
