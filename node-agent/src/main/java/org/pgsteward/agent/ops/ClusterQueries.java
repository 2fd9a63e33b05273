package org.pgsteward.agent.ops;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.pgsteward.agent.LocalNode;
import org.pgsteward.agent.metadata.ClusterMetadata;
import org.pgsteward.agent.metadata.RegisteredNode;
import org.pgsteward.agent.postgres.Conninfo;
import org.pgsteward.agent.postgres.PgSnapshot;
import org.pgsteward.agent.postgres.Reachability;
import org.pgsteward.agent.postgres.WalReceiverInfo;
import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.Lsn;
import org.pgsteward.protocol.api.ClusterView;
import org.pgsteward.protocol.api.EventRow;
import org.pgsteward.protocol.api.NodeRow;
import org.pgsteward.protocol.cluster.SupervisorMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the cluster looks like from this node: the registered nodes (from the metadata every
 * node holds a replicated copy of), which one is the running primary, and each node's live
 * state from a probe. Read-only; safe to call from any thread.
 */
public final class ClusterQueries {

    private static final Logger log = LoggerFactory.getLogger(ClusterQueries.class);

    private final LocalNode node;
    private final ClusterMetadata metadata;
    private final Connections connections;
    /** Last node list read, for when no database with the metadata can be reached. */
    private volatile List<RegisteredNode> lastKnownNodes = List.of();

    public ClusterQueries(LocalNode node) {
        this.node = node;
        this.metadata = new ClusterMetadata(node.config().cluster());
        this.connections = new Connections(node.conninfo());
    }

    public ClusterMetadata metadata() {
        return metadata;
    }

    public Connections connections() {
        return connections;
    }

    /** Registered nodes from the local database's copy of the metadata; empty when none is there. */
    public List<RegisteredNode> registeredNodesFromLocal() {
        try (Connection c = connections.open(node.conninfo())) {
            if (!schemaExists(c)) {
                return List.of();
            }
            List<RegisteredNode> nodes = metadata.nodes(c);
            lastKnownNodes = nodes;
            return nodes;
        } catch (SQLException | RuntimeException e) {
            log.debug("cannot read the node list locally: {}", e.getMessage());
            return lastKnownNodes;
        }
    }

    public List<RegisteredNode> lastKnownNodes() {
        return lastKnownNodes;
    }

    boolean schemaExists(Connection c) throws SQLException {
        try (var st = c.prepareStatement("SELECT 1 FROM pg_namespace WHERE nspname = ?")) {
            st.setString(1, metadata.schema());
            try (var rs = st.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Probes every node (in parallel: each probe has its own short timeouts). */
    public Map<Integer, PgSnapshot> probeAll(List<RegisteredNode> nodes) {
        Map<Integer, CompletableFuture<PgSnapshot>> futures = new ConcurrentHashMap<>();
        for (RegisteredNode n : nodes) {
            futures.put(n.id(), CompletableFuture.supplyAsync(() -> probe(n)));
        }
        return futures.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().join()));
    }

    public PgSnapshot probe(RegisteredNode n) {
        if (n.id() == node.config().node().id()) {
            return node.probeLocal();
        }
        return node.probe(connections.withCredentials(n.conninfo()));
    }

    /** The registered nodes that run as a writable primary right now. */
    public List<RegisteredNode> runningPrimaries(List<RegisteredNode> nodes, Map<Integer, PgSnapshot> snapshots) {
        return nodes.stream().filter(n -> Optional.ofNullable(snapshots.get(n.id())).map(PgSnapshot::isPrimary).orElse(false))
                .toList();
    }

    /** The one running primary among the registered nodes, probing them all. */
    public Optional<RegisteredNode> findRunningPrimary(List<RegisteredNode> nodes) {
        List<RegisteredNode> primaries = runningPrimaries(nodes, probeAll(nodes));
        if (primaries.size() > 1) {
            throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "more than one registered node runs as a writable primary: "
                    + primaries.stream().map(RegisteredNode::describe).collect(Collectors.joining(", ")));
        }
        return primaries.stream().findFirst();
    }

    /** Node list read from the running primary (the freshest copy), else the local copy. */
    public List<RegisteredNode> registeredNodes() {
        List<RegisteredNode> local = registeredNodesFromLocal();
        if (local.isEmpty()) {
            return local;
        }
        try {
            Optional<RegisteredNode> primary = findRunningPrimary(local);
            if (primary.isPresent() && primary.get().id() != node.config().node().id()) {
                try (Connection c = connections.open(connections.withCredentials(primary.get().conninfo()))) {
                    List<RegisteredNode> fresh = metadata.nodes(c);
                    lastKnownNodes = fresh;
                    return fresh;
                }
            }
        } catch (SQLException | RuntimeException e) {
            log.debug("cannot read the node list from the primary: {}", e.getMessage());
        }
        return local;
    }

