#!/usr/bin/env bash
# Compiles the native shim for the platform Maven runs on. Arguments: JAVA_HOME, output dir.
set -euo pipefail
java_home=$1; out=$2
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "memprof-limits: no native build for $(uname -s)-$(uname -m) yet;" \
          "see core/pom.xml (native.dir) and NativeSampler.PLATFORMS to add one" >&2; exit 1 ;;
esac
mkdir -p "$out"
src=$(dirname "$0")/memproflimits.c
${CC:-gcc} -O2 -fPIC -shared -std=c11 -Wall -Wextra -Werror \
  -fvisibility=hidden -Wl,-z,noexecstack \
  -I"$java_home/include" -I"$java_home/include/linux" \
  -o "$out/libmemproflimits.so" "$src" -ldl
