package org.pgsteward.agent.metadata;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.pgsteward.agent.postgres.Conninfo;
import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.api.EventRow;

/**
 * The cluster's metadata in schema {@code repmgr_<cluster>} on the primary (and, by replication,
 * on every standby): tables {@code nodes}, {@code events}, {@code monitoring}
 * and view {@code repl_status}.
 *
 * <p>The schema identifier is always double-quoted, so its case is kept: cluster {@code Test} lives
 * in {@code "repmgr_Test"} (psql users must quote it; the seed's lower-case names need no quotes).
 *
 * <p>Conventions: every method takes the connection to use (writes need the primary's). On an
 * autocommit connection each write method is one transaction of its own; with autocommit off it
 * joins the caller's transaction. Every failure is a {@link MetadataException}: refusals carry
 * {@link ExitCode#ERR_BAD_CONFIG}, failed statements {@link ExitCode#ERR_DB_QUERY} (or
 * {@link ExitCode#ERR_DB_CON} when the connection broke). Events are not recorded implicitly; call
 * {@link #recordEvent}.
 *
 * <p>Node types: exactly one active primary at a time (also enforced by a unique index). A primary
 * replaced by {@code registerPrimary(force)} or by {@link #promote} stays {@code type = primary}
 * with {@code active = false} — a former primary that must rejoin — until it registers as a standby.
 */
public final class ClusterMetadata {

    private static final Pattern CLUSTER_NAME = Pattern.compile("[A-Za-z0-9_]+");
    /** PostgreSQL truncates identifiers to 63 bytes; longer names would silently collide. */
    private static final int MAX_CLUSTER_NAME = 63 - "repmgr_".length();

    private final String cluster;
    private final String schema;
    private final MetadataSql sql;

    /**
     * @throws MetadataException ({@code ERR_BAD_CONFIG}) unless the name matches {@code [A-Za-z0-9_]+}
     *     and is at most 56 characters long
     */
    public ClusterMetadata(String cluster) {
        Objects.requireNonNull(cluster, "cluster");
        if (!CLUSTER_NAME.matcher(cluster).matches() || cluster.length() > MAX_CLUSTER_NAME) {
            throw new MetadataException(ExitCode.ERR_BAD_CONFIG, "invalid cluster name \"" + cluster
                    + "\": must be 1 to " + MAX_CLUSTER_NAME + " characters of A-Z, a-z, 0-9 and _");
        }
        this.cluster = cluster;
        this.schema = "repmgr_" + cluster;
        this.sql = new MetadataSql('"' + schema + '"'); // validated: no quote can occur inside
    }

    public String cluster() {
        return cluster;
    }

    /** The schema name, unquoted: {@code repmgr_<cluster>}. */
    public String schema() {
        return schema;
    }

    /** The schema as an SQL identifier: {@code "repmgr_<cluster>"}. */
    public String quotedSchema() {
        return '"' + schema + '"';
    }

    // ================================================================== schema

    /** Creates the schema, tables, index and view if missing; safe to run again and concurrently. */
    public void ensureSchema(Connection conn) {
        Jdbc.inTransaction(conn, "creating schema " + schema, () -> {
            try (PreparedStatement lock = conn.prepareStatement(sql.schemaLock())) {
                lock.setString(1, "pgsteward:" + schema);
                lock.execute();
            }
            try (Statement st = conn.createStatement()) {
                for (String ddl : sql.createSchema()) {
                    st.execute(ddl);
                }
            }
            return null;
        });
    }

    // ================================================================== registration

