package org.pgsteward.supervisor.policy;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Everything the supervisor knows when it decides. All times are on the supervisor's monotonic clock.
 *
 * @param epoch                        the current epoch
 * @param primaryId                    the primary of this epoch
 * @param paused                       {@code cluster pause}: automatic failover off
 * @param nodes                        every registered node (ids unique)
 * @param leaseExpiresAtNanos          when the lease this incarnation last granted expires; empty = none
 *                                     granted in this incarnation
 * @param incarnationStartedAtNanos    when this supervisor incarnation started; a lease granted by an
 *                                     earlier incarnation (maybe on another host) may be outstanding until
 *                                     this plus the lease duration
 * @param primaryLooksFailedSinceNanos when the failure evidence was first seen, as returned by the last
 *                                     decision
 * @param stateKnown                   this incarnation has heard from a majority of agents
 */
public record ClusterSnapshot(
        long epoch,
        Optional<Integer> primaryId,
        boolean paused,
        List<NodeView> nodes,
        Optional<Long> leaseExpiresAtNanos,
        long incarnationStartedAtNanos,
        Optional<Long> primaryLooksFailedSinceNanos,
        boolean stateKnown,
        List<String> knownSyncStandbys) {

    /** Without a remembered synchronous standby set. */
    public ClusterSnapshot(long epoch, Optional<Integer> primaryId, boolean paused, List<NodeView> nodes,
                           Optional<Long> leaseExpiresAtNanos, long incarnationStartedAtNanos,
                           Optional<Long> primaryLooksFailedSinceNanos, boolean stateKnown) {
        this(epoch, primaryId, paused, nodes, leaseExpiresAtNanos, incarnationStartedAtNanos, primaryLooksFailedSinceNanos,
                stateKnown, List.of());
    }

    public ClusterSnapshot {
        Objects.requireNonNull(primaryId, "primaryId");
        Objects.requireNonNull(leaseExpiresAtNanos, "leaseExpiresAtNanos");
        Objects.requireNonNull(primaryLooksFailedSinceNanos, "primaryLooksFailedSinceNanos");
        nodes = List.copyOf(nodes);
        knownSyncStandbys = List.copyOf(knownSyncStandbys);
        Set<Integer> ids = new HashSet<>();
        for (NodeView n : nodes) {
            if (!ids.add(n.id())) {
                throw new IllegalArgumentException("node id " + n.id() + " registered twice");
            }
        }
    }

    public Optional<NodeView> node(int id) {
        return nodes.stream().filter(n -> n.id() == id).findFirst();
    }

    /** The registered primary's view, if a primary is registered and known as a node. */
    public Optional<NodeView> primary() {
        return primaryId.flatMap(this::node);
    }
}
