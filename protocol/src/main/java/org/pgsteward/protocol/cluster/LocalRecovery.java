package org.pgsteward.protocol.cluster;

/** An agent's local attempts to bring a crashed PostgreSQL back before anyone fails over. */
public enum LocalRecovery {
    /** nothing to recover */
    NONE,
    /** the agent is restarting it (crash recovery) */
    RESTARTING,
    /** restarts failed: the agent gave up; a failover may proceed */
    GAVE_UP
}
