package org.pgsteward.agent.ops;

import java.time.Duration;
import java.util.List;
import org.pgsteward.protocol.Lsn;

/** The steps the cluster link runs on this node's PostgreSQL, for the supervisor or by its own local decisions. */
public sealed interface ClusterStep extends Work {

    /** Labels of the steps that leave PostgreSQL running as it is (the cluster link tells them apart by these). */
    String SET_SYNC = "cluster set-sync";
    String AWAIT_LSN = "cluster await-lsn";

    /** pg_ctl promote; answers with the promotion LSN. */
    /** @param epoch the epoch the supervisor decided this promotion in */
    record Promote(long epoch) implements ClusterStep {
        @Override
        public String label() {
            return "cluster promote";
        }
    }

    /** Re-point this standby at {@code primaryConninfo} (no password: this node's credentials are added). */
    record Follow(String primaryConninfo) implements ClusterStep {
        @Override
        public String label() {
            return "cluster follow";
        }
    }

    /** A fenced former primary: rewind (or re-clone) and start as a standby of {@code primaryConninfo}. */
    record Rejoin(String primaryConninfo) implements ClusterStep {
        @Override
        public String label() {
            return "cluster rejoin";
        }
    }

    /** Start the local PostgreSQL again (a crashed primary, or the end of a fence). */
    record LocalRestart() implements ClusterStep {
        @Override
        public String label() {
            return "local restart";
        }
    }

    /** On the primary: synchronous_standby_names = FIRST 1 (names); empty: asynchronous. */
    record SetSync(List<String> names) implements ClusterStep {
        public SetSync {
            names = List.copyOf(names);
        }

        @Override
        public String label() {
            return SET_SYNC;
        }
    }

    /** Switchover, on the old primary: checkpoint, stop cleanly; answers with the final LSN. */
    record StopForSwitchover() implements ClusterStep {
        @Override
        public String label() {
            return "cluster stop-for-switchover";
        }
    }

    /** Switchover rollback, on the old primary: start again as primary. */
    record Resume() implements ClusterStep {
        @Override
        public String label() {
            return "cluster restart-primary";
        }
    }

    /** Switchover, on the candidate: done once it has received up to {@code lsn}, failed after {@code timeout}. */
    record AwaitLsn(Lsn lsn, Duration timeout) implements ClusterStep {
        @Override
        public String label() {
            return AWAIT_LSN;
        }
    }
}
