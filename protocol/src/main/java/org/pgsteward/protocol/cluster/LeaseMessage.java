package org.pgsteward.protocol.cluster;

import org.apache.pekko.actor.typed.ActorRef;
import org.pgsteward.protocol.CborSerializable;

/**
 * Agent-to-agent messages of the primary lease and of promotion votes.
 *
 * <p>The primary's agent asks every agent for a promise: "I will not vote to promote anyone else
 * for the next {@code leaseMillis}". It holds its lease while a majority of the cluster's members
 * have promised, counted from when it <em>sent</em> the request (so its view expires first). A
 * promotion needs votes from a majority; an agent votes only once its promise to the old primary
 * has expired (plus a drift margin) and then refuses promises of older epochs. Any two majorities
 * share a member, so an old primary's lease and a new primary's election never overlap — and a
 * supervisor that moves to another host does not interrupt the lease.
 */
public sealed interface LeaseMessage extends CborSerializable {

    record PromiseRequest(long epoch, int primaryNodeId, long seq, long leaseMillis, ActorRef<LeaseMessage> replyTo)
            implements LeaseMessage {}

    /** @param granted false when the agent has accepted a higher epoch (the requester is no longer primary) */
    record PromiseReply(long epoch, int fromNodeId, long seq, boolean granted, long acceptedEpoch) implements LeaseMessage {}

    /**
     * From a primary that stopped cleanly for a switchover: it needs no promise any more, so a
     * vote for its successor need not wait for the promise to run out.
     */
    record Release(long epoch, int primaryNodeId) implements LeaseMessage {}

    /**
     * From the supervisor: may {@code candidateNodeId} become primary in {@code newEpoch}?
     */
    record VoteRequest(long newEpoch, int candidateNodeId, ActorRef<VoteReply> replyTo) implements LeaseMessage {}

    /**
     * @param granted      the agent accepted (and persisted) {@code newEpoch}
     * @param retryInMillis when not granted because a promise is still running: how long until it expires
     */
    record VoteReply(long newEpoch, int fromNodeId, boolean granted, long retryInMillis, String reason)
            implements CborSerializable {}
}
