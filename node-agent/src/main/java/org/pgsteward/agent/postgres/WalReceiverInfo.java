package org.pgsteward.agent.postgres;

import java.util.Objects;
import java.util.Optional;
import org.pgsteward.protocol.Lsn;

/**
 * A standby's WAL receiver: the row of {@code pg_stat_wal_receiver}. Without superuser or
 * pg_read_all_stats PostgreSQL shows only the pid, hence the Optionals.
 *
 * @param status       stopped, starting, streaming, waiting, restarting, stopping
 * @param senderHost   upstream host actually connected to (PostgreSQL 11+)
 * @param senderPort   upstream port actually connected to (PostgreSQL 11+)
 * @param conninfo     the connection string in use, password already masked by PostgreSQL
 * @param receivedTli  timeline of the last WAL received and flushed
 * @param flushedLsn   last WAL flushed to disk ({@code received_lsn} before PostgreSQL 13)
 * @param latestEndLsn last WAL location reported back to the upstream
 */
public record WalReceiverInfo(int pid, Optional<String> status, Optional<String> senderHost,
                              Optional<Integer> senderPort, Optional<String> conninfo, Optional<Long> receivedTli,
                              Optional<Lsn> flushedLsn, Optional<Lsn> latestEndLsn, Optional<String> slotName) {

    public WalReceiverInfo {
        Objects.requireNonNull(status);
        Objects.requireNonNull(senderHost);
        Objects.requireNonNull(senderPort);
        Objects.requireNonNull(conninfo);
        Objects.requireNonNull(receivedTli);
        Objects.requireNonNull(flushedLsn);
        Objects.requireNonNull(latestEndLsn);
        Objects.requireNonNull(slotName);
    }

    public boolean isStreaming() {
        return status.filter("streaming"::equals).isPresent();
    }
}
