package org.pgsteward.supervisor.policy;

import java.util.Objects;
import java.util.Optional;

/**
 * What the supervisor knows about one registered node.
 *
 * @param latestReport   the newest report from its agent, if any arrived in this supervisor incarnation
 * @param memberReachable Pekko Cluster's failure detector considers the agent's member reachable
 */
public record NodeView(RegisteredMember member, Optional<ObservedReport> latestReport, boolean memberReachable) {

    public NodeView {
        Objects.requireNonNull(member, "member");
        Objects.requireNonNull(latestReport, "latestReport");
        latestReport.ifPresent(r -> {
            if (r.report().nodeId() != member.id()) {
                throw new IllegalArgumentException(
                        "report of node " + r.report().nodeId() + " filed under node " + member.id());
            }
        });
    }

    public int id() {
        return member.id();
    }

    public String name() {
        return member.name();
    }
}
