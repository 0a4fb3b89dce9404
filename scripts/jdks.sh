# Sourced by the scripts that run on both JDKs: defines feature_of and sets jdk17 and jdk25
# (JDK17_HOME / JDK25_HOME, or the first of each found under /usr/lib/jvm); exits if one is
# missing, naming the calling script.
feature_of() {   # the Java feature version of the JDK at $1
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p'
}
jdk17=${JDK17_HOME:-}
jdk25=${JDK25_HOME:-}
for d in /usr/lib/jvm/*; do
  [ -x "$d/bin/javac" ] || continue
  case "$(feature_of "$d")" in
    17) [ -n "$jdk17" ] || jdk17=$d ;;
    25) [ -n "$jdk25" ] || jdk25=$d ;;
  esac
done
[ -n "$jdk17" ] || { echo "$(basename "$0"): no JDK 17 found under /usr/lib/jvm (set JDK17_HOME)" >&2; exit 1; }
[ -n "$jdk25" ] || { echo "$(basename "$0"): no JDK 25 found under /usr/lib/jvm (set JDK25_HOME)" >&2; exit 1; }
