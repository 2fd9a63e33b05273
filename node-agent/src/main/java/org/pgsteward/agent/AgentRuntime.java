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
import org.pgsteward.agent.config.NodeConfig;
import org.pgsteward.agent.exec.CommandRunner;
import org.pgsteward.agent.http.HttpListeners;
import org.pgsteward.agent.metrics.AgentMetrics;
import org.pgsteward.agent.ops.ClusterQueries;
import org.pgsteward.agent.ops.Monitor;
import org.pgsteward.agent.ops.NodeOperations;
import org.pgsteward.agent.postgres.PgSnapshot;
import org.pgsteward.protocol.ExitCode;
import org.pgsteward.supervisor.Supervisor;
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

    private final ActorSystem<Void> system;

    private AgentRuntime(ActorSystem<Void> system) {
        this.system = system;
    }

    public static AgentRuntime start(NodeConfig config, boolean verbose) {
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
            guard = new org.pgsteward.agent.guard.GuardLink(guardDir, config.failover().lease());
        }
        var metrics = new AgentMetrics(config.cluster(), config.node().id(), config.node().name());
        metrics.epoch(epochs.current());
        var queries = new ClusterQueries(node);
        var operations = new NodeOperations(node, queries);
        var primaryProbe = new PrimaryProbe();
        var leaseStatus = new org.pgsteward.agent.cluster.LeaseStatus();
        var monitor = new Monitor(node, queries, metrics, primaryProbe);

        ActorSystem<Void> system;
        try {
            system = ActorSystem.create(Behaviors.empty(), "pgsteward", pekkoConfig(config, verbose));
        } catch (RuntimeException e) {
            throw new AgentStartException(ExitCode.ERR_BAD_CONFIG, config.source()
                    + ": pgsteward.agent.cluster-address: cannot start the cluster member at " + config.agent().clusterAddress()
                    + ": " + e.getMessage(), e);
        }
        prepareJournal(system, config);

        Executor blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig("pgsteward.blocking-dispatcher"));
        ActorRef<Supervisor.Command> supervisor = ClusterSingleton.get(system).init(SingletonActor.of(
                SupervisorGuard.singleton(supervisorSettings(config), redacted(journalUrl(config))), "supervisor"));
        var supervisorClient = new SupervisorClient(system, supervisor);
        operations.attach(supervisorClient, epochs, primaryProbe, metrics);
        Supplier<PgSnapshot> cycle = () -> {
            PgSnapshot seen = monitor.cycle();
            if (!node.witness() && seen.isReachable() && !stateDir.systemIdentifierKnown()) {
                // the first sight of the local PostgreSQL: from now on the state directory is its cluster's
                StateDirectory.systemIdentifierOf(node.dataDir()).ifPresent(stateDir::recordSystemIdentifier);
            }
            return seen;
        };
        ActorRef<NodeAgent.Command> agent = system.systemActorOf(restartingOnFailure(NodeAgent.create(operations,
                cycle, blocking, config.agent().monitorInterval())), "node-agent",
                org.apache.pekko.actor.typed.Props.empty());
        ActorRef<ClusterLink.Command> link = system.systemActorOf(restartingOnFailure(ClusterLink.create(
                linkSettings(config, node, primaryProbe, leaseStatus, guard), epochs, records, history, agent, supervisor,
                () -> fence(node), blocking, fenceExecutor())), "cluster-link", org.apache.pekko.actor.typed.Props.empty());

        CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
        shutdown.addTask(CoordinatedShutdown.PhaseClusterExiting(), "pgsteward-fence-when-downed", () -> {
            if (shutdown.getShutdownReason().filter(r -> r instanceof CoordinatedShutdown.ClusterDowningReason$).isPresent()
                    && !node.witness() && node.postmaster().mayServeWrites()) {
                log.warn("this member was downed (minority side or unreachable): fencing the local primary");
                log.warn("fence: {}", fence(node));
            }
            return CompletableFuture.completedFuture(Done.getInstance());
        });
        shutdown.addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "pgsteward-log-stop", () -> {
            log.info("agent stopped; PostgreSQL left as it was{}", node.witness() ? ""
                    : " (a primary of automatic failover is fenced by the guard once its lease runs out)");
            return CompletableFuture.completedFuture(Done.getInstance());
        });

        try {
            var facade = new AgentServices(system, agent, node, queries, metrics, supervisorClient, history);
            var http = config.agent().http();
            HttpListeners.bind(system, config, facade, leaseStatus::mayWrite, BIND_TIMEOUT);
            log.info("agent {} (id {}) of cluster {} up: HTTP at {}, cluster member at {} (seeds {}), {}, failover {}",
                    config.node().name(), config.node().id(), config.cluster(), http, config.agent().clusterAddress(),
                    config.agent().seedNodes(), node.witness() ? "witness (no PostgreSQL)" : "PostgreSQL " + node.majorVersion()
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
        return new AgentRuntime(system);
    }

    /**
     * Stops writes on the local primary now: SIGQUIT (immediate shutdown) to the postmaster, SIGKILL of the
     * postmaster and its children when it has not exited within a third of the fence lead (a millisecond deadline,
     * not pg_ctl's whole seconds), so the fence is complete before the lease runs out even with a hung server (an
     * immediate stop is a crash anyway; a kill is no worse).
     */
    static String fence(LocalNode node) {
        if (node.witness()) {
            return "witness: nothing to fence";
        }
        return node.postmaster().stop(fenceKillAfter(node.config().failover().lease())).describe();
    }

    /** The fence's own thread (daemon), so it never queues behind HTTP requests or monitor cycles. */
    static java.util.concurrent.ExecutorService fenceExecutor() {
        return java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "pgsteward-fence");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * How long before its lease runs out the primary fences: a sixth of the lease, at most 1 s (500 ms by
     * default: the lease check runs every 100 ms, an immediate stop takes ~0.1 s and escalates to SIGKILL after
     * a third of the lead; the voters add {@link #leaseMargin} on their side).
     */
    static Duration fenceLead(Duration lease) {
        return Duration.ofMillis(Math.min(1000, lease.toMillis() / 6));
    }

    /** The immediate stop of a fence escalates to SIGKILL after this. */
    static Duration fenceKillAfter(Duration lease) {
        return Duration.ofMillis(Math.max(150, fenceLead(lease).toMillis() / 3));
    }

    static ClusterLinkSettings linkSettings(NodeConfig config, LocalNode node, PrimaryProbe probe,
                                           org.pgsteward.agent.cluster.LeaseStatus leaseStatus,
                                           org.pgsteward.agent.guard.GuardLink guard) {
        Duration lease = config.failover().lease();
        Duration renew = renewInterval(config);
        return new ClusterLinkSettings(config.node().id(), config.node().name(), config.node().priority(), node.witness(),
                node.conninfo().without("password").without("sslpassword").toConnString(),
                config.failover().mode() == NodeConfig.FailoverMode.AUTOMATIC, config.failover().autoRejoin(), lease,
                leaseMargin(lease), fenceLead(lease), renew, 3, Duration.ofSeconds(2),
                Duration.ofSeconds(20), probe, node::standbyDataDir,
                () -> org.pgsteward.agent.postgres.PgBinaries.dataDirMajorVersion(node.dataDir()).isPresent(),
                node::configuredUpstream,
                config.agent().seedNodes().size(), leaseStatus, reportStaleAfter(config),
                () -> !node.witness() && node.postmaster().mayServeWrites(), guard, config.failover().timeout(),
                () -> node.witness() ? Optional.empty() : node.postmaster().sample());
    }

    /**
     * Reports and lease renewals: every monitor interval, and at least six times a lease (500 ms by default). With
     * the fence lead, a primary whose link goes down fences at the earliest after lease - renew - lead (2 s by
     * default): a blip shorter than failover.timeout (1.5 s) neither fails it over nor stops it, allowing for the
     * TCP retransmission that delivers the renewals once the link is back (up to ~1.4 s after the first lost
     * segment; measured: renewing four times a lease with a 750 ms lead, a 1.3 s link blip made the primary fence
     * itself and start again).
     */
    static Duration renewInterval(NodeConfig config) {
        return Duration.ofMillis(Math.max(100, Math.min(config.agent().monitorInterval().toMillis(),
                config.failover().lease().toMillis() / 6)));
    }

    /**
     * Agents report every renew interval; a report counts as missing after three renew intervals (1.5 s by default,
     * 600 ms at least). The failover timeout counts only from then (both halves of the evidence), so this is part of
     * every failover's time; a blip shorter than it plus failover.timeout never causes one.
     */
    static Duration reportStaleAfter(NodeConfig config) {
        return Duration.ofMillis(Math.max(600, renewInterval(config).toMillis() * 3));
    }

    /** Clock-rate drift (1% of the lease) plus delivery of one message on a LAN. */
    static Duration leaseMargin(Duration lease) {
        return Duration.ofMillis(lease.toMillis() / 100 + 200);
    }

    static SupervisorSettings supervisorSettings(NodeConfig config) {
        Duration lease = config.failover().lease();
        var policy = new PolicyConfig(config.failover().mode() == NodeConfig.FailoverMode.AUTOMATIC
                ? PolicyConfig.Mode.AUTOMATIC : PolicyConfig.Mode.MANUAL, config.failover().maxLagBytes(),
                config.replication().synchronous(), config.failover().timeout(), lease, leaseMargin(lease),
                reportStaleAfter(config));
        return new SupervisorSettings(config.cluster(), policy, Duration.ofMillis(100), Duration.ofSeconds(10),
                Duration.ofMinutes(2), config.agent().seedNodes().size());
    }

    /** Blocks until the actor system has terminated; 0 when it stopped cleanly. */
    public int awaitTermination() {
        try {
            system.getWhenTerminated().toCompletableFuture().get();
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCode.ERR_OPERATION_FAILED.code();
        } catch (ExecutionException e) {
            return ExitCode.ERR_OPERATION_FAILED.code();
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
     * The cluster settings, chosen for fast and safe failover on 3-5 members: heartbeats every
     * 500 ms and a 2 s acceptable pause (a member is unreachable ~2.5 s after it stops answering);
     * the Split Brain Resolver keeps the majority side and downs the rest once the picture has been
     * stable for 3 s (never "down all": a member rejoining while another dies would take the whole
     * cluster down); the singleton moves 1 s after its host is removed. A failover itself does not
     * wait for downing: it waits for the lease, which expires after failover.lease.
     */
    static Config pekkoConfig(NodeConfig config, boolean verbose) {
        var a = config.agent();
        String seeds = a.seedNodes().stream().map(s -> "\"pekko://pgsteward@" + s.host() + ":" + s.port() + "\"")
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
                "  cluster {",
                "    seed-nodes = [" + seeds + "]",
                // seed-node-timeout stays at Pekko's 5 s: measured with 2 s, a restarted first seed agent did not
                // hear the running seeds in time and formed a cluster of its own (an island that never rejoins)
                "    downing-provider-class = \"org.apache.pekko.cluster.sbr.SplitBrainResolverProvider\"",
                "    split-brain-resolver.active-strategy = keep-majority",
                "    split-brain-resolver.stable-after = 3s",
                // a member that (re)joins just as another dies must not make everyone down themselves: safety comes
                // from the lease and the votes, the SBR only has to remove the dead or the minority
                "    split-brain-resolver.down-all-when-unstable = off",
                "    failure-detector.heartbeat-interval = 500ms",
                "    failure-detector.acceptable-heartbeat-pause = 2s",
                "    down-removal-margin = 1s",
                // the leader moves a downed member to Removed on its next action tick: a quarter of the default
                // second, so the supervisor singleton starts sooner on another host
                "    leader-actions-interval = 250ms",
                "    jmx.enabled = off",
                "    log-info-verbose = off",
                "    singleton.hand-over-retry-interval = 500ms",
                // agents find a supervisor that (re)started elsewhere by asking the oldest member: every 250 ms
                // instead of every second, so its first reports, and the state it learns from them, come sooner
                "    singleton-proxy.singleton-identification-interval = 250ms",
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
        Config c = ConfigFactory.parseString(generated)
                .withValue("pekko-persistence-jdbc.shared-databases.slick.db.url", ConfigValueFactory.fromAnyRef(url))
                .withValue("pekko-persistence-jdbc.shared-databases.slick.db.user",
                        ConfigValueFactory.fromAnyRef(config.supervisor().journalUser().orElse(postgres ? "" : "sa")))
                .withValue("pekko-persistence-jdbc.shared-databases.slick.db.password",
                        ConfigValueFactory.fromAnyRef(config.supervisor().journalPassword().orElse("")));
        return config.pekkoOverrides().withFallback(c).withFallback(ConfigFactory.load());
    }
}
