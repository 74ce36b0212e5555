//! Status lines while requests are being retried, so a throttled table or a dead
//! endpoint does not look like a hung program. At most one line every few seconds for
//! the whole process; the lines in between are counted and the count is shown with the
//! next line.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Least time between two status lines.
pub const EVERY: Duration = Duration::from_secs(5);

struct Gate {
    last: Option<Instant>,
    held_back: u64,
}

static GATE: Mutex<Gate> = Mutex::new(Gate {
    last: None,
    held_back: 0,
});

/// Logs `message` as a warning unless a status line went out less than [`EVERY`] ago.
/// Returns whether it was logged.
pub fn retrying(message: std::fmt::Arguments<'_>) -> bool {
    let held_back = {
        let mut gate = GATE.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if gate.last.is_some_and(|t| now.duration_since(t) < EVERY) {
            gate.held_back += 1;
            return false;
        }
        gate.last = Some(now);
        std::mem::take(&mut gate.held_back)
    };
    if held_back > 0 {
        tracing::warn!("{message} (and {held_back} more retries since the last message)");
    } else {
        tracing::warn!("{message}");
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_interval() {
        // The first call may or may not pass (another test may have logged just now),
        // but of many calls in a burst at most one does.
        let passed = (0..100)
            .filter(|i| retrying(format_args!("retry {i}")))
            .count();
        assert!(passed <= 1, "{passed} lines in one burst");
    }
}
