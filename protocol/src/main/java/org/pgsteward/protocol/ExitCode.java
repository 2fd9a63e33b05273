package org.pgsteward.protocol;

import java.util.Arrays;
import java.util.Optional;

/**
 * Exit codes of the console, as the seed (repmgr 1.0) defines them; new failure kinds take
 * numbers from 10 up. Scripts rely on these numbers: never renumber.
 */
public enum ExitCode {
    SUCCESS(0, "program ran successfully"),
    ERR_BAD_CONFIG(1, "a configuration or precondition check failed"),
    ERR_BAD_RSYNC(2, "an rsync call returned an error"),
    ERR_STOP_BACKUP(3, "stopping the backup on the upstream (pg_backup_stop) failed"),
    ERR_NO_RESTART(4, "starting or restarting a PostgreSQL instance failed"),
    ERR_NEEDS_XLOG(5, "the WAL needed by the clone could not be created or fetched"),
    ERR_DB_CON(6, "a database could not be reached"),
    ERR_DB_QUERY(7, "a database query failed"),
    ERR_PROMOTED(8, "exiting because the node has been promoted to primary"),
    ERR_BAD_PASSWORD(9, "a password was rejected by the database"),
    ERR_BUSY(10, "the agent is running another operation"),
    ERR_AGENT_UNREACHABLE(11, "the local pgsteward agent could not be reached"),
    ERR_TIMEOUT(12, "an operation did not complete in time"),
    ERR_OPERATION_FAILED(13, "an operation failed (rolled back where possible); the message says which step"),
    ERR_DIVERGED(14, "this standby has WAL its new upstream never had: it needs a rewind (-F) or a new clone"),
    ERR_NO_LEASE(15, "node check: this primary holds no lease, so it is being fenced or will be"),
    ERR_NO_SUPERVISOR(16, "node check: the supervisor did not answer (no failover can be decided)"),
    ERR_SLOT(17, "node check: a replication slot is missing, unused or has lost WAL its standby needs");

    private final int code;
    private final String description;

    ExitCode(int code, String description) {
        this.code = code;
        this.description = description;
    }

    public int code() {
        return code;
    }

    public String description() {
        return description;
    }

    public static Optional<ExitCode> of(int code) {
        return Arrays.stream(values()).filter(e -> e.code == code).findFirst();
    }
}
