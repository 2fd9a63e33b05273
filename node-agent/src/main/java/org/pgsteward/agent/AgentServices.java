package org.pgsteward.agent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.pgsteward.agent.http.AgentFacade;
import org.pgsteward.agent.metrics.AgentMetrics;
import org.pgsteward.agent.ops.ClusterQueries;
import org.pgsteward.agent.ops.NodeChecks;
import org.pgsteward.protocol.api.ClusterView;
import org.pgsteward.protocol.api.CommandRequest;
import org.pgsteward.protocol.api.EventRow;
import org.pgsteward.protocol.api.NodeRow;
import org.pgsteward.protocol.api.OperationView;

/**
 * The agent's answers to the HTTP API: asks of the NodeAgent, cluster queries off the actor thread on a small pool of
 * their own (never the blocking dispatcher that runs monitor cycles, operations and the fence).
 */
final class AgentServices implements AgentFacade {

    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);
    /** Threads for GET /api/v1/cluster and /events; HttpApi admits as many at once and answers 503 beyond. */
    private static final int QUERY_THREADS = org.pgsteward.agent.http.HttpApi.MAX_EXPENSIVE_REQUESTS;

    private final ActorSystem<?> system;
    private final ActorRef<NodeAgent.Command> agent;
    private final Executor queryPool;
    private final LocalNode node;
    private final ClusterQueries queries;
    private final AgentMetrics metrics;

    AgentServices(ActorSystem<?> system, ActorRef<NodeAgent.Command> agent, LocalNode node,
                  ClusterQueries queries, AgentMetrics metrics, org.pgsteward.agent.cluster.SupervisorClient supervisor,
                  org.pgsteward.agent.cluster.HistoryLog history, org.pgsteward.agent.cluster.EpochStore epochs,
                  java.util.function.BooleanSupplier mayWrite) {
        this.system = system;
        this.epochs = epochs;
        this.mayWrite = mayWrite;
        this.history = history;
        this.agent = agent;
        var pool = java.util.concurrent.Executors.newFixedThreadPool(QUERY_THREADS, r -> {
            Thread t = new Thread(r, "pgsteward-http-queries");
            t.setDaemon(true);
            return t;
        });
        system.getWhenTerminated().thenRun(pool::shutdownNow);
        this.queryPool = pool;
        this.node = node;
        this.queries = queries;
        this.metrics = metrics;
        this.supervisor = supervisor;
    }

    private final org.pgsteward.agent.cluster.SupervisorClient supervisor;
    private final org.pgsteward.agent.cluster.HistoryLog history;
    private final org.pgsteward.agent.cluster.EpochStore epochs;
    private final java.util.function.BooleanSupplier mayWrite;

    @Override
    public CompletionStage<NodeAgent.SubmitResult> submit(CommandRequest request) {
        return AskPattern.ask(agent, reply -> new NodeAgent.Submit(request, reply), ASK_TIMEOUT, system.scheduler());
    }

    @Override
    public CompletionStage<Optional<OperationView>> operation(String id, int since) {
        return AskPattern.ask(agent, reply -> new NodeAgent.GetOperation(id, since, reply), ASK_TIMEOUT, system.scheduler());
    }

    @Override
    public CompletionStage<NodeAgent.LocalState> localState() {
        return AskPattern.ask(agent, NodeAgent.GetLocalState::new, ASK_TIMEOUT, system.scheduler());
    }

    @Override
    public CompletionStage<NodeRow> status() {
        return localState().thenApply(state -> queries.localRow(state.snapshot()));
    }

    @Override
    public CompletionStage<ClusterView> cluster() {
        return CompletableFuture.supplyAsync(() -> {
            ClusterView view = queries.clusterView(supervisorView());
            return view.withMembership(membershipWarnings(), members());
        }, queryPool);
    }

    /**
     * Agents whose cluster membership is not settled, as this agent sees it. A member still joining does not count
     * in the split-brain resolver's majority: losing another member before it is Up can down the wrong side.
     */
    private List<String> membershipWarnings() {
        List<String> out = new ArrayList<>();
        var state = Cluster.get(system).state();
        var unreachable = new HashSet<Member>();
        state.getUnreachable().forEach(unreachable::add);
        for (Member m : state.getMembers()) {
            MemberStatus st = m.status();
            if (unreachable.contains(m)) {
                out.add("agent at " + hostPort(m) + " is unreachable (cluster member " + st + ")");
            } else if (st != MemberStatus.up()) {
                out.add("agent at " + hostPort(m) + " is " + st + " in the cluster, not yet Up: it does not count "
                        + "towards a majority until it is");
            }
        }
        // a seed agent that is not a member: down, or (a first seed restarted while it could not hear the others)
        // running a cluster of its own, where it takes no part in this cluster's votes, failovers or follows
        var members = new HashSet<String>();
        state.getMembers().forEach(m -> members.add(hostPort(m)));
        for (var seed : node.config().agent().seedNodes()) {
            String hp = seed.host() + ":" + seed.port();
            if (!members.contains(hp)) {
                out.add("seed agent at " + hp + " is not a member of this cluster: its agent is down, or it started a"
                        + " cluster of its own (then restart that agent so it joins this one)");
            }
        }
        return out;
    }

    /** Every member of the agents' cluster this agent knows of, with its status and reachability. */
    private List<ClusterView.ClusterMember> members() {
        var state = Cluster.get(system).state();
        var unreachable = new HashSet<Member>();
        state.getUnreachable().forEach(unreachable::add);
        List<ClusterView.ClusterMember> out = new ArrayList<>();
        for (Member m : state.getMembers()) {
            out.add(new ClusterView.ClusterMember(hostPort(m), m.status().toString(), !unreachable.contains(m)));
        }
        return out;
    }

    private static String hostPort(Member m) {
        return m.address().host().getOrElse(() -> "?") + ":" + m.address().port().getOrElse(() -> 0);
    }

    @Override
    public CompletionStage<List<EventRow>> events(int limit) {
        return CompletableFuture.supplyAsync(() -> queries.events(limit, supervisorView(), history.lines()), queryPool);
    }

    @Override
    public CompletionStage<org.pgsteward.protocol.api.NodeCheckView> check() {
        return localState().thenApplyAsync(state -> {
            var cfg = node.config();
            NodeRow row = queries.localRow(state.snapshot());
            var receiver = state.snapshot().flatMap(s -> s.walReceiver()).filter(w -> w.isStreaming());
            Optional<NodeChecks.Result<List<org.pgsteward.agent.postgres.ReplicationSlots.Slot>>> slots = Optional.empty();
            if (row.role().equals("primary") && cfg.replication().useSlots()) {
                try (var c = queries.connections().open(node.conninfo())) {
                    slots = Optional.of(NodeChecks.Result.of(org.pgsteward.agent.postgres.ReplicationSlots.list(c)));
                } catch (java.sql.SQLException | RuntimeException e) {
                    slots = Optional.of(NodeChecks.Result.failed(String.valueOf(e.getMessage())));
                }
            }
            int self = cfg.node().id();
            var standbys = new java.util.TreeSet<Integer>();
            for (var n : queries.registeredNodesFromLocal()) {
                if (n.type().equals("standby") && n.id() != self && n.upstreamNodeId().map(u -> u == self).orElse(true)) {
                    standbys.add(n.id());
                }
            }
            NodeChecks.Result<String> sup;
            try {
                var v = supervisor.view(Duration.ofSeconds(3));
                sup = NodeChecks.Result.of("epoch " + v.epoch() + v.primaryId().map(p -> ", primary node " + p)
                        .orElse(", no primary") + (v.paused() ? ", paused" : ""));
            } catch (RuntimeException e) {
                sup = NodeChecks.Result.failed(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            }
            var facts = new NodeChecks.Facts(self, node.witness(), row, receiver.isPresent(),
                    receiver.flatMap(w -> w.slotName()), cfg.replication().useSlots(),
                    cfg.failover().mode() == org.pgsteward.agent.config.NodeConfig.FailoverMode.AUTOMATIC,
                    epochs.current(), epochs.primaryOfCurrentEpoch(), mayWrite.getAsBoolean(), metrics.leaseRemaining(),
                    slots, standbys, sup);
            return new org.pgsteward.protocol.api.NodeCheckView(cfg.node().name(), NodeChecks.evaluate(facts));
        }, queryPool);
    }

    private Optional<org.pgsteward.protocol.cluster.SupervisorMessage.View> supervisorView() {
        try {
            var v = supervisor.view(Duration.ofSeconds(3));
            metrics.epoch(v.epoch());
            return Optional.of(v);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    @Override
    public String metrics() {
        return metrics.scrape();
    }
}
