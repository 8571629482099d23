//! Progress of a study: an indicatif bar with rate and ETA on an
//! interactive terminal, a plain line every few seconds otherwise (logs,
//! CI, a cluster's job output), nothing when quiet.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// The progress display of one invocation.
pub struct Progress {
    bar: Option<ProgressBar>,
    plain: bool,
    total: u64,
    done: u64,
    /// Runs already done when this invocation started (not in the rate).
    resumed: u64,
    started: Instant,
    last_line: Instant,
}

/// How often the plain progress line is printed.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    /// `total` runs in this invocation's share, `done` of them already done
    /// (resumed); nothing at all when `quiet`.
    pub fn new(total: u64, done: u64, quiet: bool) -> Progress {
        let tty = std::io::stderr().is_terminal();
        let bar = (!quiet && tty).then(|| {
            let bar = ProgressBar::new(total).with_position(done);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {pos}/{len} runs [{bar:30}] {percent}% {rate} eta {eta}",
                )
                .expect("constant template")
                .with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.1} runs/s", state.per_sec());
                    },
                )
                .progress_chars("=> "),
            );
            bar.reset_eta();
            bar
        });
        Progress {
            bar,
            plain: !quiet && !tty,
            total,
            done,
            resumed: done,
            started: Instant::now(),
            last_line: Instant::now(),
        }
    }

    pub fn tick(&mut self) {
        self.done += 1;
        if let Some(bar) = &self.bar {
            bar.set_position(self.done);
        }
        if self.plain && self.last_line.elapsed() >= PLAIN_EVERY {
            self.last_line = Instant::now();
            eprintln!("{}", self.line(self.started.elapsed()));
        }
    }

    /// The plain progress line, `elapsed` after the start: runs done, the
    /// rate of this invocation's runs, and the time left at that rate.
    pub fn line(&self, elapsed: Duration) -> String {
        let rate = (self.done - self.resumed) as f64 / elapsed.as_secs_f64().max(1e-9);
        let left = self.total.saturating_sub(self.done) as f64 / rate.max(1e-9);
        format!(
            "{}/{} runs ({:.0}%), {rate:.1} runs/s, eta {}",
            self.done,
            self.total,
            100.0 * self.done as f64 / self.total.max(1) as f64,
            humantime::format_duration(Duration::from_secs(left.ceil().min(1e9) as u64))
        )
    }

    /// Prints a message without tearing the bar.
    pub fn say(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{message}")),
            None => eprintln!("{message}"),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_line_counts_only_this_invocations_runs_in_the_rate() {
        // 200 runs, 50 done before a resume, then 30 more in 10 s: 3 runs/s,
        // 120 left, 40 s.
        let mut p = Progress::new(200, 50, true);
        for _ in 0..30 {
            p.tick();
        }
        assert_eq!(
            p.line(Duration::from_secs(10)),
            "80/200 runs (40%), 3.0 runs/s, eta 40s"
        );
    }
}
