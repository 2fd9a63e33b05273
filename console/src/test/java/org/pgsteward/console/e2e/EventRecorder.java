package org.pgsteward.console.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * An events.command for end-to-end tests: a script that appends its arguments, one line per call (elements joined by
 * " | "), to events-NODEID.log in its directory; every agent of a test names the same script.
 */
final class EventRecorder {

    private final Path dir;
    private final Path script;

    EventRecorder(Path dir) {
        this.dir = dir;
        this.script = dir.resolve("record-event");
        try {
            Files.writeString(script, """
                    #!/bin/sh
                    # events.command [%n, %e, %s, %t, %d]: one line per call, in events-<node id>.log
                    out="$(dirname "$0")/events-$1.log"
                    first=1
                    for a in "$@"; do
                      if [ $first = 1 ]; then printf '%s' "$a" >> "$out"; first=0; else printf ' | %s' "$a" >> "$out"; fi
                    done
                    echo >> "$out"
                    """);
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The HOCON for every agent: all five placeholders. */
    String hocon() {
        return "events { command = [\"" + script + "\", \"%n\", \"%e\", \"%s\", \"%t\", \"%d\"] }\n";
    }

    /** The lines recorded for node {@code id} so far ("ID | EVENT | 1 | TIMESTAMP | DETAILS"). */
    List<String> lines(int id) {
        Path f = dir.resolve("events-" + id + ".log");
        try {
            return Files.exists(f) ? Files.readAllLines(f) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether node {@code id} recorded {@code event} with success {@code ok}. */
    boolean recorded(int id, String event, boolean ok) {
        return lines(id).stream().anyMatch(l -> l.startsWith(id + " | " + event + " | " + (ok ? "1" : "0") + " | "));
    }
}
