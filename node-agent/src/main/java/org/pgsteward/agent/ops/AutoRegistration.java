package org.pgsteward.agent.ops;

import java.sql.Connection;
import java.util.List;
import java.util.Optional;
import org.pgsteward.agent.config.NodeConfig;
import org.pgsteward.agent.metadata.NodeRegistration;
import org.pgsteward.agent.metadata.RegisteredNode;
import org.pgsteward.agent.postgres.PgSnapshot;

/**
 * {@code node.auto-register}: what the seed's repmgrd did for a standby nobody registered. An agent whose PostgreSQL
 * streams from this cluster's registered primary (the cluster's metadata is in its replicated data, and its WAL
 * sender is that primary) and that is not registered registers it as that primary's standby. Never a node this agent
 * has seen registered since it started: one unregistered on purpose stays so (until its agent restarts).
 */
final class AutoRegistration {

    /** The decision for one monitor cycle. */
    record Decision(boolean register, String reason, Optional<RegisteredNode> primary) {
        static Decision no(String reason) {
            return new Decision(false, reason, Optional.empty());
        }
    }

    private AutoRegistration() {}

    /**
     * @param enabled        {@code node.auto-register}
     * @param seenRegistered this agent has seen this node registered since it started
     * @param nodes          the registered nodes (the local copy of the metadata); empty: not this cluster's data
     */
    static Decision decide(boolean enabled, boolean seenRegistered, int self, PgSnapshot local, List<RegisteredNode> nodes) {
        if (!enabled) {
            return Decision.no("node.auto-register is off");
        }
        if (nodes.stream().anyMatch(n -> n.id() == self)) {
            return Decision.no("registered");
        }
        if (seenRegistered) {
            return Decision.no("unregistered since this agent started: left so");
        }
        if (!local.isReachable() || !local.inRecovery() || !local.isStreaming()) {
            return Decision.no("not a streaming standby");
        }
        if (nodes.isEmpty()) {
            return Decision.no("no metadata of this cluster in its data");
        }
        Optional<RegisteredNode> primary = nodes.stream().filter(RegisteredNode::isActivePrimary).findFirst();
        if (primary.isEmpty()) {
            return Decision.no("no active primary registered");
        }
        boolean fromPrimary = local.walReceiver().map(w -> w.senderPort().map(p -> p == primary.get().conninfo().port())
                .orElse(false) && w.senderHost().map(h -> sameHost(h, primary.get().conninfo().host())).orElse(false))
                .orElse(false);
        if (!fromPrimary) {
            return Decision.no("streams from another server than the registered primary " + primary.get().describe());
        }
        return new Decision(true, "streams from the cluster's primary " + primary.get().describe()
                + " and is not registered", primary);
    }

    private static boolean sameHost(String a, String b) {
        String x = a.equals("localhost") ? "127.0.0.1" : a;
        String y = b.equals("localhost") ? "127.0.0.1" : b;
        return x.equals(y);
    }

    /** Registers this node as a standby of {@code primary} on the primary's connection {@code c}, with its event. */
    static RegisteredNode register(ClusterQueries queries, NodeConfig config, Connection c, RegisteredNode primary,
                                   String reason) throws java.sql.SQLException {
        NodeConfig.Node n = config.node();
        var reg = new NodeRegistration(n.id(), n.name(), NodeRegistration.STANDBY, n.conninfo(), n.priority(),
                Optional.of(config.agent().http().toString()));
        RegisteredNode registered = queries.metadata().registerStandby(c, reg, primary.id(), false);
        queries.metadata().recordEvent(c, registered.id(), "standby_register", true, "registered by its agent"
                + " (node.auto-register): " + reason);
        return registered;
    }
}
