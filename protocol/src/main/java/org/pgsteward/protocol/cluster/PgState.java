package org.pgsteward.protocol.cluster;

/** What an agent says its PostgreSQL is doing. */
public enum PgState {
    /** running, accepting writes */
    PRIMARY,
    /** running in recovery */
    STANDBY,
    /** not running (or not answering, for a reason its agent cannot tell); see {@link NodeReport#localRecovery()} */
    DOWN,
    /**
     * running but not answering, and its postmaster has not run for failover.timeout while a connection waited for
     * it (stopped, or stuck in the kernel); {@link NodeReport#localRecovery()} GAVE_UP: its agent is fencing it (a
     * primary's agent does once the restart budget is spent too; then it reports FENCED)
     */
    HUNG,
    /** running and working (its postmaster runs) but not answering its agent's probe in time: loaded, not failed */
    SLOW,
    /** stopped by its agent because it may not serve writes (lease lost, old primary of an earlier epoch) */
    FENCED,
    /** the agent is cloning, rewinding or restarting it */
    BUSY,
    /** a witness: no PostgreSQL */
    NONE
}
