package org.pgsteward.agent.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;
import org.pgsteward.protocol.Lsn;
import org.postgresql.Driver;
import org.postgresql.PGProperty;

/**
 * Reads the replication state of one PostgreSQL server over JDBC: one short-lived,
 * read-only connection per {@link #probe}, bounded by {@link ProbeTimeouts}. Connection
 * problems never throw; they come back as a snapshot whose {@link Reachability} says what
 * happened. Thread-safe (no state besides the timeouts).
 */
public final class Probe {

    /** What the probe's sessions show as application_name in pg_stat_activity. */
    public static final String APPLICATION_NAME = "pgsteward-probe";

    // used directly, not via DriverManager: no global lock, no other driver on the classpath picks the URL
    private static final Driver DRIVER = new Driver();
    // margin so the server's statement_timeout (a clear error) fires before the socket timeout (a lost server)
    private static final Duration SOCKET_MARGIN = Duration.ofSeconds(2);

    private final ProbeTimeouts timeouts;

    public Probe(ProbeTimeouts timeouts) {
        this.timeouts = timeouts;
    }

    public ProbeTimeouts timeouts() {
        return timeouts;
    }

    /**
     * Probes the server at {@code jdbcUrl}.
     *
     * @param props pgjdbc connection properties (user, password, ssl...); not modified. The
     *              probe's timeouts and application name are set on a copy; as always with
     *              pgjdbc, parameters in the URL itself take precedence.
     */
    public PgSnapshot probe(String jdbcUrl, Properties props) {
        Instant probedAt = Instant.now();
        List<String> secrets = secrets(jdbcUrl, props);
        Connection connection;
        try {
            connection = DRIVER.connect(jdbcUrl, connectionProperties(props));
        } catch (SQLException e) {
            return PgSnapshot.failed(ProbeErrors.classify(e), ProbeErrors.describe(e, secrets), probedAt);
        } catch (RuntimeException e) {
            return PgSnapshot.failed(Reachability.ERROR, ProbeErrors.describe(e, secrets), probedAt);
        }
        if (connection == null) {
            return PgSnapshot.failed(Reachability.ERROR, "not a jdbc:postgresql: URL", probedAt);
        }
        try {
            return read(connection, probedAt);
        } catch (SQLException e) {
            return PgSnapshot.failed(ProbeErrors.classify(e), ProbeErrors.describe(e, secrets), probedAt);
        } catch (RuntimeException e) {
            // an answer we could not make sense of: report it rather than kill the caller's probe loop
            return PgSnapshot.failed(Reachability.ERROR, ProbeErrors.describe(e, secrets), probedAt);
        } finally {
            closeQuietly(connection);
        }
    }

    private Properties connectionProperties(Properties given) {
        var p = new Properties();
        p.putAll(given);
        int connectSeconds = seconds(timeouts.connect());
        PGProperty.CONNECT_TIMEOUT.set(p, connectSeconds);
        PGProperty.LOGIN_TIMEOUT.set(p, connectSeconds);
        PGProperty.SOCKET_TIMEOUT.set(p, seconds(timeouts.statement().plus(SOCKET_MARGIN)));
        PGProperty.APPLICATION_NAME.set(p, APPLICATION_NAME);
        PGProperty.READ_ONLY.set(p, true);
        return p;
    }

