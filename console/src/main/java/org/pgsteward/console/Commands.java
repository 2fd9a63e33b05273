package org.pgsteward.console;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.Json;
import org.pgsteward.protocol.api.ClusterView;
import org.pgsteward.protocol.api.CommandRequest;
import org.pgsteward.protocol.api.EventRow;
import org.pgsteward.protocol.api.NodeCheckView;
import org.pgsteward.protocol.api.NodeRow;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The console's command words; each sends one request to the agent. */
final class Commands {

    private Commands() {}

    /** Shared by the commands: the root options and the output streams. */
    abstract static class Base implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        Main root() {
            return (Main) spec.root().userObject();
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        PrintWriter err() {
            return spec.commandLine().getErr();
        }

        int operation(String command, Optional<String> target, Optional<String> method, boolean noStart) {
            var request = new CommandRequest(command, root().args(target, method, noStart));
            return OperationPrinter.run(root().agent(), request, out(), err());
        }
    }

    /** --json / --csv for show-like commands. */
    static final class Format {
        @Option(names = "--json", description = "print JSON") boolean json;
        @Option(names = "--csv", description = "print CSV") boolean csv;
    }

    @Command(name = "master", description = "master register: registers the primary (same as `primary register`)",
            subcommands = {MasterRegister.class})
    static final class Master {}

    @Command(name = "primary", description = "primary register: registers the primary", subcommands = {MasterRegister.class})
    static final class Primary {}

    @Command(name = "register", description = "registers this node as the primary of the cluster; creates schema "
            + "repmgr_<cluster> and view repl_status; -F re-registers over another registered primary")
    static final class MasterRegister extends Base {
        @Override
        public Integer call() {
            return operation(org.pgsteward.protocol.api.Commands.PRIMARY_REGISTER, Optional.empty(), Optional.empty(), false);
        }
    }

    @Command(name = "standby", description = "standby {register|unregister|clone|promote|follow|switchover}",
            subcommands = {StandbyRegister.class, StandbyClone.class, StandbyPromote.class, StandbyFollow.class,
                    StandbySwitchover.class, StandbyUnregister.class})
    static final class Standby {}

    @Command(name = "register", description = "registers this standby in the cluster")
    static final class StandbyRegister extends Base {
        @Override
        public Integer call() {
            return operation(org.pgsteward.protocol.api.Commands.STANDBY_REGISTER, Optional.empty(), Optional.empty(), false);
        }
    }

    @Command(name = "unregister", description = "removes this standby (or the one of --node-id) from the cluster's"
            + " metadata and drops its replication slot on the primary; refused for the primary")
    static final class StandbyUnregister extends Base {
        @Option(names = "--node-id", paramLabel = "ID", description = "the standby to unregister (default: this node)")
        Optional<Integer> nodeId = Optional.empty();

        @Override
        public Integer call() {
            if (nodeId.isPresent() && nodeId.get() < 1) {
                throw new ConsoleException(ExitCode.ERR_BAD_CONFIG, "--node-id must be a positive integer, got "
                        + nodeId.get());
            }
            return operation(org.pgsteward.protocol.api.Commands.STANDBY_UNREGISTER, nodeId.map(String::valueOf),
                    Optional.empty(), false);
        }
    }

    @Command(name = "clone", description = "clones the upstream (HOST or -h/-p/-U/-d) into this node's data directory, "
            + "writes the recovery configuration and starts the standby; -F reuses an existing data directory")
    static final class StandbyClone extends Base {
        @Parameters(arity = "0..1", paramLabel = "HOST", description = "the upstream node's host") Optional<String> host;

        @Option(names = "--method", paramLabel = "METHOD", defaultValue = "basebackup",
                description = "basebackup (default: pg_basebackup with WAL streaming) or rsync (the low-level backup API "
                        + "and rsync over ssh as -R; -F copies only what differs)")
        String method;

        @Option(names = "--no-start", description = "do not start the standby after the clone") boolean noStart;

        @Override
        public Integer call() {
            if (!method.equals("basebackup") && !method.equals("rsync")) {
                throw new ConsoleException(ExitCode.ERR_BAD_CONFIG, "--method must be basebackup or rsync, got \"" + method + "\"");
            }
            return operation(org.pgsteward.protocol.api.Commands.STANDBY_CLONE, host, Optional.of(method), noStart);
        }
    }

