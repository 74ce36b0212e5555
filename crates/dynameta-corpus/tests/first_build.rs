//! What a newcomer's first `scripts/demo` (and the benchmark scripts) compile: the
//! dynameta binary and this package's programs, never a dev-dependency of `dynameta`
//! (building its examples compiled the test kit, insta, proptest, jsonschema, ... and a
//! second AWS SDK with test features: BENCHMARKS.md, "The demo's cold build").

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `cargo build` lines of a script (continuation lines joined).
fn cargo_builds(script: &str) -> Vec<String> {
    let text =
        std::fs::read_to_string(root().join(script)).expect("the script is in the repository");
    let joined = text.replace("\\\n", " ");
    joined
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("cargo build"))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_demo_and_the_benchmarks_build_no_example_or_test_of_dynameta() {
    for script in [
        "scripts/demo",
        "scripts/bench",
        "scripts/bench-profile",
        "scripts/bench-classify",
    ] {
        let builds = cargo_builds(script);
        assert!(!builds.is_empty(), "{script}: no `cargo build` line found");
        for build in builds {
            for flag in [
                "--example",
                "--examples",
                "--tests",
                "--all-targets",
                "--benches",
            ] {
                assert!(
                    !build.split_whitespace().any(|w| w == flag),
                    "{script} builds targets that compile dynameta's dev-dependencies ({flag}): {build}"
                );
            }
            assert!(build.contains("-p dynameta-corpus"), "{script}: {build}");
        }
    }
}

/// Every crate and feature `cargo tree` resolves for `packages`, without dev-dependencies.
fn resolved(packages: &[&str]) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root())
        .args(["tree", "--offline", "--locked", "-e", "no-dev,features"])
        .args(["--prefix", "none", "--no-dedupe"]);
    for p in packages {
        cmd.args(["-p", p]);
    }
    let out = cmd.output().expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo tree: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("cargo tree prints UTF-8")
        .lines()
        .map(|l| l.trim_end_matches(" (*)").to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn this_package_adds_no_crate_and_no_feature_to_the_binarys_build() {
    let binary = resolved(&["dynameta"]);
    let demo = resolved(&["dynameta", "dynameta-corpus"]);
    let added: Vec<&String> = demo
        .difference(&binary)
        .filter(|l| !l.starts_with("dynameta-corpus "))
        .collect();
    assert!(
        added.is_empty(),
        "dynameta-corpus brings crates or features the binary does not build (so the demo compiles more than the binary): {added:?}"
    );
}
