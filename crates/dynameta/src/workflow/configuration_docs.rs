//! docs/configuration.md is tied to the options that exist: every key a workflow file
//! can set and dynameta reads is documented there, and every key the reference
//! documents exists. (The keys OpenMetadata's schema allows and dynameta accepts
//! without reading are not listed; the reference says so.)
//!
//! And the guide holds together: every relative link of README.md and docs/*.md
//! resolves to a file that exists, every `#anchor` to a heading of the page it names
//! (GitHub's slug rules), and docs/index.md links every page of docs/.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::config::{
    AutoClassificationPipeline, AwsConfig, ConnectionArguments, DynamoDbConnection, FilterPattern,
    LineagePipeline, MetadataPipeline, OpenMetadataServerConfig, OwnerConfig, ProfilerPipeline,
    RawSource, RawWorkflow, RawWorkflowConfig, UsagePipeline,
};
use crate::sinks::file::FileSinkConfig;
use crate::sinks::local::LocalSinkConfig;
use crate::sinks::openmetadata::RestSinkOptions;
use crate::sinks::SINK_TYPES;

const DOC: &str = include_str!("../../../../docs/configuration.md");

/// The keys of a `deny_unknown_fields` struct, read off serde's own error for an
/// unknown key ("expected one of `a`, `b`"): the list serde derives, never a copy.
fn keys_of<T: DeserializeOwned>() -> Vec<String> {
    let err = match serde_json::from_value::<T>(json!({"__not_a_key__": 0})) {
        Ok(_) => panic!("{} accepts unknown keys", std::any::type_name::<T>()),
        Err(e) => e.to_string(),
    };
    let list = err
        .split_once("expected one of ")
        .or_else(|| err.split_once("expected "))
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("unexpected serde message: {err}"));
    list.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The keys of `T` that dynameta reads: those whose type refuses a value of the wrong
/// shape at that key (an accepted-and-ignored key takes anything).
fn read_keys_of<T: DeserializeOwned>() -> Vec<String> {
    keys_of::<T>()
        .into_iter()
        .filter(|k| {
            let probe: Value = json!({ k.as_str(): [[[true]]] });
            match serde_path_to_error::deserialize::<_, T>(probe) {
                Ok(_) => false,
                Err(e) => e.path().to_string().split('.').next() == Some(k.as_str()),
            }
        })
        .collect()
}

/// Every word inside backticks in the reference, split at `.`, `{`, `}`, `,`, `/`
/// and spaces (`sourceConfig.config.{table,schema}FilterPattern` names four words).
fn documented_words() -> BTreeSet<String> {
    let mut words = BTreeSet::new();
    for quoted in DOC.split('`').skip(1).step_by(2) {
        // `{a,b}Suffix` stands for aSuffix and bSuffix.
        let expanded: Vec<String> = match (quoted.find('{'), quoted.find('}')) {
            (Some(open), Some(close)) if open < close => quoted[open + 1..close]
                .split(',')
                .map(|alt| format!("{}{alt}{}", &quoted[..open], &quoted[close + 1..]))
                .collect(),
            _ => vec![quoted.to_string()],
        };
        for text in expanded {
            for word in text.split(['.', ',', '/', ' ', ':', '=']) {
                if !word.is_empty() {
                    words.insert(word.to_string());
                }
            }
        }
    }
    words
}

/// Every key name the reference's tables list in their first column.
fn listed_keys() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for line in DOC.lines() {
        let Some(cell) = line
            .strip_prefix('|')
            .and_then(|rest| rest.split('|').next())
        else {
            continue;
        };
        for quoted in cell.split('`').skip(1).step_by(2) {
            let last = quoted.rsplit('.').next().unwrap_or(quoted);
            let expanded: Vec<String> = match (last.find('{'), last.find('}')) {
                (Some(open), Some(close)) if open < close => last[open + 1..close]
                    .split(',')
                    .map(|alt| format!("{}{alt}{}", &last[..open], &last[close + 1..]))
                    .collect(),
                _ => last.split(", ").map(str::to_string).collect(),
            };
            for key in expanded {
                for key in key.split(" / ") {
                    keys.insert(key.trim().to_string());
                }
            }
        }
    }
    keys
}