    @Command(name = "promote", description = "promotes this standby to primary; the cluster records the new primary")
    static final class StandbyPromote extends Base {
        @Override
        public Integer call() {
            return operation(org.pgsteward.protocol.api.Commands.STANDBY_PROMOTE, Optional.empty(), Optional.empty(), false);
        }
    }

    @Command(name = "follow", description = "re-points this standby at the current primary (or HOST)")
    static final class StandbyFollow extends Base {
        @Parameters(arity = "0..1", paramLabel = "HOST", description = "the new upstream's host") Optional<String> host;

        @Override
        public Integer call() {
            return operation(org.pgsteward.protocol.api.Commands.STANDBY_FOLLOW, host, Optional.empty(), false);
        }
    }

    @Command(name = "switchover", description = "planned, lossless swap: this standby becomes primary, the old primary "
            + "becomes its standby; on failure it rolls back and names the failed step")
    static final class StandbySwitchover extends Base {
        @Override
        public Integer call() {
            return operation(org.pgsteward.protocol.api.Commands.STANDBY_SWITCHOVER, Optional.empty(), Optional.empty(), false);
        }
    }

    @Command(name = "node", description = "node {status|check|rejoin}", subcommands = {NodeStatus.class, NodeCheck.class,
            NodeRejoin.class})
    static final class Node {}

    @Command(name = "rejoin", description = "a stopped former primary rejoins as a standby of the current primary "
            + "(or HOST), by pg_rewind")
    static final class NodeRejoin extends Base {
        @Parameters(arity = "0..1", paramLabel = "HOST", description = "the primary's host") Optional<String> host;

        @Override
        public Integer call() {
            return operation(org.pgsteward.protocol.api.Commands.NODE_REJOIN, host, Optional.empty(), false);
        }
    }

    @Command(name = "check", description = "checks this node, one line each: PostgreSQL, replication, replication "
            + "slots, the primary's lease, the supervisor; exits with the first problem's code: 6 PostgreSQL unreachable,"
            + " 7 a query failed, 9 password rejected, 12 a standby not streaming, 15 a primary without its lease,"
            + " 16 the supervisor does not answer, 17 a replication slot missing or lost")
    static final class NodeCheck extends Base {
        @ArgGroup(exclusive = true) Format format = new Format();

        @Override
        public Integer call() {
            NodeCheckView view = root().agent().get("/api/v1/check", NodeCheckView.class);
            if (format.json) {
                out().println(json(view));
                return view.exitCode();
            }
            Table t = new Table(List.of("check", "result", "detail"));
            for (NodeCheckView.Check c : view.checks()) {
                t.add(List.of(c.name(), c.level().name(), c.detail()));
            }
            var stream = view.exitCode() == 0 ? out() : err();
            stream.print(format.csv ? t.csv() : t.aligned());
            stream.println((view.exitCode() == 0 ? "OK: " : "PROBLEM: ") + view.node() + (view.exitCode() == 0
                    ? " passed every check" : " failed " + view.checks().stream().filter(c -> c.level()
                    == NodeCheckView.Level.PROBLEM).map(NodeCheckView.Check::name).distinct()
                    .collect(java.util.stream.Collectors.joining(", "))));
            return view.exitCode();
        }
    }

    @Command(name = "status", description = "this node's state")
    static final class NodeStatus extends Base {
        @ArgGroup(exclusive = true) Format format = new Format();

        @Override
        public Integer call() {
            NodeRow row = root().agent().get("/api/v1/status", NodeRow.class);
            if (format.json) {
                out().println(json(row));
            } else {
                Table t = nodeTable(List.of(row));
                out().print(format.csv ? t.csv() : t.aligned());
            }
            return 0;
        }
    }

    @Command(name = "cluster", description = "cluster {show|event|pause|resume}",
            subcommands = {ClusterShow.class, ClusterEvent.class, ClusterPause.class, ClusterResume.class})
    static final class Cluster {}

