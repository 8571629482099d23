//! The scenario library built into the binary: every file of `scenarios/`,
//! so `sim list` and `sim new --from` work from any folder. A test checks
//! that this list and the folder agree, file for file and byte for byte.

/// (name, YAML text) of each shipped scenario, by name.
pub const SCENARIOS: &[(&str, &str)] = &[
    (
        "active-active-vs-passive",
        include_str!("../scenarios/active-active-vs-passive.yaml"),
    ),
    (
        "async-replica-promotion",
        include_str!("../scenarios/async-replica-promotion.yaml"),
    ),
    ("az-outage", include_str!("../scenarios/az-outage.yaml")),
    (
        "az-outage-all-tiers",
        include_str!("../scenarios/az-outage-all-tiers.yaml"),
    ),
    (
        "cache-failure",
        include_str!("../scenarios/cache-failure.yaml"),
    ),
    (
        "data-tier-active-active",
        include_str!("../scenarios/data-tier-active-active.yaml"),
    ),
    ("db-failover", include_str!("../scenarios/db-failover.yaml")),
    (
        "db-failover-proxy",
        include_str!("../scenarios/db-failover-proxy.yaml"),
    ),
    (
        "failover-vs-load-balancing",
        include_str!("../scenarios/failover-vs-load-balancing.yaml"),
    ),
    (
        "health-check-tuning",
        include_str!("../scenarios/health-check-tuning.yaml"),
    ),
    (
        "instance-failure",
        include_str!("../scenarios/instance-failure.yaml"),
    ),
    (
        "multi-region",
        include_str!("../scenarios/multi-region.yaml"),
    ),
    ("retry-storm", include_str!("../scenarios/retry-storm.yaml")),
    (
        "session-store",
        include_str!("../scenarios/session-store.yaml"),
    ),
    (
        "static-stability",
        include_str!("../scenarios/static-stability.yaml"),
    ),
    (
        "traffic-surge",
        include_str!("../scenarios/traffic-surge.yaml"),
    ),
    (
        "unhealthy-replacement",
        include_str!("../scenarios/unhealthy-replacement.yaml"),
    ),
];

/// The text of the shipped scenario `name`.
pub fn template(name: &str) -> Option<&'static str> {
    SCENARIOS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// The shipped scenario names closest to `name`, for "did you mean".
pub fn closest(name: &str) -> Option<&'static str> {
    SCENARIOS
        .iter()
        .map(|(n, _)| (strsim::jaro_winkler(name, n), *n))
        .filter(|(score, _)| *score > 0.75)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n)
}
