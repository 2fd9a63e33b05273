package org.pgsteward.agent.postgres;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.pgsteward.protocol.Lsn;

/**
 * What one probe of one PostgreSQL server saw. When {@link #reachability()} is not
 * {@link Reachability#REACHABLE} only {@code error} and {@code probedAt} mean anything: the
 * other fields are neutral (false, 0, "", empty), see {@link #failed}.
 *
 * @param error            why the probe failed; never contains a password
 * @param serverVersionNum e.g. 150018 (90624 for 9.6.24)
 * @param timeline         current timeline. Primary: from the name of its current WAL file (exact
 *                         right after a promotion, unlike pg_control_checkpoint(), which waits for the
 *                         next checkpoint). Standby: the WAL receiver's received_tli when streaming,
 *                         else pg_control_checkpoint(); 0 when neither can be read (no privilege)
 * @param currentLsn       primary: pg_current_wal_lsn()
 * @param receivedLsn      standby: pg_last_wal_receive_lsn() (empty if nothing was streamed)
 * @param replayedLsn      standby: pg_last_wal_replay_lsn()
 * @param lastReplayTimestamp commit time of the last replayed transaction, pg_last_xact_replay_timestamp()
 * @param walReceiver      standby: its WAL receiver, when one is running
 * @param standbys         WAL senders on this server (pg_stat_replication)
 * @param settings         replication settings; present exactly when reachable
 */
public record PgSnapshot(Reachability reachability, Optional<String> error, Instant probedAt, boolean inRecovery,
                         int serverVersionNum, String serverVersion, long timeline, Optional<Lsn> currentLsn,
                         Optional<Lsn> receivedLsn, Optional<Lsn> replayedLsn, Optional<Instant> lastReplayTimestamp,
                         Optional<WalReceiverInfo> walReceiver, List<StandbyInfo> standbys,
                         Optional<ReplicationSettings> settings) {

    public PgSnapshot {
        Objects.requireNonNull(reachability);
        Objects.requireNonNull(error);
        Objects.requireNonNull(probedAt);
        Objects.requireNonNull(serverVersion);
        Objects.requireNonNull(currentLsn);
        Objects.requireNonNull(receivedLsn);
        Objects.requireNonNull(replayedLsn);
        Objects.requireNonNull(lastReplayTimestamp);
        Objects.requireNonNull(walReceiver);
        Objects.requireNonNull(settings);
        standbys = List.copyOf(standbys);
        if (reachability != Reachability.REACHABLE && error.isEmpty()) {
            throw new IllegalArgumentException("a " + reachability + " snapshot needs an error message");
        }
    }

    /** A probe that did not get the server's state. */
    public static PgSnapshot failed(Reachability reachability, String error, Instant probedAt) {
        if (reachability == Reachability.REACHABLE) {
            throw new IllegalArgumentException("a failed probe cannot be REACHABLE");
        }
        return new PgSnapshot(reachability, Optional.of(error), probedAt, false, 0, "", 0, Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), List.of(), Optional.empty());
    }

    /**
     * A standby's replay lag: WAL received but not yet replayed, in bytes; empty on a primary, when unreachable, or
     * before anything was streamed. (How far it is behind its primary is not known from its own probe.)
     */
    public Optional<Long> applyLagBytes() {
        if (!isReachable() || !inRecovery || receivedLsn.isEmpty() || replayedLsn.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(Math.max(0, receivedLsn.get().value() - replayedLsn.get().value()));
    }

    public boolean isReachable() {
        return reachability == Reachability.REACHABLE;
    }

    /** Reachable and accepting writes (not in recovery). */
    public boolean isPrimary() {
        return isReachable() && !inRecovery;
    }

    /** Reachable and in recovery. */
    public boolean isStandby() {
        return isReachable() && inRecovery;
    }

    /** A standby whose WAL receiver is streaming from an upstream. */
    public boolean isStreaming() {
        return isStandby() && walReceiver.map(WalReceiverInfo::isStreaming).orElse(false);
    }

    /**
     * How far this server's WAL goes, for comparing candidates: a primary's current LSN; for a
     * standby the later of received and replayed (received stays empty for WAL restored
     * from an archive, and replay can pass a receive position left over from an old stream).
     */
    public Optional<Lsn> bestLsn() {
        if (isPrimary()) {
            return currentLsn;
        }
        if (!isStandby()) {
            return Optional.empty();
        }
        if (receivedLsn.isPresent() && replayedLsn.isPresent()) {
            return Optional.of(Lsn.max(receivedLsn.get(), replayedLsn.get()));
        }
        return receivedLsn.or(() -> replayedLsn);
    }
}
