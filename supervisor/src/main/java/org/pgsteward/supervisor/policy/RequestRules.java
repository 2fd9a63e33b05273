package org.pgsteward.supervisor.policy;

import java.util.Optional;
import org.pgsteward.protocol.cluster.NodeReport;
import org.pgsteward.protocol.cluster.PgState;
import org.pgsteward.protocol.cluster.SupervisorMessage.PrimaryAnswer;
import org.pgsteward.protocol.cluster.SupervisorMessage.Refusal;

/**
 * Whether the supervisor takes up a request for a new primary ({@code primary register}, {@code standby promote}) or a
 * switchover, or answers it at once. Pure: the supervisor passes what it knows; a report is passed only when it is
 * fresh (its agent counts as heard).
 */
public final class RequestRules {

    private RequestRules() {}

    /**
     * What the supervisor knows when a request arrives.
     *
     * @param learning   while the state is not known: what it is learning (the last decision's text)
     * @param busy       the operation in progress, described
     * @param noMajority why it does not hear a majority, if it does not
     */
    public record Situation(boolean stateKnown, String learning, Optional<String> busy, Optional<String> noMajority,
                            long epoch, Optional<Integer> primaryId) {}

    /**
     * The answer to give at once to node {@code nodeId} asking to be primary, or empty when a new epoch is to be
     * reserved and voted on.
     *
     * @param oldPrimary the registered primary's fresh report, if any
     */
    public static Optional<PrimaryAnswer> requestPrimary(Situation s, int nodeId, boolean force,
                                                         Optional<NodeReport> oldPrimary) {
        long e = s.epoch();
        if (!s.stateKnown()) {
            return refused(e, Refusal.STATE_NOT_KNOWN_YET, s.learning() + "; retry in a moment");
        }
        if (s.busy().isPresent()) {
            return refused(e, Refusal.BUSY, "busy: " + s.busy().get());
        }
        if (s.noMajority().isPresent()) {
            return refused(e, Refusal.NO_MAJORITY, s.noMajority().get() + "; retry in a moment");
        }
        if (s.primaryId().equals(Optional.of(nodeId))) {
            return Optional.of(new PrimaryAnswer.Granted(e, "node " + nodeId + " is primary in epoch " + e));
        }
        if (s.primaryId().isPresent() && !force && oldPrimary.map(r -> r.pg() == PgState.PRIMARY).orElse(false)) {
            return refused(e, Refusal.OLD_PRIMARY_RUNNING, "node " + s.primaryId().get() + " is the running primary of "
                    + "epoch " + e + "; stop it first (or use -F)");
        }
        return Optional.empty();
    }

    /**
     * The refusal of a switchover to {@code candidateId}, or empty when it may start.
     *
     * @param primary   the registered primary's fresh report, if any
     * @param candidate the candidate's fresh report, if any
     */
    public static Optional<PrimaryAnswer.Refused> switchover(Situation s, int candidateId, Optional<NodeReport> primary,
                                                             Optional<NodeReport> candidate) {
        long e = s.epoch();
        Optional<PrimaryAnswer.Refused> r = Optional.empty();
        if (!s.stateKnown()) {
            r = refusal(e, Refusal.STATE_NOT_KNOWN_YET, s.learning());
        } else if (s.busy().isPresent()) {
            r = refusal(e, Refusal.BUSY, "busy: " + s.busy().get());
        } else if (s.noMajority().isPresent()) {
            r = refusal(e, Refusal.NO_MAJORITY, s.noMajority().get());
        } else if (s.primaryId().isEmpty() || primary.map(p -> p.pg() != PgState.PRIMARY).orElse(true)) {
            r = refusal(e, Refusal.NO_RUNNING_PRIMARY, "no running primary to switch over from");
        } else if (s.primaryId().get() == candidateId) {
            r = refusal(e, Refusal.ALREADY_PRIMARY, "node " + candidateId + " is already the primary");
        } else if (candidate.map(c -> c.pg() != PgState.STANDBY || c.streamingFrom().isEmpty()).orElse(true)) {
            r = refusal(e, Refusal.NOT_A_STREAMING_STANDBY, "node " + candidateId + " is not a streaming standby");
        }
        return r.map(x -> new PrimaryAnswer.Refused(x.epoch(), x.why(), "switchover refused: " + x.text()));
    }

    private static Optional<PrimaryAnswer> refused(long epoch, Refusal why, String text) {
        return Optional.of(new PrimaryAnswer.Refused(epoch, why, text));
    }

    private static Optional<PrimaryAnswer.Refused> refusal(long epoch, Refusal why, String text) {
        return Optional.of(new PrimaryAnswer.Refused(epoch, why, text));
    }
}
