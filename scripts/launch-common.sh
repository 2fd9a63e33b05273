# Sourced by the source-tree launchers: builds on first use, then runs a module's jar, whose manifest names its
# dependencies in <module>/target/lib.
# usage: launch MODULE MAIN_CLASS JAVA_OPTION... -- ARGS...
launch() {
  local module=$1 main=$2; shift 2
  local opts=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  local root; root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  local jar
  jar=$(ls "$root/$module/target/$module"-*.jar 2>/dev/null | grep -v -- '-tests\.jar$' | head -1 || true)
  if [ -z "$jar" ] || [ ! -d "$root/$module/target/lib" ]; then
    echo "pgsteward: building (first use)..." >&2
    "$root/scripts/build" >&2
    jar=$(ls "$root/$module/target/$module"-*.jar | grep -v -- '-tests\.jar$' | head -1)
  fi
  local java=java
  [ -n "${JAVA_HOME:-}" ] && java="$JAVA_HOME/bin/java"
  # shellcheck disable=SC2086
  exec "$java" "${opts[@]}" ${PGSTEWARD_JAVA_OPTS:-} -cp "$jar" "$main" "$@"
}
