package org.pgsteward.agent.postgres;

import java.time.Duration;

/**
 * Every timeout of the PostgreSQL control layer in one place.
 *
 * @param start     pg_ctl start -w (includes crash recovery)
 * @param stop      pg_ctl stop -w; past it an immediate stop, then SIGKILL, is tried when fencing
 * @param promote   pg_ctl promote -w (until out of recovery)
 * @param quick     status, reload, version checks
 * @param initdb    initdb
 */
public record PgTimeouts(Duration start, Duration stop, Duration promote, Duration quick, Duration initdb) {

    public static PgTimeouts defaults() {
        return new PgTimeouts(Duration.ofSeconds(120), Duration.ofSeconds(60), Duration.ofSeconds(60),
                Duration.ofSeconds(15), Duration.ofSeconds(120));
    }

    /** pg_ctl's -t takes whole seconds. */
    static String seconds(Duration d) {
        return Long.toString(Math.max(1, (d.toMillis() + 999) / 1000));
    }
}
