package org.pgsteward.agent.cluster;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether this node may serve writes as far as the cluster is concerned, for the HTTP /primary
 * check: written by the cluster link every 100 ms, read by load-balancer probes.
 */
public final class LeaseStatus {

    private final AtomicBoolean mayWrite = new AtomicBoolean(true);

    /**
     * True when no primary is known for the accepted epoch (an unregistered cluster), or when this node
     * is that primary and (in automatic mode) holds its lease.
     */
    public boolean mayWrite() {
        return mayWrite.get();
    }

    void set(boolean value) {
        mayWrite.set(value);
    }
}
