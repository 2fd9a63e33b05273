package org.pgsteward.agent.postgres;

/** What {@code pg_ctl status} says about a data directory. */
public enum ServerStatus {
    RUNNING,
    STOPPED,
    /** no data directory, or not accessible */
    NO_DATA_DIRECTORY
}
