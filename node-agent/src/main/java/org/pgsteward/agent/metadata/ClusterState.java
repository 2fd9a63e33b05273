package org.pgsteward.agent.metadata;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The single row of {@code repmgr_<cluster>.cluster_state}.
 *
 * @param epoch       incremented whenever the primary changes (registration of a new primary,
 *                    promotion) or on {@link ClusterMetadata#bumpEpoch}; starts at 0
 * @param primaryNode the current primary's id, once one is registered
 * @param paused      automatic failover is off ({@code cluster pause})
 */
public record ClusterState(long epoch, Optional<Integer> primaryNode, boolean paused, Instant updatedAt) {

    public ClusterState {
        Objects.requireNonNull(primaryNode, "primaryNode");
        Objects.requireNonNull(updatedAt, "updatedAt");
    }
}
