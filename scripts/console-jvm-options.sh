# Sourced by the console's launchers (scripts/pgsteward; bin/pgsteward of an installation): the JVM options of a
# short-lived command line, chosen by scripts/bench-console (start to first output): C1 only (no C2 compiler
# threads for a run that never gets hot), the serial collector (no GC threads to start), the JDK's class data
# sharing archive.
console_jvm_options=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto)
