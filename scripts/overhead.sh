#!/usr/bin/env bash
# Engine off vs on vs all limits armed, on one allocation-heavy workload: fresh JVMs of each
# mode alternate (N times each, default 5); prints each run and the ratios of the medians.
# Usage: scripts/overhead.sh [N]   (uses JAVA_HOME or the java on PATH; builds first)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-5}
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
mvn -q -B -DskipTests package
flags=(-Xmx1g -XX:+UseG1GC)
if [ "$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p')" -ge 22 ]; then
  flags+=(--enable-native-access=ALL-UNNAMED)
fi
out=$(mktemp)
for i in $(seq "$n"); do
  for mode in off on limited; do
    "$java" "${flags[@]}" -cp core/target/classes:examples/target/classes \
      org.memproflimits.examples.OverheadCheck "$mode" | tee -a "$out"
  done
done
python3 - "$out" <<'PY'
import sys, statistics
runs = {}
for line in open(sys.argv[1]):
    mode, ms = line.split()
    runs.setdefault(mode, []).append(float(ms))
med = {m: statistics.median(v) for m, v in runs.items()}
print("median ms:", {m: round(v, 1) for m, v in med.items()})
print("on/off = %.3f   limited/off = %.3f" % (med["on"] / med["off"], med["limited"] / med["off"]))
PY