    /**
     * Registers (or re-registers: updates name, conninfo, priority, agent address) node {@code reg}
     * as the cluster's active primary.
     *
     * @param force replace another active primary (it becomes an inactive primary) and allow a node
     *              registered as standby or witness to become the primary
     * @return the stored row
     * @throws MetadataException {@code ERR_BAD_CONFIG} when another active primary exists (named by
     *     id and name) or the node is registered with another type, unless {@code force}; also when
     *     another node has the name
     */
    public RegisteredNode registerPrimary(Connection conn, NodeRegistration reg, boolean force) {
        requireType(reg, NodeRegistration.PRIMARY);
        return Jdbc.inTransaction(conn, "registering primary node " + reg.id(), () -> {
            lockNodes(conn);
            refuseNameTaken(conn, reg);
            Optional<RegisteredNode> existing = selectNode(conn, reg.id());
            if (existing.isPresent() && !existing.get().type().equals(NodeRegistration.PRIMARY) && !force) {
                throw refused(existing.get().describe() + " is registered as a " + existing.get().type()
                        + "; use -F/--force to register it as the primary");
            }
            List<RegisteredNode> others = selectNodes(conn, sql.selectOtherActivePrimaries(), reg.id());
            if (!others.isEmpty() && !force) {
                throw refused("cluster " + cluster + " already has an active primary: "
                        + others.stream().map(RegisteredNode::describe).collect(Collectors.joining(", "))
                        + "; use -F/--force to register " + describe(reg) + " as the primary instead");
            }
            update(conn, sql.deactivateOtherPrimaries(), reg.id());
            upsertNode(conn, reg, Optional.empty());
            update(conn, sql.deleteMonitoring(), reg.id());
            return selectNode(conn, reg.id()).orElseThrow();
        });
    }

    /**
     * Registers (or re-registers) a standby streaming from {@code upstreamId}. {@code conn} is the
     * primary's connection. A former primary ({@code primary}, inactive) may register as a standby
     * without force: that is how it rejoins.
     *
     * @param force allow the cluster's active primary or a witness to be re-registered as a standby
     * @throws MetadataException {@code ERR_BAD_CONFIG} when the upstream is not a registered
     *     non-witness node or is the node itself, the node is the active primary or a witness
     *     (unless {@code force}), or another node has the name
     */
    public RegisteredNode registerStandby(Connection conn, NodeRegistration reg, int upstreamId, boolean force) {
        requireType(reg, NodeRegistration.STANDBY);
        if (upstreamId == reg.id()) {
            throw refused(describe(reg) + " cannot be its own upstream");
        }
        return Jdbc.inTransaction(conn, "registering standby node " + reg.id(), () -> {
            lockNodes(conn);
            refuseNameTaken(conn, reg);
            RegisteredNode upstream = selectNode(conn, upstreamId)
                    .orElseThrow(() -> refused("upstream node " + upstreamId + " of " + describe(reg) + " is not registered"));
            if (upstream.type().equals(NodeRegistration.WITNESS)) {
                throw refused("upstream " + upstream.describe() + " is a witness; a standby needs a PostgreSQL upstream");
            }
            Optional<RegisteredNode> existing = selectNode(conn, reg.id());
            if (existing.isPresent() && !force) {
                RegisteredNode e = existing.get();
                if (e.isActivePrimary()) {
                    throw refused(e.describe() + " is registered as the active primary of cluster " + cluster
                            + "; use -F/--force to register it as a standby");
                }
                if (e.type().equals(NodeRegistration.WITNESS)) {
                    throw refused(e.describe() + " is registered as a witness; use -F/--force to register it as a standby");
                }
            }
            upsertNode(conn, reg, Optional.of(upstreamId));
            return selectNode(conn, reg.id()).orElseThrow();
        });
    }

    /**
     * Registers (or re-registers) a witness: an agent without PostgreSQL that only votes.
     *
     * @param force allow a node registered as primary or standby to become a witness
     * @throws MetadataException {@code ERR_BAD_CONFIG} when the node is registered with another type
     *     (unless {@code force}) or another node has the name
     */
    public RegisteredNode registerWitness(Connection conn, NodeRegistration reg, boolean force) {
        requireType(reg, NodeRegistration.WITNESS);
        return Jdbc.inTransaction(conn, "registering witness node " + reg.id(), () -> {
            lockNodes(conn);
            refuseNameTaken(conn, reg);
            Optional<RegisteredNode> existing = selectNode(conn, reg.id());
            if (existing.isPresent() && !existing.get().type().equals(NodeRegistration.WITNESS) && !force) {
                throw refused(existing.get().describe() + " is registered as a " + existing.get().type()
                        + "; use -F/--force to register it as a witness");
            }
            upsertNode(conn, reg, Optional.empty());
            update(conn, sql.deleteMonitoring(), reg.id());
            return selectNode(conn, reg.id()).orElseThrow();
        });
    }