    @Command(name = "pause", description = "automatic failover off (the supervisor only reports)")
    static final class ClusterPause extends Base {
        @Override
        public Integer call() {
            return operation(org.pgsteward.protocol.api.Commands.CLUSTER_PAUSE, Optional.empty(), Optional.empty(), false);
        }
    }

    @Command(name = "resume", description = "automatic failover on again")
    static final class ClusterResume extends Base {
        @Override
        public Integer call() {
            return operation(org.pgsteward.protocol.api.Commands.CLUSTER_RESUME, Optional.empty(), Optional.empty(), false);
        }
    }

    @Command(name = "witness", description = "witness {register}", subcommands = {WitnessRegister.class})
    static final class Witness {}

    @Command(name = "register", description = "registers this witness agent (no PostgreSQL) in the cluster")
    static final class WitnessRegister extends Base {
        @Override
        public Integer call() {
            return operation(org.pgsteward.protocol.api.Commands.WITNESS_REGISTER, Optional.empty(), Optional.empty(), false);
        }
    }

    @Command(name = "show", description = "every node: id, name, role, status, upstream, lag, location, priority")
    static final class ClusterShow extends Base {
        @ArgGroup(exclusive = true) Format format = new Format();

        @Override
        public Integer call() {
            ClusterView view = root().agent().get("/api/v1/cluster", ClusterView.class);
            if (format.json) {
                out().println(json(view));
                return 0;
            }
            if (!format.csv) {
                out().println("Cluster " + view.cluster() + ", epoch " + view.epoch() + (view.paused() ? ", failover PAUSED" : ""));
            }
            Table t = nodeTable(view.nodes());
            if (format.csv) {
                out().print(t.csv());
                return 0;
            }
            out().print(t.aligned());
            for (String w : view.warnings()) {
                out().println("WARNING: " + w);
            }
            if (!view.clusterTrafficAuthenticated()) {
                out().println("WARNING: cluster traffic is not authenticated (pgsteward.agent.tls is not set): any process"
                        + " that reaches an agent's cluster port can join the cluster");
            }
            for (String w : view.slotWarnings()) {
                out().println("WARNING: " + w);
            }
            return 0;
        }
    }

    @Command(name = "event", description = "the event history, newest first")
    static final class ClusterEvent extends Base {
        @ArgGroup(exclusive = true) Format format = new Format();

        @Option(names = "--limit", defaultValue = "50", description = "at most this many events (default: 50)") int limit;

        @Override
        public Integer call() {
            if (limit < 1 || limit > 10_000) {
                throw new ConsoleException(ExitCode.ERR_BAD_CONFIG, "--limit must be from 1 to 10000, got " + limit);
            }
            List<EventRow> rows = root().agent().get("/api/v1/events?limit=" + limit, new TypeReference<List<EventRow>>() {});
            if (format.json) {
                out().println(json(rows));
                return 0;
            }
            var t = new Table(List.of("Node ID", "Event", "OK", "Timestamp", "Details"));
            for (EventRow e : rows) {
                t.add(List.of(Integer.toString(e.nodeId()), e.event(), e.successful() ? "t" : "f",
                        e.timestamp().toString(), e.details()));
            }
            out().print(format.csv ? t.csv() : t.aligned());
            return 0;
        }
    }

    static Table nodeTable(List<NodeRow> rows) {
        var t = new Table(List.of("ID", "Name", "Role", "Status", "Upstream", "Lag", "Location", "Priority", "Timeline"));
        for (NodeRow r : rows) {
            t.add(List.of(Integer.toString(r.id()), r.name(), r.role(), r.status(), r.upstream().orElse(""),
                    r.lagBytes().map(Commands::bytes).orElse(""), r.location().orElse(""), Integer.toString(r.priority()),
                    r.timeline().map(Object::toString).orElse("")));
        }
        return t;
    }

    static String bytes(long b) {
        return b + " bytes";
    }

    static String json(Object o) {
        try {
            return Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new ConsoleException(ExitCode.ERR_OPERATION_FAILED, "cannot print JSON: " + e.getMessage());
        }
    }

    static String ago(Instant t) {
        return Duration.between(t, Instant.now()).toSeconds() + " s ago";
    }
}
