#!/usr/bin/env bash
# jcstress tests of the publication of token and mask state between threads (module stress/):
# builds stress/target/jcstress.jar, runs it in bounded time, and prints jcstress's summary.
#
# Usage: scripts/stress.sh [mode] [extra jcstress options...]
#   mode: ci (default: jcstress's quick mode in one JVM configuration; what CI runs, about a
#         minute on 2 idle cores), or one of jcstress's presets over all the JVM configurations
#         it detects: sanity, quick (~7 JVM configurations x 4 compilation modes; 4 min on 2 idle
#         cores, 14 min on a loaded machine), default, tough, stress
#   e.g.  scripts/stress.sh quick -t TokenInterruptsTask
#         JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 scripts/stress.sh
# Exits non-zero if a test saw a FORBIDDEN outcome or failed. The full report is written to
# stress/target/jcstress-results/index.html.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-ci}
shift || true
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
mvn -B -q -pl stress -am -DskipTests package
# A small sampling interval, so that the tasks' few KiB of allocation are sampled; on JDK 22+
# native access for the library's shim, without the JDK's warning.
jvm_args="-Dorg.memproflimits.samplingInterval=4096"
host_args=()
if [ "$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p')" -ge 22 ]; then
  jvm_args="$jvm_args --enable-native-access=ALL-UNNAMED"
  host_args=(--enable-native-access=ALL-UNNAMED)      # jcstress itself loads JNA
fi
if [ "$mode" = ci ]; then
  # One JVM configuration (no flag auto-detection) and no split compilation: every test once,
  # in about a minute.
  opts=(-m quick -jvmArgs "$jvm_args" -sc false)
else
  # Every JVM configuration jcstress detects (C1/C2, stress flags) and split compilation.
  opts=(-m "$mode" -jvmArgsPrepend "$jvm_args")
fi
case " $* " in
  *" -t "*) ;;                                          # the caller selects the tests
  *) opts+=(-t 'org\.memproflimits\.stress\..*') ;;
esac
out=stress/target/jcstress-output.txt
start=$(date +%s)
set +e
# From stress/target, where jcstress also drops its raw jcstress-results-*.bin.gz files.
(cd stress/target && "$java" "${host_args[@]}" -jar jcstress.jar "${opts[@]}" \
  -r jcstress-results "$@") 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
set -e
echo "stress: $(grep -E '^\(Results:' "$out" | tail -1)"
echo "stress: jcstress exit code $rc (non-zero if a test failed), $(( $(date +%s) - start )) s, on $("$java" -version 2>&1 | head -1)"
exit "$rc"
