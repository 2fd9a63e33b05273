package org.pgsteward.agent.postgres;

import java.time.Duration;

/**
 * Bounds on one probe, so a dead or frozen server costs at most a few seconds.
 *
 * @param connect   TCP connect and login (pgjdbc connectTimeout and loginTimeout)
 * @param statement each query (server-side statement_timeout; the socket timeout is a little longer)
 */
public record ProbeTimeouts(Duration connect, Duration statement) {

    public ProbeTimeouts {
        if (connect.isNegative() || connect.isZero() || statement.isNegative() || statement.isZero()) {
            throw new IllegalArgumentException("probe timeouts must be positive: " + connect + ", " + statement);
        }
    }

    public static ProbeTimeouts defaults() {
        return new ProbeTimeouts(Duration.ofSeconds(3), Duration.ofSeconds(5));
    }
}
