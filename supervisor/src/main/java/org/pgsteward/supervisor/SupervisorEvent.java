package org.pgsteward.supervisor;

import java.time.Instant;
import java.util.Optional;
import org.pgsteward.protocol.CborSerializable;

/** The supervisor's journal: each event is a fact it decided or learned, persisted before it acts. */
public sealed interface SupervisorEvent extends CborSerializable {

    Instant at();

    /** One line for `cluster event` and the log. */
    String describe();

    record MemberSeen(Instant at, int nodeId, String name, int priority, boolean witness) implements SupervisorEvent {
        @Override
        public String describe() {
            return "member " + name + " (id " + nodeId + ", priority " + priority + (witness ? ", witness" : "") + ") seen";
        }
    }

    /** A new incarnation adopted the highest epoch a majority of agents reported. */
    record EpochLearned(Instant at, long epoch, Optional<Integer> primaryId, String reason) implements SupervisorEvent {
        @Override
        public String describe() {
            return "learned epoch " + epoch + primaryId.map(p -> " (primary node " + p + ")").orElse("") + ": " + reason;
        }
    }

    /** An epoch reserved for a promotion attempt, before votes are asked: it is never reused. */
    record EpochReserved(Instant at, long epoch, int candidateId, String reason) implements SupervisorEvent {
        @Override
        public String describe() {
            return "epoch " + epoch + " reserved for promoting node " + candidateId + ": " + reason;
        }
    }

    /** A majority voted: {@code primaryId} is the primary of {@code epoch}. */
    record PrimaryChosen(Instant at, long epoch, int primaryId, String reason) implements SupervisorEvent {
        @Override
        public String describe() {
            return "node " + primaryId + " is primary in epoch " + epoch + ": " + reason;
        }
    }

    /** A step of a failover, switchover or decision, with how long it took. */
    record StepRecorded(Instant at, long epoch, String kind, boolean ok, String detail) implements SupervisorEvent {
        @Override
        public String describe() {
            return kind + (ok ? "" : " FAILED") + ": " + detail;
        }
    }

    /** The primary's synchronous standbys changed: remembered so a new incarnation knows whom it may promote. */
    record SyncStandbysSeen(Instant at, long epoch, java.util.List<String> names) implements SupervisorEvent {
        @Override
        public String describe() {
            return "synchronous standbys in epoch " + epoch + ": " + (names.isEmpty() ? "none" : String.join(", ", names));
        }
    }

    record PausedChanged(Instant at, boolean paused, String by) implements SupervisorEvent {
        @Override
        public String describe() {
            return (paused ? "automatic failover paused" : "automatic failover resumed") + " by " + by;
        }
    }

    /**
     * A new incarnation adopted the newest cluster record a majority of agents held (its journal may be another
     * host's, old, or empty): epoch, primary, paused, members and the synchronous set come from the record.
     */
    record RecordAdopted(Instant at, long term, long seq, org.pgsteward.protocol.cluster.ClusterRecord record, String reason)
            implements SupervisorEvent {
        @Override
        public String describe() {
            return "cluster record adopted (term " + term + ", version " + seq + "): epoch " + record.epoch()
                    + (record.primaryId() > 0 ? ", primary node " + record.primaryId() : "") + (record.paused() ? ", paused" : "")
                    + ", " + record.members().size() + " members" + (record.syncStandbys().isEmpty() ? ""
                    : ", synchronous set " + String.join(", ", record.syncStandbys())) + ": " + reason;
        }
    }

    /**
     * Synchronous mode: the standbys that may acknowledge commits (the names synchronous_standby_names admits). A name
     * is added before the primary names it and removed only after the primary no longer does.
     */
    record SyncSetRecorded(Instant at, long epoch, java.util.List<String> names, String reason) implements SupervisorEvent {
        @Override
        public String describe() {
            return "synchronous set in epoch " + epoch + ": " + (names.isEmpty() ? "none" : String.join(", ", names))
                    + " (" + reason + ")";
        }
    }
}
