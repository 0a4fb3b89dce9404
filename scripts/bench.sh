#!/usr/bin/env bash
# Builds and runs the whole benchmark suite, then writes the report.
#
#   scripts/bench.sh quick   a few minutes, for checking: report in bench/results/quick/docs/
#   scripts/bench.sh full    for publishing (about 25-40 min): docs/performance.md, docs/img/*.png
#
# Runs on the JDK 17 and the JDK 25 it finds (JDK17_HOME / JDK25_HOME, or under /usr/lib/jvm);
# raw results (JMH JSON per fork, CSV for the rest, the console log) go to bench/results/<profile>/,
# which is rebuilt from scratch. Every java invocation is bounded with `timeout`. Nothing is
# installed: the report and its figures are drawn in Java (java.awt, headless).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${1:-quick}
case "$profile" in
  quick|full) ;;
  *) echo "usage: scripts/bench.sh [quick|full]" >&2; exit 2 ;;
esac

# ---------------------------------------------------------------------------- settings
K=1024
DEFAULT=$((128 * K))
if [ "$profile" = quick ]; then
  OV_ROUNDS17=1; OV_ROUNDS25=1; OV_BREAKDOWN_ROUNDS17=0; OV_BREAKDOWN_ROUNDS25=0
  OV_SUITE17="started:$DEFAULT limited:$DEFAULT limited:$((16 * K))"
  OV_SUITE25="started:$DEFAULT limited:$DEFAULT limited:$((16 * K))"
  JMH_ITER=(-wi 4 -w 500ms -i 6 -r 500ms)
  LAT_INTERVALS17="$DEFAULT"; LAT_INTERVALS25="$DEFAULT"
  LAT_ARGS=(--trials=300 --rate-budget-s=4 --warmup=100)
  LAT_COMPARE_TRIALS=1
  ACC_PLATFORM17=("$DEFAULT:1m,16m,256m,1g:100")
  ACC_PLATFORM25=()
  ACC_VIRTUAL25=("$DEFAULT:1m,16m,256m,1g:100")
  ACC_BUDGET=15
  BOMB_TRIALS=10; BOMB_JDKS="17"; BOMB_GCS="G1 Z Shenandoah"
  COST_ROUNDS=2
else
  OV_ROUNDS17=4; OV_ROUNDS25=4; OV_BREAKDOWN_ROUNDS17=2; OV_BREAKDOWN_ROUNDS25=1
  # 8 and 16 KiB (limited only) measure the cost of one sample where it stands far above the
  # noise; the report extrapolates it to the larger intervals.
  OV_SUITE17="limited:$((8 * K)) limited:$((16 * K)) started:$((16 * K))"
  for iv in 32 64 128 256 512 1024; do
    OV_SUITE17="$OV_SUITE17 started:$((iv * K)) limited:$((iv * K))"
  done
  OV_SUITE25="limited:$((8 * K)) limited:$((16 * K)) started:$((16 * K))"
  OV_SUITE25="$OV_SUITE25 started:$((32 * K)) limited:$((32 * K))"
  OV_SUITE25="$OV_SUITE25 started:$DEFAULT limited:$DEFAULT started:$((512 * K)) limited:$((512 * K))"
  JMH_ITER=(-wi 5 -w 400ms -i 8 -r 400ms)
  LAT_INTERVALS17="$((64 * K)) $((128 * K)) $((256 * K)) $((512 * K)) $((1024 * K))"
  LAT_INTERVALS25="$DEFAULT $((512 * K))"
  LAT_ARGS=(--trials=1000 --rate-budget-s=15 --warmup=300)
  LAT_COMPARE_TRIALS=3
  ACC_PLATFORM17=("$DEFAULT:1m,16m,256m,1g:1000" "$((512 * K)):1m,16m,256m,1g:1000")
  ACC_PLATFORM25=("$DEFAULT:1m,16m,256m,1g:1000")
  ACC_VIRTUAL25=("$DEFAULT:1m,16m,256m,1g:1000")
  ACC_BUDGET=150
  BOMB_TRIALS=100; BOMB_JDKS="17 25"; BOMB_GCS="G1 Parallel Serial Z Shenandoah"
  COST_ROUNDS=5
fi
BREAKDOWN="objectGraph strings collections json"

# ---------------------------------------------------------------------------- JDKs
# shellcheck source=scripts/jdks.sh
. scripts/jdks.sh