    public ClusterView clusterView(Optional<SupervisorMessage.View> supervisor) {
        List<String> warnings = new ArrayList<>();
        if (supervisor.isEmpty()) {
            warnings.add("the supervisor did not answer (is a majority of the cluster's agents up?)");
        }
        supervisor.ifPresent(v -> {
            if (v.decisionKind() != SupervisorMessage.DecisionKind.HEALTHY) {
                warnings.add("supervisor (" + v.mode() + " failover" + (v.paused() ? ", paused" : "") + "): " + v.lastDecision());
            }
            v.operation().ifPresent(op -> warnings.add("supervisor is " + op));
            warnings.addAll(v.warnings());
        });
        List<RegisteredNode> nodes = registeredNodes();
        if (nodes.isEmpty()) {
            warnings.add("no nodes registered in cluster " + node.config().cluster()
                    + " (or this node's database cannot be reached): run `primary register` on the primary");
            return new ClusterView(node.config().cluster(), Optional.empty(), 0, false,
                    List.of(localRow(Optional.of(node.probeLocal()))), warnings, trafficAuthenticated(), List.of());
        }
        Map<Integer, PgSnapshot> snaps = probeAll(nodes);
        List<RegisteredNode> primaries = runningPrimaries(nodes, snaps);
        if (primaries.size() > 1) {
            warnings.add("more than one writable primary: " + primaries.stream().map(RegisteredNode::describe)
                    .collect(Collectors.joining(", ")));
        } else if (primaries.isEmpty()) {
            warnings.add("no running primary among the registered nodes");
        }
        Optional<RegisteredNode> primary = primaries.size() == 1 ? Optional.of(primaries.get(0)) : Optional.empty();
        Optional<Lsn> primaryLsn = primary.flatMap(p -> snaps.get(p.id()).currentLsn());
        // the epoch and the pause are the cluster record's (held by a majority, read by the supervisor): without a
        // supervisor they are unknown here, never read from the SQL schema's copy, which nothing keeps current
        long epoch = supervisor.map(SupervisorMessage.View::epoch).orElse(0L);
        boolean paused = supervisor.map(SupervisorMessage.View::paused).orElse(false);
        Map<String, RegisteredNode> byAddress = nodes.stream().collect(Collectors.toMap(
                n -> address(n.conninfo().host(), n.conninfo().port()), Function.identity(), (a, b) -> a));
        List<NodeRow> rows = new ArrayList<>();
        Optional<Integer> epochPrimary = supervisor.flatMap(SupervisorMessage.View::primaryId);
        for (RegisteredNode n : nodes) {
            rows.add(row(n, snaps.get(n.id()), primaryLsn, byAddress, epochPrimary));
        }
        return new ClusterView(node.config().cluster(), primary.map(RegisteredNode::id), epoch, paused, rows, warnings,
                trafficAuthenticated(), List.of(), primary.map(p -> slotWarnings(p, nodes)).orElse(List.of()));
    }

    /**
     * The primary's pgsteward slots that no standby streams through: each holds WAL back on the primary (up to
     * max_slot_wal_keep_size) until its standby returns, is unregistered, or the slot is lost.
     */
    private List<String> slotWarnings(RegisteredNode primary, List<RegisteredNode> nodes) {
        List<String> out = new ArrayList<>();
        try (Connection c = connections.open(connections.withCredentials(primary.conninfo()))) {
            for (var slot : org.pgsteward.agent.postgres.ReplicationSlots.list(c)) {
                if (slot.active()) {
                    continue;
                }
                String standby = org.pgsteward.agent.postgres.ReplicationSlots.nodeOf(slot.name()).flatMap(id ->
                        nodes.stream().filter(n -> n.id() == id).findFirst().map(RegisteredNode::describe)
                                .or(() -> Optional.of("node " + id + " (not registered)"))).orElse("?");
                out.add("replication slot " + slot.name() + " on the primary holds "
                        + slot.retainedBytes().map(b -> b + " bytes of WAL").orElse("no WAL") + " for " + standby
                        + ", which does not stream through it" + (slot.walStatus().equals("lost")
                        ? "; its WAL is lost (max_slot_wal_keep_size): that standby needs a new clone"
                        : " (bounded by max_slot_wal_keep_size; `standby unregister` drops it)"));
            }
        } catch (SQLException | RuntimeException e) {
            log.debug("cannot read the primary's replication slots: {}", e.getMessage());
        }
        return out;
    }

    /** An agent with agent.tls speaks mutual TLS only, so its cluster's members all do: this agent's setting is the cluster's. */
    private boolean trafficAuthenticated() {
        return node.config().agent().tls().isPresent();
    }

