package org.pgsteward.protocol.cluster;

/** What an agent says its PostgreSQL is doing. */
public enum PgState {
    /** running, accepting writes */
    PRIMARY,
    /** running in recovery */
    STANDBY,
    /** not running (or not answering); see {@link NodeReport#localRecovery()} */
    DOWN,
    /** stopped by its agent because it may not serve writes (lease lost, old primary of an earlier epoch) */
    FENCED,
    /** the agent is cloning, rewinding or restarting it */
    BUSY,
    /** a witness: no PostgreSQL */
    NONE
}
