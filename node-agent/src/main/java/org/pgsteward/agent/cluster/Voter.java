package org.pgsteward.agent.cluster;

import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * This agent as a voter: which lease promises and which promotion votes it gives. No actor and no clock of
 * its own (the cluster link passes {@code nowNanos}); the accepted epoch and the vote are durable in the
 * {@link EpochStore}, the running promise lives in the {@link LeaseState}.
 *
 * <p>The rules, in the terms of the safety model (DESIGN 2 and 7):
 * <ul>
 *   <li>A vote is not leadership: voting for C in epoch N records "voted for C in N" and nothing else. Only
 *       the supervisor's decision (announcement, promote, follow) makes an agent accept N with its primary.
 *   <li>One vote per epoch, never in an epoch at or below the accepted one or below an earlier vote.
 *   <li>No vote for a rival while a promise to the current primary runs (plus the drift margin), nor for a
 *       promise or more after this agent started (it cannot know what it promised before).
 *   <li>A promise request never makes this agent accept a higher epoch, never drops a running promise to
 *       another node, and is refused in an epoch older than one it voted in (that election may have won).
 *       A request of a higher, undecided epoch is granted only to the candidate this agent voted for in it.
 *   <li>A promise lasts the longer of this agent's lease and the requested one (a rolling configuration
 *       change never shortens what the primary counts on), capped at twice this agent's lease.
 * </ul>
 */
final class Voter {

    /** The answer to a lease promise request. */
    record PromiseAnswer(boolean granted, long grantedMillis, String why) {}

    /** The answer to a vote request. */
    sealed interface VoteAnswer {
        /** Voted (and persisted). */
        record Granted() implements VoteAnswer {}

        /** Not now, maybe later: ask again after {@code retryMillis} (0: do not ask again). */
        record Refused(long retryMillis, String why) implements VoteAnswer {}

        /** This node is the primary being replaced and may still write: fence first, then ask again. */
        record FenceFirst(String why) implements VoteAnswer {}
    }

    private static final long FENCE_RETRY_MILLIS = 300;

    private final int selfId;
    private final EpochStore epochs;
    private final LeaseState lease;
    private final long marginNanos;
    private final long startedNanos;

    Voter(int selfId, EpochStore epochs, LeaseState lease, long marginNanos, long startedNanos) {
        this.selfId = selfId;
        this.epochs = epochs;
        this.lease = lease;
        this.marginNanos = marginNanos;
        this.startedNanos = startedNanos;
    }

    /** The longest promise this agent gives: twice its own lease. */
    long maxPromiseNanos() {
        return 2 * lease.leaseNanos();
    }

    PromiseAnswer onPromiseRequest(long epoch, int primaryId, long requestedMillis, long nowNanos) {
        long accepted = epochs.current();
        Optional<EpochStore.Vote> vote = epochs.vote();
        boolean votedForIt = vote.map(v -> v.epoch() == epoch && v.candidate() == primaryId).orElse(false);
        if (epoch < accepted) {
            return refuse("epoch " + epoch + " is older than the accepted epoch " + accepted);
        }
        if (epoch == accepted && !epochs.primaryOfCurrentEpoch().equals(Optional.of(primaryId))) {
            return refuse("node " + epochs.primaryOfCurrentEpoch().map(String::valueOf).orElse("?") + ", not node "
                    + primaryId + ", is primary in epoch " + epoch);
        }
        if (epoch > accepted && !votedForIt) {
            return refuse("epoch " + epoch + " is not decided here (accepted epoch " + accepted + ")");
        }
        if (vote.isPresent() && vote.get().epoch() > epoch) {
            return refuse("voted for node " + vote.get().candidate() + " in the later epoch " + vote.get().epoch());
        }
        Optional<Integer> promised = lease.promisedTo(nowNanos);
        if (promised.isPresent() && promised.get() != primaryId) {
            return refuse("promised node " + promised.get() + " for another " + lease.promiseLeft(nowNanos) / 1_000_000
                    + " ms");
        }
        long forNanos = Math.min(maxPromiseNanos(), Math.max(lease.leaseNanos(), requestedMillis * 1_000_000));
        lease.promise(primaryId, epoch, nowNanos, forNanos);
        return new PromiseAnswer(true, forNanos / 1_000_000, "promised");
    }

    /**
     * @param servingAsOldPrimary this node is the primary of the accepted epoch and its PostgreSQL may still
     *                            serve writes (or is being fenced)
     */
    VoteAnswer onVoteRequest(long newEpoch, int candidateId, boolean servingAsOldPrimary, long nowNanos) {
        long accepted = epochs.current();
        if (newEpoch == accepted && epochs.primaryOfCurrentEpoch().equals(Optional.of(candidateId))) {
            return new VoteAnswer.Granted(); // decided already, for this candidate: a repeated request
        }
        if (newEpoch <= accepted) {
            return new VoteAnswer.Refused(0, "already accepted epoch " + accepted);
        }
        Optional<EpochStore.Vote> vote = epochs.vote();
        if (vote.isPresent() && (vote.get().epoch() > newEpoch
                || vote.get().epoch() == newEpoch && vote.get().candidate() != candidateId)) {
            return new VoteAnswer.Refused(0, "already voted for node " + vote.get().candidate() + " in epoch "
                    + vote.get().epoch());
        }
        if (servingAsOldPrimary && candidateId != selfId) {
            return new VoteAnswer.FenceFirst("the supervisor promotes node " + candidateId);
        }
        long sinceStart = nowNanos - startedNanos;
        long startBlock = maxPromiseNanos() + marginNanos - sinceStart;
        // an agent that never accepted an epoch never promised anything (promises are given in accepted epochs)
        boolean mayHavePromised = accepted > 0 || vote.isPresent();
        if (mayHavePromised && startBlock > 0) {
            return new VoteAnswer.Refused(Math.max(1, startBlock / 1_000_000),
                    "this agent started " + sinceStart / 1_000_000 + " ms ago: a promise it gave before may still run");
        }
        long blocked = lease.voteBlockedFor(candidateId, nowNanos);
        if (blocked > 0) {
            return new VoteAnswer.Refused(Math.max(1, blocked / 1_000_000), "promise to the current primary still running");
        }
        try {
            if (!epochs.vote(newEpoch, candidateId)) {
                return new VoteAnswer.Refused(0, "already voted in epoch " + epochs.highestSeen());
            }
        } catch (UncheckedIOException e) {
            return new VoteAnswer.Refused(0, "cannot persist the vote: " + e.getMessage());
        }
        lease.clearPromise();
        return new VoteAnswer.Granted();
    }

    static long fenceRetryMillis() {
        return FENCE_RETRY_MILLIS;
    }

    private static PromiseAnswer refuse(String why) {
        return new PromiseAnswer(false, 0, why);
    }
}
