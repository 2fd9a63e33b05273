# Sourced by the launchers: builds on first use, then runs a main class on the module's classpath.
# usage: launch MODULE MAIN_CLASS ARGS...
# The agent's JVM options come from conf/agent.jvm-options (one option per line, # comments; installed packages read
# /etc/pgsteward/agent.jvm-options); PGSTEWARD_JAVA_OPTS (split on spaces) comes after them and so overrides them.
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
  local -a opts=()
  if [ "$module" = node-agent ]; then
    [ -f "$root/conf/agent.jvm-options" ] && read_jvm_options "$root/conf/agent.jvm-options" opts
    # glibc makes up to 8 malloc arenas a core, each holding freed memory: two are plenty for the agent's threads
    export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
  fi
  # shellcheck disable=SC2086
  exec "$java" "${opts[@]}" ${PGSTEWARD_JAVA_OPTS:-} -cp "$jar:$root/$module/target/lib/*" "$main" "$@"
}

# read_jvm_options FILE ARRAY: appends each option of FILE (one a line, surrounding blanks trimmed; blank lines and
# lines starting with # skipped) to the array named ARRAY, one element per line (an option may hold spaces).
read_jvm_options() {
  local file=$1 line
  local -n into=$2
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line%"${line##*[![:space:]]}"}"
    [ -z "$line" ] || [ "${line:0:1}" = "#" ] && continue
    into+=("$line")
  done < "$file"
}
