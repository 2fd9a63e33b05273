package org.pgsteward.agent;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;
import org.pgsteward.agent.cluster.ClusterLink;
import org.pgsteward.agent.cluster.ClusterLinkSettings;
import org.pgsteward.agent.cluster.EpochStore;
import org.pgsteward.agent.cluster.PrimaryProbe;
import org.pgsteward.agent.cluster.SupervisorClient;
import org.pgsteward.agent.cluster.Timings;
import org.pgsteward.agent.config.BadConfigException;
import org.pgsteward.agent.config.NodeConfig;
import org.pgsteward.agent.exec.CommandRunner;
import org.pgsteward.agent.http.HttpListeners;
import org.pgsteward.agent.metrics.AgentMetrics;
import org.pgsteward.agent.ops.ClusterQueries;
import org.pgsteward.agent.ops.Monitor;
import org.pgsteward.agent.ops.NodeOperations;
import org.pgsteward.agent.postgres.PgSnapshot;
import org.pgsteward.agent.tls.TlsFiles;
import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.cluster.SupervisorMessage;
import org.pgsteward.supervisor.SupervisorGuard;
import org.pgsteward.supervisor.SupervisorSettings;
import org.pgsteward.supervisor.policy.PolicyConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Assembles one agent: a Pekko Cluster member hosting the local NodeAgent, the cluster link
 * (reports, lease, fencing), a share of the supervisor singleton and the HTTP API; runs until
 * the actor system terminates (SIGTERM/SIGINT, or this member being downed). PostgreSQL is left
 * running, except that a downed member fences a primary it runs; and the fence guard it starts (a process of its
 * own, {@link org.pgsteward.agent.guard.FenceGuard}) fences the primary once this agent stopped renewing its lease,
 * however it stopped.
 */
public final class AgentRuntime {

    private static final Logger log = LoggerFactory.getLogger(AgentRuntime.class);
    private static final Duration BIND_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration SCHEMA_TIMEOUT = Duration.ofSeconds(60);

    private final NodeConfig config;
    private final boolean verbose;
    private final Host host;
    private volatile ActorSystem<Void> system;
    private volatile Join join;

    /**
     * What lives as long as the agent process, across cluster incarnations: the local node and its state directory,
     * the fence guard's link, the lease memory (promises given and held), metrics, the monitor and the fence's thread
     * (one per process: a downed member joins again as a new incarnation, and a thread per incarnation would leak).
     */
    private record Host(LocalNode node, StateDirectory stateDir, EpochStore epochs,
                        org.pgsteward.agent.cluster.RecordStore records, org.pgsteward.agent.cluster.HistoryLog history,
                        org.pgsteward.agent.guard.GuardLink guard, AgentMetrics metrics, ClusterQueries queries,
                        NodeOperations operations, PrimaryProbe primaryProbe,
                        org.pgsteward.agent.cluster.LeaseStatus leaseStatus, Monitor monitor,
                        org.pgsteward.agent.cluster.LinkMemory memory, Executor fenceExecutor,
                        org.pgsteward.agent.events.EventNotifier events, org.pgsteward.agent.ops.OperationRunner observed) {}

    /**
     * How an incarnation joins the cluster. {@code FIRST}: the configured seed nodes, as at the first start (the first
     * seed forms the cluster when no other seed answers within seed-node-timeout). {@code REJOIN}: after this member
     * was downed, only through the other seeds (the cluster it was in still runs: forming one of its own would be an
     * island that never merges), giving up after {@link #REJOIN_TIMEOUT}. {@code FALLBACK}: the seeds as at the first
     * start (every member may have downed itself, e.g. a three-way partition: someone must form the cluster again),
     * ended after {@link #ISLAND_TIMEOUT} without a majority of the seed nodes as members (as is any incarnation
     * that had a majority and lost it for that long).
     */
    enum Join { FIRST, REJOIN, FALLBACK }

    static final Duration REJOIN_TIMEOUT = Duration.ofSeconds(10);
    static final Duration ISLAND_TIMEOUT = Duration.ofSeconds(15);
    /** How often a member that is not the first seed asks the seeds again while joining (Pekko's default: 5 s). */
    static final Duration JOIN_RETRY = Duration.ofSeconds(1);

    /** This incarnation stayed without a majority of the seed nodes after a fallback join: try to rejoin instead. */
    static final class IslandReason implements CoordinatedShutdown.Reason {
        static final IslandReason INSTANCE = new IslandReason();

        @Override
        public String toString() {
            return "IslandReason";
        }
    }

    private final Optional<TlsFiles> tls;

    /** The web status page's lag charts: sampled for as long as the process runs, across incarnations. */
    private final org.pgsteward.agent.ui.LagHistory lagHistory = new org.pgsteward.agent.ui.LagHistory();
    private final org.pgsteward.agent.ui.LagSampler lagSampler;

