package org.pgsteward.supervisor.promotion;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.pgsteward.protocol.Lsn;
import org.pgsteward.protocol.cluster.StepResult;

/**
 * An attempt to install a primary, as a value: from the clean stop of a switchover's old primary, or from the
 * reserved epoch, to the followers' answers. Pure, like {@code FailoverPolicy} and {@code ChosenPrimaryWatch}: each
 * transition takes what arrived (a step's result, a vote, the time) and returns a {@link Next} naming what the
 * supervisor does now (a message to send, an event to persist, an answer to the console) and the promotion to keep
 * (none once it ended). The supervisor actor only carries the {@code Next} out.
 *
 * <p>The phases, in order: a switchover first stops the old primary cleanly ({@link Phase.StoppingOld}) and has the
 * candidate confirm it received the final LSN ({@link Phase.CatchingUp}); any failure before the vote rolls it back
 * ({@link Phase.ResumingOld}: the old primary starts again). Then the epoch is voted for ({@link Phase.Voting}); with
 * a majority the candidate is told to promote ({@link Phase.Promoting}); once it did, the other nodes are told to
 * follow it ({@link Phase.Following}) and the promotion ends with their last answer. Each phase has a time limit
 * ({@link #onTimeout}).
 */
public record Promotion(String id, Kind kind, long epoch, int candidateId, Optional<Integer> oldPrimaryId, String reason,
                        long startedNanos, Optional<Long> failedSinceNanos, Optional<Integer> replacedPrimaryId,
                        Phase phase, long phaseStartedNanos, List<String> steps) {

    /** Who started it, which decides who hears the result. */
    public enum Kind {
        /** The supervisor's failover decision (or a replacement of a chosen primary that never ran). */
        FAILOVER,
        /** A chosen primary running as a standby, told to promote again in its epoch (no vote). */
        RETRY,
        /** An agent asked for its node to become primary ({@code standby promote}): it promotes itself once granted. */
        REQUESTED,
        /** A planned switchover: the console hears each failure and the end. */
        SWITCHOVER
    }

    /** Where the attempt stands, with what that phase waits for. */
    public sealed interface Phase {
        record StoppingOld() implements Phase {}

        record CatchingUp(Lsn finalLsn) implements Phase {}

        record Voting(Set<Integer> votes) implements Phase {}

        /** The candidate told to promote: {@code incarnation}, its agent incarnation that was told. */
        record Promoting(String incarnation) implements Phase {}

        /** The nodes told to follow (or rejoin) that have not answered, each with the agent incarnation told. */
        record Following(Map<Integer, Follower> awaiting) implements Phase {}

        record ResumingOld(String rollbackDetail) implements Phase {}

        /** For people: stopping_old, catching_up, voting, promoting, following, resuming_old. */
        default String label() {
            return getClass().getSimpleName().replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase();
        }
    }

    /**
     * A node told to follow the promoted candidate ({@code rejoin}: told to rejoin it, as a switchover's old primary
     * or a replaced chosen primary is), and the agent incarnation that was told: a new incarnation never got it.
     */
    public record Follower(String incarnation, boolean rejoin) {}

    /** What to do now, and the promotion to keep ({@link #promotion} empty: it ended). */
    public sealed interface Next {
        Optional<Promotion> promotion();

        /** A transition after which the promotion goes on, as {@link #p}. */
        sealed interface Goes extends Next {
            Promotion p();

            default Optional<Promotion> promotion() {
                return Optional.of(p());
            }
        }

        /** A transition that ends the promotion. */
        sealed interface Ends extends Next {
            default Optional<Promotion> promotion() {
                return Optional.empty();
            }
        }

        /** Nothing to do yet. */
        record Stay(Promotion p) implements Goes {}

        /** The old primary stopped cleanly at {@code finalLsn}: ask the candidate to confirm it received it. */
        record AwaitFinalLsn(Promotion p, Lsn finalLsn) implements Goes {}

        /** The candidate has everything: reserve the epoch (persisted) and ask for votes. */
        record ReserveEpoch(Promotion p) implements Goes {}

        /** A switchover step failed before the vote: tell the old primary to start again as primary. */
        record RollBack(Promotion p, String detail) implements Goes {}

        /** The rollback ended ({@code restarted}: the old primary runs again); the switchover reports it failed. */
        record RolledBack(boolean restarted, String detail) implements Ends {}

        /** A majority voted: the candidate is the epoch's primary (persisted) and promotes. */
        record Chosen(Promotion p, String why, long votedMillis) implements Goes {}

        /** The promote step failed ({@code refused}: the node cannot take it at all); the attempt ends. */
        record PromoteFailed(int nodeId, boolean refused, String message, String detail) implements Ends {}

        /** The candidate promoted: the others are to follow it (see {@link #following}). */
        record Promoted(Promotion p, int nodeId, String detail) implements Goes {}

        /** One node answered its follow (or rejoin); {@code done}: it was the last one, the attempt ended. */
        record Followed(Promotion p, boolean done, boolean ok, String detail) implements Next {
            public Optional<Promotion> promotion() {
                return done ? Optional.empty() : Optional.of(p);
            }
        }

        /** The phase ({@link Phase#label}) ran out of time; the attempt ends. */
        record TimedOut(String phase, String detail) implements Ends {}
    }

    // ------------------------------------------------------------------ how one starts

    /** A failover decided by the supervisor (or the replacement of {@code replaced}): votes first. */
    public static Promotion failover(long epoch, int candidateId, Optional<Integer> oldPrimaryId, String reason,
                                     Optional<Long> failedSinceNanos, Optional<Integer> replaced, long nowNanos) {
        return start(Kind.FAILOVER, epoch, candidateId, oldPrimaryId, reason, failedSinceNanos, replaced,
                new Phase.Voting(Set.of()), nowNanos);
    }

    /** The chosen primary of {@code epoch} runs as a standby: it is told to promote again, no vote needed. */
    public static Promotion retry(long epoch, int primaryId, String why, String incarnation, long nowNanos) {
        return start(Kind.RETRY, epoch, primaryId, Optional.empty(), why, Optional.empty(), Optional.empty(),
                new Phase.Promoting(incarnation), nowNanos);
    }

    /** A node's agent asked to become primary: votes first, then the agent promotes itself. */
    public static Promotion requested(long epoch, int nodeId, Optional<Integer> oldPrimaryId, String why, long nowNanos) {
        return start(Kind.REQUESTED, epoch, nodeId, oldPrimaryId, why, Optional.empty(), Optional.empty(),
                new Phase.Voting(Set.of()), nowNanos);
    }

    /** A switchover from {@code oldPrimaryId} to {@code candidateId}: the old primary stops cleanly first. */
    public static Promotion switchover(long epoch, int candidateId, int oldPrimaryId, long nowNanos) {
        return start(Kind.SWITCHOVER, epoch, candidateId, Optional.of(oldPrimaryId), "switchover from node " + oldPrimaryId
                + " to node " + candidateId, Optional.empty(), Optional.empty(), new Phase.StoppingOld(), nowNanos);
    }

    private static Promotion start(Kind kind, long epoch, int candidateId, Optional<Integer> oldPrimaryId, String reason,
                                   Optional<Long> failedSinceNanos, Optional<Integer> replaced, Phase phase, long nowNanos) {
        return new Promotion(UUID.randomUUID().toString(), kind, epoch, candidateId, oldPrimaryId, reason, nowNanos,
                failedSinceNanos, replaced.filter(r -> r != candidateId), phase, nowNanos, List.of());
    }

    // ------------------------------------------------------------------ what it answers to

    /** The op id of its steps; the old primary's restart in a rollback has one of its own. */
    public String resumeId() {
        return id + "-resume";
    }

    /** Whether {@code opId} is the step this promotion waits for now. */
    public boolean waitsFor(String opId) {
        return phase instanceof Phase.ResumingOld ? resumeId().equals(opId) : id.equals(opId);
    }

    public boolean voting() {
        return phase instanceof Phase.Voting;
    }

    /** For {@code cluster show}: "voting node 2 in epoch 3". */
    public String describe() {
        return phase.label() + " node " + candidateId + " in epoch " + epoch;
    }

    /** The switchover's steps so far, for its answer: "old primary stopped at 0/3000060 at +120 ms; ...". */
    public String stepsText() {
        return String.join("; ", steps);
    }

    /** The nodes told to follow (or rejoin) the promoted candidate; none: the attempt is done at once. */
    public Next following(Map<Integer, Follower> awaiting, long nowNanos) {
        return new Next.Followed(in(new Phase.Following(Map.copyOf(awaiting)), nowNanos), awaiting.isEmpty(), true, "");
    }

    /**
     * A report from {@code nodeId}'s agent, now incarnation {@code incarnation}: when this promotion waits for that
     * node's answer (the candidate's promote, a follower's follow) from another incarnation, the command went to an
     * agent that is gone (downed, restarted) and was lost with it; the promotion to keep, now waiting for the new one,
     * whom the caller tells again ({@link #awaited} says what). Seen in the chaos run: a follow sent across a broken
     * link, and a promote to a candidate whose agent was downed while it waited for its lease, never answered, and
     * the promotion waited for them for the whole step timeout (120 s).
     */
    public Optional<Promotion> newIncarnation(int nodeId, String incarnation) {
        if (phase instanceof Phase.Promoting p && nodeId == candidateId && kind != Kind.REQUESTED
                && !p.incarnation().equals(incarnation)) {
            return Optional.of(with(new Phase.Promoting(incarnation)));
        }
        if (!(phase instanceof Phase.Following f) || !f.awaiting().containsKey(nodeId)
                || f.awaiting().get(nodeId).incarnation().equals(incarnation)) {
            return Optional.empty();
        }
        Map<Integer, Follower> awaiting = new HashMap<>(f.awaiting());
        awaiting.put(nodeId, new Follower(incarnation, f.awaiting().get(nodeId).rejoin()));
        return Optional.of(with(new Phase.Following(Map.copyOf(awaiting))));
    }

    /** What {@code nodeId} was told, while this promotion waits for its answer. */
    public Optional<Follower> awaited(int nodeId) {
        return phase instanceof Phase.Following f ? Optional.ofNullable(f.awaiting().get(nodeId)) : Optional.empty();
    }

    /** The step this promotion waits for answered (the caller checked {@link #waitsFor}). */
    public Next onStep(StepResult r, long nowNanos) {
        long sinceStart = (nowNanos - startedNanos) / 1_000_000;
        if (phase instanceof Phase.ResumingOld back) {
            return rolledBack(back, r.done(), r.message());
        }
        if (phase instanceof Phase.StoppingOld) {
            if (!r.done()) {
                return rollBack("stop the old primary cleanly", r.message(), nowNanos);
            }
            Lsn lsn = r.lsn().orElse(Lsn.ZERO);
            return new Next.AwaitFinalLsn(step("old primary stopped at " + r.lsn().map(Lsn::toString).orElse("?"), nowNanos)
                    .in(new Phase.CatchingUp(lsn), nowNanos), lsn);
        }
        if (phase instanceof Phase.CatchingUp c) {
            if (!r.done()) {
                return rollBack("verify the candidate received the final LSN " + c.finalLsn(), r.message(), nowNanos);
            }
            return new Next.ReserveEpoch(step("node " + candidateId + " has the final LSN", nowNanos)
                    .in(new Phase.Voting(Set.of()), nowNanos));
        }
        if (phase instanceof Phase.Promoting) {
            if (!r.done()) {
                return new Next.PromoteFailed(r.nodeId(), r.outcome() == StepResult.Outcome.REFUSED, r.message(),
                        "node " + r.nodeId() + ": " + r.message());
            }
            String detail = "node " + r.nodeId() + " promoted in " + r.took().toMillis() + " ms at "
                    + r.lsn().map(Lsn::toString).orElse("?") + " (timeline " + r.timeline().map(Object::toString).orElse("?")
                    + "), " + sinceStart + " ms after the decision" + failedSinceNanos.map(f -> ", "
                    + (nowNanos - f) / 1_000_000 + " ms after the failure was first seen").orElse("");
            return new Next.Promoted(step("node " + r.nodeId() + " promoted", nowNanos), r.nodeId(), detail);
        }
        if (phase instanceof Phase.Following f) {
            Map<Integer, Follower> awaiting = new HashMap<>(f.awaiting());
            awaiting.remove(r.nodeId());
            String detail = "node " + r.nodeId() + (r.done() ? " follows node " + candidateId + " (" + r.took().toMillis()
                    + " ms)" : " could not follow: " + r.message());
            Promotion p = step(detail, nowNanos).with(new Phase.Following(Map.copyOf(awaiting)));
            return new Next.Followed(p, awaiting.isEmpty(), r.done(), detail);
        }
        return new Next.Stay(this); // voting: no step is asked for
    }

    /**
     * A vote for this promotion's epoch; {@code majority} of the members decides. {@code candidateIncarnation}: the
     * candidate's agent incarnation now, the one the supervisor tells to promote once chosen.
     */
    public Next onVote(int fromNodeId, int majority, String candidateIncarnation, long nowNanos) {
        if (!(phase instanceof Phase.Voting v)) {
            return new Next.Stay(this);
        }
        Set<Integer> votes = new HashSet<>(v.votes());
        votes.add(fromNodeId);
        if (votes.size() < majority) {
            return new Next.Stay(with(new Phase.Voting(Set.copyOf(votes))));
        }
        long votedMillis = (nowNanos - startedNanos) / 1_000_000;
        return new Next.Chosen(in(new Phase.Promoting(candidateIncarnation), nowNanos), reason + "; votes from nodes "
                + new java.util.TreeSet<>(votes) + " in " + votedMillis + " ms", votedMillis);
    }

    /**
     * The time limit of the phase: {@code voteLimit} while voting (the promises the voters gave the old primary must
     * run out first), {@code stepLimit} for every step. A switchover before the vote rolls back; anything later ends.
     */
    public Next onTimeout(long nowNanos, Duration voteLimit, Duration stepLimit, int majority) {
        long inPhase = nowNanos - phaseStartedNanos;
        Duration limit = phase instanceof Phase.Voting ? voteLimit : stepLimit;
        if (inPhase < limit.toNanos()) {
            return new Next.Stay(this);
        }
        String noAnswer = "no answer within " + inPhase / 1_000_000 + " ms";
        if (phase instanceof Phase.StoppingOld) {
            return rollBack("stop the old primary cleanly", noAnswer, nowNanos);
        }
        if (phase instanceof Phase.CatchingUp) {
            return rollBack("verify the candidate received the final LSN", noAnswer, nowNanos);
        }
        if (phase instanceof Phase.ResumingOld back) {
            return rolledBack(back, false, noAnswer);
        }
        return new Next.TimedOut(phase.label(), describe() + " timed out after " + inPhase / 1_000_000 + " ms"
                + (phase instanceof Phase.Voting v ? " with votes from " + new java.util.TreeSet<>(v.votes()) + " (need "
                + majority + ")" : "")
                + (phase instanceof Phase.Following f ? ", still waiting for nodes " + new java.util.TreeSet<>(f.awaiting().keySet())
                : ""));
    }

    // ------------------------------------------------------------------ the rollback of a switchover

    private Next rollBack(String step, String why, long nowNanos) {
        String detail = "switchover to node " + candidateId + " failed at step '" + step + "': " + why;
        return new Next.RollBack(in(new Phase.ResumingOld(detail), nowNanos), detail);
    }

    private Next rolledBack(Phase.ResumingOld back, boolean restarted, String message) {
        String old = oldPrimaryId.map(Object::toString).orElse("?");
        return new Next.RolledBack(restarted, back.rollbackDetail() + (restarted
                ? "; rolled back: node " + old + " stays primary (" + message + ")"
                : "; rolled back, but starting node " + old + " again failed: " + message
                        + " (automatic failover decides from here)"));
    }

    /** The old primary's agent cannot be reached to roll back: the rollback ends here. */
    public Next rollBackUnreachable() {
        return phase instanceof Phase.ResumingOld back
                ? rolledBack(back, false, "node " + oldPrimaryId.map(Object::toString).orElse("?") + "'s agent is not reachable")
                : new Next.Stay(this);
    }

    // ------------------------------------------------------------------ copies

    private Promotion in(Phase next, long nowNanos) {
        return new Promotion(id, kind, epoch, candidateId, oldPrimaryId, reason, startedNanos, failedSinceNanos,
                replacedPrimaryId, next, nowNanos, steps);
    }

    private Promotion with(Phase same) {
        return new Promotion(id, kind, epoch, candidateId, oldPrimaryId, reason, startedNanos, failedSinceNanos,
                replacedPrimaryId, same, phaseStartedNanos, steps);
    }

    private Promotion step(String what, long nowNanos) {
        List<String> more = new ArrayList<>(steps);
        more.add(what + " at +" + (nowNanos - startedNanos) / 1_000_000 + " ms");
        return new Promotion(id, kind, epoch, candidateId, oldPrimaryId, reason, startedNanos, failedSinceNanos,
                replacedPrimaryId, phase, phaseStartedNanos, List.copyOf(more));
    }
}
