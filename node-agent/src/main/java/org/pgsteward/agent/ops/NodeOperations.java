package org.pgsteward.agent.ops;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.pgsteward.agent.LocalNode;
import org.pgsteward.agent.config.NodeConfig;
import org.pgsteward.agent.exec.CommandFailedException;
import org.pgsteward.agent.metadata.ClusterMetadata;
import org.pgsteward.agent.metadata.MetadataException;
import org.pgsteward.agent.metadata.NodeRegistration;
import org.pgsteward.agent.metadata.PrimaryCheckReport;
import org.pgsteward.agent.metadata.PrimaryChecks;
import org.pgsteward.agent.metadata.RegisteredNode;
import org.pgsteward.agent.postgres.BaseBackup;
import org.pgsteward.agent.postgres.CloneRequest;
import org.pgsteward.agent.postgres.Conninfo;
import org.pgsteward.agent.postgres.FollowCheck;
import org.pgsteward.agent.postgres.PgConfFile;
import org.pgsteward.agent.postgres.PgSnapshot;
import org.pgsteward.agent.postgres.Reachability;
import org.pgsteward.agent.postgres.RecoveryConfig;
import org.pgsteward.agent.postgres.RecoverySettings;
import org.pgsteward.agent.postgres.RsyncClone;
import org.pgsteward.agent.postgres.ServerStatus;
import org.pgsteward.agent.postgres.StopMode;
import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.api.CommandArgs;
import org.pgsteward.protocol.api.CommandRequest;
import org.pgsteward.protocol.api.Commands;
import org.pgsteward.protocol.cluster.SupervisorMessage.PrimaryAnswer;
import org.pgsteward.protocol.cluster.SupervisorMessage.Refusal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The seed's commands, each a sequence of checks and steps on this node's PostgreSQL. Every
 * check that can refuse runs before anything is changed.
 */
public final class NodeOperations implements OperationRunner {

    private static final Logger log = LoggerFactory.getLogger(NodeOperations.class);
    /** How long a started or re-pointed standby may take to stream from its upstream. */
    static final Duration STREAMING_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration POLL = Duration.ofMillis(200);

    private final LocalNode node;
    private final ClusterQueries queries;
    private final ClusterMetadata metadata;
    private final Connections connections;

    private final ClusterOperations clusterOps;
    private final StandbySlots slots;
    private volatile Optional<org.pgsteward.agent.cluster.SupervisorClient> supervisor = Optional.empty();
    private volatile Optional<org.pgsteward.agent.cluster.EpochStore> epochs = Optional.empty();

    public NodeOperations(LocalNode node, ClusterQueries queries) {
        this.node = node;
        this.queries = queries;
        this.metadata = queries.metadata();
        this.connections = queries.connections();
        this.slots = new StandbySlots(node, queries);
        this.clusterOps = new ClusterOperations(node, this, queries, slots);
    }

    /** Connects the operations to the cluster: the supervisor and this agent's accepted epoch. */
    public void attach(org.pgsteward.agent.cluster.SupervisorClient client, org.pgsteward.agent.cluster.EpochStore store,
                       org.pgsteward.agent.cluster.PrimaryProbe epochPrimary, org.pgsteward.agent.metrics.AgentMetrics metrics) {
        this.metrics = Optional.of(metrics);
        this.supervisor = Optional.of(client);
        this.epochs = Optional.of(store);
        this.epochPrimary = Optional.of(epochPrimary);
    }

    private volatile Optional<org.pgsteward.agent.metrics.AgentMetrics> metrics = Optional.empty();

    /** Counts a promotion of this node in the metrics. */
    void promoted() {
        metrics.ifPresent(org.pgsteward.agent.metrics.AgentMetrics::failover);
    }

    /** The conninfo of the epoch's primary as the supervisor announced it (for nodes other than the primary). */
    private volatile Optional<org.pgsteward.agent.cluster.PrimaryProbe> epochPrimary = Optional.empty();

    /** How long a request to become primary may take: the old primary's lease must run out first. */
    private Duration primaryRequestTimeout() {
        return node.config().failover().lease().multipliedBy(2).plusSeconds(20);
    }

    /**
     * Asks the supervisor to make this node the primary of a new epoch (a majority of agents
     * votes). Without an answer the command fails, unless -F says to go on without it.
     */
    private long requestPrimary(String why, boolean force, Progress progress) {
        return requestPrimary(why, force, false, progress);
    }

