//! The `dynameta` binary: parse arguments, load the workflow, run, map to exit codes.

use std::process::ExitCode;

use dynameta::cli::{Cli, Command, LogFormat, ProfileAction, RunArgs, TestAction};
use dynameta::config::{self, LogLevel, Workflow};
use dynameta::secret::{redact_registered, register, Secret};
use dynameta::workflow::{
    catalog, classify, ingest, lineage, profile, publish, start_export, summary::Summary, test,
    test_connection, usage, Outcome, RunError, RunFlags, Settings,
};
use dynameta_fs::terminal::escape_lines;

/// Exit code for bad usage or configuration.
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse_with_hints();
    let mut from = None;
    let mut explain = None;
    let mut profile_mode = None;
    let mut export = None;
    let mut test_mode = TestMode::Whole;
    let (args, command, flags) = match &cli.command {
        Command::Publish(p) => {
            from = Some(p.from.clone());
            (&p.run, config::Command::Publish, p.flags())
        }
        Command::Ingest(a) => (&a.run, config::Command::Ingest, a.flags()),
        Command::Profile(p) => match &p.action {
            Some(ProfileAction::Merge(m)) => {
                profile_mode = Some(ProfileMode::Merge(m.states.clone()));
                (&m.run, config::Command::Profile, m.run.flags())
            }
            None => {
                profile_mode = p
                    .state_out
                    .clone()
                    .map(|path| ProfileMode::Part(p.part.unwrap_or(profile::Part::WHOLE), path));
                match &p.run {
                    Some(run) => (
                        run,
                        config::Command::Profile,
                        RunFlags {
                            allow_empty: p.allow_empty,
                            ..run.flags()
                        },
                    ),
                    // clap requires --config without `merge`; never reached.
                    None => return ExitCode::from(EXIT_CONFIG),
                }
            }
        },
        Command::Classify(c) => {
            explain = c.explain.clone();
            (&c.run, config::Command::Classify, c.flags())
        }
        Command::TestConnection(a) => (a, config::Command::TestConnection, a.flags()),
        Command::Test(t) => match &t.action {
            Some(TestAction::Merge(m)) => {
                test_mode = TestMode::Merge(m.states.clone());
                (&m.run, config::Command::Test, m.run.flags())
            }
            None => {
                if let Some(path) = &t.state_out {
                    test_mode =
                        TestMode::Part(t.part.unwrap_or(profile::Part::WHOLE), path.clone());
                }
                match &t.run {
                    Some(run) => (run, config::Command::Test, run.flags()),
                    // clap requires --config without `merge`; never reached.
                    None => return ExitCode::from(EXIT_CONFIG),
                }
            }
        },
        Command::Lineage(a) => (a, config::Command::Lineage, a.flags()),
        Command::Usage(a) => (a, config::Command::Usage, a.flags()),
        Command::Report(r) => {
            return finish_catalog_command(
                catalog::report(&r.catalog, &r.out).map(|line| (line + "\n", 0)),
            )
        }
        Command::Diff(d) => {
            return finish_catalog_command(
                catalog::diff(&d.catalog, d.json, d.presence_threshold)
                    .map(|(text, changed)| (text, u8::from(changed))),
            )
        }
        Command::Show(s) => {
            return finish_catalog_command(
                catalog::show(s.catalog.as_deref(), s.from.as_deref(), &s.table)
                    .map(|text| (text, 0)),
            )
        }
        Command::Catalog(dynameta::cli::CatalogAction::Prune(p)) => {
            return finish_catalog_command(
                catalog::prune(&p.catalog, p.keep_runs as usize).map(|line| (line + "\n", 0)),
            )
        }
        Command::Export(e) => {
            export = Some(start_export::ExportRequest {
                table: e.table.clone(),
                bucket: e.s3_bucket.clone(),
                prefix: e.s3_prefix.clone(),
                wait: e.wait,
            });
            (&e.run, config::Command::Profile, e.run.flags())
        }
    };
    let settings = match Settings::load(&args.config, command) {
        Ok(s) => s,
        Err(e) => {
            match args.log_format {
                // Values quoted from the file are shown escaped.
                LogFormat::Text => eprintln!(
                    "error: {}",
                    escape_lines(&format!("{}: {e}", args.config.display()))
                ),
                LogFormat::Json => eprintln!("{}", e.to_json(&args.config)),
            }
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let workflow = &settings.workflow;
    init_logging(
        workflow.log_level,
        args.log_format,
        args.quiet,
        secrets_of(workflow),
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let stopped = runtime.block_on(async {
        // Registered before any work, so SIGTERM/SIGINT never kill the process midway.
        let stop = stop_signal();
        if let Some(request) = &export {
            // One table of one pair: an estate's pairs are refused (exit 2).
            if let Err(e) = dynameta::workflow::refuse_estate(&settings.workflow, "export") {
                eprintln!("error: {}", escape_lines(&e.to_string()));
                return Ok(e.exit_code());
            }
            // Its own command: never part of another run.
            let work = start_export::run(&settings, request);
            return tokio::select! {
                done = work => Ok(match done {
                    Ok(text) => {
                        print!("{}", escape_lines(&redact_registered(&text)));
                        0
                    }
                    Err(e) => {
                        eprintln!(
                            "error: {}",
                            escape_lines(&redact_registered(&e.to_string()))
                        );
                        1
                    }
                }),
                signal = stop => Err(signal),
            };
        }
        let mut work = Box::pin(run(
            command,
            &settings,
            args,
            &flags,
            from.as_deref(),
            explain.as_deref(),
            profile_mode.as_ref(),
            &test_mode,
        ));
        let stopped = tokio::select! {
            code = &mut work => Ok(code),
            signal = stop => Err(signal),
        };
        // Dropping the run removes the file sink's temporary file and releases its lock;
        // the previous output is left as it was.
        drop(work);
        stopped
    });
    match stopped {
        Ok(code) => ExitCode::from(code),
        Err((name, code)) => {
            eprintln!(
                "dynameta: stopped by {name}: the run was cut short, its output was not written (the previous output, if any, is as it was); exit code {code}"
            );
            // Scans still in flight are not waited for.
            runtime.shutdown_background();
            ExitCode::from(code)
        }
    }
}

/// Prints what a catalog command (report, diff, show) produced, or its error, and
/// returns its exit code.
fn finish_catalog_command(result: Result<(String, u8), catalog::CatalogCommandError>) -> ExitCode {
    match result {
        Ok((text, code)) => {
            print!("{text}");
            ExitCode::from(code)
        }
        Err(e) => {
            // The table name asked for, and names from the file, are shown escaped.
            eprintln!("error: {}", escape_lines(&e.to_string()));
            ExitCode::from(e.exit_code())
        }
    }
}

/// What `test` does beside a whole run.
enum TestMode {
    /// Every table in full.
    Whole,
    /// `--part I/N --state-out FILE`.
    Part(profile::Part, std::path::PathBuf),
    /// `test merge FILE...`.
    Merge(Vec<std::path::PathBuf>),
}

/// What `profile` does beside a whole run.
enum ProfileMode {
    /// `--part I/N --state-out FILE`.
    Part(profile::Part, std::path::PathBuf),
    /// `profile merge FILE...`.
    Merge(Vec<std::path::PathBuf>),
}

/// Installs handlers for SIGINT (Ctrl-C) and SIGTERM (Kubernetes, Airflow, systemd)
/// now, and returns a future that ends with the first one's name and the exit code to
/// use: 130 and 143, as a shell reports a process killed by them. A handler that cannot
/// be installed leaves that signal's default. Call it inside the runtime.
fn stop_signal() -> impl std::future::Future<Output = (&'static str, u8)> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).ok();
        let mut int = signal(SignalKind::interrupt()).ok();
        async move {
            tokio::select! {
                Some(()) = async { term.as_mut()?.recv().await } => ("SIGTERM", 143),
                Some(()) = async { int.as_mut()?.recv().await } => ("SIGINT", 130),
                else => std::future::pending().await,
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            match tokio::signal::ctrl_c().await {
                Ok(()) => ("Ctrl-C", 130),
                Err(_) => std::future::pending().await,
            }
        }
    }
}

/// Prints a run summary and returns the exit code, or prints a start-up error.
fn report(result: Result<(Summary, Outcome), RunError>, format: LogFormat) -> u8 {
    match result {
        Ok((summary, outcome)) => {
            match format {
                LogFormat::Text => print!("{}", redact_registered(&summary.render())),
                LogFormat::Json => println!(
                    "{}",
                    redact_registered(&serde_json::json!({"summary": summary}).to_string())
                ),
            }
            outcome.exit_code()
        }
        Err(e) => {
            eprintln!(
                "error: {}",
                escape_lines(&redact_registered(&e.to_string()))
            );
            e.exit_code()
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn run(
    command: config::Command,
    settings: &Settings,
    args: &RunArgs,
    flags: &RunFlags,
    from: Option<&std::path::Path>,
    explain: Option<&str>,
    profile_mode: Option<&ProfileMode>,
    test_mode: &TestMode,
) -> u8 {
    match command {
        config::Command::Ingest => report(ingest::run(settings, flags).await, args.log_format),
        config::Command::Publish => {
            let from = from.unwrap_or_else(|| std::path::Path::new("out.jsonl"));
            report(publish::run(settings, from, flags).await, args.log_format)
        }
        config::Command::TestConnection => {
            let report = test_connection::run(settings).await;
            match args.log_format {
                // Server and AWS messages are shown escaped, as table data is.
                LogFormat::Text => print!("{}", escape_lines(&redact_registered(&report.render()))),
                LogFormat::Json => println!(
                    "{}",
                    redact_registered(&serde_json::to_string(&report).unwrap_or_default())
                ),
            }
            report.outcome().exit_code()
        }
        config::Command::Profile => {
            let result = match profile_mode {
                None => profile::run(settings, flags, None).await,
                Some(ProfileMode::Part(part, path)) => {
                    profile::run(settings, flags, Some((*part, path))).await
                }
                Some(ProfileMode::Merge(files)) => profile::merge(settings, files).await,
            };
            report(result, args.log_format)
        }
        config::Command::Test => match test::run(
            settings,
            flags,
            match test_mode {
                TestMode::Whole => test::Mode::Whole,
                TestMode::Part(part, path) => test::Mode::Part(*part, path),
                TestMode::Merge(files) => test::Mode::Merge(files),
            },
        )
        .await
        {
            Ok(summary) => {
                match args.log_format {
                    // Column names and results come from table data: escaped.
                    LogFormat::Text => {
                        print!("{}", escape_lines(&redact_registered(&summary.render())))
                    }
                    LogFormat::Json => println!(
                        "{}",
                        redact_registered(&serde_json::json!({ "summary": summary }).to_string())
                    ),
                }
                summary.exit_code()
            }
            Err(e) => {
                eprintln!(
                    "error: {}",
                    escape_lines(&redact_registered(&e.to_string()))
                );
                test::EXIT_NOT_RUN
            }
        },
        // Any sink but OpenMetadata: the records go through the sink (local catalog,
        // file, console).
        config::Command::Lineage if !lineage::to_openmetadata(settings) => {
            local_report(lineage::run_local(settings, flags).await, args.log_format)
        }
        config::Command::Usage if !lineage::to_openmetadata(settings) => {
            local_report(usage::run_local(settings, flags).await, args.log_format)
        }
        config::Command::Lineage => match lineage::run(settings, flags).await {
            Ok(report) => print_report(
                &report.render(),
                &report,
                args.log_format,
                report.exit_code(),
            ),
            Err(e) => {
                eprintln!(
                    "error: {}",
                    escape_lines(&redact_registered(&e.to_string()))
                );
                e.exit_code()
            }
        },
        config::Command::Usage => match usage::run(settings, flags).await {
            Ok(report) => print_report(
                &report.render(),
                &report,
                args.log_format,
                report.exit_code(),
            ),
            Err(e) => {
                eprintln!(
                    "error: {}",
                    escape_lines(&redact_registered(&e.to_string()))
                );
                e.exit_code()
            }
        },
        config::Command::Classify => match explain {
            Some(table) => match classify::explain(settings, table).await {
                Ok(text) => {
                    // Column names and masked examples come from table data.
                    print!("{}", escape_lines(&redact_registered(&text)));
                    0
                }
                Err(e) => {
                    eprintln!(
                        "error: {}",
                        escape_lines(&redact_registered(&e.to_string()))
                    );
                    e.exit_code()
                }
            },
            None => report(classify::run(settings, flags).await, args.log_format),
        },
    }
}

/// Prints what `lineage` or `usage` found with a sink other than OpenMetadata (names
/// from AWS escaped; text output only), then the run summary.
fn local_report(result: Result<(String, Summary, Outcome), RunError>, format: LogFormat) -> u8 {
    match result {
        Ok((text, summary, outcome)) => {
            if matches!(format, LogFormat::Text) {
                print!("{}", escape_lines(&redact_registered(&text)));
            }
            report(Ok((summary, outcome)), format)
        }
        Err(e) => report(Err(e), format),
    }
}

/// Prints a `lineage` or `usage` report (names from AWS and the server escaped) and
/// returns `code`.
fn print_report<T: serde::Serialize>(text: &str, report: &T, format: LogFormat, code: u8) -> u8 {
    match format {
        LogFormat::Text => print!("{}", escape_lines(&redact_registered(text))),
        LogFormat::Json => println!(
            "{}",
            redact_registered(&serde_json::json!({ "summary": report }).to_string())
        ),
    }
    code
}

/// Every secret the run may know: from the workflow, and the AWS ones of the
/// environment (the default credential chain reads them).
fn secrets_of(workflow: &Workflow) -> Vec<Secret> {
    let aws = workflow.aws();
    let mut out: Vec<Secret> = [&aws.aws_secret_access_key, &aws.aws_session_token]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    for var in ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
        if let Ok(v) = std::env::var(var) {
            out.push(Secret::new(v));
        }
    }
    if let Some(jwt) = workflow
        .server
        .as_ref()
        .and_then(|s| s.security_config.as_ref())
    {
        out.push(jwt.jwt_token.clone());
    }
    out
}

/// Log output to stderr with every secret the process holds masked (a message from AWS
/// or a server could echo one back), including credentials resolved after start-up, and,
/// for text logs, every control or bidi character escaped: tracing-subscriber escapes
/// ESC in a log's message but not in the fields that carry table and attribute names, and
/// never CR or bidi overrides. (Text logs are therefore not coloured: a colour sequence
/// of the logger could not be told from one out of a table.) JSON lines are escaped by
/// serde.
#[derive(Clone)]
struct RedactingStderr {
    escape: bool,
}

impl std::io::Write for RedactingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let text = redact_registered(&text);
        let text = if self.escape {
            escape_lines(&text)
        } else {
            std::borrow::Cow::Borrowed(text.as_str())
        };
        std::io::stderr().write_all(text.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

fn init_logging(log_level: LogLevel, format: LogFormat, quiet: bool, secrets: Vec<Secret>) {
    for secret in &secrets {
        register(secret);
    }
    let level = match log_level {
        _ if quiet => "warn",
        LogLevel::Debug => "debug",
        LogLevel::Info => "info",
        LogLevel::Warn => "warn",
        LogLevel::Error => "error",
    };
    // Our own crate at the configured level; the AWS SDK only for real problems, unless
    // DYNAMETA_LOG asks for `trace` (every SDK internal) or for its own directives.
    let directives = match std::env::var("DYNAMETA_LOG").ok().as_deref().map(str::trim) {
        Some(own @ ("error" | "warn" | "info" | "debug")) => format!("warn,dynameta={own}"),
        Some("trace") => "trace".to_string(),
        Some(other) if !other.is_empty() => other.to_string(),
        _ => format!("warn,dynameta={level}"),
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&directives)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("warn,dynameta={level}")));
    let escape = format == LogFormat::Text;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(move || RedactingStderr { escape })
        .with_ansi(false)
        .with_target(false);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
