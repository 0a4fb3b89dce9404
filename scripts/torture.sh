#!/usr/bin/env bash
# The resource-safety proof at full size (core/src/test/java/org/memproflimits/torture/):
#   torture  - 10^5 interrupts delivered to random tasks doing a random mix of masked resources,
#              locks, fresh classes (static initializers, lambdas, string concatenation),
#              Guarded maps; then every invariant checked (Torture.java explains them)
#   hygiene  - 10^6 short tasks on a pool of 4 threads under random tokens and limits: no stale
#              interrupt, no stale interrupt status (PoolHygiene.java)
#   hazards  - the torture with static initializers that sleep or read through a FileChannel
#              and a class loader that reads through a FileChannel (see WakeUpHazardTest)
#   all      - torture, then hygiene (default)
# Usage: scripts/torture.sh [torture|hygiene|hazards|all] [extra JVM options, e.g. -Dtorture.seed=42]
# Sizes: TORTURE_INTERRUPTS (100000), HYGIENE_TASKS (1000000), HAZARD_INTERRUPTS (5000).
# GC: GC_FLAGS (default -XX:+UseG1GC). JDK: JAVA_HOME, or the java on PATH.
# Prints each run's figures; exits non-zero if any run found a violation.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
shift || true
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
mvn -B -q -pl core test-compile
flags=(-Xmx512m -Xss1m ${GC_FLAGS:--XX:+UseG1GC})
if [ "$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p')" -ge 22 ]; then
  flags+=(--enable-native-access=ALL-UNNAMED)
fi
cp=core/target/classes:core/target/test-classes
rc=0
run() {
  local start=$(date +%s) status=0
  "$java" "${flags[@]}" "$@" || status=$?
  echo "($(( $(date +%s) - start )) s wall, exit $status)"
  [ "$status" -eq 0 ] || rc=1
}
case "$what" in
  torture|all)
    run -Dtorture.interrupts="${TORTURE_INTERRUPTS:-100000}" "$@" -cp "$cp" org.memproflimits.torture.Torture ;;
esac
case "$what" in
  hygiene|all)
    run -Dhygiene.tasks="${HYGIENE_TASKS:-1000000}" "$@" -cp "$cp" org.memproflimits.torture.PoolHygiene ;;
esac
case "$what" in
  hazards)
    run -Dtorture.interrupts="${HAZARD_INTERRUPTS:-5000}" -Dtorture.ioInInitializer=true \
        -Dtorture.sleepInInitializer=true -Dtorture.nioLoader=true "$@" -cp "$cp" org.memproflimits.torture.Torture ;;
esac
case "$what" in
  torture|hygiene|hazards|all) ;;
  *) echo "usage: $0 [torture|hygiene|hazards|all] [JVM options]" >&2; exit 2 ;;
esac
exit "$rc"
