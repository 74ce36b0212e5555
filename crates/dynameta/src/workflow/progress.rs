//! Progress bars on a terminal, nothing elsewhere: tables done / total, and for the
//! profiler one bar per table being scanned (items, estimated total, read units, ETA).

use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Tables done out of tables to do; drawn on stderr only when it is a TTY.
pub struct Progress {
    multi: MultiProgress,
    bar: ProgressBar,
    visible: bool,
}

impl Progress {
    /// A bar for `total` tables, hidden when `quiet` or stderr is not a terminal.
    pub fn new(total: u64, quiet: bool) -> Progress {
        let visible = !quiet && std::io::stderr().is_terminal();
        let multi = if visible {
            MultiProgress::new()
        } else {
            MultiProgress::with_draw_target(ProgressDrawTarget::hidden())
        };
        let bar = multi.add(ProgressBar::new(total));
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} tables {msg}",
        ) {
            bar.set_style(style);
        }
        Progress {
            multi,
            bar,
            visible,
        }
    }

    /// One more table done.
    pub fn table_done(&self, name: &str) {
        self.bar.set_message(name.to_string());
        self.bar.inc(1);
    }

    /// A bar for one table's scan, `estimate` items expected (hidden off a terminal).
    pub fn scan_bar(&self, table: &str, estimate: u64) -> ProgressBar {
        if !self.visible {
            return ProgressBar::hidden();
        }
        let bar = self.multi.add(ProgressBar::new(estimate.max(1)));
        if let Ok(style) = ProgressStyle::with_template(
            "  {prefix:24!} {bar:30} {pos}/~{len} items {msg} ETA {eta}",
        ) {
            bar.set_style(style);
        }
        bar.set_prefix(table.to_string());
        bar
    }

    /// Removes the bars.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
        let _ = self.multi.clear();
    }
}
