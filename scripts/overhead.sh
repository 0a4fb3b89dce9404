#!/usr/bin/env bash
# Engine off vs on vs all limits armed, on one allocation-heavy workload: fresh JVMs of each
# mode alternate (N times each, default 5); prints each run, then each mode's ratio to "off",
# paired by round (geometric mean of the per-round ratios, with its standard error).
#
# Modes: off (engine never loaded), on (started, no limit), on1g (started with a 1 GiB
# sampling interval: loaded, but almost no sample - its ratio is the fixed cost of the loaded
# engine, apart from the samples), limited (inside all three limits, none reached).
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
trap 'rm -f "$out"' EXIT
cp=core/target/classes:examples/target/classes
for i in $(seq "$n"); do
  for mode in off on on1g limited; do
    case $mode in
      on1g) r=$("$java" "${flags[@]}" -Dorg.memproflimits.samplingInterval=1073741824 -cp "$cp" \
              org.memproflimits.examples.OverheadCheck on) ; r="on1g ${r#on }" ;;
      *) r=$("$java" "${flags[@]}" -cp "$cp" org.memproflimits.examples.OverheadCheck "$mode") ;;
    esac
    echo "$r" | tee -a "$out"
  done
done
python3 - "$out" <<'PY'
import math, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    mode, ms = line.split()
    runs.setdefault(mode, []).append(float(ms))
print("median ms:", {m: round(statistics.median(v), 1) for m, v in runs.items()})
for m in ("on", "on1g", "limited"):
    logs = [math.log(a / b) for a, b in zip(runs[m], runs["off"])]
    se = statistics.stdev(logs) / math.sqrt(len(logs)) if len(logs) > 1 else float("nan")
    print("%s/off = %.3f (paired, +/- %.3f standard error)" % (m, math.exp(statistics.mean(logs)), se))
PY
