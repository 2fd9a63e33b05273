package org.pgsteward.protocol.cluster;

import java.util.List;
import java.util.Optional;
import org.pgsteward.protocol.CborSerializable;

/**
 * An agent's state, sent to the supervisor every monitor interval (and on request).
 *
 * @param seq               increases with every report of this agent incarnation (lease requests refer to it)
 * @param incarnation       random per agent process start
 * @param acceptedEpoch     the highest epoch this agent has accepted (persisted with fsync)
 * @param epochPrimaryId    the primary of that epoch as the agent knows it (0: none)
 * @param witness           a witness agent (no PostgreSQL)
 * @param priority          node.priority; 0 = never promoted automatically
 * @param conninfo          how others reach this node's PostgreSQL (no password)
 * @param pg                what its PostgreSQL does
 * @param localRecovery     crash-restart state when {@code pg} is DOWN
 * @param timeline          its timeline, when running
 * @param currentLsn        the primary's current WAL position (LSN text)
 * @param receivedLsn       a standby's received WAL position
 * @param replayedLsn       a standby's replayed WAL position
 * @param streamingFrom     a standby's upstream "host:port" while it streams
 * @param primaryReachable  a standby's view of the registered primary's PostgreSQL: empty when it did not look
 * @param primaryUnreachableMillis how long both halves of the failure evidence have held for this standby without a
 *                          break: its ping finds the primary's PostgreSQL unreachable and the primary's agent has
 *                          been silent (0 when reachable or unknown); lets a new supervisor incarnation weigh old
 *                          evidence
 * @param syncStandbys      on a primary: application_names of standbys with sync_state 'sync' or 'quorum'
 * @param leaseHeld         the agent holds an unexpired primary lease
 * @param detail            a short human explanation (e.g. the last probe error)
 * @param highestSeenEpoch  the highest epoch this agent accepted or voted in: a supervisor reserves above it
 * @param recordTerm        the highest cluster-record term this agent promised: a new incarnation takes a higher one
 */
public record NodeReport(
        int nodeId,
        String nodeName,
        long seq,
        String incarnation,
        long acceptedEpoch,
        int epochPrimaryId,
        boolean witness,
        int priority,
        String conninfo,
        PgState pg,
        LocalRecovery localRecovery,
        Optional<Long> timeline,
        Optional<String> currentLsn,
        Optional<String> receivedLsn,
        Optional<String> replayedLsn,
        Optional<String> streamingFrom,
        Optional<Boolean> primaryReachable,
        long primaryUnreachableMillis,
        List<String> syncStandbys,
        boolean leaseHeld,
        String detail,
        long highestSeenEpoch,
        long recordTerm) implements CborSerializable {

    public NodeReport {
        syncStandbys = List.copyOf(syncStandbys);
    }
}
