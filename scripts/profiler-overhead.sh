#!/usr/bin/env bash
# Overhead of allocation profilers on one allocation-heavy workload (examples' OverheadCheck,
# ~1 GB per round): memprof-limits' profiler next to async-profiler's allocation mode and JFR's
# jdk.ObjectAllocationSample. Fresh JVMs of each mode alternate, N runs each (default 5); each
# run prints the best elapsed and the best main-thread CPU time of its timed rounds; the script
# prints the medians and their ratios to the run without a profiler.
#
# Usage: scripts/profiler-overhead.sh [N] [ROUNDS]     (JAVA_HOME or the java on PATH)
#
# Modes:
#   off          no profiler
#   memprof      Memprof.start(512 KiB, 64 frames, AllocationProfile): the CLI's default
#   memprof-64k  the same at 64 KiB (the interval of the test suite's with-profile run)
#   asprof       async-profiler 4.6 agent (Maven Central tools.profiler:async-profiler),
#                event=alloc, alloc=512k, jstackdepth=64, collapsed output
#   jfr          JFR, only jdk.ObjectAllocationSample, throttle 300/s (as settings=profile)
#   jfr-all      the same, throttle off: about one sample per TLAB, as many as at 512 KiB
# Elapsed time counts waiting for a core on a shared machine; CPU time of the main thread,
# where all three profilers do their per-sample work, is the steadier measure there.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-5}
rounds=${2:-9}
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
jfr=${JAVA_HOME:+$JAVA_HOME/bin/}jfr
mvn -q -B -DskipTests install
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# async-profiler's native library, from its Maven Central jar.
ap_version=4.6
ap_jar=$HOME/.m2/repository/tools/profiler/async-profiler/$ap_version/async-profiler-$ap_version.jar
[ -f "$ap_jar" ] || mvn -q -B dependency:get -Dartifact=tools.profiler:async-profiler:$ap_version
unzip -q -o "$ap_jar" linux-x64/libasyncProfiler.so -d "$work"
ap_lib=$work/linux-x64/libasyncProfiler.so

for t in 300/s off; do
  cat > "$work/alloc-${t%/s}.jfc" <<JFC
<?xml version="1.0" encoding="UTF-8"?>
<configuration version="2.0" label="jdk.ObjectAllocationSample only, throttle $t">
  <event name="jdk.ObjectAllocationSample">
    <setting name="enabled">true</setting>
    <setting name="throttle">$t</setting>
    <setting name="stackTrace">true</setting>
  </event>
</configuration>
JFC
done

flags=(-Xmx1g -XX:+UseG1GC -Xlog:disable -Xlog:all=warning:stderr)
if [ "$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p')" -ge 22 ]; then
  flags+=(--enable-native-access=ALL-UNNAMED)
fi
cp=core/target/classes:examples/target/classes
main=org.memproflimits.examples.ProfilerOverheadCheck
"$java" -version 2>&1 | head -1
echo "workload: OverheadCheck.workload, $rounds rounds per JVM (first third warm-up), $n JVMs per mode"
printf '%-12s %10s %10s %9s\n' mode wall-ms cpu-ms samples
for i in $(seq "$n"); do
  for mode in off memprof memprof-64k asprof jfr jfr-all; do
    extra=(); args=(off "$rounds")
    case $mode in
      memprof)     args=(memprof "$rounds" 524288 64) ;;
      memprof-64k) args=(memprof "$rounds" 65536 64) ;;
      asprof)      extra=("-agentpath:$ap_lib=start,event=alloc,alloc=512k,jstackdepth=64,collapsed,file=$work/ap-$i.collapsed") ;;
      jfr)         extra=("-XX:StartFlightRecording=filename=$work/jfr-$i.jfr,settings=$work/alloc-300.jfc") ;;
      jfr-all)     extra=("-XX:StartFlightRecording=filename=$work/jfrall-$i.jfr,settings=$work/alloc-off.jfc") ;;
    esac
    read -r wall cpu samples _ < <("$java" "${flags[@]}" "${extra[@]}" -cp "$cp" "$main" "${args[@]}" 2>/dev/null | tail -1)
    case $mode in
      asprof)  samples=$(awk '{s += $NF} END {print s}' "$work/ap-$i.collapsed") ;;
      jfr)     samples=$("$jfr" summary "$work/jfr-$i.jfr" | awk '$1 == "jdk.ObjectAllocationSample" {print $2}') ;;
      jfr-all) samples=$("$jfr" summary "$work/jfrall-$i.jfr" | awk '$1 == "jdk.ObjectAllocationSample" {print $2}') ;;
    esac
    printf '%-12s %10.1f %10.1f %9s\n' "$mode" "$wall" "$cpu" "$samples" | tee -a "$work/runs"
  done
done
python3 - "$work/runs" <<'PY'
import sys, statistics
runs = {}
for line in open(sys.argv[1]):
    mode, wall, cpu, samples = line.split()
    runs.setdefault(mode, []).append((float(wall), float(cpu), int(samples)))
med = {m: [statistics.median(x[k] for x in v) for k in range(3)] for m, v in runs.items()}
off_wall, off_cpu, _ = med["off"]
print()
print("%-12s %12s %12s %10s %10s %10s" % ("median of", "wall ms", "cpu ms", "wall/off", "cpu/off", "samples"))
for m, (w, c, s) in med.items():
    print("%-12s %12.1f %12.1f %10.3f %10.3f %10d" % (m, w, c, w / off_wall, c / off_cpu, s))
PY
