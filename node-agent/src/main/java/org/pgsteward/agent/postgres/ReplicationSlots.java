package org.pgsteward.agent.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The physical replication slots pgsteward keeps for its standbys, one per standby on its upstream, named
 * {@code pgsteward_node<id>} after the standby's node id (stable across renames, always a valid slot name, unique in
 * the cluster). Every SQL statement about slots is here; slots of other names (the user's) are never touched.
 */
public final class ReplicationSlots {

    /** The prefix of every slot pgsteward creates; others are left alone. */
    public static final String PREFIX = "pgsteward_node";
    /** SQLSTATE duplicate_object: a concurrent create won the race, which is as good. */
    private static final String DUPLICATE_OBJECT = "42710";
    /** SQLSTATE object_in_use: the slot is active (its standby streams through it). */
    private static final String OBJECT_IN_USE = "55006";

    /**
     * One pgsteward slot as {@code pg_replication_slots} shows it.
     *
     * @param retainedBytes WAL the slot holds back: from its restart_lsn to the server's current (on a standby:
     *                      received) position; empty when it reserves none
     * @param walStatus     reserved, extended, unreserved or lost (the last: the standby cannot resume from it)
     */
    public record Slot(String name, boolean active, Optional<Long> retainedBytes, String walStatus) {}

    private ReplicationSlots() {}

    /** The slot of node {@code nodeId}. */
    public static String nameFor(int nodeId) {
        if (nodeId < 1) {
            throw new IllegalArgumentException("node id must be positive, got " + nodeId);
        }
        return PREFIX + nodeId;
    }

    /** The node id a pgsteward slot name stands for; empty for any other name. */
    public static Optional<Integer> nodeOf(String slotName) {
        if (!slotName.startsWith(PREFIX) || slotName.length() == PREFIX.length() || slotName.length() > PREFIX.length() + 10) {
            return Optional.empty();
        }
        String digits = slotName.substring(PREFIX.length());
        if (!digits.chars().allMatch(Character::isDigit) || digits.startsWith("0")) {
            return Optional.empty();
        }
        long id = Long.parseLong(digits);
        return id > Integer.MAX_VALUE ? Optional.empty() : Optional.of((int) id);
    }

    /**
     * Creates slot {@code name} (reserving WAL from now) unless it exists.
     *
     * @return whether it was created (false: it existed)
     */
    public static boolean ensure(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT pg_create_physical_replication_slot(?, true) WHERE NOT EXISTS"
                        + " (SELECT 1 FROM pg_replication_slots WHERE slot_name = ?)")) {
            ps.setString(1, name);
            ps.setString(2, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            if (DUPLICATE_OBJECT.equals(e.getSQLState())) {
                return false;
            }
            throw e;
        }
    }

    /** Creates the slots of {@code nodeIds} that do not exist; returns the names of those created. */
    public static List<String> ensureAll(Connection c, Collection<Integer> nodeIds) throws SQLException {
        List<String> created = new ArrayList<>();
        for (int id : nodeIds) {
            if (ensure(c, nameFor(id))) {
                created.add(nameFor(id));
            }
        }
        return created;
    }

    /** What dropping a slot did. */
    public enum Dropped { DROPPED, ABSENT, ACTIVE }

    /** Drops slot {@code name}; an active one (its standby streams through it) is left and said so. */
    public static Dropped drop(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Dropped.DROPPED : Dropped.ABSENT;
            }
        } catch (SQLException e) {
            if (OBJECT_IN_USE.equals(e.getSQLState())) {
                return Dropped.ACTIVE;
            }
            throw e;
        }
    }

    /**
     * Drops the inactive pgsteward slots except those of {@code keep} (node ids): a former primary's slots for the
     * standbys it had, which would hold WAL on it for ever. Returns the names dropped.
     */
    public static List<String> dropStale(Connection c, Set<Integer> keep) throws SQLException {
        List<String> dropped = new ArrayList<>();
        for (Slot s : list(c)) {
            boolean kept = nodeOf(s.name()).map(keep::contains).orElse(true);
            if (!s.active() && !kept && drop(c, s.name()) == Dropped.DROPPED) {
                dropped.add(s.name());
            }
        }
        return dropped;
    }

    /** The pgsteward slots of this server, by name. */
    public static List<Slot> list(Connection c) throws SQLException {
        String sql = "SELECT slot_name::text, active, CASE WHEN restart_lsn IS NULL THEN NULL ELSE"
                + " pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN COALESCE(pg_last_wal_receive_lsn(),"
                + " pg_last_wal_replay_lsn()) ELSE pg_current_wal_lsn() END, restart_lsn)::bigint END,"
                // wal_status is new in 13: read through jsonb so older servers answer too
                + " COALESCE(to_jsonb(s) ->> 'wal_status', '') FROM pg_replication_slots s WHERE slot_type = 'physical'"
                + " AND slot_name LIKE 'pgsteward\\_node%' ORDER BY slot_name";
        List<Slot> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                long retained = rs.getLong(3);
                Optional<Long> bytes = rs.wasNull() ? Optional.empty() : Optional.of(Math.max(0, retained));
                if (nodeOf(rs.getString(1)).isPresent()) {
                    out.add(new Slot(rs.getString(1), rs.getBoolean(2), bytes, rs.getString(4)));
                }
            }
        }
        return out;
    }

    /** {@code max_replication_slots} of the server: 0 means no standby can have a slot. */
    public static int capacity(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW max_replication_slots")) {
            rs.next();
            return Integer.parseInt(rs.getString(1).strip());
        }
    }

    /**
     * Sets {@code max_slot_wal_keep_size} (in whole MB, rounded up) by ALTER SYSTEM and reloads, unless it has that
     * value already. Returns whether it changed.
     */
    public static boolean limitRetainedWal(Connection c, long bytes) throws SQLException {
        long mb = Math.max(1, (bytes + (1 << 20) - 1) >> 20);
        try (Statement st = c.createStatement()) {
            // the files too: a reload is asynchronous, so a value just written may not be in effect yet
            try (ResultSet rs = st.executeQuery("SELECT (SELECT setting FROM pg_settings WHERE name ="
                    + " 'max_slot_wal_keep_size'), (SELECT setting FROM pg_file_settings WHERE name ="
                    + " 'max_slot_wal_keep_size' AND error IS NULL ORDER BY seqno DESC LIMIT 1)")) {
                if (rs.next() && (Long.toString(mb).equals(rs.getString(1)) || (mb + "MB").equals(rs.getString(2)))) {
                    return false;
                }
            }
            st.execute("ALTER SYSTEM SET max_slot_wal_keep_size = '" + mb + "MB'");
            st.execute("SELECT pg_reload_conf()");
            return true;
        }
    }
}
