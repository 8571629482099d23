#!/bin/sh
# Seeds fuzz/corpus/loader/ with the scenario files, and copies of a few of
# them followed by `--set` arguments (NUL-separated, see
# tests/loader_check/mod.rs). Run from the repository root.
set -eu
out=fuzz/corpus/loader
mkdir -p "$out"
cp scenarios/*.yaml "$out/"
for f in tests/fuzz-regressions/*; do
    [ -f "$f" ] && [ "$(basename "$f")" != README.md ] && cp "$f" "$out/"
done
sets() {
    name=$1
    shift
    {
        cat "scenarios/$name.yaml"
        for s in "$@"; do printf '\0%s' "$s"; done
    } >"$out/$name-sets.bin"
}
sets az-outage 'duration=3s' 'faults[1]={at: 1s, kind: az_outage, az: b}' 'workload.rate=50/s'
sets instance-failure 'duration=2s' 'faults[0].at=1s' 'app.workers=1'
sets retry-storm 'duration=2s' 'workload.retries=5' 'workload.timeout=10ms'
sets db-failover 'duration=2s' 'faults.0.at=500ms' 'database.workers=1'
echo "seeded $(ls "$out" | wc -l) inputs in $out"