    /**
     * @param oldPrimarySeenDown this node has just probed the old primary's server and found it not running: a
     *                           refusal that says it runs comes from a report older than that probe, and is asked
     *                           again until the old primary's agent has reported (a few monitor intervals)
     */
    private long requestPrimary(String why, boolean force, boolean oldPrimarySeenDown, Progress progress) {
        if (supervisor.isEmpty()) {
            return 0;
        }
        progress.report("asking the supervisor to record node " + node.config().node().name() + " as primary (" + why + ")");
        try {
            // a supervisor that is still hearing from the agents (just started, or moving) asks to retry: wait for it
            Instant deadline = Instant.now().plus(primaryRequestTimeout());
            Instant staleDeadline = Instant.now().plus(node.config().agent().monitorInterval().multipliedBy(3)
                    .plusSeconds(2));
            PrimaryAnswer answer = supervisor.get().requestPrimary(node.config().node().id(), why, force, primaryRequestTimeout());
            boolean told = false;
            while (answer instanceof PrimaryAnswer.Refused r && Instant.now().isBefore(deadline)
                    && askAgain(r.why(), oldPrimarySeenDown && Instant.now().isBefore(staleDeadline))) {
                if (!told && r.why() == Refusal.OLD_PRIMARY_RUNNING) {
                    progress.report("the supervisor has not yet heard that the old primary stopped; asking again");
                    told = true;
                }
                sleep();
                answer = supervisor.get().requestPrimary(node.config().node().id(), why, force, primaryRequestTimeout());
            }
            if (answer instanceof PrimaryAnswer.Refused) {
                throw new OperationFailure(ExitCode.ERR_OPERATION_FAILED, "the supervisor refused: " + answer.text());
            }
            progress.report("epoch " + answer.epoch() + ": " + answer.text());
            return answer.epoch();
        } catch (OperationFailure e) {
            if (force && e.exitCode() == ExitCode.ERR_TIMEOUT) {
                progress.report("WARNING: " + e.getMessage() + "; going on because of -F");
                return 0;
            }
            throw e;
        }
    }

    /**
     * Whether a refused request for the primary is worth asking again: the supervisor is still learning the state or
     * hearing a majority; or it still believes the old primary serves while this node has just seen it stopped (its
     * report is older than that probe).
     */
    private static boolean askAgain(Refusal why, boolean oldPrimaryJustSeenDown) {
        return switch (why) {
            case STATE_NOT_KNOWN_YET, NO_MAJORITY -> true;
            case OLD_PRIMARY_RUNNING -> oldPrimaryJustSeenDown;
            default -> false;
        };
    }

    @Override
    public OperationOutcome runStep(ClusterStep step, Progress progress) {
        return clusterOps.run(step, progress);
    }

