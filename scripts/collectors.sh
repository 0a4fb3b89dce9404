#!/usr/bin/env bash
# The tests whose outcome depends on the garbage collector, on the collectors users run besides
# the suite's own G1 and Parallel: the heap watcher, the global limit, the OCaml seed's
# scenarios, allocation limits (the "interrupted iff reached" guarantee) and the torture with
# pooled-thread hygiene, and the outside stop of code that never allocates, each collector in
# its own test JVM (512 MiB, as the suite).
#
# Usage: scripts/collectors.sh [JDK:GC ...]        (after `mvn -B verify`, or it builds first)
#   default: what CI runs - 25:Z 25:Shenandoah 25:Serial 17:Z  (about 1.5 min each)
#   e.g.     scripts/collectors.sh 17:Shenandoah 17:Serial
#            TESTS='GlobalMemoryLimitTest' HEAP=64m scripts/collectors.sh 17:G1 17:Z
# GC is the HotSpot name in -XX:+Use<GC>GC. Exits non-zero if any configuration fails; each
# configuration's output is in core/target/collectors/<JDK>-<GC>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/jdks.sh
. scripts/jdks.sh

configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(25:Z 25:Shenandoah 25:Serial 17:Z)
tests=${TESTS:-HeapWatcherTest,GlobalMemoryLimitTest,SeedScenariosTest,AllocationLimitTest,TortureTest,PoolHygieneTest,OutsideStopTest}
heap=${HEAP:-512m}

if [ ! -d core/target/test-classes ]; then
  JAVA_HOME=$jdk17 mvn -B -q -pl core install -DskipTests
fi
mkdir -p core/target/collectors
failed=()
for c in "${configs[@]}"; do
  v=${c%%:*}; gc=${c#*:}
  case "$v" in 17) home=$jdk17 ;; 25) home=$jdk25 ;; *) echo "unknown JDK $v in $c" >&2; exit 2 ;; esac
  log=core/target/collectors/$v-$gc.log
  start=$(date +%s)
  # surefire:test runs the compiled tests again with other JVM arguments; the native-access
  # profile of core/pom.xml adds --enable-native-access on JDK 22+.
  if JAVA_HOME=$home timeout 1200 mvn -B -pl core surefire:test@default-test -Dtest="$tests" \
       -DfailIfNoTests=false -Dtest.jvm.args="-Xmx$heap -Xss1m -XX:+Use${gc}GC" > "$log" 2>&1; then
    verdict=passed
  else
    verdict=FAILED; failed+=("$c")
  fi
  summary=$(grep -E '^\[(INFO|ERROR|WARNING)\] Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$' "$log" | tail -1 | sed 's/^\[[A-Z]*\] //')
  echo "collectors: JDK $v, $gc GC ($heap): $verdict in $(( $(date +%s) - start )) s - ${summary:-no test summary}"
  grep -E '^(BOMB-SUMMARY|held )' "$log" | sed 's/^/  /' || true
  [ "$verdict" = passed ] || grep -E '<<< (FAILURE|ERROR)!|^[a-z.]*(Error|Exception)' "$log" | head -20 | sed 's/^/  /'
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "collectors: failed on ${failed[*]} (logs in core/target/collectors/)" >&2
  exit 1
fi
