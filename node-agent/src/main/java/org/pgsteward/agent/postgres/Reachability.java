package org.pgsteward.agent.postgres;

/** How one probe of a server went. */
public enum Reachability {
    /** connected and read the server's state */
    REACHABLE,
    /** nothing answered in time: refused, timed out, unknown host, connection lost */
    UNREACHABLE,
    /** the server answered but rejected our credentials (or asked for a password we lack) */
    AUTH_FAILED,
    /** anything else: the server answered but the probe could not complete; see the error */
    ERROR
}
