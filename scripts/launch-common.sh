# Sourced by the launchers: builds on first use, then runs a main class on the module's classpath.
# usage: launch MODULE MAIN_CLASS ARGS...
launch() {
  local module=$1 main=$2; shift 2
  local root; root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  local jar="$root/$module/target/$module-0.1.0-SNAPSHOT.jar"
  if [ ! -f "$jar" ] || [ ! -d "$root/$module/target/lib" ]; then
    echo "pgsteward: building (first use)..." >&2
    "$root/scripts/build" >&2
  fi
  local java=java
  [ -n "${JAVA_HOME:-}" ] && java="$JAVA_HOME/bin/java"
  # shellcheck disable=SC2086
  exec "$java" ${PGSTEWARD_JAVA_OPTS:-} -cp "$jar:$root/$module/target/lib/*" "$main" "$@"
}
