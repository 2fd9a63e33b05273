package org.pgsteward.agent.events;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.pgsteward.agent.ops.ClusterStep;
import org.pgsteward.protocol.api.Commands;

/**
 * The events of a node, named as repmgr names them where it has the same event ({@code standby_promote},
 * {@code standby_follow}, {@code node_rejoin}, ...). Every operation that runs on a node (from the console, or asked
 * for by the supervisor) is one event when it ends; the fence is one more.
 */
public final class EventNames {

    /** The local PostgreSQL was fenced (stopped at once, SIGKILL if it hung): lease lost, newer epoch, hung. */
    public static final String FENCE = "fence";
    /** The supervisor promoted this standby in a failover (or again after a failed attempt). */
    public static final String FAILOVER_PROMOTE = "failover_promote";
    /** The supervisor promoted this standby in a switchover asked for on it. */
    public static final String SWITCHOVER_PROMOTE = "switchover_promote";

    private static final Map<String, String> BY_COMMAND = byCommand();

    /** The events of the cluster steps the supervisor (or the agent itself) asks for, by step. */
    private static final Map<Class<? extends ClusterStep>, String> BY_STEP = Map.of(
            ClusterStep.Follow.class, "failover_follow", // re-pointed by the supervisor at a new primary
            ClusterStep.Rejoin.class, "auto_rejoin", // a former primary rejoining by itself (failover.auto-rejoin)
            ClusterStep.LocalRestart.class, "local_restart", // the agent restarted its crashed PostgreSQL
            ClusterStep.StopForSwitchover.class, "switchover_stop", // the old primary stopped cleanly
            ClusterStep.Resume.class, "switchover_rollback", // the old primary started again: the switchover failed
            ClusterStep.SetSync.class, "synchronous_standbys"); // synchronous_standby_names set

    private EventNames() {}

    private static Map<String, String> byCommand() {
        Map<String, String> m = new LinkedHashMap<>();
        for (String c : Commands.ALL) {
            m.put(c, c.replace(' ', '_')); // primary_register, standby_clone, cluster_pause, ...
        }
        return m;
    }

    /** The event of console command {@code command}. */
    public static Optional<String> ofCommand(String command) {
        return Optional.of(BY_COMMAND.getOrDefault(command, command.replace(' ', '_')));
    }

    /**
     * The event of cluster step {@code step}; empty for steps that are no event of their own (waiting for an LSN is
     * part of a switchover). {@code inSwitchover}: a switchover asked for on this node is running.
     */
    public static Optional<String> ofStep(ClusterStep step, boolean inSwitchover) {
        if (step instanceof ClusterStep.Promote) {
            return Optional.of(inSwitchover ? SWITCHOVER_PROMOTE : FAILOVER_PROMOTE);
        }
        return Optional.ofNullable(BY_STEP.get(step.getClass()));
    }

    /** Every event name, for {@code events.only}. */
    public static List<String> all() {
        List<String> all = new java.util.ArrayList<>(BY_COMMAND.values());
        all.addAll(new java.util.TreeSet<>(BY_STEP.values()));
        all.add(FAILOVER_PROMOTE);
        all.add(SWITCHOVER_PROMOTE);
        all.add(FENCE);
        return List.copyOf(new java.util.LinkedHashSet<>(all));
    }

    /**
     * The agent's own check of a loaded configuration: every name in {@code events.only} is an event of this list (the
     * configuration module knows the key's form, not the agent's events).
     */
    public static void checkOnly(java.nio.file.Path file, org.pgsteward.agent.config.NodeConfig config) {
        List<String> names = all();
        for (String e : config.events().only()) {
            if (!names.contains(e)) {
                throw new org.pgsteward.agent.config.BadConfigException(file, "pgsteward.events.only", "unknown event \""
                        + e + "\"; events: " + String.join(", ", names));
            }
        }
    }
}
