package org.pgsteward.protocol.api;

import java.util.List;

/** The names of the commands the agent runs for the console (the {@code command} of a request). */
public final class Commands {

    public static final String PRIMARY_REGISTER = "primary register";
    public static final String STANDBY_REGISTER = "standby register";
    public static final String STANDBY_CLONE = "standby clone";
    public static final String STANDBY_PROMOTE = "standby promote";
    public static final String STANDBY_FOLLOW = "standby follow";
    public static final String STANDBY_SWITCHOVER = "standby switchover";
    public static final String STANDBY_UNREGISTER = "standby unregister";
    public static final String WITNESS_REGISTER = "witness register";
    public static final String NODE_REJOIN = "node rejoin";
    public static final String CLUSTER_PAUSE = "cluster pause";
    public static final String CLUSTER_RESUME = "cluster resume";

    public static final List<String> ALL = List.of(PRIMARY_REGISTER, STANDBY_REGISTER, STANDBY_CLONE, STANDBY_PROMOTE,
            STANDBY_FOLLOW, STANDBY_SWITCHOVER, STANDBY_UNREGISTER, WITNESS_REGISTER, NODE_REJOIN, CLUSTER_PAUSE, CLUSTER_RESUME);

    private Commands() {}
}