out=bench/results/$profile
rm -rf "$out"
mkdir -p "$out/overhead"
exec > >(tee "$out/bench.log") 2>&1
echo "started=$(date -u '+%Y-%m-%d %H:%M')" > "$out/meta.txt"
echo "profile=$profile" >> "$out/meta.txt"
load() { echo "$1,$(date -u +%H:%M:%S),$(cut -d' ' -f1 /proc/loadavg)" >> "$out/load.csv"; }
echo "phase,time,load1" > "$out/load.csv"
t_start=$(date +%s)
stamp() { printf '\n=== [%4ds] %s\n' $(( $(date +%s) - t_start )) "$*"; }

# ---------------------------------------------------------------------------- build
stamp "build (JDK 17: $jdk17)"
JAVA_HOME=$jdk17 mvn -q -B -DskipTests package
jar=bench/target/benchmarks.jar

flags_for() {   # JVM flags every run of this JDK needs
  if [ "$(feature_of "$1")" -ge 22 ]; then echo "--enable-native-access=ALL-UNNAMED"; fi
}
jmh_flags_for() {   # JMH 1.37 uses sun.misc.Unsafe, which JDK 24+ warns about
  if [ "$(feature_of "$1")" -ge 24 ]; then echo "--sun-misc-unsafe-memory-access=allow"; fi
}

# ---------------------------------------------------------------------------- 0. sample cost
# The cost of one sample, where it is most of the CPU time: one sample per 4 KiB array. Each
# round runs the three modes in fresh JVMs, in a shuffled order; the report pairs them by round.
sample_cost() {
  local home=$1
  local f; f=$(feature_of "$home")
  for r in $(seq "$COST_ROUNDS"); do
    load "sample-cost-jdk$f-r$r"
    for mode in $(printf 'never\nstarted\nlimited\n' \
        | awk -v seed="$((r * 104729 + f))" 'BEGIN{srand(seed)} {print rand() "\t" $0}' | sort -g | cut -f2); do
      # shellcheck disable=SC2046
      timeout 300 "$home/bin/java" $(flags_for "$home") -Xms1g -Xmx1g -XX:+UseG1GC \
        -Dorg.memproflimits.samplingInterval=4096 -cp "$jar" org.memproflimits.bench.SampleCostBench \
        --out="$out" --mode="$mode" --round="$r"
    done
  done
}
stamp "sample cost, JDK 17"
sample_cost "$jdk17"
stamp "sample cost, JDK 25"
sample_cost "$jdk25"

