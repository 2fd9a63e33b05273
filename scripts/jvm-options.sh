# Sourced by the agent's launchers (scripts/pgsteward-agent, and bin/pgsteward-agent of an installation):
# reads a JVM options file, one option per line; blank lines and lines starting with # are skipped; no quoting,
# no variables: a line is passed to java as one argument, as written (without surrounding blanks).
# usage: read_jvm_options FILE  -> fills the array jvm_options (empty when FILE does not exist)
read_jvm_options() {
  jvm_options=()
  local file=$1 line
  [ -f "$file" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line%"${line##*[![:space:]]}"}"
    case "$line" in ''|'#'*) continue ;; esac
    jvm_options+=("$line")
  done <"$file"
}
