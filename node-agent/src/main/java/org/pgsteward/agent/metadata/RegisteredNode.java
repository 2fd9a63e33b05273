package org.pgsteward.agent.metadata;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.pgsteward.agent.postgres.Conninfo;

/**
 * A row of {@code repmgr_<cluster>.nodes}.
 *
 * <p>A former primary (failed over, not yet rejoined) is {@code type = primary, active = false};
 * the current primary is the one active primary ({@link #isActivePrimary()}).
 *
 * @param conninfo stored without password
 */
public record RegisteredNode(
        int id,
        String name,
        String type,
        Optional<Integer> upstreamNodeId,
        Conninfo conninfo,
        int priority,
        boolean active,
        Optional<String> agentHttp,
        Instant registeredAt,
        Optional<Instant> updatedAt) {

    public RegisteredNode {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(upstreamNodeId, "upstreamNodeId");
        Objects.requireNonNull(conninfo, "conninfo");
        Objects.requireNonNull(agentHttp, "agentHttp");
        Objects.requireNonNull(registeredAt, "registeredAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
    }

    public boolean isActivePrimary() {
        return active && type.equals(NodeRegistration.PRIMARY);
    }

    /** "node 1 (node1)", for messages. */
    public String describe() {
        return "node " + id + " (" + name + ")";
    }
}
