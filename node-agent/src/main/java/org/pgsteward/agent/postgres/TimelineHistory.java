package org.pgsteward.agent.postgres;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.pgsteward.protocol.Lsn;

/**
 * What a server's replication protocol says about its WAL history: {@code IDENTIFY_SYSTEM} (the
 * timeline and position it is at; on a standby the timeline it replays and the later of its
 * received and replayed positions) and {@code TIMELINE_HISTORY} (where each earlier timeline
 * ended). These are the facts PostgreSQL itself uses to decide whether a standby can switch to a
 * new primary's timeline, read the same way, over a physical replication connection.
 */
public final class TimelineHistory {

    /** One {@code IDENTIFY_SYSTEM} answer. */
    public record Position(long systemIdentifier, long timeline, Lsn lsn) {
    }

    /** One line of a timeline history file: {@code timeline} ended (and the next one began) at {@code switchpoint}. */
    public record Entry(long timeline, Lsn switchpoint) {
    }

    private static final String CONNECT_TIMEOUT_SECONDS = "5";
    private static final String SOCKET_TIMEOUT_SECONDS = "10";

    private TimelineHistory() {
    }

    /**
     * @throws SQLException when the server cannot be reached over a replication connection (pg_hba.conf,
     *     max_wal_senders) or answers something unexpected
     */
    public static Position identify(Conninfo server) throws SQLException {
        try (Connection c = connect(server); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("IDENTIFY_SYSTEM")) {
            if (!rs.next()) {
                throw new SQLException("IDENTIFY_SYSTEM returned no row");
            }
            return new Position(Long.parseUnsignedLong(rs.getString("systemid")), rs.getLong("timeline"),
                    Lsn.parse(rs.getString("xlogpos")));
        }
    }

    /**
     * The history of {@code timeline} on {@code server}: every earlier timeline and where it ended,
     * oldest first (empty for timeline 1).
     */
    public static List<Entry> history(Conninfo server, long timeline) throws SQLException {
        if (timeline <= 1) {
            return List.of();
        }
        try (Connection c = connect(server); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("TIMELINE_HISTORY " + timeline)) {
            if (!rs.next()) {
                throw new SQLException("TIMELINE_HISTORY " + timeline + " returned no row");
            }
            // the content column is declared bytea but sent as the file's raw text
            byte[] raw = rs.getBytes("content");
            return parse(new String(raw, StandardCharsets.UTF_8));
        }
    }

    /**
     * Parses a timeline history file: lines {@code <tli>\t<switchpoint>\t<reason>}, comments with {@code #}.
     *
     * @throws SQLException on a line that is neither
     */
    static List<Entry> parse(String content) throws SQLException {
        List<Entry> entries = new ArrayList<>();
        for (String line : content.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            String[] f = l.split("\\s+", 3);
            try {
                entries.add(new Entry(Long.parseLong(f[0]), Lsn.parse(f[1])));
            } catch (RuntimeException e) {
                throw new SQLException("unreadable timeline history line '" + l + "'", e);
            }
        }
        return List.copyOf(entries);
    }

    /** Where {@code timeline} ended according to {@code history}, if it is part of it. */
    public static Optional<Lsn> switchpoint(List<Entry> history, long timeline) {
        return history.stream().filter(e -> e.timeline() == timeline).map(Entry::switchpoint).findFirst();
    }

    private static Connection connect(Conninfo server) throws SQLException {
        Properties props = server.toJdbcProperties();
        // a physical replication connection; the simple protocol, since walsenders take no extended queries,
        // and no startup queries of the driver's (the walsender would refuse them)
        props.setProperty("replication", "true");
        props.setProperty("preferQueryMode", "simple");
        props.setProperty("assumeMinServerVersion", "9.4");
        props.putIfAbsent("connectTimeout", CONNECT_TIMEOUT_SECONDS);
        props.setProperty("socketTimeout", SOCKET_TIMEOUT_SECONDS);
        props.setProperty("ApplicationName", "pgsteward timeline check");
        return DriverManager.getConnection(server.toJdbcUrl(), props);
    }
}
