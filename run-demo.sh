#!/usr/bin/env bash
# Builds the library and runs the demo: four runaway tasks stopped inside their own threads.
# Uses the JDK of JAVA_HOME, or the java on PATH.
set -euo pipefail
cd "$(dirname "$0")"
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
mvn -q -B -DskipTests package
flags=(-Xmx256m)
if [ "$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p')" -ge 22 ]; then
  flags+=(--enable-native-access=ALL-UNNAMED)
fi
exec "$java" "${flags[@]}" -cp core/target/classes:examples/target/classes org.memproflimits.examples.Demo "$@"