    private NodeRow row(RegisteredNode n, PgSnapshot s, Optional<Lsn> primaryLsn, Map<String, RegisteredNode> byAddress,
                        Optional<Integer> epochPrimary) {
        // a node registered as primary that is not the primary of the epoch is a former primary (fenced, rejoining),
        // never a second "primary" row
        boolean former = n.type().equals("primary") && epochPrimary.isPresent() && epochPrimary.get() != n.id();
        String role = s.isReachable() ? (s.inRecovery() ? "standby" : former ? "primary (not of the epoch)" : "primary")
                : former ? "former primary" : n.type();
        String status = status(s) + (n.active() ? "" : " (inactive)");
        Optional<String> upstream = s.walReceiver().flatMap(w -> upstreamName(w, byAddress));
        Optional<Lsn> location = s.isReachable() ? s.bestLsn() : Optional.empty();
        Optional<Long> lag = s.isReachable() && s.inRecovery() && primaryLsn.isPresent() && location.isPresent()
                ? Optional.of(Math.max(0, primaryLsn.get().bytesSince(location.get()))) : Optional.empty();
        return new NodeRow(n.id(), n.name(), role, status, upstream, lag, location.map(Lsn::toString), n.priority(),
                s.isReachable() ? Optional.of(s.timeline()) : Optional.empty(), Optional.of(s.probedAt()),
                n.conninfo().toConnStringRedacted());
    }

    private static Optional<String> upstreamName(WalReceiverInfo w, Map<String, RegisteredNode> byAddress) {
        if (w.senderHost().isEmpty() || w.senderPort().isEmpty()) {
            return Optional.empty();
        }
        String addr = address(w.senderHost().get(), w.senderPort().get());
        return Optional.of(Optional.ofNullable(byAddress.get(addr)).map(RegisteredNode::name).orElse(addr));
    }

    private static String address(String host, int port) {
        String h = host.equals("localhost") ? "127.0.0.1" : host;
        return h + ":" + port;
    }

    static String status(PgSnapshot s) {
        return switch (s.reachability()) {
            case REACHABLE -> s.inRecovery() ? (s.isStreaming() ? "running (streaming)" : "running (not streaming)") : "running";
            case UNREACHABLE -> "unreachable";
            case AUTH_FAILED -> "running (authentication failed)";
            case ERROR -> "error: " + s.error().orElse("?");
        };
    }

    /** This node's row for `node status`, from its latest probe. */
    public NodeRow localRow(Optional<PgSnapshot> snapshot) {
        var cfg = node.config().node();
        PgSnapshot s = snapshot.orElseGet(() -> PgSnapshot.failed(Reachability.ERROR, "not probed yet", Instant.now()));
        String role = s.isReachable() ? (s.inRecovery() ? "standby" : "primary") : "unknown";
        Map<String, RegisteredNode> byAddress = lastKnownNodes.stream().collect(Collectors.toMap(
                n -> address(n.conninfo().host(), n.conninfo().port()), Function.identity(), (a, b) -> a));
        return new NodeRow(cfg.id(), cfg.name(), role, status(s), s.walReceiver().flatMap(w -> upstreamName(w, byAddress)),
                Optional.empty(), s.isReachable() ? s.bestLsn().map(Lsn::toString) : Optional.empty(), cfg.priority(),
                s.isReachable() ? Optional.of(s.timeline()) : Optional.empty(), Optional.of(s.probedAt()),
                cfg.conninfo().toConnStringRedacted());
    }

    /**
     * SQL events and the supervisor's history, newest first: the running supervisor's, merged with this agent's copy
     * of every history line a supervisor sent it (one on a host that is gone included), each line once, and this
     * agent's own events (fence, unfence, local restart, gave up, rejoin).
     */
    public List<EventRow> events(int limit, Optional<SupervisorMessage.View> supervisor, List<String> localHistory) {
        List<EventRow> all = new ArrayList<>(events(limit));
        java.util.LinkedHashSet<String> lines = new java.util.LinkedHashSet<>(localHistory);
        supervisor.ifPresent(v -> {
            lines.addAll(v.history());
            // what keeps the supervisor from working now: on top
            v.warnings().forEach(w -> all.add(new EventRow(0, 0, "supervisor", false, Instant.now(), w)));
        });
        for (String line : lines) {
            var e = org.pgsteward.protocol.cluster.HistoryEntry.parse(line);
            all.add(new EventRow(0, e.nodeId(), e.fromSupervisor() ? "supervisor" : e.kind(), e.ok(), e.at(), e.text()));
        }
        all.sort(java.util.Comparator.comparing(EventRow::timestamp).reversed());
        return all.size() > limit ? List.copyOf(all.subList(0, limit)) : all;
    }

    public List<EventRow> events(int limit) {
        List<RegisteredNode> nodes = registeredNodesFromLocal();
        Conninfo source = node.conninfo();
        try {
            Optional<RegisteredNode> primary = nodes.isEmpty() ? Optional.empty() : findRunningPrimary(nodes);
            if (primary.isPresent()) {
                source = connections.withCredentials(primary.get().conninfo());
            }
        } catch (OperationFailure e) {
            log.debug("events from the local copy: {}", e.getMessage());
        }
        try (Connection c = connections.open(source)) {
            if (!schemaExists(c)) {
                return List.of();
            }
            return metadata.events(c, limit);
        } catch (SQLException e) {
            throw Connections.failure("cannot read events", e);
        }
    }
}
