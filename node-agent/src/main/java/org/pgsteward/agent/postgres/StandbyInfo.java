package org.pgsteward.agent.postgres;

import java.util.Objects;
import java.util.Optional;
import org.pgsteward.protocol.Lsn;

/**
 * One WAL sender as the upstream sees it: a row of {@code pg_stat_replication}. Without
 * superuser or pg_read_all_stats PostgreSQL hides everything but the pid, hence the Optionals.
 *
 * @param applicationName the standby's application_name ("" when hidden or unset)
 * @param clientAddr      empty for a Unix-socket connection (or when hidden)
 * @param state           startup, catchup, streaming, backup, stopping
 * @param syncState       async, potential, sync, quorum
 * @param replayLagSeconds replay_lag (PostgreSQL >= 10; empty when PostgreSQL shows none)
 */
public record StandbyInfo(int pid, String applicationName, Optional<String> clientAddr, Optional<String> state,
                          Optional<Lsn> sentLsn, Optional<Lsn> writeLsn, Optional<Lsn> flushLsn,
                          Optional<Lsn> replayLsn, Optional<String> syncState, Optional<Double> replayLagSeconds) {

    /** Without a replay lag. */
    public StandbyInfo(int pid, String applicationName, Optional<String> clientAddr, Optional<String> state,
                       Optional<Lsn> sentLsn, Optional<Lsn> writeLsn, Optional<Lsn> flushLsn,
                       Optional<Lsn> replayLsn, Optional<String> syncState) {
        this(pid, applicationName, clientAddr, state, sentLsn, writeLsn, flushLsn, replayLsn, syncState, Optional.empty());
    }

    public StandbyInfo {
        Objects.requireNonNull(applicationName);
        Objects.requireNonNull(clientAddr);
        Objects.requireNonNull(state);
        Objects.requireNonNull(sentLsn);
        Objects.requireNonNull(writeLsn);
        Objects.requireNonNull(flushLsn);
        Objects.requireNonNull(replayLsn);
        Objects.requireNonNull(syncState);
        Objects.requireNonNull(replayLagSeconds);
    }

    public boolean isStreaming() {
        return state.filter("streaming"::equals).isPresent();
    }
}
