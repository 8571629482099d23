//! Gauges of the app fleet for the time series: the group's sizes and the
//! workers' busy time (the CPU column), integrated exactly over each row.

use crate::engine::SimTime;

/// The fleet columns of one row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FleetRow {
    /// The group's desired capacity at the end of the row (0 without one).
    pub desired: u32,
    /// Instances serving: healthy in the LB's view, at the end of the row.
    pub in_service: u32,
    /// Launched instances still booting, at the end of the row.
    pub booting: u32,
    /// Busy workers / workers of running instances (up or hung) over the
    /// row, if any ran.
    pub cpu: Option<f64>,
}

/// A value held between changes and its time integral.
#[derive(Debug, Clone, Default)]
struct Integral {
    value: u64,
    since: SimTime,
    area: u128,
}

impl Integral {
    fn set(&mut self, now: SimTime, value: u64) {
        self.area += u128::from(self.value) * u128::from(now.saturating_sub(self.since));
        self.since = self.since.max(now);
        self.value = value;
    }

    /// The area since the last take, up to `end`.
    fn take(&mut self, end: SimTime) -> u128 {
        self.set(end, self.value);
        std::mem::take(&mut self.area)
    }
}

/// Fleet gauges kept by the recorder.
#[derive(Debug, Clone, Default)]
pub(crate) struct FleetGauges {
    desired: u32,
    in_service: u32,
    booting: u32,
    busy: Integral,
    capacity: Integral,
}

impl FleetGauges {
    pub(crate) fn set_sizes(&mut self, desired: u32, in_service: u32, booting: u32) {
        self.desired = desired;
        self.in_service = in_service;
        self.booting = booting;
    }

    /// Busy workers went up or down by `delta` at `now`.
    #[inline]
    pub(crate) fn busy(&mut self, now: SimTime, delta: i64) {
        let v = self.busy.value.saturating_add_signed(delta);
        self.busy.set(now, v);
    }

    /// Workers of running instances changed to `workers` at `now`.
    pub(crate) fn capacity(&mut self, now: SimTime, workers: u64) {
        self.capacity.set(now, workers);
    }

    pub(crate) fn row(&mut self, end: SimTime) -> FleetRow {
        let busy = self.busy.take(end);
        let cap = self.capacity.take(end);
        FleetRow {
            desired: self.desired,
            in_service: self.in_service,
            booting: self.booting,
            cpu: (cap > 0).then(|| busy as f64 / cap as f64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_is_the_exact_busy_share_of_the_row() {
        let mut g = FleetGauges::default();
        g.capacity(0, 10);
        g.busy(0, 5); // 5 of 10 for the first half
        g.busy(50, -5); // idle for the second
        let r = g.row(100);
        assert_eq!(r.cpu, Some(0.25));
        // The next row starts from the held values.
        g.busy(150, 10);
        assert_eq!(g.row(200).cpu, Some(0.5));
        g.capacity(200, 0);
        assert_eq!(g.row(300).cpu, None);
    }
}
