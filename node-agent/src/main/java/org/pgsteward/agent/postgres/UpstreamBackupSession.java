package org.pgsteward.agent.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.Properties;
import org.pgsteward.protocol.ExitCode;

/**
 * One JDBC session to the upstream that inspects it and runs a non-exclusive base backup:
 * start and stop must happen in the same session, and closing the session aborts a backup
 * still in progress. Every SQL statement of the rsync clone is here.
 */
final class UpstreamBackupSession implements AutoCloseable {

    private static final String INSPECT = "SELECT current_setting('server_version_num')::int,"
            + " pg_is_in_recovery(),"
            + " current_setting('data_directory')," // = SHOW data_directory
            + " (SELECT count(*) FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global'))::int";

    /** An idle_session_timeout on the upstream must not end the session while rsync runs (PG 14+). */
    private static final String NO_IDLE_TIMEOUT = "SET idle_session_timeout = 0";

    private static final String START_15 = "SELECT pg_backup_start(?, fast => true)::text";
    private static final String START_96 = "SELECT pg_start_backup(?, true, false)::text"; // fast, non-exclusive

    private static final String STOP_COLUMNS = "SELECT labelfile, spcmapfile, lsn::text, pg_walfile_name(lsn) FROM ";
    private static final String STOP_15 = STOP_COLUMNS + "pg_backup_stop(wait_for_archive => false)";
    private static final String STOP_10 = STOP_COLUMNS + "pg_stop_backup(false, false)"; // non-exclusive, no archive wait
    private static final String STOP_96 = STOP_COLUMNS + "pg_stop_backup(false)";

    /** Non-exclusive backups exist from 9.6 on. */
    static final int MIN_VERSION_NUM = 90600;

    private static final String DEFAULT_CONNECT_TIMEOUT_SECONDS = "10";

    private final Connection connection;
    private final String where;
    private int versionNum;
    private boolean backupInProgress;

    private UpstreamBackupSession(Connection connection, String where) {
        this.connection = connection;
        this.where = where;
    }

    /**
     * @throws CloneException ERR_BAD_PASSWORD when the password is rejected, ERR_DB_CON for any other
     *     connection failure, ERR_BAD_CONFIG when the conninfo cannot be used by JDBC (socket directory)
     */
    static UpstreamBackupSession connect(Conninfo upstream) {
        String url;
        try {
            url = upstream.toJdbcUrl();
        } catch (IllegalStateException e) {
            throw new CloneException(ExitCode.ERR_BAD_CONFIG, "upstream conninfo " + upstream + " cannot be used: "
                    + e.getMessage(), e);
        }
        Properties props = upstream.toJdbcProperties();
        props.putIfAbsent("connectTimeout", DEFAULT_CONNECT_TIMEOUT_SECONDS);
        props.putIfAbsent("ApplicationName", "pgsteward clone");
        props.setProperty("tcpKeepAlive", "true"); // the session idles for the whole rsync
        try {
            return new UpstreamBackupSession(DriverManager.getConnection(url, props), upstream.toConnStringRedacted());
        } catch (SQLException e) {
            throw new CloneException(ConnectionFailures.fromConnect(e), "cannot connect to the upstream "
                    + upstream.toConnStringRedacted() + ": " + e.getMessage(), e);
        }
    }

    /** @throws CloneException ERR_DB_QUERY */
    UpstreamInfo inspect() {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(INSPECT)) {
            rs.next();
            var info = new UpstreamInfo(rs.getInt(1), rs.getBoolean(2), rs.getString(3), rs.getInt(4));
            versionNum = info.serverVersionNum();
            return info;
        } catch (SQLException e) {
            throw new CloneException(ExitCode.ERR_DB_QUERY, "cannot inspect the upstream " + where
                    + " (needs a superuser or pg_read_all_settings): " + e.getMessage(), e);
        }
    }

    /**
     * Starts a non-exclusive backup with an immediate checkpoint; returns the start LSN.
     *
     * @throws CloneException ERR_DB_QUERY
     */
    String startBackup(String label) {
        requireInspected();
        try {
            if (versionNum >= 140000) {
                try (Statement s = connection.createStatement()) {
                    s.execute(NO_IDLE_TIMEOUT);
                }
            }
            try (PreparedStatement ps = connection.prepareStatement(versionNum >= 150000 ? START_15 : START_96)) {
                ps.setString(1, label);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    backupInProgress = true;
                    return rs.getString(1);
                }
            }
        } catch (SQLException e) {
            throw new CloneException(ExitCode.ERR_DB_QUERY, "cannot start the backup on " + where + ": "
                    + e.getMessage(), e);
        }
    }

    boolean backupInProgress() {
        return backupInProgress;
    }

    /**
     * Ends the backup started by {@link #startBackup}, without waiting for WAL archiving (the clone
     * fetches the WAL itself).
     *
     * @throws CloneException ERR_STOP_BACKUP
     */
    BackupEnd stopBackup() {
        requireInspected();
        String sql = versionNum >= 150000 ? STOP_15 : versionNum >= 100000 ? STOP_10 : STOP_96;
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            backupInProgress = false;
            String spcmap = rs.getString(2);
            return new BackupEnd(rs.getString(1), Optional.ofNullable(spcmap).filter(m -> !m.isEmpty()),
                    rs.getString(3), rs.getString(4));
        } catch (SQLException e) {
            backupInProgress = false; // whatever happened, the session close below aborts it
            throw new CloneException(ExitCode.ERR_STOP_BACKUP, "cannot stop the backup on " + where + ": "
                    + e.getMessage(), e);
        }
    }

    private void requireInspected() {
        if (versionNum == 0) {
            throw new IllegalStateException("inspect() the upstream first");
        }
    }

    /** Closing the session aborts a backup still in progress (non-exclusive backups are session-bound). */
    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            // nothing left to do with a connection that will not close
        }
    }
}
