#!/usr/bin/env bash
# Hunts the JVM crash of stress/findings/README.md (finding 1): runs SelfCancelLoop up to N times
# (default 30, about 7 s each) with C2 made to trap and deoptimize often, and the sampling
# interval at its minimum; stops at the first crash and names its hs_err file.
# Usage: JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 scripts/deopt-crash.sh [N]
# (StressUnstableIfTraps is a JDK 20+ diagnostic flag; on JDK 17 the loop runs without it.)
set -uo pipefail
cd "$(dirname "$0")/.."
n=${1:-30}
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
mvn -B -q -pl stress -am -DskipTests package || exit 2
flags=(-XX:+UnlockDiagnosticVMOptions -XX:PerMethodTrapLimit=100000 -XX:PerBytecodeTrapLimit=100000
       -XX:PerMethodRecompilationCutoff=100000 -XX:PerBytecodeRecompilationCutoff=100000
       -Dorg.memproflimits.samplingInterval=1024)
version=$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p')
[ "$version" -ge 20 ] && flags+=(-XX:+StressUnstableIfTraps)
[ "$version" -ge 22 ] && flags+=(--enable-native-access=ALL-UNNAMED)
dir=$(mktemp -d)
for i in $(seq "$n"); do
  (cd "$dir" && "$java" "${flags[@]}" -cp "$OLDPWD/stress/target/jcstress.jar" \
      org.memproflimits.stress.SelfCancelLoop 300000 > "run-$i.txt" 2>&1)
  rc=$?
  echo "deopt-crash: run $i exit $rc; $(grep -h 'deoptimization guard' "$dir/run-$i.txt")"
  if [ "$rc" -ne 0 ]; then
    grep -E 'Problematic frame|^# [VJ] ' "$dir/run-$i.txt" | head -3
    echo "deopt-crash: crashed in run $i of $n; hs_err file(s): $(ls "$dir"/hs_err*.log 2>/dev/null)"
    exit 1
  fi
done
echo "deopt-crash: no crash in $n runs (it is rare; see stress/findings/README.md)"
