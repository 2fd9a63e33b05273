package org.pgsteward.protocol.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code GET /api/v1/cluster}: every registered node, seen from the asking agent.
 *
 * @param clusterTrafficAuthenticated whether the agents' cluster transport is mutual TLS ({@code agent.tls} set); a
 *                                    cluster of agents without it admits any process that reaches a cluster port
 * @param members                     the agents' cluster (Pekko) membership as the asking agent sees it
 * @param slotWarnings                the primary's replication slots that hold WAL back for a standby that does not
 *                                    stream through them (printed last by {@code cluster show})
 */
public record ClusterView(String cluster, Optional<Integer> primaryId, long epoch, boolean paused, List<NodeRow> nodes,
                          List<String> warnings, boolean clusterTrafficAuthenticated, List<ClusterMember> members,
                          List<String> slotWarnings) {

    public ClusterView {
        slotWarnings = slotWarnings == null ? List.of() : List.copyOf(slotWarnings);
    }

    /** Without slot warnings. */
    public ClusterView(String cluster, Optional<Integer> primaryId, long epoch, boolean paused, List<NodeRow> nodes,
                       List<String> warnings, boolean clusterTrafficAuthenticated, List<ClusterMember> members) {
        this(cluster, primaryId, epoch, paused, nodes, warnings, clusterTrafficAuthenticated, members, List.of());
    }

    /** One member of the agents' cluster: its cluster address (host:port), status (Up, Joining, ...), reachability. */
    public record ClusterMember(String address, String status, boolean reachable) {}

    /** This view with more warnings and the membership. */
    public ClusterView withMembership(List<String> moreWarnings, List<ClusterMember> membership) {
        List<String> all = new ArrayList<>(warnings);
        all.addAll(moreWarnings);
        return new ClusterView(cluster, primaryId, epoch, paused, nodes, all, clusterTrafficAuthenticated, membership,
                slotWarnings);
    }
}