    private AgentRuntime(NodeConfig config, boolean verbose, Host host, Optional<TlsFiles> tls) {
        this.config = config;
        this.verbose = verbose;
        this.host = host;
        this.tls = tls;
        this.lagSampler = org.pgsteward.agent.ui.LagSampler.start(host.node(), host.queries(), lagHistory);
    }

    public static AgentRuntime start(NodeConfig config, boolean verbose) {
        // first, before anything is started or written: a wrong file stops the start naming its key
        Optional<TlsFiles> tls;
        try {
            tls = config.agent().tls().map(t -> TlsFiles.load(config.source(), t));
        } catch (BadConfigException e) {
            throw new AgentStartException(ExitCode.ERR_BAD_CONFIG, e.getMessage(), e);
        }
        var runtime = new AgentRuntime(config, verbose, openHost(config), tls);
        runtime.join = Join.FIRST;
        try {
            runtime.system = runtime.incarnation(Join.FIRST);
        } catch (RuntimeException e) {
            runtime.lagSampler.close();
            throw e;
        }
        return runtime;
    }

    private static Host openHost(NodeConfig config) {
        var runner = new CommandRunner();
        LocalNode node = LocalNode.create(config, runner);
        EpochStore epochs;
        org.pgsteward.agent.cluster.RecordStore records;
        org.pgsteward.agent.cluster.HistoryLog history;
        StateDirectory stateDir;
        try {
            stateDir = StateDirectory.open(config.agent().stateDir(), config.cluster(), config.node().id(),
                    node.witness() ? Optional.empty() : StateDirectory.systemIdentifierOf(node.dataDir()));
            epochs = new EpochStore(config.agent().stateDir());
            records = new org.pgsteward.agent.cluster.RecordStore(config.agent().stateDir());
            history = new org.pgsteward.agent.cluster.HistoryLog(config.agent().stateDir());
        } catch (RuntimeException e) {
            throw new AgentStartException(ExitCode.ERR_BAD_CONFIG, config.source() + ": pgsteward.agent.state-dir: "
                    + e.getMessage(), e);
        }
        // the fence that does not need this JVM (F1): one guard process per state directory, outliving the agent
        org.pgsteward.agent.guard.GuardLink guard = org.pgsteward.agent.guard.GuardLink.none();
        if (!node.witness()) {
            Path guardDir = config.agent().stateDir();
            String how;
            try {
                how = org.pgsteward.agent.guard.GuardLink.ensureGuard(guardDir, node.dataDir());
            } catch (RuntimeException e) {
                throw new AgentStartException(ExitCode.ERR_OPERATION_FAILED, "cannot start the fence guard in " + guardDir
                        + ": " + e.getMessage(), e);
            }
            if (how.startsWith("FAILED")) {
                log.error("fence guard for {}: {}: a primary here is fenced only while this agent runs", node.dataDir(), how);
            } else {
                log.info("fence guard for {}: {}", node.dataDir(), how);
            }
            guard = new org.pgsteward.agent.guard.GuardLink(guardDir, config.failover().lease(),
                    how.equals("already running"));
        }
        var metrics = new AgentMetrics(config.cluster(), config.node().id(), config.node().name());
        metrics.epoch(epochs.current());
        var queries = new ClusterQueries(node);
        var operations = new NodeOperations(node, queries);
        var primaryProbe = new PrimaryProbe();
        var leaseStatus = new org.pgsteward.agent.cluster.LeaseStatus();
        var monitor = new Monitor(node, queries, metrics, primaryProbe);
        var memory = org.pgsteward.agent.cluster.LinkMemory.create(config.failover().lease(),
                timings(config).leaseMargin());
        var events = new org.pgsteward.agent.events.EventNotifier(config.events(), runner,
                outcome -> metrics.eventCommand(outcome.name().toLowerCase(java.util.Locale.ROOT)));
        var observed = new org.pgsteward.agent.ops.ObservedOperations(operations, config.node().id(), config.node().name(),
                events, metrics);
        var guardLink = guard;
        long halfLead = timings(config).fenceLead().toNanos() / 2; // the guard is told the lease end minus this
        metrics.leaseRemaining(() -> guardLink.primaryDeadlineNanos().map(d -> Duration.ofNanos(d + halfLead - System.nanoTime())));
        metrics.paused(() -> records.stored().map(r -> r.record().paused()));
        return new Host(node, stateDir, epochs, records, history, guard, metrics, queries, operations, primaryProbe,
                leaseStatus, monitor, memory, fenceExecutor(), events, observed);
    }