fn all_read_keys() -> Vec<(&'static str, Vec<String>)> {
    vec![
        ("source", read_keys_of::<RawSource>()),
        (
            "serviceConnection.config",
            read_keys_of::<DynamoDbConnection>(),
        ),
        ("awsConfig", read_keys_of::<AwsConfig>()),
        ("connectionArguments", read_keys_of::<ConnectionArguments>()),
        ("DatabaseMetadata", read_keys_of::<MetadataPipeline>()),
        ("Profiler", read_keys_of::<ProfilerPipeline>()),
        ("DatabaseLineage", read_keys_of::<LineagePipeline>()),
        ("DatabaseUsage", read_keys_of::<UsagePipeline>()),
        (
            "AutoClassification",
            read_keys_of::<AutoClassificationPipeline>(),
        ),
        ("workflowConfig", read_keys_of::<RawWorkflowConfig>()),
        (
            "openMetadataServerConfig",
            read_keys_of::<OpenMetadataServerConfig>(),
        ),
        ("sink file", keys_of::<FileSinkConfig>()),
        ("sink local", keys_of::<LocalSinkConfig>()),
        ("sink metadata-rest", keys_of::<RestSinkOptions>()),
        ("filter patterns", keys_of::<FilterPattern>()),
        ("ownerConfig", keys_of::<OwnerConfig>()),
        (
            "connectionArguments.accounts",
            keys_of::<crate::config::estate::AccountRole>(),
        ),
        (
            "connectionArguments.organization",
            keys_of::<crate::config::estate::Organization>(),
        ),
    ]
}

