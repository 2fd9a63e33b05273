package org.pgsteward.agent.cluster;

/**
 * Operations the cluster link (not the console) runs through the NodeAgent, so they never
 * overlap a console operation. The HTTP API refuses these names.
 */
public final class InternalCommands {

    public static final String PROMOTE = "cluster promote";
    public static final String FOLLOW = "cluster follow";
    public static final String REJOIN = "cluster rejoin";
    public static final String RESTART = "local restart";
    public static final String SET_SYNC = "cluster set-sync";
    public static final String STOP_FOR_SWITCHOVER = "cluster stop-for-switchover";
    public static final String RESUME = "cluster restart-primary"; // not the console's "cluster resume"
    public static final String AWAIT_LSN = "cluster await-lsn";

    private InternalCommands() {}
}
