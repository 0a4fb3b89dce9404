#!/usr/bin/env bash
# Regular expressions over InterruptibleCharSequence: the cost of the view next to matching the
# String itself, and the latency from a token's set() to Interrupted for a runaway match, on the
# JDK 17 and the JDK 25 it finds (JDK17_HOME / JDK25_HOME, or under /usr/lib/jvm). See
# bench/src/main/java/org/memproflimits/bench/CheckpointBench.java. About two minutes.
#
# Usage: scripts/checkpoint-bench.sh [ROUNDS] [TRIALS]      (defaults 15 and 200)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-15}
trials=${2:-200}
# shellcheck source=scripts/jdks.sh
. scripts/jdks.sh
JAVA_HOME=$jdk17 mvn -q -B -DskipTests package -pl bench -am
echo "$(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for home in "$jdk17" "$jdk25"; do
  flags=()
  [ "$(feature_of "$home")" -ge 22 ] && flags=(--enable-native-access=ALL-UNNAMED)
  timeout 600 "$home/bin/java" "${flags[@]}" -Xmx1g -XX:+UseG1GC -cp bench/target/benchmarks.jar \
    org.memproflimits.bench.CheckpointBench --rounds="$rounds" --trials="$trials"
done
