package org.pgsteward.agent.postgres;

import java.time.Duration;

/**
 * Every SQL statement the {@link Probe} sends, for the server version it talks to.
 * PostgreSQL 10 renamed xlog to wal and location to lsn; 11 added sender_host/sender_port
 * to pg_stat_wal_receiver; 13 renamed its received_lsn to flushed_lsn. Columns are aliased
 * to one set of names so the reading code does not care about the version.
 */
final class ProbeQueries {

    /** Oldest server the probe understands (pg_stat_wal_receiver and pg_control_checkpoint() are 9.6+). */
    static final int MIN_SERVER_VERSION_NUM = 90600;

    /** Columns: server_version_num, server_version, in_recovery. Any version. */
    static final String IDENTIFY = """
            SELECT current_setting('server_version_num')::int AS server_version_num,
                   current_setting('server_version') AS server_version,
                   pg_is_in_recovery() AS in_recovery""";

    /** Separate from the call below: an unprivileged call fails even inside an untaken CASE branch. */
    static final String CAN_READ_CONTROL_CHECKPOINT =
            "SELECT has_function_privilege('pg_control_checkpoint()', 'EXECUTE') AS allowed";

    /** Columns: timeline_id. Needs superuser or an explicit GRANT. */
    static final String CONTROL_CHECKPOINT_TIMELINE = "SELECT timeline_id FROM pg_control_checkpoint()";

    /** Parameter: text[] of setting names. Columns: name, setting, unit, display. */
    static final String SETTINGS = """
            SELECT name, setting, unit, current_setting(name) AS display
              FROM pg_settings
             WHERE name = ANY (?)""";

    private final int serverVersionNum;

    private ProbeQueries(int serverVersionNum) {
        this.serverVersionNum = serverVersionNum;
    }

    static ProbeQueries forVersion(int serverVersionNum) {
        if (serverVersionNum < MIN_SERVER_VERSION_NUM) {
            throw new IllegalArgumentException("server_version_num " + serverVersionNum + " is older than 9.6");
        }
        return new ProbeQueries(serverVersionNum);
    }

    /** Bounds every later statement on the server side; read-only because a probe never writes. */
    static String sessionSetup(Duration statementTimeout) {
        return "SET statement_timeout = " + Math.max(1, statementTimeout.toMillis())
                + "; SET default_transaction_read_only = on";
    }

    /**
     * Primary. Columns: current_lsn, walfile, last_replay_ts. The WAL file name of the
     * current LSN starts with the timeline the server writes on: unlike
     * pg_control_checkpoint(), it is right at once after a promotion (the first checkpoint
     * on the new timeline comes later) and needs no privilege.
     */
    String primaryWal() {
        return wal()
                ? "SELECT pg_current_wal_lsn() AS current_lsn, pg_walfile_name(pg_current_wal_lsn()) AS walfile,"
                        + " pg_last_xact_replay_timestamp() AS last_replay_ts"
                : "SELECT pg_current_xlog_location() AS current_lsn,"
                        + " pg_xlogfile_name(pg_current_xlog_location()) AS walfile,"
                        + " pg_last_xact_replay_timestamp() AS last_replay_ts";
    }

    /** Standby. Columns: received_lsn, replayed_lsn, last_replay_ts. */
    String standbyWal() {
        return wal()
                ? "SELECT pg_last_wal_receive_lsn() AS received_lsn, pg_last_wal_replay_lsn() AS replayed_lsn,"
                        + " pg_last_xact_replay_timestamp() AS last_replay_ts"
                : "SELECT pg_last_xlog_receive_location() AS received_lsn,"
                        + " pg_last_xlog_replay_location() AS replayed_lsn,"
                        + " pg_last_xact_replay_timestamp() AS last_replay_ts";
    }

    /**
     * Columns: pid, status, sender_host, sender_port, conninfo, received_tli, flushed_lsn,
     * latest_end_lsn, slot_name. At most one row; none when no WAL receiver runs.
     */
    String walReceiver() {
        String sender = serverVersionNum >= 110000
                ? "sender_host, sender_port"
                : "NULL::text AS sender_host, NULL::int AS sender_port";
        String flushed = serverVersionNum >= 130000 ? "flushed_lsn" : "received_lsn AS flushed_lsn";
        return "SELECT pid, status, " + sender + ", conninfo, received_tli, " + flushed + ", latest_end_lsn, slot_name"
                + " FROM pg_stat_wal_receiver";
    }

    /**
     * Columns: pid, application_name, client_addr, state, sent_lsn, write_lsn, flush_lsn,
     * replay_lsn, sync_state. One row per WAL sender.
     */
    String replication() {
        String lsns = wal()
                ? "sent_lsn, write_lsn, flush_lsn, replay_lsn"
                : "sent_location AS sent_lsn, write_location AS write_lsn, flush_location AS flush_lsn,"
                        + " replay_location AS replay_lsn";
        return "SELECT pid, COALESCE(application_name, '') AS application_name, host(client_addr) AS client_addr,"
                + " state, " + lsns + ", sync_state, "
                + (wal() ? "EXTRACT(EPOCH FROM replay_lag)::float8" : "NULL::float8") + " AS replay_lag_s"
                + " FROM pg_stat_replication ORDER BY application_name, pid";
    }

    private boolean wal() {
        return serverVersionNum >= 100000;
    }
}