    /**
     * Removes standby {@code nodeId} from the metadata (its monitoring row goes with it; standbys that named it as
     * upstream keep streaming and get no upstream).
     *
     * @throws MetadataException {@code ERR_BAD_CONFIG} when it is not registered, or is the active primary or a witness
     */
    public RegisteredNode unregisterStandby(Connection conn, int nodeId) {
        return Jdbc.inTransaction(conn, "unregistering standby node " + nodeId, () -> {
            lockNodes(conn);
            RegisteredNode n = selectNode(conn, nodeId).orElseThrow(() -> refused("node " + nodeId
                    + " is not registered in cluster " + cluster));
            if (n.isActivePrimary()) {
                throw refused(n.describe() + " is the active primary of cluster " + cluster + "; only a standby is"
                        + " unregistered (make another node primary first)");
            }
            if (n.type().equals(NodeRegistration.WITNESS)) {
                throw refused(n.describe() + " is a witness, not a standby");
            }
            update(conn, sql.deleteNode(), nodeId);
            return n;
        });
    }

    // ================================================================== promotion and topology

    /**
     * Records that {@code newPrimaryId} is now the primary: it becomes the active primary (no
     * upstream), {@code oldPrimaryId} and any other active primary become inactive primaries (until
     * they rejoin as standbys), and the new primary's monitoring row is dropped. The epoch is not kept here: the
     * cluster record and the votes hold it. An unregistered {@code oldPrimaryId} is ignored: the promotion has
     * already happened and recording it must not fail on a stale id.
     *
     * @throws MetadataException {@code ERR_BAD_CONFIG} when the new primary is not registered or is a witness
     */
    public void promote(Connection conn, int newPrimaryId, int oldPrimaryId) {
        promote(conn, newPrimaryId, Optional.of(oldPrimaryId));
    }

    /** {@link #promote(Connection, int, int)} with the old primary taken from the metadata. */
    public void promote(Connection conn, int newPrimaryId) {
        promote(conn, newPrimaryId, Optional.empty());
    }

    private void promote(Connection conn, int newPrimaryId, Optional<Integer> oldPrimaryId) {
        Jdbc.inTransaction(conn, "recording the promotion of node " + newPrimaryId, () -> {
            lockNodes(conn);
            RegisteredNode node = selectNode(conn, newPrimaryId)
                    .orElseThrow(() -> refused("node " + newPrimaryId + " is not registered; it cannot be recorded as primary"));
            if (node.type().equals(NodeRegistration.WITNESS)) {
                throw refused(node.describe() + " is a witness; it cannot become the primary");
            }
            if (oldPrimaryId.isPresent() && oldPrimaryId.get() != newPrimaryId) {
                update(conn, sql.markFormerPrimary(), oldPrimaryId.get());
            }
            update(conn, sql.deactivateOtherPrimaries(), newPrimaryId);
            update(conn, sql.activatePrimary(), newPrimaryId);
            update(conn, sql.deleteMonitoring(), newPrimaryId);
            return null;
        });
    }