# ---------------------------------------------------------------------------- 1. overhead
# One JMH invocation = one fork of one (workload, mode, interval); all forks of a round run in a
# shuffled order, so that drifting background load hits every configuration alike, and each
# round has three "never" forks of the suite (first, middle, last) whose median is the round's
# baseline. ("never:N" numbers those forks; the engine is not loaded in them.)
overhead() {
  local home=$1 rounds=$2 suite=$3 breakdown_rounds=$4
  local f; f=$(feature_of "$home")
  local na; na="$(flags_for "$home") $(jmh_flags_for "$home")"
  for r in $(seq "$rounds"); do
    local items=()
    for c in $suite; do items+=("suite:$c"); done
    if [ "$r" -le "$breakdown_rounds" ]; then
      for b in $BREAKDOWN; do
        for c in never:0 started:$DEFAULT limited:$DEFAULT; do items+=("$b:$c"); done
      done
    fi
    mapfile -t items < <(printf '%s\n' "${items[@]}" \
      | awk -v seed="$((r * 7919 + f))" 'BEGIN{srand(seed)} {print rand() "\t" $0}' \
      | sort -g -k1,1 | cut -f2-)
    local half=$(( ${#items[@]} / 2 ))
    items=("suite:never:1" "${items[@]:0:$half}" "suite:never:2" "${items[@]:$half}" "suite:never:3")
    load "overhead-jdk$f-r$r"
    for it in "${items[@]}"; do
      IFS=: read -r bench mode iv <<< "$it"
      local args="-Xms2g -Xmx2g -XX:+UseG1GC $na"
      [ "$mode" = never ] || args="$args -Dorg.memproflimits.samplingInterval=$iv"
      local name="jdk$f-r$r-$bench-$mode-$iv"
      # shellcheck disable=SC2046
      timeout 300 "$home/bin/java" $(jmh_flags_for "$home") -jar "$jar" "OverheadBench\.$bench\$" -p mode="$mode" -f 1 \
        "${JMH_ITER[@]}" -prof gc -jvmArgsAppend "$args" \
        -rf json -rff "$out/overhead/$name.json" -o "$out/overhead/$name.txt"
      awk -v n="$name" '/^OverheadBench\.[a-zA-Z]+ +[a-z]+ +avgt/ {printf "  %-40s %10s %s\n", n, $5, $NF}' \
        "$out/overhead/$name.txt"
    done
  done
}

stamp "overhead, JDK 17"
overhead "$jdk17" "$OV_ROUNDS17" "$OV_SUITE17" "$OV_BREAKDOWN_ROUNDS17"
stamp "overhead, JDK 25"
overhead "$jdk25" "$OV_ROUNDS25" "$OV_SUITE25" "$OV_BREAKDOWN_ROUNDS25"

# ---------------------------------------------------------------------------- 2. latency
latency() {
  local home=$1 intervals=$2
  local f; f=$(feature_of "$home")
  for iv in $intervals; do
    local cmp=0
    [ "$iv" = "$DEFAULT" ] && cmp=$LAT_COMPARE_TRIALS
    load "latency-jdk$f-$iv"
    # shellcheck disable=SC2046
    timeout 900 "$home/bin/java" $(flags_for "$home") -Xms1g -Xmx1g -XX:+UseG1GC \
      -Dorg.memproflimits.samplingInterval="$iv" -cp "$jar" org.memproflimits.bench.LatencyBench \
      --out="$out" "${LAT_ARGS[@]}" --compare-trials="$cmp"
  done
}
stamp "latency, JDK 17"
latency "$jdk17" "$LAT_INTERVALS17"
stamp "latency, JDK 25"
latency "$jdk25" "$LAT_INTERVALS25"

# ---------------------------------------------------------------------------- 3. accuracy
accuracy() {
  local home=$1 threads=$2; shift 2
  local f; f=$(feature_of "$home")
  for spec in "$@"; do
    IFS=: read -r iv limits trials <<< "$spec"
    load "accuracy-jdk$f-$threads-$iv"
    # shellcheck disable=SC2046
    timeout 1200 "$home/bin/java" $(flags_for "$home") -Xms1g -Xmx1g -XX:+UseG1GC \
      -Dorg.memproflimits.samplingInterval="$iv" -cp "$jar" org.memproflimits.bench.AccuracyBench \
      --out="$out" --threads="$threads" --limits="$limits" --trials="$trials" \
      --budget-s="$ACC_BUDGET"
  done
}
stamp "accuracy, JDK 17 platform threads"
accuracy "$jdk17" platform "${ACC_PLATFORM17[@]}"
if [ ${#ACC_PLATFORM25[@]} -gt 0 ]; then
  stamp "accuracy, JDK 25 platform threads"
  accuracy "$jdk25" platform "${ACC_PLATFORM25[@]}"
fi
stamp "accuracy, JDK 25 virtual threads"
accuracy "$jdk25" virtual "${ACC_VIRTUAL25[@]}"

# ---------------------------------------------------------------------------- 4. heap bomb
for v in $BOMB_JDKS; do
  home=$jdk17; [ "$v" = 25 ] && home=$jdk25
  for gc in $BOMB_GCS; do
    stamp "heap bomb, JDK $v, $gc"
    load "heapbomb-jdk$v-$gc"
    # shellcheck disable=SC2046
    timeout 900 "$home/bin/java" $(flags_for "$home") -Xmx512m -XX:+Use${gc}GC -cp "$jar" \
      org.memproflimits.bench.HeapBombBench --out="$out" --trials="$BOMB_TRIALS"
  done
done

# ---------------------------------------------------------------------------- report
load "end"
echo "finished=$(date -u '+%Y-%m-%d %H:%M')" >> "$out/meta.txt"
docs=docs
[ "$profile" = full ] || docs=$out/docs
stamp "report -> $docs/performance.md"
timeout 300 "$jdk17/bin/java" -Djava.awt.headless=true -cp "$jar" \
  org.memproflimits.bench.report.Report --results="$out" --docs="$docs" \
  --command="scripts/bench.sh $profile"
stamp "done"
