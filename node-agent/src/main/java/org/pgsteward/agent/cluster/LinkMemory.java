package org.pgsteward.agent.cluster;

import java.time.Duration;

/**
 * What this agent process knows about leases, kept across cluster-link restarts and cluster incarnations (a member
 * downed by mistake joins again as a new incarnation in the same process): the promises it gave as a voter and the
 * ones it holds as primary. Both are facts about time on this host's monotonic clock that a new incarnation must not
 * forget: a voter that forgot its promise could vote for a rival while the primary still counts on it (so a process
 * that starts without this memory refuses votes for a promise's length), and a primary that forgot its promises would
 * stop a server whose lease still holds.
 */
public final class LinkMemory {

    private final LeaseState lease;
    private final long sinceNanos = System.nanoTime();

    private LinkMemory(LeaseState lease) {
        this.lease = lease;
    }

    public static LinkMemory create(Duration lease, Duration leaseMargin) {
        return new LinkMemory(new LeaseState(lease.toNanos(), leaseMargin.toNanos()));
    }

    LeaseState lease() {
        return lease;
    }

    /** When this memory began (System.nanoTime): nothing promised before it is known. */
    long sinceNanos() {
        return sinceNanos;
    }
}
