# Sourced by the console's launchers (scripts/pgsteward; bin/pgsteward of an installation): the JVM options of a
# short-lived command line, chosen by scripts/bench-console (start to first output): C1 only (no C2 compiler
# threads for a run that never gets hot), the serial collector (no GC threads to start), class data sharing with an
# archive of the console's own classes when there is one (AppCDS, made by console_cds_archive), the JVM's warnings
# on stderr (stdout is the console's, e.g. --json) and none about a stale archive (it is then just not used).
console_jvm_options=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -Xlog:disable -Xlog:all=warning,cds*=off:stderr)

# usage: console_use_cds_archive FILE   adds the archive to console_jvm_options when it exists
console_use_cds_archive() {
  [ -f "$1" ] && console_jvm_options+=("-XX:SharedArchiveFile=$1")
  return 0
}

# usage: console_cds_archive FILE JAR   writes the AppCDS archive of a console run from JAR (the same path the
# launcher gives -cp: the JVM uses an archive only for the classpath, and jar files, it was made with)
console_cds_archive() {
  local archive=$1 jar=$2 java=java tmp
  [ -n "${JAVA_HOME:-}" ] && java="$JAVA_HOME/bin/java"
  tmp=$(mktemp -d)
  # a command that reads a file, builds the JSON mapper and connects (refused: port 1), so those classes are in it
  printf 'pgsteward { cluster = "cds", node { id = 1, conninfo = "host=127.0.0.1" }, agent { http = "127.0.0.1:1", state-dir = "%s" } }\n' \
    "$tmp/state" >"$tmp/cds.conf"
  rm -f "$archive"
  "$java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xlog:disable -XX:ArchiveClassesAtExit="$archive" -cp "$jar" \
    org.pgsteward.console.Main -f "$tmp/cds.conf" cluster show >/dev/null 2>&1 || true
  rm -rf "$tmp"
  [ -f "$archive" ]
}
