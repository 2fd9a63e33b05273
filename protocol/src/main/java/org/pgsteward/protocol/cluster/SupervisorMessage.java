package org.pgsteward.protocol.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.pgsteward.protocol.CborSerializable;

/**
 * What agents (and, through them, the console) tell the supervisor singleton, and its typed answers. The agent
 * side switches on {@link PrimaryAnswer.Refused#why()}, never on the text, which is for people.
 */
public sealed interface SupervisorMessage extends CborSerializable {

    /** Every agent, every monitor interval. */
    record Report(NodeReport report, ActorRef<AgentCommand> agent, ActorRef<LeaseMessage> lease)
            implements SupervisorMessage {}

    /**
     * An agent asks to become primary: after `primary register` (no primary yet) or for a manual
     * `standby promote`. The answer comes once a majority voted for the new epoch.
     */
    record RequestPrimary(int nodeId, String why, boolean force, ActorRef<PrimaryAnswer> replyTo)
            implements SupervisorMessage {}

    record SetPaused(boolean paused, String by, ActorRef<View> replyTo) implements SupervisorMessage {}

    /**
     * A planned, lossless swap: the primary checkpoints and stops cleanly, {@code candidateId} is
     * verified to have received its final LSN, is promoted, and the old primary rejoins as its
     * standby. Before the vote, any failure rolls back (the old primary starts again).
     */
    record Switchover(int candidateId, ActorRef<PrimaryAnswer> replyTo) implements SupervisorMessage {}

    record GetView(ActorRef<View> replyTo) implements SupervisorMessage {}

    /** The answer to {@link RequestPrimary} and {@link Switchover}. */
    sealed interface PrimaryAnswer extends CborSerializable {

        long epoch();

        /** For people: what happened. */
        String text();

        /** {@code epoch}'s primary is the requester (or the switchover is done). */
        record Granted(long epoch, String text) implements PrimaryAnswer {}

        /** Not done; {@code why} says whether asking again can help. */
        record Refused(long epoch, Refusal why, String text) implements PrimaryAnswer {}
    }

    /** Why a request was not done. */
    enum Refusal {
        /** A new supervisor incarnation has not read the cluster state from a majority yet: ask again. */
        STATE_NOT_KNOWN_YET,
        /** Another promotion or switchover runs: ask again once it is done. */
        BUSY,
        /** Fresh reports from less than a majority of agents: ask again. */
        NO_MAJORITY,
        /** The registered primary's last report says it serves: stop it first, or force. */
        OLD_PRIMARY_RUNNING,
        /** A switchover needs a running primary. */
        NO_RUNNING_PRIMARY,
        /** A switchover candidate must stream from the primary. */
        NOT_A_STREAMING_STANDBY,
        /** The switchover candidate is the primary already. */
        ALREADY_PRIMARY,
        /** The supervisor cannot run now (its journal fails): ask again later. */
        SUPERVISOR_DOWN,
        /** A step of the promotion or switchover failed or timed out. */
        FAILED
    }

    /** What the last decision was, beside its text. */
    enum DecisionKind {
        STARTING, LEARNING, NO_MAJORITY, NOT_READY, HEALTHY, WAIT_FOR_EVIDENCE, WAIT_FOR_LEASE, PAUSED, REPORT_ONLY,
        NO_CANDIDATE, PROMOTE, NOT_RUNNING
    }

    /**
     * What `cluster show` and `cluster event` show of the supervisor. {@code warnings}: what keeps it from working
     * (its journal failing), added by the supervisor's guard.
     */
    record View(long epoch, Optional<Integer> primaryId, boolean paused, boolean stateKnown, String mode,
                DecisionKind decisionKind, String lastDecision, Optional<String> operation, List<String> history,
                List<String> warnings) implements CborSerializable {

        public View withWarnings(List<String> more) {
            List<String> all = new ArrayList<>(warnings);
            all.addAll(more);
            return new View(epoch, primaryId, paused, stateKnown, mode, decisionKind, lastDecision, operation, history,
                    List.copyOf(all));
        }
    }
}