#[test]
fn every_key_dynameta_reads_is_in_docs_configuration_md() {
    let words = documented_words();
    let mut missing = Vec::new();
    for (section, keys) in all_read_keys() {
        assert!(!keys.is_empty(), "{section}: no keys found");
        for key in keys {
            if !words.contains(&key) {
                missing.push(format!("{section}: {key}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "keys dynameta reads but docs/configuration.md does not document:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_key_docs_configuration_md_lists_exists() {
    let mut known: BTreeSet<String> = BTreeSet::new();
    for (_, keys) in all_read_keys() {
        known.extend(keys);
    }
    // Accepted keys the reference describes as having no effect, and the structure.
    for keys in [
        keys_of::<RawWorkflow>(),
        keys_of::<RawSource>(),
        keys_of::<DynamoDbConnection>(),
        keys_of::<AwsConfig>(),
        // Every option of ours exists (`tagKeyFilterPattern`, a filter pattern, escapes the
        // read-key probe as `tableFilterPattern` does).
        keys_of::<ConnectionArguments>(),
        keys_of::<MetadataPipeline>(),
        keys_of::<ProfilerPipeline>(),
        keys_of::<AutoClassificationPipeline>(),
        keys_of::<LineagePipeline>(),
        keys_of::<UsagePipeline>(),
        keys_of::<RawWorkflowConfig>(),
    ] {
        known.extend(keys);
    }
    known.extend(SINK_TYPES.iter().map(|s| s.to_string()));
    known.extend(["config".to_string(), "type".to_string()]);
    let unknown: Vec<String> = listed_keys()
        .into_iter()
        .filter(|k| !known.contains(k))
        .collect();
    assert!(
        unknown.is_empty(),
        "docs/configuration.md lists keys no workflow can set: {unknown:?}"
    );
}

#[test]
fn the_probe_tells_read_keys_from_ignored_ones() {
    let read = read_keys_of::<MetadataPipeline>();
    assert!(read.contains(&"threads".to_string()), "{read:?}");
    assert!(!read.contains(&"includeViews".to_string()), "{read:?}");
    assert!(
        !read.contains(&"jsonSchemaSampleSize".to_string()),
        "{read:?}"
    );
    // The reference's tables are read: a key renamed in the code shows up as unknown.
    let listed = listed_keys();
    for key in [
        "sampleSize",
        "awsRegion",
        "successThreshold",
        "threads",
        "loggerLevel",
    ] {
        assert!(listed.contains(key), "{key} not found in {listed:?}");
    }
    assert!(!listed.contains("sampleSizes"));
}

/// The repository's root (this crate is `crates/dynameta`).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// README.md and every `.md` file of docs/, relative to the repository's root.
fn guide_pages() -> Vec<PathBuf> {
    let mut pages = vec![PathBuf::from("README.md")];
    let docs = std::fs::read_dir(repo_root().join("docs")).expect("read docs/");
    let mut in_docs: Vec<PathBuf> = docs
        .map(|e| PathBuf::from("docs").join(e.expect("docs/ entry").file_name()))
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    in_docs.sort();
    pages.extend(in_docs);
    pages
}

/// A Markdown page's link targets and the anchors of its headings.
struct Page {
    links: Vec<String>,
    anchors: BTreeSet<String>,
}

/// GitHub's heading anchor: lower case, letters, digits, `-` and `_` kept, every
/// space a `-`, the rest dropped (what github-slugger does; a repeated heading gets
/// `-1`, `-2`, ... in [`parse_page`]).
fn github_slug(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn parse_page(text: &str) -> Page {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut links = Vec::new();
    let mut anchors = BTreeSet::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut heading: Option<String> = None;
    for event in Parser::new_ext(text, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                links.push(dest_url.to_string())
            }
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                let slug = github_slug(&heading.take().unwrap_or_default());
                let n = seen.entry(slug.clone()).or_insert(0);
                anchors.insert(if *n == 0 { slug } else { format!("{slug}-{n}") });
                *n += 1;
            }
            _ => {}
        }
    }
    Page { links, anchors }
}

/// What is wrong with the links of the page `page` (relative to `root`) whose text is
/// `text`: one line per broken link.
fn broken_links(root: &Path, page: &Path, text: &str) -> Vec<String> {
    let parsed = parse_page(text);
    let mut broken = Vec::new();
    for link in &parsed.links {
        if link.contains("://") || link.starts_with("mailto:") {
            continue;
        }
        let (path, anchor) = link.split_once('#').unwrap_or((link.as_str(), ""));
        if path.starts_with('/') {
            broken.push(format!(
                "{}: `{link}` is absolute; link relative to the page",
                page.display()
            ));
            continue;
        }
        let target = if path.is_empty() {
            page.to_path_buf()
        } else {
            page.parent().unwrap_or(Path::new("")).join(path)
        };
        let full = root.join(&target);
        // An anchor alone (`#x`) points into the page being checked.
        if !path.is_empty() && !full.exists() {
            broken.push(format!(
                "{}: `{link}`: {} does not exist",
                page.display(),
                target.display()
            ));
            continue;
        }
        if anchor.is_empty() {
            continue;
        }
        if target.extension().is_none_or(|e| e != "md") {
            broken.push(format!(
                "{}: `{link}`: an anchor into a file that is not Markdown",
                page.display()
            ));
            continue;
        }
        let anchors = if path.is_empty() {
            parsed.anchors.clone()
        } else {
            parse_page(&std::fs::read_to_string(&full).unwrap_or_default()).anchors
        };
        if !anchors.contains(anchor) {
            broken.push(format!(
                "{}: `{link}`: {} has no heading `#{anchor}`",
                page.display(),
                target.display()
            ));
        }
    }
    broken
}

#[test]
fn every_relative_link_of_the_guide_resolves() {
    let root = repo_root();
    let mut broken = Vec::new();
    for page in guide_pages() {
        let text = std::fs::read_to_string(root.join(&page)).expect("read page");
        broken.extend(broken_links(&root, &page, &text));
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn docs_index_links_every_page_of_docs() {
    let root = repo_root();
    let index = std::fs::read_to_string(root.join("docs/index.md")).expect("docs/index.md");
    let linked: BTreeSet<String> = parse_page(&index)
        .links
        .iter()
        .map(|l| l.split('#').next().unwrap_or_default().to_string())
        .collect();
    let missing: Vec<String> = guide_pages()
        .iter()
        .filter_map(|p| p.strip_prefix("docs").ok())
        .map(|p| p.display().to_string())
        .filter(|p| p != "index.md" && !linked.contains(p))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/index.md does not link {missing:?}"
    );
}

#[test]
fn the_link_check_finds_broken_links_and_anchors() {
    let root = repo_root();
    let page = Path::new("docs/example.md");
    let text = "# A `code` heading, with punctuation!\n\n## Twice\n\n## Twice\n\n\
        [ok](configuration.md) [ok](configuration.md#source) [ok](#twice-1)\n\
        [ok](#a-code-heading-with-punctuation) [ok](../README.md) [ok](https://example.com/x#y)\n\
        | table | [ok](../BENCHMARKS.md) |\n|---|---|\n| [gone](gone.md) | x |\n\n\
        [bad anchor](configuration.md#no-such-key) [bad here](#twice-2) [abs](/README.md)\n\n\
        ```\n[in code](not-a-link.md)\n```\n";
    let broken = broken_links(&root, page, text);
    assert_eq!(broken.len(), 4, "{broken:#?}");
    for needle in [
        "gone.md does not exist",
        "has no heading `#no-such-key`",
        "has no heading `#twice-2`",
        "is absolute",
    ] {
        assert!(
            broken.iter().any(|b| b.contains(needle)),
            "{needle}: {broken:#?}"
        );
    }
    assert_eq!(
        github_slug("Profiling from an export, and in parts"),
        "profiling-from-an-export-and-in-parts"
    );
    assert_eq!(github_slug("`source`"), "source");
    assert_eq!(
        github_slug("Exit codes & failure policy"),
        "exit-codes--failure-policy"
    );
}

/// The README is the front door (issue 22): at most 250 lines, with the two quick-start
/// commands; the rest belongs in a page of docs/.
#[test]
fn the_readme_stays_a_front_door() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README.md");
    let lines = readme.lines().count();
    assert!(
        lines <= 250,
        "README.md has {lines} lines; move detail into a page of docs/ (docs/index.md lists them)"
    );
    for command in ["\n./scripts/demo   # ", "\n./scripts/test   # "] {
        assert!(
            readme.contains(command),
            "README.md lost `{}`",
            command.trim()
        );
    }
}
