package org.pgsteward.agent.metrics;

import java.util.Optional;
import org.pgsteward.agent.postgres.PgSnapshot;
import org.pgsteward.agent.postgres.StandbyInfo;
import org.pgsteward.protocol.Lsn;

/** A standby's lag as its primary sees it in pg_stat_replication: pure, from one probe of the primary. */
final class StandbyLag {

    private StandbyLag() {}

    /** The primary's current WAL position minus what the standby replayed; empty when either is unknown. */
    static Optional<Double> bytes(PgSnapshot primary, StandbyInfo standby) {
        Optional<Lsn> current = primary.currentLsn();
        if (current.isEmpty() || standby.replayLsn().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of((double) Math.max(0, current.get().value() - standby.replayLsn().get().value()));
    }

    /**
     * replay_lag; PostgreSQL shows none once a standby has replayed everything and no WAL is written for a while:
     * then 0, when it has replayed up to the primary's position.
     */
    static Optional<Double> seconds(PgSnapshot primary, StandbyInfo standby) {
        if (standby.replayLagSeconds().isPresent()) {
            return standby.replayLagSeconds();
        }
        return bytes(primary, standby).filter(b -> b == 0).map(b -> 0.0);
    }
}
