package org.pgsteward.agent.ops;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.pgsteward.agent.LocalNode;
import org.pgsteward.agent.metadata.NodeRegistration;
import org.pgsteward.agent.metadata.RegisteredNode;
import org.pgsteward.agent.postgres.Conninfo;
import org.pgsteward.agent.postgres.ReplicationSlots;
import org.pgsteward.protocol.ExitCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When slots are made and dropped ({@code replication.use-slots}): a standby's on its upstream before it streams
 * from it (clone, follow, rejoin), the standbys' on a node just promoted (so their WAL is kept from the promotion
 * on, before they follow), and a former primary's stale ones once it is a standby. The SQL is
 * {@link ReplicationSlots}'.
 */
final class StandbySlots {

    private static final Logger log = LoggerFactory.getLogger(StandbySlots.class);

    private final LocalNode node;
    private final ClusterQueries queries;

    StandbySlots(LocalNode node, ClusterQueries queries) {
        this.node = node;
        this.queries = queries;
    }

    boolean enabled() {
        return node.config().replication().useSlots();
    }

    /** This node's slot name. */
    String own() {
        return ReplicationSlots.nameFor(node.config().node().id());
    }

    /**
     * Makes this node's slot on {@code upstream} (before this node streams from it); empty when slots are off.
     *
     * @throws OperationFailure ERR_BAD_CONFIG when the upstream allows no slots, ERR_DB_* when it cannot be done
     */
    Optional<String> ensureOnUpstream(Conninfo upstream, Progress progress) {
        return ensure(upstream, progress).map(Made::name);
    }

    /** A slot ensured on an upstream: whether this call created it (and so may take it back). */
    record Made(String name, boolean created) {}

    Optional<Made> ensure(Conninfo upstream, Progress progress) {
        if (!enabled()) {
            return Optional.empty();
        }
        String name = own();
        try (Connection c = queries.connections().open(queries.connections().withCredentials(upstream))) {
            if (ReplicationSlots.capacity(c) == 0) {
                throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "the upstream " + upstream.toConnStringRedacted()
                        + " has max_replication_slots = 0, and this node streams through slot " + name
                        + " (pgsteward.replication.use-slots = true): raise max_replication_slots there (needs a restart)"
                        + " or set use-slots = false. Nothing was changed");
            }
            boolean created = ReplicationSlots.ensure(c, name);
            progress.report("replication slot " + name + (created ? " created" : " exists") + " on the upstream "
                    + upstream.host() + ":" + upstream.port());
            return Optional.of(new Made(name, created));
        } catch (SQLException e) {
            throw Connections.failure("creating replication slot " + name + " on " + upstream.toConnStringRedacted(), e);
        }
    }

    /** Takes back a slot this node just created on {@code upstream} (its clone failed): it would hold WAL for nothing. */
    void undo(Conninfo upstream, Optional<Made> made) {
        if (made.isEmpty() || !made.get().created()) {
            return;
        }
        try (Connection c = queries.connections().open(queries.connections().withCredentials(upstream))) {
            ReplicationSlots.drop(c, made.get().name());
        } catch (SQLException | RuntimeException e) {
            log.warn("could not drop replication slot {} on {} after a failed clone: {}", made.get().name(),
                    upstream.toConnStringRedacted(), e.getMessage());
        }
    }

    /**
     * On a node that has just become primary: the slots of every other registered database node (they will follow
     * it; the former primary too, when it rejoins), and the {@code max-slot-wal-keep} bound. Best effort: the
     * promotion has happened; each standby makes its own slot again before it follows.
     */
    void createForStandbys(Progress progress) {
        if (!enabled()) {
            return;
        }
        int self = node.config().node().id();
        try (Connection c = queries.connections().open(node.conninfo())) {
            limitRetainedWal(c, progress);
            if (!queries.schemaExists(c)) {
                return;
            }
            List<Integer> standbys = queries.metadata().nodes(c).stream()
                    .filter(n -> n.id() != self && !n.type().equals(NodeRegistration.WITNESS))
                    .map(RegisteredNode::id).toList();
            List<String> created = ReplicationSlots.ensureAll(c, standbys);
            if (!created.isEmpty()) {
                progress.report("replication slots created for the standbys: " + String.join(", ", created));
            }
        } catch (SQLException | RuntimeException e) {
            log.warn("promoted, but creating the standbys' replication slots failed (each makes its own when it"
                    + " follows): {}", e.getMessage());
            progress.report("WARNING: creating the standbys' replication slots failed: " + e.getMessage());
        }
    }

    /** {@code replication.max-slot-wal-keep} as this primary's max_slot_wal_keep_size, where set. */
    void limitRetainedWal(Connection c, Progress progress) throws SQLException {
        Optional<Long> max = node.config().replication().maxSlotWalKeep();
        if (enabled() && max.isPresent() && ReplicationSlots.limitRetainedWal(c, max.get())) {
            progress.report("max_slot_wal_keep_size set to " + (max.get() + (1 << 20) - 1) / (1 << 20)
                    + "MB (pgsteward.replication.max-slot-wal-keep)");
        }
    }

    /**
     * On this node, a former primary that has just rejoined as a standby: drops its inactive pgsteward slots (those
     * it kept for its standbys as primary would hold WAL here for ever; pg_rewind leaves them in place). Active ones
     * stay: a standby that streams from this node now. Not by the registered upstreams: after a failover the
     * metadata may still name this node as the other standbys' upstream. Best effort, reported.
     */
    void dropStale(Progress progress) {
        try (Connection c = queries.connections().open(node.conninfo())) {
            List<String> dropped = ReplicationSlots.dropStale(c, Set.of());
            if (!dropped.isEmpty()) {
                progress.report("dropped the stale replication slots of this former primary: " + String.join(", ", dropped));
                log.info("dropped stale replication slots {}", dropped);
            }
        } catch (SQLException | RuntimeException e) {
            log.warn("could not drop stale replication slots: {}", e.getMessage());
            progress.report("WARNING: could not drop the stale replication slots here: " + e.getMessage());
        }
    }
}
