package org.pgsteward.agent.metadata;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One standby's latest replication state, upserted by its agent every monitor interval into the
 * primary's {@code monitoring} table. WAL locations are in PostgreSQL's text form ({@code 0/3000060}).
 * The sample time is not carried: the storing server's clock stamps it, so {@code time_lag}
 * compares times of one clock.
 *
 * @param primaryLocation      the primary's current WAL location ({@code pg_current_wal_lsn()})
 * @param receivedLocation     {@code pg_last_wal_receive_lsn()} on the standby; empty when it has
 *                             not streamed since it started
 * @param replayLocation       {@code pg_last_wal_replay_lsn()} on the standby
 * @param lastReplayTimestamp  {@code pg_last_xact_replay_timestamp()}; empty when nothing was replayed yet
 */
public record MonitoringSample(
        int standbyNode,
        int primaryNode,
        String primaryLocation,
        Optional<String> receivedLocation,
        String replayLocation,
        Optional<Instant> lastReplayTimestamp) {

    private static final Pattern LSN = Pattern.compile("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}");

    public MonitoringSample {
        requireLsn("primaryLocation", primaryLocation);
        Objects.requireNonNull(receivedLocation, "receivedLocation").ifPresent(l -> requireLsn("receivedLocation", l));
        requireLsn("replayLocation", replayLocation);
        Objects.requireNonNull(lastReplayTimestamp, "lastReplayTimestamp");
    }

    private static void requireLsn(String what, String lsn) {
        Objects.requireNonNull(lsn, what);
        if (!LSN.matcher(lsn).matches()) {
            throw new IllegalArgumentException(what + " is not a WAL location like 0/3000060: \"" + lsn + "\"");
        }
    }
}
