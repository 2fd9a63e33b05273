package org.pgsteward.agent.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Turns a cloned data directory into a running standby the way the caller (RecoveryConfig)
 * will: standby.signal plus primary_conninfo, port and socket directory in
 * postgresql.auto.conf. Also polls for a condition with a deadline.
 */
public final class Standbys {

    private Standbys() {}

    /** Configures {@code standby}'s cloned data directory to stream from {@code primary} and starts it. */
    public static void startAsStandby(PgTestInstance standby, PgTestInstance primary) {
        Path data = standby.dataDir();
        try {
            Path signal = data.resolve("standby.signal");
            Files.writeString(signal, "");
            PgTestEnvironment.handOver(signal);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        standby.appendConf("postgresql.auto.conf", String.join("\n",
                "",
                "primary_conninfo = '" + primary.conninfo() + " application_name=" + standby.name() + "'",
                "port = " + standby.port(),
                "unix_socket_directories = '" + standby.dir() + "'",
                ""));
        standby.pgCtl().start();
    }

    /** Polls {@code actual} until it equals {@code expected} or the deadline passes. */
    public static <T> void await(String what, Duration timeout, T expected, Supplier<T> actual) {
        Poll.until(what + ": " + expected, timeout, actual, v -> Objects.equals(expected, v));
    }

    /** Rows of a one-column query as a list, for {@link #await}. */
    public static Supplier<List<String>> rows(PgTestInstance pg, String sql) {
        return () -> pg.query(sql);
    }
}