    /**
     * One cluster incarnation: an actor system (a cluster member of its own unique address), the node agent, the
     * cluster link, this member's share of the supervisor singleton and the HTTP listeners. It ends when the member
     * is downed (then {@link #awaitTermination} starts the next) or the agent is stopped.
     */
    private ActorSystem<Void> incarnation(Join how) {
        Host h = host;
        LocalNode node = h.node();
        ActorSystem<Void> system;
        try {
            system = ActorSystem.create(Behaviors.empty(), "pgsteward", pekkoConfig(config, verbose, how));
        } catch (RuntimeException e) {
            throw new AgentStartException(ExitCode.ERR_BAD_CONFIG, config.source()
                    + ": pgsteward.agent.cluster-address: cannot start the cluster member at " + config.agent().clusterAddress()
                    + ": " + e.getMessage(), e);
        }
        // the downing keeps the primary's end of a broken link: it asks this agent who the primary is (issue 8.6)
        org.pgsteward.agent.downing.PrimaryHint.get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system))
                .set(h.epochs()::primaryOfCurrentEpoch);
        try {
            return setUp(system, how, h, node);
        } catch (RuntimeException e) {
            // downed while starting (a loaded host): its actors and listeners cannot be created any more; that is an
            // incarnation ended by downing, not a failed start: awaitTermination starts the next one
            if (!restartReason(CoordinatedShutdown.get(system).getShutdownReason())) {
                throw e;
            }
            log.warn("this member was downed while its cluster incarnation was starting ({}): the next one starts",
                    e.toString());
            return system;
        }
    }

    private ActorSystem<Void> setUp(ActorSystem<Void> system, Join how, Host h, LocalNode node) {
        if (how == Join.FIRST) { // said once, not at every incarnation
            logClusterTrafficSecurity();
        }
        prepareJournal(system, config);
        // so that a supervisor moving here after a host loss reads its journal on a warm JVM
        system.systemActorOf(org.pgsteward.supervisor.JournalWarmup.behavior(supervisorSettings(config)),
                "journal-warmup", org.apache.pekko.actor.typed.Props.empty());

        Executor blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig("pgsteward.blocking-dispatcher"));
        ActorRef<SupervisorMessage> supervisor = ClusterSingleton.get(system).init(SingletonActor.of(
                SupervisorGuard.singleton(supervisorSettings(config), redacted(journalUrl(config))), "supervisor"));
        var supervisorClient = new SupervisorClient(system, supervisor);
        h.operations().attach(supervisorClient, h.epochs(), h.primaryProbe(), h.metrics());
        Supplier<PgSnapshot> cycle = () -> {
            PgSnapshot seen = h.monitor().cycle();
            if (!node.witness() && seen.isReachable() && !h.stateDir().systemIdentifierKnown()) {
                // the first sight of the local PostgreSQL: from now on the state directory is its cluster's
                StateDirectory.systemIdentifierOf(node.dataDir()).ifPresent(h.stateDir()::recordSystemIdentifier);
            }
            return seen;
        };
        ActorRef<NodeAgent.Command> agent = system.systemActorOf(restartingOnFailure(NodeAgent.create(h.observed(),
                cycle, blocking, config.agent().monitorInterval())), "node-agent",
                org.apache.pekko.actor.typed.Props.empty());
        ActorRef<ClusterLink.Command> link = system.systemActorOf(restartingOnFailure(ClusterLink.create(
                linkSettings(config, node, h.primaryProbe(), h.leaseStatus(), h.guard()), h.epochs(), h.records(),
                h.history(), h.memory(), agent, supervisor, () -> fenceAndTell(node, h.events()), blocking,
                h.fenceExecutor())), "cluster-link",
                org.apache.pekko.actor.typed.Props.empty());

        CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
        shutdown.addTask(CoordinatedShutdown.PhaseClusterExiting(), "pgsteward-downed", () -> {
            if (downed(shutdown)) {
                // no fence here: the lease decides (F-blip). A primary whose promises still run keeps serving while the
                // next incarnation joins and renews them; the guard fences it if they run out first.
                log.warn("this member was downed (minority side, unreachable, or a blip): joining again as a new "
                        + "incarnation; {}", node.witness() ? "witness" : "a primary keeps serving only while its lease holds");
            }
            return CompletableFuture.completedFuture(Done.getInstance());
        });
        shutdown.addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "pgsteward-log-stop", () -> {
            if (!downed(shutdown) && !restartReason(shutdown.getShutdownReason())) {
                log.info("agent stopped; PostgreSQL left as it was{}", node.witness() ? ""
                        : " (a primary of automatic failover is fenced by the guard once its lease runs out)");
            }
            return CompletableFuture.completedFuture(Done.getInstance());
        });
        // a first start on the state of a running cluster (the agent restarted: this member knew an epoch) is watched
        // too: under load the other seeds may not answer the first seed's join within seed-node-timeout, and it forms
        // a cluster of its own (seen in the chaos run at load 30: an island for good). A cluster's very first start,
        // members started one by one, is not.
        watchForIsland(system, how == Join.FALLBACK || (how == Join.FIRST && h.epochs().highestSeen() > 0));
        observeForMetrics(system, h.metrics());

        try {
            var facade = new AgentServices(system, agent, node, h.queries(), h.metrics(), supervisorClient, h.history(),
                    h.epochs(), h.leaseStatus()::mayWrite);
            var http = config.agent().http();
            var ui = new org.pgsteward.agent.ui.AgentUiData(system, config, h.leaseStatus(), h.records(), lagHistory,
                    lagSampler);
            HttpListeners.bind(system, config, tls, facade, h.leaseStatus()::mayWrite, BIND_TIMEOUT, Optional.of(ui));
            log.info("agent {} (id {}) of cluster {} up: HTTP at {}, cluster member at {} (seeds {}{}), {}, failover {}",
                    config.node().name(), config.node().id(), config.cluster(), http, config.agent().clusterAddress(),
                    config.agent().seedNodes(), how == Join.FIRST ? "" : ", joining again: " + how.name().toLowerCase(),
                    node.witness() ? "witness (no PostgreSQL)" : "PostgreSQL " + node.majorVersion()
                            + " at " + node.conninfo().toConnStringRedacted() + " (data directory " + node.dataDir() + ")",
                    config.failover().mode().name().toLowerCase());
        } catch (AgentStartException e) {
            system.terminate();
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            system.terminate();
            throw new AgentStartException(ExitCode.ERR_OPERATION_FAILED, "interrupted while starting", e);
        }
        log.debug("cluster link {}", link);
        return system;
    }

    private void logClusterTrafficSecurity() {
        if (tls.isEmpty()) {
            log.warn("cluster traffic is not authenticated: pgsteward.agent.tls is not set, so any process that reaches"
                    + " {} (or another agent's cluster port) can join the cluster, vote and make the primary fence"
                    + " itself; set agent.tls (certificates from scripts/make-certs) on every agent",
                    config.agent().clusterAddress());
        } else {
            log.info("cluster traffic: mutual TLS (peers need a certificate issued by {} that shares a subject name"
                    + " with {})", config.agent().tls().get().ca(), tls.get().subjectNames());
        }
    }

    private static boolean downed(CoordinatedShutdown shutdown) {
        return shutdown.getShutdownReason().filter(r -> r instanceof CoordinatedShutdown.ClusterDowningReason$).isPresent();
    }

    /** The reasons after which the agent starts a new incarnation instead of stopping. */
    private static boolean restartReason(Optional<CoordinatedShutdown.Reason> reason) {
        return reason.filter(r -> r instanceof CoordinatedShutdown.ClusterDowningReason$
                || r instanceof CoordinatedShutdown.ClusterJoinUnsuccessfulReason$ || r instanceof IslandReason).isPresent();
    }

    /**
     * The next way to join after an incarnation ended for {@code reason}, or empty: the agent stops. Downed: rejoin
     * through the others; a rejoin that found nobody: the seeds as at first start (everyone may have downed itself);
     * such an incarnation that stayed a minority island: rejoin again.
     */
    static Optional<Join> nextJoin(Optional<CoordinatedShutdown.Reason> reason, boolean otherSeeds) {
        if (!restartReason(reason)) {
            return Optional.empty();
        }
        CoordinatedShutdown.Reason r = reason.get();
        if (!otherSeeds) {
            return Optional.of(Join.FIRST);
        }
        return Optional.of(r instanceof CoordinatedShutdown.ClusterJoinUnsuccessfulReason$ ? Join.FALLBACK : Join.REJOIN);
    }

    static String describe(CoordinatedShutdown.Reason reason) {
        if (reason instanceof CoordinatedShutdown.ClusterDowningReason$) {
            return "this member was downed";
        }
        if (reason instanceof CoordinatedShutdown.ClusterJoinUnsuccessfulReason$) {
            return "no other seed node answered within " + REJOIN_TIMEOUT.toSeconds() + " s";
        }
        if (reason instanceof IslandReason) {
            return "a cluster without a majority of the seed nodes for " + ISLAND_TIMEOUT.toSeconds() + " s";
        }
        return reason.toString();
    }

    /**
     * An incarnation that had a majority of the seed nodes as members, or that formed a cluster after a failed
     * rejoin, and then spends {@link #ISLAND_TIMEOUT} without one is an island (it downed the others in a partial
     * picture of a partition, or formed a cluster while the others could not be reached): it ends itself, and the
     * next incarnation rejoins the others. Safe either way (an island never holds a majority for leases or votes);
     * this keeps it from staying out of the cluster for good. Not while the cluster first forms (members start one
     * by one): a first start is watched only when this member already knew an epoch.
     */
    private void watchForIsland(ActorSystem<Void> system, boolean fromTheStart) {
        int majority = config.agent().seedNodes().size() / 2 + 1;
        var cluster = org.apache.pekko.cluster.Cluster.get(system);
        boolean[] armed = {fromTheStart};
        long[] withoutMajoritySince = {System.nanoTime()};
        system.scheduler().scheduleWithFixedDelay(Duration.ofSeconds(1), Duration.ofSeconds(1), () -> {
            long up = 0;
            for (var m : cluster.state().getMembers()) {
                if (m.status() == org.apache.pekko.cluster.MemberStatus.up()) {
                    up++;
                }
            }
            long now = System.nanoTime();
            if (up >= majority) {
                armed[0] = true;
                withoutMajoritySince[0] = now;
            } else if (armed[0] && now - withoutMajoritySince[0] > ISLAND_TIMEOUT.toNanos()) {
                armed[0] = false;
                log.warn("this member's cluster has {} of the {} seed nodes as members, for {} s: leaving it to join the "
                        + "others", up, config.agent().seedNodes().size(), ISLAND_TIMEOUT.toSeconds());
                CoordinatedShutdown.get(system).run(IslandReason.INSTANCE);
            }
        }, system.executionContext());
    }

    /**
     * Stops writes on the local primary now: SIGQUIT (immediate shutdown) to the postmaster, SIGKILL of the
     * postmaster and its children when it has not exited within {@link Timings#fenceKillAfter} (a millisecond deadline,
     * not pg_ctl's whole seconds), so the fence is complete before the lease runs out even with a hung server (an
     * immediate stop is a crash anyway; a kill is no worse).
     */
    static String fence(LocalNode node) {
        if (node.witness()) {
            return "witness: nothing to fence";
        }
        return stopNow(node).describe();
    }

    private static org.pgsteward.agent.postgres.Postmaster.StopResult stopNow(LocalNode node) {
        return node.postmaster().stop(timings(node.config()).fenceKillAfter());
    }

    /** The fence, and an event for the event command when it stopped a running server (queued: never waits). */
    static String fenceAndTell(LocalNode node, org.pgsteward.agent.events.EventNotifier events) {
        if (node.witness()) {
            return fence(node);
        }
        var r = stopNow(node);
        if (r.outcome() != org.pgsteward.agent.postgres.Postmaster.StopOutcome.NOT_RUNNING) {
            events.notify(new org.pgsteward.agent.events.NodeEvent(node.config().node().id(), node.config().node().name(),
                    org.pgsteward.agent.events.EventNames.FENCE, true, java.time.Instant.now(), r.describe()));
        }
        return r.describe();
    }

    /**
     * The membership figures of this incarnation (read at scrape time), and the failover and switchover durations the
     * supervisor publishes while it runs here.
     */
    private static void observeForMetrics(ActorSystem<Void> system, AgentMetrics metrics) {
        var cluster = org.apache.pekko.cluster.Cluster.get(system);
        metrics.clusterView(() -> {
            var state = cluster.state();
            var unreachable = new java.util.HashSet<org.apache.pekko.cluster.Member>();
            state.getUnreachable().forEach(unreachable::add);
            int up = 0;
            Optional<org.apache.pekko.cluster.Member> oldest = Optional.empty();
            for (var m : state.getMembers()) {
                if (m.status() == org.apache.pekko.cluster.MemberStatus.up()) {
                    if (!unreachable.contains(m)) {
                        up++;
                    }
                    if (oldest.isEmpty() || m.isOlderThan(oldest.get())) {
                        oldest = Optional.of(m);
                    }
                }
            }
            // the singleton runs on the oldest Up member
            boolean supervisor = oldest.isPresent() && !unreachable.contains(oldest.get());
            return new AgentMetrics.ClusterView(up, unreachable.size(), supervisor);
        });
        ActorRef<org.pgsteward.supervisor.OperationTiming> timings = system.systemActorOf(
                Behaviors.receive(org.pgsteward.supervisor.OperationTiming.class).onMessage(
                        org.pgsteward.supervisor.OperationTiming.class, t -> {
                            if (t.switchover()) {
                                metrics.switchoverTook(t.took());
                            } else {
                                metrics.failoverTook(t.took());
                            }
                            return Behaviors.same();
                        }).build(), "operation-timings", org.apache.pekko.actor.typed.Props.empty());
        system.eventStream().tell(new org.apache.pekko.actor.typed.eventstream.EventStream.Subscribe<>(
                org.pgsteward.supervisor.OperationTiming.class, timings));
    }

    /**
     * The fence's own thread (daemon), so it never queues behind HTTP requests or monitor cycles: one for the process
     * (see {@link Host}), started at once so that a fence never waits for a thread to be created.
     */
    static java.util.concurrent.ExecutorService fenceExecutor() {
        var executor = new java.util.concurrent.ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, FENCE_THREAD);
                    t.setDaemon(true);
                    return t;
                });
        executor.prestartCoreThread();
        return executor;
    }

    static final String FENCE_THREAD = "pgsteward-fence";

    /** The actor system of the running cluster incarnation (tests: to end one as a downing would). */
    ActorSystem<Void> currentSystem() {
        return system;
    }

    static ClusterLinkSettings linkSettings(NodeConfig config, LocalNode node, PrimaryProbe probe,
                                           org.pgsteward.agent.cluster.LeaseStatus leaseStatus,
                                           org.pgsteward.agent.guard.GuardLink guard) {
        return new ClusterLinkSettings(config.node().id(), config.node().name(), config.node().priority(), node.witness(),
                node.conninfo().without("password").without("sslpassword").toConnString(),
                config.failover().mode() == NodeConfig.FailoverMode.AUTOMATIC, config.failover().autoRejoin(),
                timings(config), probe, node::standbyDataDir,
                () -> org.pgsteward.agent.postgres.PgBinaries.dataDirMajorVersion(node.dataDir()).isPresent(),
                node::configuredUpstream,
                config.agent().seedNodes().size(), leaseStatus,
                () -> !node.witness() && node.postmaster().mayServeWrites(), guard,
                () -> node.witness() ? Optional.empty() : node.postmaster().sample());
    }

    /** The agent's timings, derived from the lease, the monitor interval and failover.timeout (see {@link Timings}). */
    static Timings timings(NodeConfig config) {
        return Timings.of(config.failover().lease(), config.agent().monitorInterval(), config.failover().timeout());
    }

    static SupervisorSettings supervisorSettings(NodeConfig config) {
        Duration lease = config.failover().lease();
        Timings t = timings(config);
        var policy = new PolicyConfig(config.failover().mode() == NodeConfig.FailoverMode.AUTOMATIC
                ? PolicyConfig.Mode.AUTOMATIC : PolicyConfig.Mode.MANUAL, config.failover().maxLagBytes(),
                config.replication().synchronous(), config.failover().timeout(), lease, t.leaseMargin(),
                t.reportStaleAfter());
        return new SupervisorSettings(config.cluster(), policy, Duration.ofMillis(100), Duration.ofSeconds(10),
                Duration.ofMinutes(2), config.agent().seedNodes().size());
    }

    /**
     * Blocks until the agent stopped (SIGTERM/SIGINT); 0 when it stopped cleanly. An incarnation that ended because
     * this member was downed, found no cluster to rejoin, or stayed an island is followed by the next one at once
     * (a second apart when starting one fails: the ports may not be free yet).
     */
    public int awaitTermination() {
        boolean otherSeeds = config.agent().seedNodes().stream().anyMatch(s -> !s.equals(config.agent().clusterAddress()));
        try {
            while (true) {
                ActorSystem<Void> current = system;
                current.getWhenTerminated().toCompletableFuture().get();
                Optional<CoordinatedShutdown.Reason> reason = CoordinatedShutdown.get(current).getShutdownReason();
                Optional<Join> next = nextJoin(reason, otherSeeds);
                if (next.isEmpty()) {
                    return 0;
                }
                log.warn("cluster incarnation ended ({}): starting the next one ({})", describe(reason.get()),
                        next.get().name().toLowerCase());
                while (true) {
                    try {
                        join = next.get();
                        system = incarnation(next.get());
                        break;
                    } catch (AgentStartException e) {
                        log.error("cannot start the next cluster incarnation: {} (again in 1 s)", e.getMessage());
                        Thread.sleep(1000);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCode.ERR_OPERATION_FAILED.code();
        } catch (ExecutionException e) {
            return ExitCode.ERR_OPERATION_FAILED.code();
        } finally {
            lagSampler.close();
        }
    }

    /**
     * Creates the journal's tables if missing. A journal that fails (corrupt, locked, disk full, server unreachable)
     * does not stop the agent: its lease and fencing do not need it. The creation is retried in the background
     * until it works; meanwhile the supervisor restarts with backoff and `cluster show` names the journal and error.
     */
    private static void prepareJournal(ActorSystem<Void> system, NodeConfig config) {
        try {
            SchemaUtils.createIfNotExists(system).toCompletableFuture().get(SCHEMA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            retryPrepareJournal(system, config, Duration.ofSeconds(1), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            system.terminate();
            throw new AgentStartException(ExitCode.ERR_OPERATION_FAILED, "interrupted while starting", e);
        }
    }

    private static void retryPrepareJournal(ActorSystem<Void> system, NodeConfig config, Duration delay, Throwable e) {
        log.error("{}: pgsteward.supervisor.journal-url: cannot prepare the supervisor's journal at {}: {} (retrying in {}"
                + " ms; the agent runs, its supervisor restarts until the journal works)", config.source(),
                redacted(journalUrl(config)), rootMessage(e), delay.toMillis());
        system.scheduler().scheduleOnce(delay, () -> SchemaUtils.createIfNotExists(system).whenComplete((done, failure) -> {
            if (failure != null) {
                retryPrepareJournal(system, config, Duration.ofMillis(Math.min(30_000, delay.toMillis() * 2)), failure);
            } else {
                log.info("the supervisor's journal at {} is ready", redacted(journalUrl(config)));
            }
        }), system.executionContext());
    }

    /**
     * Without a failure strategy Pekko stops an actor for good on any exception (an ENOSPC from the epoch file, a
     * bug): no reports, no lease, no fencing. Restarted instead, with the supervisor's backoff (200 ms .. 5 s); the
     * failure is logged by Pekko each time.
     */
    static <T> Behavior<T> restartingOnFailure(Behavior<T> behavior) {
        var r = SupervisorGuard.Restarts.defaults();
        return Behaviors.supervise(behavior).onFailure(SupervisorStrategy.restartWithBackoff(r.minBackoff(),
                r.maxBackoff(), r.randomFactor()));
    }

    /**
     * The embedded default: one file opened by this process only. No AUTO_SERVER: it would open a TCP server on
     * this host guarded only by a key in the lock file, and is needed only when several processes share one file
     * (a shared journal-url must ask for it explicitly, as the end-to-end tests do). WRITE_DELAY=0: H2 has no redo
     * log and by default stores committed changes half a second later (measured with 2.5.252: a table created and
     * a row inserted and committed were both gone after the process was killed at once); with 0 every commit is in
     * the file before it returns, so an event the supervisor persisted survives a SIGKILL of the agent.
     */
    static String journalUrl(NodeConfig config) {
        return config.supervisor().journalUrl().orElseGet(() ->
                "jdbc:h2:file:" + config.agent().stateDir().resolve("supervisor-journal") + ";WRITE_DELAY=0");
    }

    /** A JDBC URL to show: a password given in it (H2's {@code ;PASSWORD=}, pgjdbc's {@code password=}) hidden. */
    static String redacted(String jdbcUrl) {
        return jdbcUrl.replaceAll("(?i)((?:[;?&]|^)(?:password|sslpassword|passwd)=)[^;&]*", "$1***");
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    /**
     * The cluster settings, chosen for fast failover on 3-5 members. Safety does not come from downing (leases, votes
     * and the majority-held record do not need it): downing only decides when the supervisor singleton can move off
     * a lost host, so it is fast. Heartbeats every 250 ms with a 1 s acceptable pause (a member is unreachable ~1.5 s
     * after it stops answering); the downing (keep-majority as Pekko's Split Brain Resolver, but only the non-primary
     * end of a broken link: {@link org.pgsteward.agent.downing.DowningRule}) keeps the majority side and downs the
     * rest once the picture has been stable for 750 ms (never "down all": a member rejoining while another dies would
     * take the whole cluster down); the singleton starts on the next oldest 100 ms after its host was removed. A member downed by mistake (a
     * stall or a blip of ~2.5 s or more) joins again by itself as a new incarnation ({@link Join}); a primary among
     * them keeps serving while its lease holds.
     */
    static Config pekkoConfig(NodeConfig config, boolean verbose) {
        return pekkoConfig(config, verbose, Join.FIRST);
    }

    /** Whether this member is the first of the seeds it joins through, the one that forms a cluster when nobody answers. */
    private static boolean firstSeedIsSelf(NodeConfig.Agent a, boolean rejoin) {
        return !rejoin && !a.seedNodes().isEmpty() && a.seedNodes().get(0).equals(a.clusterAddress());
    }

    static Config pekkoConfig(NodeConfig config, boolean verbose, Join join) {
        var a = config.agent();
        boolean rejoin = join == Join.REJOIN && a.seedNodes().stream().anyMatch(s -> !s.equals(a.clusterAddress()));
        String seeds = a.seedNodes().stream().filter(s -> !rejoin || !s.equals(a.clusterAddress())).map(s -> "\"pekko://pgsteward@" + s.host() + ":" + s.port() + "\"")
                .collect(Collectors.joining(", "));
        String url = journalUrl(config);
        boolean postgres = url.startsWith("jdbc:postgresql:");
        String generated = String.join("\n",
                "pekko {",
                "  loggers = [\"org.apache.pekko.event.slf4j.Slf4jLogger\"]",
                "  logging-filter = \"org.apache.pekko.event.slf4j.Slf4jLoggingFilter\"",
                "  loglevel = " + (verbose ? "DEBUG" : "INFO"),
                "  stdout-loglevel = WARNING",
                "  log-dead-letters = 0",
                "  log-dead-letters-during-shutdown = off",
                "  actor.provider = cluster",
                "  remote.artery.canonical.hostname = \"" + a.clusterAddress().host() + "\"",
                "  remote.artery.canonical.port = " + a.clusterAddress().port(),
                // a stopping or downed member flushes what it still has to send for 300 ms, not 1 s: a downed member's
                // next incarnation starts that much sooner
                "  remote.artery.advanced.shutdown-flush-timeout = 300ms",
                // agent.tls: TLS with mutual authentication; the provider re-reads the PEM files every 5 minutes (so
                // renewed certificates are picked up) and accepts a peer whose certificate the CA issued and that
                // shares a subject name (CN or DNS subjectAltName) with this agent's; no host name verification
                "  remote.artery.transport = " + (a.tls().isPresent() ? "tls-tcp" : "tcp"),
                a.tls().isPresent() ? "  remote.artery.ssl.ssl-engine-provider = "
                        + "\"org.apache.pekko.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider\"" : "",
                "  cluster {",
                "    seed-nodes = [" + seeds + "]",
                rejoin ? "    shutdown-after-unsuccessful-join-seed-nodes = " + REJOIN_TIMEOUT.toMillis() + "ms" : "",
                // a member that is not the first of its seeds never forms a cluster: for it seed-node-timeout is only
                // the pause before it asks the seeds again, and a seed that answered "not initialized yet" (it was
                // starting too) was asked again 5 s later. Every agent restarted at once: the primary's agent joined
                // 5 s after the others and they had failed it over (AllAgentsKilledTest). It asks every second.
                firstSeedIsSelf(a, rejoin) ? "" : "    seed-node-timeout = " + JOIN_RETRY.toMillis() + "ms",
                // for the first seed seed-node-timeout stays at Pekko's 5 s: measured with 2 s, a restarted first seed agent did not
                // hear the running seeds in time and formed a cluster of its own (an island that never rejoins)
                // Pekko's keep-majority, except that of a broken link only one end is downed, not the primary's (issue
                // 8.6); it reads stable-after below; the role tells every member which member is which node
                "    downing-provider-class = \"org.pgsteward.agent.downing.PrimaryAwareDowningProvider\"",
                "    roles = [\"" + org.pgsteward.agent.downing.PrimaryAwareDowningProvider.roleOf(config.node().id()) + "\"]",
                "    split-brain-resolver.active-strategy = keep-majority",
                "    split-brain-resolver.stable-after = 750ms",
                // a member that (re)joins just as another dies must not make everyone down themselves: safety comes
                // from the lease and the votes, the SBR only has to remove the dead or the minority
                "    split-brain-resolver.down-all-when-unstable = off",
                "    failure-detector.heartbeat-interval = 250ms",
                "    failure-detector.acceptable-heartbeat-pause = 1s",
                // the failure detector is read on this tick (default 1 s): an unreachable member is seen up to 0.75 s
                // sooner; the detector's own thresholds, and so its false alarms, are unchanged
                "    unreachable-nodes-reaper-interval = 250ms",
                // not 0: Pekko's SBR reads 0 as "use stable-after"; the singleton's safety does not rest on it
                "    down-removal-margin = 100ms",
                // the leader moves a downed member to Removed on its next action tick: a quarter of the default
                // second, so the supervisor singleton starts sooner on another host
                "    leader-actions-interval = 250ms",
                // gossip four times a second (default once): a downing reaches every member, and the leader's
                // removal the next oldest, a few hundred ms sooner; negligible traffic for 3-5 members
                "    gossip-interval = 250ms",
                "    jmx.enabled = off",
                "    log-info-verbose = off",
                "    singleton.hand-over-retry-interval = 500ms",
                // agents find a supervisor that (re)started elsewhere by asking the oldest member: every 100 ms
                // instead of every second, so its first reports, and the state it learns from them, come sooner
                "    singleton-proxy.singleton-identification-interval = 100ms",
                "  }",
                "  persistence.journal.plugin = \"jdbc-journal\"",
                "  persistence.snapshot-store.plugin = \"jdbc-snapshot-store\"",
                // a console waits for long operations by polling, so no request runs long
                "  http.server.request-timeout = 60s",
                "  coordinated-shutdown.exit-jvm = off",
                "}",
                "pekko-persistence-jdbc.shared-databases.slick {",
                "  profile = \"" + (postgres ? "slick.jdbc.PostgresProfile$" : "slick.jdbc.H2Profile$") + "\"",
                "  db {",
                "    driver = \"" + (postgres ? "org.postgresql.Driver" : "org.h2.Driver") + "\"",
                "    numThreads = 2",
                "    maxConnections = 2",
                "    minConnections = 1",
                "    connectionTimeout = 10000",
                "    queueSize = 1000",
                "  }",
                "}",
                "jdbc-journal.use-shared-db = \"slick\"",
                "jdbc-snapshot-store.use-shared-db = \"slick\"",
                "jdbc-read-journal.use-shared-db = \"slick\"",
                "jdbc-durable-state-store.use-shared-db = \"slick\"",
                "pgsteward.blocking-dispatcher {",
                "  type = Dispatcher",
                "  executor = \"thread-pool-executor\"",
                "  thread-pool-executor.fixed-pool-size = 8",
                "  throughput = 1",
                "}");
        Config c = ConfigFactory.parseString(generated);
        if (a.tls().isPresent()) {
            String engine = "pekko.remote.artery.ssl.rotating-keys-engine.";
            c = c.withValue(engine + "key-file", ConfigValueFactory.fromAnyRef(a.tls().get().privateKey().toString()))
                    .withValue(engine + "cert-file", ConfigValueFactory.fromAnyRef(a.tls().get().certificate().toString()))
                    .withValue(engine + "ca-cert-file", ConfigValueFactory.fromAnyRef(a.tls().get().ca().toString()));
        }
        c = c
                .withValue("pekko-persistence-jdbc.shared-databases.slick.db.url", ConfigValueFactory.fromAnyRef(url))
                .withValue("pekko-persistence-jdbc.shared-databases.slick.db.user",
                        ConfigValueFactory.fromAnyRef(config.supervisor().journalUser().orElse(postgres ? "" : "sa")))
                .withValue("pekko-persistence-jdbc.shared-databases.slick.db.password",
                        ConfigValueFactory.fromAnyRef(config.supervisor().journalPassword().orElse("")));
        return config.pekkoOverrides().withFallback(c).withFallback(ConfigFactory.load());
    }
}