    @Override
    public OperationOutcome run(CommandRequest request, Progress progress) {
        CommandArgs args = request.args() == null ? CommandArgs.none() : request.args();
        checkDataDirArgument(args);
        if (node.witness() && !request.command().equals(Commands.WITNESS_REGISTER)
                && !request.command().equals(Commands.CLUSTER_PAUSE) && !request.command().equals(Commands.CLUSTER_RESUME)) {
            throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, request.command() + ": this node is a witness (no PostgreSQL)");
        }
        return switch (request.command()) {
            case Commands.CLUSTER_PAUSE -> pause(true);
            case Commands.CLUSTER_RESUME -> pause(false);
            case Commands.WITNESS_REGISTER -> registerWitness(args, progress);
            case Commands.STANDBY_SWITCHOVER -> switchover(progress);
            case Commands.NODE_REJOIN -> rejoin(args, progress);
            case Commands.PRIMARY_REGISTER -> registerPrimary(args, progress);
            case Commands.STANDBY_REGISTER -> registerStandby(args, progress);
            case Commands.STANDBY_CLONE -> cloneStandby(args, progress);
            case Commands.STANDBY_PROMOTE -> promote(args, progress);
            case Commands.STANDBY_FOLLOW -> follow(args, progress);
            case Commands.STANDBY_UNREGISTER -> new StandbyUnregister(node, queries, epochs).run(args, progress);
            default -> throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "unknown command \"" + request.command()
                    + "\"; this agent runs: " + String.join(", ", List.of(Commands.PRIMARY_REGISTER, Commands.STANDBY_REGISTER,
                    Commands.STANDBY_CLONE, Commands.STANDBY_PROMOTE, Commands.STANDBY_FOLLOW)));
        };
    }

    private OperationOutcome pause(boolean paused) {
        var client = supervisor.orElseThrow(() -> new OperationFailure(ExitCode.ERR_OPERATION_FAILED, "no supervisor"));
        var view = client.setPaused(paused, "node " + node.config().node().name(), Duration.ofSeconds(10));
        if (view.paused() != paused) {
            // the supervisor confirms only once a majority of agents holds the change in the cluster record
            throw new OperationFailure(ExitCode.ERR_OPERATION_FAILED, "automatic failover not "
                    + (paused ? "paused" : "resumed") + ": the supervisor is " + view.lastDecision());
        }
        return OperationOutcome.success("automatic failover " + (view.paused() ? "paused" : "resumed") + " (epoch "
                + view.epoch() + ")");
    }

    private OperationOutcome switchover(Progress progress) {
        PgSnapshot local = requireReachable(node.probeLocal(), "this node's PostgreSQL");
        if (!local.inRecovery() || !local.isStreaming()) {
            throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "switchover is run on the standby that is to become primary; "
                    + "this node is " + ClusterQueries.status(local));
        }
        var client = supervisor.orElseThrow(() -> new OperationFailure(ExitCode.ERR_OPERATION_FAILED, "no supervisor"));
        progress.report("asking the supervisor for a switchover to node " + node.config().node().name());
        long t0 = System.nanoTime();
        PrimaryAnswer answer = client.switchover(node.config().node().id(), Duration.ofSeconds(90));
        // right after a change of primary the supervisor may not have the newest reports yet: ask again briefly
        Instant deadline = Instant.now().plusSeconds(15);
        while (answer instanceof PrimaryAnswer.Refused r && Instant.now().isBefore(deadline) && switch (r.why()) {
            case NOT_A_STREAMING_STANDBY, NO_RUNNING_PRIMARY, STATE_NOT_KNOWN_YET, NO_MAJORITY -> true;
            default -> false;
        }) {
            sleep();
            answer = client.switchover(node.config().node().id(), Duration.ofSeconds(90));
        }
        if (answer instanceof PrimaryAnswer.Refused) {
            throw new OperationFailure(ExitCode.ERR_OPERATION_FAILED, answer.text());
        }
        // the promotion step itself recorded the event and counted it in the metrics
        return OperationOutcome.success(answer.text() + " (" + (System.nanoTime() - t0) / 1_000_000 + " ms, epoch "
                + answer.epoch() + ")");
    }

    /** `node rejoin`: a stopped former primary becomes a standby of the current primary (pg_rewind). */
    private OperationOutcome rejoin(CommandArgs args, Progress progress) {
        refuseOnPrimary(Commands.NODE_REJOIN, "stops it and rewinds it");
        Conninfo primary;
        if (args.target().isPresent() || args.host().isPresent()) {
            primary = upstreamFromArgs(args, "node rejoin");
            checkSource(Commands.NODE_REJOIN, primary, progress);
        } else {
            primary = epochPrimary.flatMap(org.pgsteward.agent.cluster.PrimaryProbe::target).map(Conninfo::parse)
                    .map(connections::withCredentials)
                    .or(() -> {
                        List<RegisteredNode> nodes = queries.registeredNodesFromLocal().stream()
                                .filter(n -> n.id() != node.config().node().id()).toList();
                        return nodes.isEmpty() ? Optional.empty() : queries.findRunningPrimary(nodes)
                                .map(n -> connections.withCredentials(n.conninfo()));
                    })
                    .orElseThrow(() -> new OperationFailure(ExitCode.ERR_DB_CON,
                            "no running primary known to rejoin: give HOST (and -p)"));
        }
        // without the password: the rejoin adds this node's credentials again (Connections.withCredentials)
        return clusterOps.rejoin(primary.without("password").toConnString(), progress);
    }

    private OperationOutcome registerWitness(CommandArgs args, Progress progress) {
        if (!node.witness()) {
            throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "this node is not a witness (pgsteward.node.role = \"witness\")");
        }
        var client = supervisor.orElseThrow(() -> new OperationFailure(ExitCode.ERR_OPERATION_FAILED, "no supervisor"));
        var view = client.view(Duration.ofSeconds(10));
        if (view.primaryId().isEmpty()) {
            throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "no primary in the cluster yet: register the primary first");
        }
        // a witness has no database of its own: it registers in the primary's, as the supervisor announced it
        Conninfo primary = epochPrimary.flatMap(org.pgsteward.agent.cluster.PrimaryProbe::target).map(Conninfo::parse)
                .map(connections::withCredentials)
                .orElseThrow(() -> new OperationFailure(ExitCode.ERR_DB_CON, "the primary (node " + view.primaryId().get()
                        + ") has not been announced to this agent yet; retry in a moment"));
        try (Connection c = connections.open(primary)) {
            RegisteredNode registered = metadata.registerWitness(c, registration(NodeRegistration.WITNESS), args.force());
            metadata.recordEvent(c, registered.id(), "witness_register", true, "registered as witness");
            return OperationOutcome.success("witness " + registered.describe() + " registered in cluster "
                    + node.config().cluster() + " (supervisor epoch " + view.epoch() + ")");
        } catch (SQLException e) {
            throw Connections.failure("witness register", e);
        }
    }

    /** -D, where given, must name this node's data directory (CONTRACT.md). */
    private void checkDataDirArgument(CommandArgs args) {
        args.dataDir().ifPresent(d -> {
            Path given = Path.of(d).toAbsolutePath().normalize();
            if (!given.equals(node.dataDir().toAbsolutePath().normalize())) {
                throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "-D " + d + " is not this node's data directory "
                        + node.dataDir() + " (pgsteward.node.data-dir in " + node.config().source() + ")");
            }
        });
    }

    // ---------------------------------------------------------------- primary register

    private OperationOutcome registerPrimary(CommandArgs args, Progress progress) {
        PgSnapshot local = requireReachable(node.probeLocal(), "this node's PostgreSQL");
        if (local.inRecovery()) {
            throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "this node's PostgreSQL is a standby (in recovery): "
                    + "register it with `standby register`, or promote it first");
        }
        // with slots each standby's WAL is kept for it: wal_keep_size is asked for only where -w says so
        int walKeep = args.walKeepSegments().orElse(slots.enabled() ? 0 : PrimaryChecks.DEFAULT_WAL_KEEP_SEGMENTS);
        try (Connection c = connections.open(node.conninfo())) {
            PrimaryCheckReport report = PrimaryChecks.run(c, walKeep, node.conninfo().host());
            if (slots.enabled() && org.pgsteward.agent.postgres.ReplicationSlots.capacity(c) == 0) {
                throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "this server is not ready to be a primary:\n"
                        + "  max_replication_slots is 0; standbys stream through replication slots"
                        + " (pgsteward.replication.use-slots = true): raise it (needs a restart) or set use-slots = false");
            }
            if (!report.passed()) {
                throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "this server is not ready to be a primary:\n"
                        + report.failureText());
            }
            report.warnings().forEach(w -> progress.report("WARNING: " + w));
            slots.limitRetainedWal(c, progress);
            metadata.ensureSchema(c);
            progress.report("schema " + metadata.schema() + " and view " + metadata.schema() + ".repl_status ready");
            RegisteredNode registered = metadata.registerPrimary(c, registration(NodeRegistration.PRIMARY), args.force());
            metadata.recordEvent(c, registered.id(), "primary_register", true,
                    "registered as primary" + (args.force() ? " (forced)" : ""));
            long epoch = requestPrimary("primary register", args.force(), progress);
            return OperationOutcome.success("primary " + registered.describe() + " registered in cluster "
                    + node.config().cluster() + (epoch > 0 ? " (epoch " + epoch + ")" : ""));
        } catch (SQLException e) {
            throw Connections.failure("primary register", e);
        }
    }

    private NodeRegistration registration(String type) {
        NodeConfig.Node n = node.config().node();
        return new NodeRegistration(n.id(), n.name(), type, n.conninfo(), n.priority(),
                Optional.of(node.config().agent().http().toString()));
    }

    // ---------------------------------------------------------------- standby register

    private OperationOutcome registerStandby(CommandArgs args, Progress progress) {
        PgSnapshot local = requireReachable(node.probeLocal(), "this node's PostgreSQL");
        if (!local.inRecovery()) {
            throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "this node's PostgreSQL is not a standby (not in recovery): "
                    + "register a primary with `primary register`");
        }
        RegisteredNode primary = currentPrimary(progress);
        try (Connection c = connections.open(connections.withCredentials(primary.conninfo()))) {
            RegisteredNode registered = metadata.registerStandby(c, registration(NodeRegistration.STANDBY), primary.id(),
                    args.force());
            metadata.recordEvent(c, registered.id(), "standby_register", true, "registered as standby of " + primary.describe());
            return OperationOutcome.success("standby " + registered.describe() + " registered in cluster "
                    + node.config().cluster() + " (upstream " + primary.describe() + ")");
        } catch (SQLException e) {
            throw Connections.failure("standby register", e);
        }
    }

    /** The registered primary that runs as a writable primary now. */
    private RegisteredNode currentPrimary(Progress progress) {
        List<RegisteredNode> nodes = queries.registeredNodesFromLocal();
        if (nodes.isEmpty()) {
            throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "no nodes registered in cluster " + node.config().cluster()
                    + " (schema " + metadata.schema() + " not found on this node): run `primary register` on the primary first");
        }
        return queries.findRunningPrimary(nodes).orElseThrow(() -> new OperationFailure(ExitCode.ERR_DB_CON,
                "no registered node runs as a writable primary; registered: "
                        + nodes.stream().map(RegisteredNode::describe).collect(Collectors.joining(", "))));
    }

    // ---------------------------------------------------------------- standby clone

    private OperationOutcome cloneStandby(CommandArgs args, Progress progress) {
        String method = args.method().orElse("basebackup");
        if (!method.equals("basebackup") && !method.equals("rsync")) {
            throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "--method must be basebackup or rsync, got \"" + method + "\"");
        }
        if (args.force()) {
            refuseOnPrimary(Commands.STANDBY_CLONE + " -F", "stops it and replaces its data directory");
        }
        Conninfo upstream = upstreamFromArgs(args, "standby clone");
        checkSource(Commands.STANDBY_CLONE, upstream, progress);
        // verify the source before anything local is touched
        PgSnapshot up = requireReachable(node.probe(upstream), "upstream " + upstream.toConnStringRedacted());
        int upstreamMajor = up.serverVersionNum() / 10000;
        if (upstreamMajor != node.majorVersion()) {
            throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "upstream runs PostgreSQL " + up.serverVersion()
                    + " but this node's programs are PostgreSQL " + node.majorVersion() + " (" + node.binaries().binDir() + ")");
        }
        progress.report("upstream " + upstream.toConnStringRedacted() + " is a " + (up.inRecovery() ? "standby" : "primary")
                + " running PostgreSQL " + up.serverVersion() + ", WAL at " + up.bestLsn().map(Object::toString).orElse("?"));
        String remoteUser = args.remoteUser().or(node::osUser).orElse(System.getProperty("user.name"));
        var rsync = new RsyncClone(node.binaries(), node.runner(), node.osUser(), node.config().cloning().sshOptions(),
                node.config().cloning().timeout());
        var basebackup = new BaseBackup(node.binaries(), node.runner(), node.osUser(), node.config().cloning().timeout());
        var request = new CloneRequest(upstream, node.dataDir(), args.force());
        long t0 = System.nanoTime();
        if (node.pgCtl().status() == ServerStatus.RUNNING) {
            if (!args.force()) {
                throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "PostgreSQL is running on " + node.dataDir()
                        + ": stop it first, or use -F to replace its data");
            }
            if (method.equals("rsync")) {
                rsync.verifyAccess(upstream, remoteUser); // the source is verified before the local server stops
            }
            progress.report("stopping the local PostgreSQL on " + node.dataDir() + " (-F)");
            node.pgCtl().stop(StopMode.FAST);
        }
        // the slot before the copy: the upstream keeps the WAL from the backup on until this standby streams; a
        // clone that fails (or is refused: a non-empty data directory) takes back a slot it created
        Optional<StandbySlots.Made> slot = slots.ensure(upstream, progress);
        try {
            if (method.equals("rsync")) {
                rsync.clone(request, remoteUser, args.ignoreRsyncWarning(), progress::report);
            } else {
                basebackup.clone(request, progress::report);
            }
        } catch (RuntimeException e) {
            slots.undo(upstream, slot);
            throw e;
        }
        progress.report("copied in " + Duration.ofNanos(System.nanoTime() - t0).toMillis() + " ms");
        configureAsStandby(upstream, progress);
        progress.report("recovery configuration written: primary_conninfo = " + standbyConninfo(upstream).toConnStringRedacted());
        if (args.noStart()) {
            return OperationOutcome.success("standby cloned into " + node.dataDir() + " from " + upstream.toConnStringRedacted()
                    + "; not started (--no-start)");
        }
        start(progress);
        PgSnapshot s = awaitStreaming(Optional.of(upstream), progress);
        return OperationOutcome.success("standby cloned from " + upstream.toConnStringRedacted() + " and streaming (received "
                + s.receivedLsn().map(Object::toString).orElse("?") + ")");
    }

    /**
     * Refuses {@code command} (nothing touched) on a node that is the primary: the primary of the epoch this agent
     * accepted, or a server that runs as a primary (not in recovery). Seen by a user: `standby clone -F` on the running
     * registered primary stopped it and replaced its data with a copy of its own standby. No -F overrides this: make
     * another node primary first (switchover), or stop this one and let the cluster fail over.
     */
    private void refuseOnPrimary(String command, String what) {
        int self = node.config().node().id();
        Optional<Integer> epochPrimary = epochs.flatMap(org.pgsteward.agent.cluster.EpochStore::primaryOfCurrentEpoch);
        if (epochPrimary.filter(p -> p == self).isPresent()) {
            throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, command + " refused: this node ("
                    + node.config().node().name() + ") is the primary of the current epoch "
                    + epochs.get().current() + ", and " + command + " " + what + "; make another node primary first"
                    + " (`standby switchover` on a standby), then run it again. Nothing was changed");
        }
        if (node.pgCtl().status() == ServerStatus.RUNNING) {
            PgSnapshot s = node.probeLocal();
            if (s.isReachable() && !s.inRecovery()) {
                throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, command + " refused: this node's PostgreSQL on "
                        + node.dataDir() + " runs as a primary (not in recovery), and " + command + " " + what
                        + "; stop it first (or make another node primary). Nothing was changed");
            }
        }
    }

    /**
     * The password of this node travels to {@code source} (probe, pg_basebackup, pg_rewind, primary_conninfo): a
     * registered node takes it only to a registered member of its cluster (as this node's copy of the metadata lists
     * them, or the epoch's primary the supervisor announced). Before this node is registered (the first clone) there
     * is nothing to check against: the command says where the password goes.
     */
    private void checkSource(String command, Conninfo source, Progress progress) {
        int self = node.config().node().id();
        List<RegisteredNode> known = queries.registeredNodesFromLocal();
        boolean registered = known.stream().anyMatch(n -> n.id() == self);
        Optional<RegisteredNode> member = known.stream().filter(n -> n.id() != self && sameEndpoint(n.conninfo(), source))
                .findFirst();
        boolean announcedPrimary = epochPrimary.flatMap(org.pgsteward.agent.cluster.PrimaryProbe::target)
                .map(c -> sameEndpoint(Conninfo.parse(c), source)).orElse(false);
        String where = source.host() + ":" + source.port();
        if (member.isPresent()) {
            progress.report("upstream " + where + " is " + member.get().describe() + ", registered in cluster "
                    + node.config().cluster());
            return;
        }
        if (announcedPrimary) {
            progress.report("upstream " + where + " is the primary of the current epoch");
            return;
        }
        if (registered) {
            throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, command + " refused: " + where
                    + " is not a registered node of cluster " + node.config().cluster() + " (registered: "
                    + known.stream().map(RegisteredNode::describe).collect(Collectors.joining(", "))
                    + "); this node's credentials go only to its cluster's members. Nothing was changed");
        }
        progress.report("note: this node is not registered in cluster " + node.config().cluster() + " yet: connecting to "
                + where + (source.user().map(u -> " as user " + u).orElse(""))
                + (source.password().isPresent() ? " with this node's password (from pgsteward.node.conninfo)" : "")
                + "; make sure " + where + " is this cluster's primary");
    }

    private static boolean sameEndpoint(Conninfo a, Conninfo b) {
        return a.port() == b.port() && sameHost(a.host(), b.host());
    }

    /** The upstream from HOST (positional) or -h, with -p/-U/-d; user and database default to this node's. */
    private Conninfo upstreamFromArgs(CommandArgs args, String command) {
        Optional<String> host = args.target().or(args::host);
        if (host.isEmpty()) {
            throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, command + " needs the upstream: give HOST or -h HOST");
        }
        if (args.target().isPresent() && args.host().isPresent() && !args.target().equals(args.host())) {
            throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "two upstream hosts given: " + args.target().get() + " and -h "
                    + args.host().get());
        }
        Conninfo own = node.conninfo();
        Conninfo c = Conninfo.empty().with("host", host.get()).with("port", Integer.toString(args.port().orElse(5432)));
        Optional<String> user = args.username().or(own::user);
        if (user.isPresent()) {
            c = c.with("user", user.get());
        }
        Optional<String> db = args.dbname().or(own::dbname);
        if (db.isPresent()) {
            c = c.with("dbname", db.get());
        }
        return connections.withCredentials(c);
    }

    /** What this standby connects with: the upstream plus application_name = node name. */
    private Conninfo standbyConninfo(Conninfo upstream) {
        return upstream.without("dbname").with("application_name", node.config().node().name());
    }

    /**
     * Recovery configuration for {@code upstream} (through this node's slot there, made first, when slots are on), and
     * the port of this node's conninfo.
     */
    private void configureAsStandby(Conninfo upstream, Progress progress) {
        int major = node.majorVersion();
        RecoverySettings settings = RecoverySettings.of(standbyConninfo(upstream));
        Optional<String> slot = slots.ensureOnUpstream(upstream, progress);
        RecoveryConfig.write(node.dataDir(), major, slot.map(settings::withSlot).orElse(settings));
        setPort();
    }

    /**
     * The port of this node's conninfo in the postgresql.conf the server reads (the data directory's, or the one in
     * postgres.config-dir), and in postgresql.auto.conf where set there.
     */
    void setPort() {
        String port = Integer.toString(node.conninfo().port());
        PgConfFile.setSetting(node.pgCtl().configFile(), "port", port);
        Path auto = node.dataDir().resolve("postgresql.auto.conf");
        if (Files.exists(auto) && PgConfFile.getSetting(auto, "port").isPresent()) {
            PgConfFile.setSetting(auto, "port", port);
        }
    }

    private void start(Progress progress) {
        try {
            long t0 = System.nanoTime();
            node.pgCtl().start();
            progress.report("PostgreSQL started in " + Duration.ofNanos(System.nanoTime() - t0).toMillis() + " ms");
        } catch (CommandFailedException e) {
            throw new OperationFailure(ExitCode.ERR_NO_RESTART, "cannot start PostgreSQL: " + e.getMessage(), e);
        }
    }

    /** Waits until the local standby streams (from {@code upstream}'s port when given). */
    PgSnapshot awaitStreaming(Optional<Conninfo> upstream, Progress progress) {
        return awaitStreaming(upstream, progress, STREAMING_TIMEOUT);
    }

    PgSnapshot awaitStreaming(Optional<Conninfo> upstream, Progress progress, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        PgSnapshot s;
        while (true) {
            s = node.probeLocal();
            if (s.isReachable() && s.inRecovery() && s.isStreaming() && fromUpstream(s, upstream)) {
                progress.report("streaming from " + s.walReceiver().flatMap(w -> w.senderHost().map(h -> h + ":"
                        + w.senderPort().map(Object::toString).orElse("?"))).orElse("upstream"));
                return s;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new OperationFailure(ExitCode.ERR_TIMEOUT, "the standby is not streaming from "
                        + upstream.map(Conninfo::toConnStringRedacted).orElse("its upstream") + " after "
                        + timeout.toSeconds() + " s (" + ClusterQueries.status(s) + ")\n--- server log (tail) ---\n"
                        + node.pgCtl().serverLogTail());
            }
            sleep();
        }
    }

    private static boolean fromUpstream(PgSnapshot s, Optional<Conninfo> upstream) {
        if (upstream.isEmpty()) {
            return true;
        }
        return s.walReceiver().flatMap(w -> w.senderPort()).map(p -> p == upstream.get().port()).orElse(true);
    }

    // ---------------------------------------------------------------- standby promote

    private OperationOutcome promote(CommandArgs args, Progress progress) {
        PgSnapshot local = requireReachable(node.probeLocal(), "this node's PostgreSQL");
        if (!local.inRecovery()) {
            throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "this node is already a primary (not in recovery)");
        }
        List<RegisteredNode> nodes = queries.registeredNodesFromLocal();
        int self = node.config().node().id();
        List<RegisteredNode> others = nodes.stream().filter(n -> n.id() != self).toList();
        Optional<RegisteredNode> running = others.isEmpty() ? Optional.empty() : queries.findRunningPrimary(others);
        if (running.isPresent() && !args.force()) {
            throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "primary " + running.get().describe()
                    + " is still running: promoting now would give two writable primaries; stop it first (or use -F)");
        }
        Optional<RegisteredNode> oldPrimary = nodes.stream().filter(RegisteredNode::isActivePrimary).findFirst();
        warnAboutSiblingsAhead(local, others, progress);
        long epoch = requestPrimary("standby promote on node " + node.config().node().name(), args.force(),
                running.isEmpty(), progress);
        long t0 = System.nanoTime();
        try {
            node.pgCtl().promote();
        } catch (CommandFailedException e) {
            throw new OperationFailure(ExitCode.ERR_NO_RESTART, "promotion failed: " + e.getMessage(), e);
        }
        PgSnapshot after = node.probeLocal();
        promoted();
        slots.createForStandbys(progress);
        progress.report("promoted in " + Duration.ofNanos(System.nanoTime() - t0).toMillis() + " ms: now timeline "
                + after.timeline() + ", WAL at " + after.bestLsn().map(Object::toString).orElse("?"));
        if (nodes.stream().noneMatch(n -> n.id() == self)) {
            return OperationOutcome.success("node " + node.config().node().name() + " promoted to primary (timeline "
                    + after.timeline() + "); it is not registered: run `primary register` to record it");
        }
        try (Connection c = connections.open(node.conninfo())) {
            if (oldPrimary.isPresent()) {
                metadata.promote(c, self, oldPrimary.get().id());
            } else {
                metadata.promote(c, self);
            }
            String inEpoch = epoch > 0 ? ", epoch " + epoch : "";
            metadata.recordEvent(c, self, "standby_promote", true, "promoted to primary on timeline " + after.timeline()
                    + inEpoch + oldPrimary.map(o -> "; previous primary " + o.describe()).orElse(""));
            return OperationOutcome.success("node " + node.config().node().name() + " promoted to primary (timeline "
                    + after.timeline() + inEpoch + ")");
        } catch (SQLException e) {
            throw Connections.failure("recording the promotion", e);
        } catch (MetadataException e) {
            throw new OperationFailure(e.exitCode(), "promoted, but recording it failed: " + e.getMessage(), e);
        }
    }

    /**
     * A sibling standby that received more WAL than this one cannot follow it after the promotion
     * without a rewind that discards that WAL: said before promoting, while promoting that sibling
     * instead is still possible.
     */
    private void warnAboutSiblingsAhead(PgSnapshot local, List<RegisteredNode> others, Progress progress) {
        Optional<org.pgsteward.protocol.Lsn> mine = local.bestLsn();
        if (mine.isEmpty() || others.isEmpty()) {
            return;
        }
        queries.probeAll(others).forEach((id, s) -> {
            if (s.isReachable() && s.isStandby() && s.timeline() == local.timeline() && s.bestLsn().isPresent()
                    && s.bestLsn().get().compareTo(mine.get()) > 0) {
                String name = others.stream().filter(n -> n.id() == id).map(RegisteredNode::describe).findFirst()
                        .orElse("node " + id);
                String warning = "WARNING: " + name + " has WAL up to " + s.bestLsn().get() + ", "
                        + s.bestLsn().get().bytesSince(mine.get()) + " bytes more than this node (" + mine.get()
                        + "): after this promotion it can follow only with a rewind that discards them"
                        + " (standby follow -F); promoting it instead loses nothing";
                log.warn("standby promote: {}", warning);
                progress.report(warning);
            }
        });
    }

    // ---------------------------------------------------------------- standby follow

    private OperationOutcome follow(CommandArgs args, Progress progress) {
        PgSnapshot local = requireReachable(node.probeLocal(), "this node's PostgreSQL");
        if (!local.inRecovery()) {
            throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "this node is a primary (not in recovery): only a standby can follow");
        }
        Conninfo target;
        Optional<RegisteredNode> targetNode = Optional.empty();
        List<RegisteredNode> nodes = queries.registeredNodesFromLocal();
        if (args.force()) {
            refuseOnPrimary(Commands.STANDBY_FOLLOW + " -F", "may rewind it");
        }
        if (args.target().isPresent() || args.host().isPresent()) {
            target = upstreamFromArgs(args, "standby follow");
            checkSource(Commands.STANDBY_FOLLOW, target, progress);
            Conninfo t = target;
            targetNode = nodes.stream().filter(n -> n.conninfo().port() == t.port() && sameHost(n.conninfo().host(), t.host()))
                    .findFirst();
        } else {
            int self = node.config().node().id();
            List<RegisteredNode> others = nodes.stream().filter(n -> n.id() != self).toList();
            if (others.isEmpty()) {
                throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "no other registered nodes to follow: give HOST");
            }
            targetNode = Optional.of(queries.findRunningPrimary(others).orElseThrow(() -> new OperationFailure(ExitCode.ERR_DB_CON,
                    "no registered node runs as a writable primary: promote one first, or give HOST")));
            target = connections.withCredentials(targetNode.get().conninfo());
        }
        PgSnapshot t = requireReachable(node.probe(target), "new upstream " + target.toConnStringRedacted());
        String upstreamName = targetNode.map(RegisteredNode::describe).orElse(target.toConnStringRedacted());
        progress.report("following " + upstreamName + " (timeline " + t.timeline() + ", WAL at "
                + t.bestLsn().map(Object::toString).orElse("?") + ")");
        Optional<FollowCheck> check = checkFollow(target, t.inRecovery(), progress);
        boolean rewound = false;
        if (check.isPresent() && !check.get().canFollow()) {
            String why = check.get().explanation();
            if (!args.force()) {
                throw new OperationFailure(ExitCode.ERR_DIVERGED, "cannot follow " + upstreamName + ": " + why
                        + ". Nothing was changed. `standby follow -F` rewinds this node to the upstream's history with"
                        + " pg_rewind (the WAL after the fork is discarded), or clone it again");
            }
            log.warn("standby follow -F: {}; rewinding to {}", why, upstreamName);
            progress.report("-F: rewinding this node to the upstream's history; the WAL after the fork is discarded");
            clusterOps.stopAndRewind(target, progress);
            rewound = true;
        } else {
            followTarget(target, progress);
        }
        PgSnapshot s = node.probeLocal();
        int self = node.config().node().id();
        if (targetNode.isPresent() && nodes.stream().anyMatch(n -> n.id() == self)) {
            RegisteredNode upstreamNode = targetNode.get();
            try (Connection c = connections.open(connections.withCredentials(upstreamNode.conninfo()))) {
                if (!t.inRecovery()) {
                    metadata.setUpstream(c, self, upstreamNode.id());
                    metadata.recordEvent(c, self, "standby_follow", true, "now following " + upstreamNode.describe()
                            + (rewound ? " (rewound first: " + check.get().explanation() + ")" : ""));
                }
            } catch (SQLException | MetadataException e) {
                progress.report("WARNING: following, but recording it failed: " + e.getMessage());
            }
        }
        return OperationOutcome.success("node " + node.config().node().name() + " follows "
                + targetNode.map(RegisteredNode::describe).orElse(target.toConnStringRedacted()) + " (timeline " + s.timeline() + ")");
    }

    /**
     * Whether this running standby can stream from {@code target} without a rewind; empty (the reason
     * reported) when it cannot be told, e.g. without replication access from this host to itself.
     *
     * @throws OperationFailure ERR_BAD_CONFIG when {@code target} is another database cluster (nothing changed)
     */
    Optional<FollowCheck> checkFollow(Conninfo target, boolean targetInRecovery, Progress progress) {
        Optional<FollowCheck> check = FollowCheck.ask(node.conninfo(), target, targetInRecovery, why -> {
            log.info("follow: could not check the timeline histories ({}); re-pointing anyway", why);
            progress.report("note: " + why + "; re-pointing without the timeline check");
        });
        check.ifPresent(c -> {
            log.info("follow {}: {}", target.toConnStringRedacted(), c.explanation());
            if (c.verdict() == FollowCheck.Verdict.OTHER_CLUSTER) {
                throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "cannot follow " + target.toConnStringRedacted()
                        + ": " + c.explanation() + "; nothing was changed; clone this node from it instead"
                        + " (standby clone -F)");
            }
            if (c.canFollow()) {
                progress.report("timeline check: " + c.explanation());
            }
        });
        return check;
    }

    /** Re-points this standby at {@code target} and waits until it streams from it. */
    OperationOutcome followTarget(Conninfo target, Progress progress) {
        return followTarget(target, progress, STREAMING_TIMEOUT);
    }

    OperationOutcome followTarget(Conninfo target, Progress progress, Duration streamingTimeout) {
        PgSnapshot t = requireReachable(node.probe(target), "new upstream " + target.toConnStringRedacted());
        if (t.inRecovery()) {
            progress.report("note: " + target.toConnStringRedacted() + " is itself a standby (cascading replication)");
        }
        configureAsStandby(target, progress);
        long t0 = System.nanoTime();
        if (node.majorVersion() >= 13) {
            node.pgCtl().reload();
            progress.report("configuration reloaded (PostgreSQL >= 13 re-reads primary_conninfo without a restart)");
        } else {
            try {
                node.pgCtl().restart(StopMode.FAST);
            } catch (CommandFailedException e) {
                throw new OperationFailure(ExitCode.ERR_NO_RESTART, "restart failed: " + e.getMessage(), e);
            }
            progress.report("restarted (PostgreSQL < 13 reads primary_conninfo at start)");
        }
        PgSnapshot s = awaitStreaming(Optional.of(target), progress, streamingTimeout);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        progress.report("streaming after " + ms + " ms");
        return OperationOutcome.success("follows " + target.toConnStringRedacted() + " (timeline " + s.timeline()
                + ", received " + s.receivedLsn().map(Object::toString).orElse("?") + ") after " + ms + " ms");
    }

    private static boolean sameHost(String a, String b) {
        String x = a.equals("localhost") ? "127.0.0.1" : a;
        String y = b.equals("localhost") ? "127.0.0.1" : b;
        return x.equals(y);
    }

    // ---------------------------------------------------------------- helpers

    private static PgSnapshot requireReachable(PgSnapshot s, String what) {
        if (s.isReachable()) {
            return s;
        }
        String why = s.error().orElse(s.reachability().name());
        ExitCode code = s.reachability() == Reachability.AUTH_FAILED ? ExitCode.ERR_BAD_PASSWORD
                : s.reachability() == Reachability.UNREACHABLE ? ExitCode.ERR_DB_CON : ExitCode.ERR_DB_QUERY;
        throw new OperationFailure(code, "cannot use " + what + ": " + why);
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationFailure(ExitCode.ERR_OPERATION_FAILED, "interrupted");
        }
    }

}
