//! A progress bar on a terminal, nothing elsewhere.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Tables done out of tables to do; drawn on stderr only when it is a TTY.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar for `total` tables, hidden when `quiet` or stderr is not a terminal.
    pub fn new(total: u64, quiet: bool) -> Progress {
        let bar = if quiet || !std::io::stderr().is_terminal() {
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden())
        } else {
            let bar = ProgressBar::new(total);
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} tables {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        };
        Progress { bar }
    }

    /// One more table done.
    pub fn table_done(&self, name: &str) {
        self.bar.set_message(name.to_string());
        self.bar.inc(1);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
