package org.pgsteward.agent;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.pgsteward.agent.config.NodeConfig;
import org.pgsteward.agent.exec.CommandRunner;
import org.pgsteward.agent.http.HttpApi;
import org.pgsteward.agent.metrics.AgentMetrics;
import org.pgsteward.agent.ops.ClusterQueries;
import org.pgsteward.agent.ops.Monitor;
import org.pgsteward.agent.ops.NodeOperations;
import org.pgsteward.protocol.ExitCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Assembles one agent: the local node, its actor, the HTTP API; runs until the actor system
 * terminates (SIGTERM/SIGINT run Pekko's coordinated shutdown). PostgreSQL is left running.
 */
public final class AgentRuntime {

    private static final Logger log = LoggerFactory.getLogger(AgentRuntime.class);
    private static final Duration BIND_TIMEOUT = Duration.ofSeconds(15);

    private final ActorSystem<Void> system;

    private AgentRuntime(ActorSystem<Void> system) {
        this.system = system;
    }

    public static AgentRuntime start(NodeConfig config, boolean verbose) {
        if (config.node().role() != NodeConfig.Role.POSTGRES) {
            throw new AgentStartException(ExitCode.ERR_BAD_CONFIG, config.source()
                    + ": pgsteward.node.role: \"witness\" needs the cluster layer (automatic failover), which this build lacks", null);
        }
        var runner = new CommandRunner();
        LocalNode node = LocalNode.create(config, runner);
        var metrics = new AgentMetrics(config.cluster(), config.node().id(), config.node().name());
        var queries = new ClusterQueries(node);
        var operations = new NodeOperations(node, queries);
        var monitor = new Monitor(node, queries, metrics);

        CompletableFuture<ActorRef<NodeAgent.Command>> agentRef = new CompletableFuture<>();
        CompletableFuture<Executor> blockingRef = new CompletableFuture<>();
        ActorSystem<Void> system = ActorSystem.create(Behaviors.setup(ctx -> {
            Executor blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig("pgsteward.blocking-dispatcher"));
            blockingRef.complete(blocking);
            agentRef.complete(ctx.spawn(NodeAgent.create(operations, monitor::cycle, blocking,
                    config.agent().monitorInterval()), "node-agent"));
            return Behaviors.empty();
        }), "pgsteward", pekkoConfig(config, verbose));

        try {
            var facade = new AgentServices(system, agentRef.get(10, TimeUnit.SECONDS), blockingRef.get(10, TimeUnit.SECONDS),
                    node, queries, metrics);
            var http = config.agent().http();
            new HttpApi(facade).bind(system, http.host(), http.port()).toCompletableFuture()
                    .get(BIND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            log.info("agent {} (id {}) of cluster {} up: HTTP at {}, PostgreSQL {} at {} (data directory {}), monitor every {} ms",
                    config.node().name(), config.node().id(), config.cluster(), http, node.majorVersion(),
                    node.conninfo().toConnStringRedacted(), node.dataDir(), config.agent().monitorInterval().toMillis());
        } catch (ExecutionException | TimeoutException e) {
            system.terminate();
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new AgentStartException(ExitCode.ERR_BAD_CONFIG, config.source() + ": pgsteward.agent.http: cannot listen on "
                    + config.agent().http() + ": " + cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            system.terminate();
            throw new AgentStartException(ExitCode.ERR_OPERATION_FAILED, "interrupted while starting", e);
        }
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "pgsteward-log-stop",
                () -> {
                    log.info("agent stopped; PostgreSQL left as it was");
                    return CompletableFuture.completedFuture(Done.getInstance());
                });
        return new AgentRuntime(system);
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

    static Config pekkoConfig(NodeConfig config, boolean verbose) {
        String generated = String.join("\n",
                "pekko {",
                "  loggers = [\"org.apache.pekko.event.slf4j.Slf4jLogger\"]",
                "  logging-filter = \"org.apache.pekko.event.slf4j.Slf4jLoggingFilter\"",
                "  loglevel = " + (verbose ? "DEBUG" : "INFO"),
                "  stdout-loglevel = WARNING",
                "  actor.provider = local",
                // a console waits for long operations by polling, so no request runs long
                "  http.server.request-timeout = 60s",
                "  coordinated-shutdown.exit-jvm = off",
                "}",
                "pgsteward.blocking-dispatcher {",
                "  type = Dispatcher",
                "  executor = \"thread-pool-executor\"",
                "  thread-pool-executor.fixed-pool-size = 8",
                "  throughput = 1",
                "}");
        return config.pekkoOverrides().withFallback(ConfigFactory.parseString(generated)).withFallback(ConfigFactory.load());
    }
}
