package org.pgsteward.agent.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.pgsteward.protocol.ExitCode;

/**
 * What {@link Rewind} checks on its source before touching anything: reachable, a primary, the
 * same cluster and major version, and on which timeline. Every SQL statement of the rewind is here.
 *
 * @param serverVersionNum   {@code server_version_num}, e.g. 150004
 * @param inRecovery         true for a standby
 * @param systemIdentifier   from {@code pg_control_system()}; equal for all copies of one cluster
 * @param timeline           the timeline it writes WAL on now (0 for a standby)
 * @param checkpointTimeline the timeline of its last checkpoint, i.e. what its pg_control (which
 *                           pg_rewind reads) says; lags {@code timeline} after a promotion until
 *                           the first checkpoint on the new timeline completes
 */
record RewindSource(int serverVersionNum, boolean inRecovery, long systemIdentifier, int timeline,
                    int checkpointTimeline) {

    private static final String INSPECT = "SELECT current_setting('server_version_num')::int, pg_is_in_recovery(),"
            + " (SELECT system_identifier FROM pg_control_system()),"
            + " CASE WHEN pg_is_in_recovery() THEN 0"
            + " ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END,"
            + " (SELECT timeline_id FROM pg_control_checkpoint())";
    /** Superuser, or pg_checkpoint (15+). */
    private static final String CHECKPOINT = "CHECKPOINT";
    private static final String DEFAULT_CONNECT_TIMEOUT_SECONDS = "10";

    int majorVersion() {
        return serverVersionNum / 10000;
    }

    /** pg_rewind would read an older timeline from the source's control file than it is on. */
    boolean controlFileLags() {
        return checkpointTimeline < timeline;
    }

    /**
     * @throws RewindException ERR_DB_CON / ERR_BAD_PASSWORD when it cannot connect, ERR_BAD_CONFIG when
     *     the conninfo cannot be used over JDBC, ERR_DB_QUERY when the inspection fails
     */
    static RewindSource inspect(Conninfo source) {
        try (Connection c = connect(source); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(INSPECT)) {
            rs.next();
            return new RewindSource(rs.getInt(1), rs.getBoolean(2), rs.getLong(3), rs.getInt(4), rs.getInt(5));
        } catch (SQLException e) {
            throw new RewindException(ExitCode.ERR_DB_QUERY, "cannot inspect the rewind source " + source + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Runs CHECKPOINT on the source, so its control file names the timeline it was promoted to.
     *
     * @throws RewindException as {@link #inspect}; ERR_DB_QUERY also when not permitted
     */
    static void checkpoint(Conninfo source) {
        try (Connection c = connect(source); Statement s = c.createStatement()) {
            s.execute(CHECKPOINT);
        } catch (SQLException e) {
            throw new RewindException(ExitCode.ERR_DB_QUERY, "cannot run CHECKPOINT on the rewind source " + source
                    + " (needs a superuser or pg_checkpoint); it was promoted and its first checkpoint on the new"
                    + " timeline has not completed, so pg_rewind would see the old timeline: " + e.getMessage(), e);
        }
    }

    private static Connection connect(Conninfo source) {
        String url;
        try {
            url = source.toJdbcUrl();
        } catch (IllegalStateException e) {
            throw new RewindException(ExitCode.ERR_BAD_CONFIG, "rewind source " + source + " cannot be checked: "
                    + e.getMessage(), e);
        }
        Properties props = source.toJdbcProperties();
        props.putIfAbsent("connectTimeout", DEFAULT_CONNECT_TIMEOUT_SECONDS);
        props.setProperty("ApplicationName", "pgsteward rewind");
        try {
            return DriverManager.getConnection(url, props);
        } catch (SQLException e) {
            throw new RewindException(ConnectionFailures.fromConnect(e), "cannot connect to the rewind source "
                    + source + ": " + e.getMessage(), e);
        }
    }
}