    /** pgjdbc timeouts are whole seconds, and 0 would mean "none". */
    private static int seconds(Duration d) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (d.toMillis() + 999) / 1000));
    }

    /** Passwords given in the properties or the URL, to mask in error messages. */
    private static List<String> secrets(String jdbcUrl, Properties props) {
        Properties parsed = null;
        try {
            parsed = Driver.parseURL(jdbcUrl, props);
        } catch (RuntimeException e) {
            // unparsable URL: the properties alone
        }
        var out = new ArrayList<String>();
        for (Properties p : parsed == null ? List.of(props) : List.of(props, parsed)) {
            Stream.of("password", "sslpassword").map(p::getProperty).filter(s -> s != null && !s.isEmpty())
                    .forEach(out::add);
        }
        return out;
    }

    private PgSnapshot read(Connection c, Instant probedAt) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(ProbeQueries.sessionSetup(timeouts.statement()));
        }
        int versionNum;
        String version;
        boolean inRecovery;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(ProbeQueries.IDENTIFY)) {
            rs.next();
            versionNum = rs.getInt("server_version_num");
            version = rs.getString("server_version");
            inRecovery = rs.getBoolean("in_recovery");
        }
        if (versionNum < ProbeQueries.MIN_SERVER_VERSION_NUM) {
            return PgSnapshot.failed(Reachability.ERROR,
                    "PostgreSQL " + version + " is not supported (9.6 or later is needed)", probedAt);
        }
        ProbeQueries q = ProbeQueries.forVersion(versionNum);

        Optional<Lsn> current = Optional.empty();
        Optional<Lsn> received = Optional.empty();
        Optional<Lsn> replayed = Optional.empty();
        Optional<Instant> lastReplay;
        Optional<WalReceiverInfo> receiver = Optional.empty();
        long timeline;
        if (!inRecovery) {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(q.primaryWal())) {
                rs.next();
                current = lsn(rs, "current_lsn");
                timeline = timelineOfWalFile(rs.getString("walfile"));
                lastReplay = instant(rs, "last_replay_ts");
            }
        } else {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(q.standbyWal())) {
                rs.next();
                received = lsn(rs, "received_lsn");
                replayed = lsn(rs, "replayed_lsn");
                lastReplay = instant(rs, "last_replay_ts");
            }
            receiver = walReceiver(c, q);
            // the receiver knows the upstream's timeline as soon as it follows a switch;
            // the last restartpoint's timeline can lag behind
            Optional<Long> streamedTli = receiver.filter(WalReceiverInfo::isStreaming)
                    .flatMap(WalReceiverInfo::receivedTli);
            timeline = streamedTli.isPresent() ? streamedTli.get() : checkpointTimeline(c).orElse(0L);
        }
        return new PgSnapshot(Reachability.REACHABLE, Optional.empty(), probedAt, inRecovery, versionNum, version,
                timeline, current, received, replayed, lastReplay, receiver, standbys(c, q),
                Optional.of(settings(c)));
    }

    private static Optional<WalReceiverInfo> walReceiver(Connection c, ProbeQueries q) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(q.walReceiver())) {
            if (!rs.next()) {
                return Optional.empty();
            }
            return Optional.of(new WalReceiverInfo(rs.getInt("pid"), string(rs, "status"), string(rs, "sender_host"),
                    integer(rs, "sender_port"), string(rs, "conninfo"), longValue(rs, "received_tli"),
                    lsn(rs, "flushed_lsn"), lsn(rs, "latest_end_lsn"), string(rs, "slot_name")));
        }
    }

    private static List<StandbyInfo> standbys(Connection c, ProbeQueries q) throws SQLException {
        var out = new ArrayList<StandbyInfo>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(q.replication())) {
            while (rs.next()) {
                out.add(new StandbyInfo(rs.getInt("pid"), rs.getString("application_name"), string(rs, "client_addr"),
                        string(rs, "state"), lsn(rs, "sent_lsn"), lsn(rs, "write_lsn"), lsn(rs, "flush_lsn"),
                        lsn(rs, "replay_lsn"), string(rs, "sync_state"), doubleValue(rs, "replay_lag_s")));
            }
        }
        return out;
    }

    private static Optional<Long> checkpointTimeline(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(ProbeQueries.CAN_READ_CONTROL_CHECKPOINT)) {
            if (!rs.next() || !rs.getBoolean("allowed")) {
                return Optional.empty();
            }
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(ProbeQueries.CONTROL_CHECKPOINT_TIMELINE)) {
            return rs.next() ? longValue(rs, "timeline_id") : Optional.empty();
        }
    }

    private static ReplicationSettings settings(Connection c) throws SQLException {
        var rows = new ArrayList<ReplicationSettings.SettingRow>();
        try (PreparedStatement ps = c.prepareStatement(ProbeQueries.SETTINGS)) {
            ps.setArray(1, c.createArrayOf("text", ReplicationSettings.NAMES.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new ReplicationSettings.SettingRow(rs.getString("name"), rs.getString("setting"),
                            string(rs, "unit"), rs.getString("display")));
                }
            }
        }
        return ReplicationSettings.fromRows(rows);
    }

    /** A WAL file name is TTTTTTTTXXXXXXXXYYYYYYYY: timeline, then segment, in hex. */
    static long timelineOfWalFile(String walFileName) {
        if (walFileName == null || walFileName.length() != 24) {
            throw new IllegalStateException("unexpected WAL file name: " + walFileName);
        }
        return Long.parseLong(walFileName.substring(0, 8), 16);
    }

    private static Optional<String> string(ResultSet rs, String column) throws SQLException {
        return Optional.ofNullable(rs.getString(column));
    }

    private static Optional<Lsn> lsn(ResultSet rs, String column) throws SQLException {
        return string(rs, column).map(Lsn::parse);
    }

    private static Optional<Integer> integer(ResultSet rs, String column) throws SQLException {
        int v = rs.getInt(column);
        return rs.wasNull() ? Optional.empty() : Optional.of(v);
    }

    private static Optional<Long> longValue(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? Optional.empty() : Optional.of(v);
    }

    private static Optional<Double> doubleValue(ResultSet rs, String column) throws SQLException {
        double v = rs.getDouble(column);
        return rs.wasNull() ? Optional.empty() : Optional.of(v);
    }

    private static Optional<Instant> instant(ResultSet rs, String column) throws SQLException {
        return Optional.ofNullable(rs.getObject(column, OffsetDateTime.class)).map(OffsetDateTime::toInstant);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            // the snapshot is already taken; a failed close changes nothing about it
        }
    }
}
