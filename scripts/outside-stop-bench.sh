#!/usr/bin/env bash
# The outside stop's latency for code that never allocates (token set -> Interrupted, and
# limitTime's deadline -> return), on the JDK 17 and the JDK 25 it finds (JDK17_HOME /
# JDK25_HOME, or under /usr/lib/jvm), on each collector of GCS (default: G1 Parallel Serial Z
# Shenandoah). See bench/src/main/java/org/memproflimits/bench/OutsideStopBench.java.
#
# Usage: scripts/outside-stop-bench.sh [TRIALS]      (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-200}
# shellcheck source=scripts/jdks.sh
. scripts/jdks.sh
JAVA_HOME=$jdk17 mvn -q -B -DskipTests package -pl bench -am
echo "$(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for home in "$jdk17" "$jdk25"; do
  flags=()
  [ "$(feature_of "$home")" -ge 22 ] && flags=(--enable-native-access=ALL-UNNAMED)
  for gc in ${GCS:-G1 Parallel Serial Z Shenandoah}; do
    timeout 900 "$home/bin/java" "${flags[@]}" -Xmx1g "-XX:+Use${gc}GC" -Dorg.memproflimits.outsideStop=true \
      -cp bench/target/benchmarks.jar \
      org.memproflimits.bench.OutsideStopBench --trials="$trials"
  done
done
