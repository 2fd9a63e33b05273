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

    /**
     * @param granted       the agent promised, for {@code grantedMillis} from when it received the request (the
     *                      longer of its own lease and the requested one): the primary counts the shorter of its
     *                      own lease and that, from when it sent the request
     * @param acceptedEpoch the epoch the agent has accepted (a supervisor decision, never a mere vote): higher than
     *                      the request's, the requester is no longer primary
     * @param why           for a refusal, the reason
     */
    record PromiseReply(long epoch, int fromNodeId, long seq, boolean granted, long grantedMillis, long acceptedEpoch,
                        String why) implements LeaseMessage {}

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
     * @param granted      the agent voted for the candidate in {@code newEpoch} (persisted); a vote is not the
     *                     decision: the agent accepts the epoch only when the supervisor announces it
     * @param retryInMillis when not granted because a promise is still running: how long until it expires
     */
    record VoteReply(long newEpoch, int fromNodeId, boolean granted, long retryInMillis, String reason)
            implements CborSerializable {}
}