    /**
     * Re-points a standby ({@code standby follow}).
     *
     * @throws MetadataException {@code ERR_BAD_CONFIG} when either node is not registered, the
     *     upstream is a witness or the node itself, or the node is the active primary or a witness
     */
    public void setUpstream(Connection conn, int nodeId, int upstreamId) {
        if (nodeId == upstreamId) {
            throw refused("node " + nodeId + " cannot be its own upstream");
        }
        Jdbc.inTransaction(conn, "setting the upstream of node " + nodeId, () -> {
            lockNodes(conn);
            RegisteredNode node = selectNode(conn, nodeId).orElseThrow(() -> refused("node " + nodeId + " is not registered"));
            RegisteredNode upstream = selectNode(conn, upstreamId)
                    .orElseThrow(() -> refused("upstream node " + upstreamId + " is not registered"));
            if (node.isActivePrimary() || node.type().equals(NodeRegistration.WITNESS)) {
                throw refused(node.describe() + " is " + (node.isActivePrimary() ? "the active primary" : "a witness")
                        + "; only a standby has an upstream");
            }
            if (upstream.type().equals(NodeRegistration.WITNESS)) {
                throw refused("upstream " + upstream.describe() + " is a witness");
            }
            try (PreparedStatement ps = conn.prepareStatement(sql.setUpstream())) {
                ps.setInt(1, upstreamId);
                ps.setInt(2, nodeId);
                ps.executeUpdate();
            }
            return null;
        });
    }

    // ================================================================== reads

    /** Every registered node, by id. */
    public List<RegisteredNode> nodes(Connection conn) {
        return Jdbc.query("reading the registered nodes of cluster " + cluster, () -> {
            try (PreparedStatement ps = conn.prepareStatement(sql.selectNodes())) {
                return readNodes(ps);
            }
        });
    }

    public Optional<RegisteredNode> node(Connection conn, int id) {
        return Jdbc.query("reading registered node " + id, () -> selectNode(conn, id));
    }

    /** The active primary, if one is registered. */
    public Optional<RegisteredNode> primary(Connection conn) {
        return Jdbc.query("reading the primary of cluster " + cluster, () -> {
            try (PreparedStatement ps = conn.prepareStatement(sql.selectActivePrimary())) {
                return readNodes(ps).stream().findFirst();
            }
        });
    }

    // ================================================================== events

    /** Appends an event; the server stamps the time. @return its id */
    public long recordEvent(Connection conn, int nodeId, String event, boolean successful, String details) {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(details, "details");
        return Jdbc.query("recording event " + event + " of node " + nodeId, () -> {
            try (PreparedStatement ps = conn.prepareStatement(sql.insertEvent())) {
                ps.setInt(1, nodeId);
                ps.setString(2, event);
                ps.setBoolean(3, successful);
                ps.setString(4, details);
                try (ResultSet rs = ps.executeQuery()) {
                    return singleLong(rs, "events");
                }
            }
        });
    }

    /** The latest {@code limit} events, newest first. */
    public List<EventRow> events(Connection conn, int limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be > 0, got " + limit);
        }
        return Jdbc.query("reading the events of cluster " + cluster, () -> {
            try (PreparedStatement ps = conn.prepareStatement(sql.selectEvents())) {
                ps.setInt(1, limit);
                List<EventRow> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new EventRow(rs.getLong("id"), rs.getInt("node_id"), rs.getString("event"),
                                rs.getBoolean("successful"), instant(rs, "event_timestamp").orElseThrow(),
                                rs.getString("details")));
                    }
                }
                return out;
            }
        });
    }

    // ================================================================== monitoring

    /**
     * Stores a standby's latest sample (replacing its previous one); {@code last_monitor_time} is
     * the storing server's clock.
     *
     * @throws MetadataException {@code ERR_BAD_CONFIG} when the standby is not registered
     */
    public void upsertMonitoring(Connection conn, MonitoringSample sample) {
        String purpose = "storing the monitoring sample of node " + sample.standbyNode();
        try {
            Jdbc.query(purpose, () -> {
                try (PreparedStatement ps = conn.prepareStatement(sql.upsertMonitoring())) {
                    ps.setInt(1, sample.standbyNode());
                    ps.setInt(2, sample.primaryNode());
                    ps.setString(3, sample.primaryLocation());
                    ps.setString(4, sample.receivedLocation().orElse(null));
                    ps.setString(5, sample.replayLocation());
                    if (sample.lastReplayTimestamp().isPresent()) {
                        ps.setObject(6, sample.lastReplayTimestamp().get().atOffset(ZoneOffset.UTC));
                    } else {
                        ps.setNull(6, Types.TIMESTAMP_WITH_TIMEZONE);
                    }
                    return ps.executeUpdate();
                }
            });
        } catch (MetadataException e) {
            if (e.getCause() instanceof SQLException s && "23503".equals(s.getSQLState())) { // foreign key
                throw new MetadataException(ExitCode.ERR_BAD_CONFIG,
                        purpose + ": node " + sample.standbyNode() + " is not registered; run 'standby register' first", s);
            }
            throw e;
        }
    }

    // ================================================================== helpers

    private void lockNodes(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement()) {
            st.execute(sql.lockNodes());
        }
    }

    private void refuseNameTaken(Connection conn, NodeRegistration reg) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(sql.selectNameOwner())) {
            ps.setString(1, reg.name());
            ps.setInt(2, reg.id());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    throw refused("node name \"" + reg.name() + "\" is already used by node " + rs.getInt(1)
                            + "; node names are unique in cluster " + cluster);
                }
            }
        }
    }

    private void upsertNode(Connection conn, NodeRegistration reg, Optional<Integer> upstream) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(sql.upsertNode())) {
            ps.setInt(1, reg.id());
            ps.setString(2, reg.name());
            ps.setString(3, reg.type());
            if (upstream.isPresent()) {
                ps.setInt(4, upstream.get());
            } else {
                ps.setNull(4, Types.INTEGER);
            }
            ps.setString(5, reg.storedConninfo().toConnString()); // no secrets: see storedConninfo()
            ps.setInt(6, reg.priority());
            ps.setString(7, reg.agentHttp().orElse(null));
            ps.executeUpdate();
        }
    }

    private static void update(Connection conn, String statement, int id) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(statement)) {
            ps.setInt(1, id);
            ps.executeUpdate();
        }
    }

    private Optional<RegisteredNode> selectNode(Connection conn, int id) throws SQLException {
        return selectNodes(conn, sql.selectNode(), id).stream().findFirst();
    }

    private List<RegisteredNode> selectNodes(Connection conn, String statement, int param) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(statement)) {
            ps.setInt(1, param);
            return readNodes(ps);
        }
    }

    private List<RegisteredNode> readNodes(PreparedStatement ps) throws SQLException {
        List<RegisteredNode> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(toNode(rs));
            }
        }
        return out;
    }

    private RegisteredNode toNode(ResultSet rs) throws SQLException {
        int id = rs.getInt("id");
        int upstream = rs.getInt("upstream_node_id");
        Optional<Integer> upstreamId = rs.wasNull() ? Optional.empty() : Optional.of(upstream);
        Conninfo conninfo;
        try {
            conninfo = Conninfo.parse(rs.getString("conninfo"));
        } catch (IllegalArgumentException e) {
            throw new MetadataException(ExitCode.ERR_DB_QUERY,
                    "node " + id + " in " + schema + ".nodes has an unusable conninfo: " + e.getMessage(), e);
        }
        return new RegisteredNode(id, rs.getString("name"), rs.getString("type"), upstreamId, conninfo,
                rs.getInt("priority"), rs.getBoolean("active"), Optional.ofNullable(rs.getString("agent_http")),
                instant(rs, "registered_at").orElseThrow(), instant(rs, "updated_at"));
    }

    private static Optional<Instant> instant(ResultSet rs, String column) throws SQLException {
        return Optional.ofNullable(rs.getObject(column, OffsetDateTime.class)).map(OffsetDateTime::toInstant);
    }

    private long singleLong(ResultSet rs, String table) throws SQLException {
        if (!rs.next()) {
            throw new MetadataException(ExitCode.ERR_DB_QUERY, schema + "." + table + " returned no row");
        }
        return rs.getLong(1);
    }

    private static void requireType(NodeRegistration reg, String type) {
        if (!reg.type().equals(type)) {
            throw new IllegalArgumentException(describe(reg) + " has type " + reg.type() + ", not " + type);
        }
    }

    private static String describe(NodeRegistration reg) {
        return "node " + reg.id() + " (" + reg.name() + ")";
    }

    private static MetadataException refused(String message) {
        return new MetadataException(ExitCode.ERR_BAD_CONFIG, message);
    }
}
