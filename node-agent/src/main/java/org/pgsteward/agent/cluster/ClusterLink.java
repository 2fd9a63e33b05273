package org.pgsteward.agent.cluster;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.pgsteward.agent.NodeAgent;
import org.pgsteward.agent.ops.ClusterStep;
import org.pgsteward.agent.postgres.PgSnapshot;
import org.pgsteward.protocol.api.OperationView;
import org.pgsteward.protocol.cluster.AgentCommand;
import org.pgsteward.protocol.cluster.StepResult;
import org.pgsteward.protocol.cluster.LeaseMessage;
import org.pgsteward.protocol.cluster.LocalRecovery;
import org.pgsteward.protocol.cluster.NodeReport;
import org.pgsteward.protocol.cluster.PgState;
import org.pgsteward.protocol.cluster.SupervisorMessage;

/**
 * This agent's part in the cluster: reports to the supervisor, keeps the primary lease (as
 * primary) and gives promises and votes (as any member), fences the local PostgreSQL when it
 * may no longer serve writes, restarts it after a crash, fences a hung one and gives up on it (see
 * {@link ServerLiveness}: hung, not slow), and carries out the supervisor's commands through the NodeAgent (so they
 * never overlap a console operation).
 *
 * <p>Its state is one {@link LinkState} (joining, standby, primary, witness, restarting, gave up, fencing, fenced,
 * rejoining); every change goes through {@link #transition}, which logs it and records it as an agent event for
 * {@code cluster event}. What to do on its own (fence, restart, give up, rejoin, unfence) is decided by the pure
 * {@link LocalRules}; votes and promises by the {@link Voter}.
 */
public final class ClusterLink extends AbstractBehavior<ClusterLink.Command> {

    public static final ServiceKey<LeaseMessage> AGENTS = ServiceKey.create(LeaseMessage.class, "pgsteward-agents");

    public sealed interface Command {}

    private record FromSupervisor(AgentCommand command) implements Command {}

    private record FromPeer(LeaseMessage message) implements Command {}

    private record Peers(Set<ActorRef<LeaseMessage>> refs) implements Command {}

    private record Observed(NodeAgent.Observed observed) implements Command {}

    private record Finished(NodeAgent.Done done, ClusterStep step, String opId, long epoch, ActorRef<StepResult> replyTo,
                            long startedNanos) implements Command {}

    private record NotStarted(String why, String opId, ActorRef<StepResult> replyTo) implements Command {}

    private record FenceDone(String how, long tookMillis) implements Command {}

    private enum Renew implements Command { INSTANCE }

    private enum Check implements Command { INSTANCE }

    /** A member was removed: the supervisor may be moving to another member, which should hear this agent at once. */
    private enum MemberGone implements Command { INSTANCE }

    /** This incarnation became an Up member: from now on the primary's agent can reach it (its failure clock). */
    private enum SelfUp implements Command { INSTANCE }

    private final ActorContext<Command> ctx;
    private final ClusterLinkSettings settings;
    /** The timings of the safety core (one place). */
    private final Timings t;
    private final EpochStore epochs;
    private final RecordStore records;
    private final HistoryLog history;
    private final ActorRef<NodeAgent.Command> nodeAgent;
    private final ActorRef<SupervisorMessage> supervisor;
    private final FenceAction fence;
    private final Executor blocking;
    /** A thread of its own: the fence never queues behind HTTP or monitor work (F4). */
    private final Executor fenceExecutor;
    private final ActorRef<AgentCommand> supervisorInbox;
    private final ActorRef<LeaseMessage> peerInbox;
    private final String incarnation = UUID.randomUUID().toString();
    private final long startedNanos = System.nanoTime();
    /** The local server's answers and its postmaster's runs: whether it is hung or slow (issue 8.5). */
    private ServerLiveness.Evidence liveness = ServerLiveness.Evidence.start(startedNanos);
    /** The current verdict on it: each change is logged once, with its reason. */
    private ServerLiveness.Verdict livenessVerdict = new ServerLiveness.Verdict.Answers();
    private final LeaseState lease;
    private final Voter voter;
    private final FailureClock failureClock;
    private Set<ActorRef<LeaseMessage>> peers = Set.of();
    private long seq;
    private Optional<PgSnapshot> latest = Optional.empty();
    private Optional<String> running = Optional.empty();
    private Optional<String> epochPrimaryConninfo = Optional.empty();
    /** What the agent is doing with its local server: every change through {@link #transition}. */
    private LinkState state;
    /** Local restarts since the server last answered (the budget of {@link Timings#restartAttempts}). */
    private int restartAttempts;
    private long lastRestartNanos;
    private long lastRejoinNanos = Long.MIN_VALUE / 2;
    private boolean internalOpPending;
    /** The cluster has told this agent the current epoch since it started: until then it starts nothing. */
    private boolean epochConfirmed;
    /**
     * The deadline the previous agent incarnation gave the fence guard as primary, when a guard already ran at this
     * agent's start (the same boot, so the same monotonic clock): the promises that incarnation held run at least
     * that long, so nobody else can be promoted before. Empty otherwise: an old primary found serving is fenced at
     * once, until it holds a lease.
     */
    private final Optional<Long> inheritedUntil;

    /**
     * When this node last became the primary of an epoch in this incarnation: one that already serves then (its
     * registration) has a lease less the fence lead to acquire its first promises.
     */
    private long becamePrimaryNanos = Long.MIN_VALUE / 2;
    private String detail = "starting";

    public static Behavior<Command> create(ClusterLinkSettings settings, EpochStore epochs, RecordStore records,
                                           HistoryLog history, LinkMemory memory, ActorRef<NodeAgent.Command> nodeAgent,
                                           ActorRef<SupervisorMessage> supervisor, FenceAction fence, Executor blocking,
                                           Executor fenceExecutor) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new ClusterLink(ctx, timers, settings, epochs, records, history, memory, nodeAgent, supervisor, fence,
                        blocking, fenceExecutor)));
    }

    private ClusterLink(ActorContext<Command> ctx, TimerScheduler<Command> timers, ClusterLinkSettings settings,
                        EpochStore epochs, RecordStore records, HistoryLog history, LinkMemory memory,
                        ActorRef<NodeAgent.Command> nodeAgent,
                        ActorRef<SupervisorMessage> supervisor,
                        FenceAction fence, Executor blocking, Executor fenceExecutor) {
        super(ctx);
        this.fenceExecutor = fenceExecutor;
        this.ctx = ctx;
        this.timers = timers;
        this.settings = settings;
        this.t = settings.timings();
        this.epochs = epochs;
        this.records = records;
        this.history = history;
        this.nodeAgent = nodeAgent;
        this.supervisor = supervisor;
        this.fence = fence;
        this.blocking = blocking;
        // kept across restarts of this actor and cluster incarnations of this process: the promises given and held
        this.lease = memory.lease();
        this.failureClock = new FailureClock(t.reportStaleAfter().toNanos(), startedNanos);
        this.voter = new Voter(settings.nodeId(), epochs, lease, t.leaseMargin().toNanos(), memory.sinceNanos());
        // the deadline this process last gave the guard, or the one a guard of this boot holds from the previous process
        this.inheritedUntil = settings.guard().primaryDeadlineNanos();
        // primary of its epoch already when this incarnation starts: it did not just become primary (no grace for that)
        this.primarySinceEpoch = primaryOfEpoch() ? epochs.current() : -1;
        this.state = serving();
        this.supervisorInbox = ctx.messageAdapter(AgentCommand.class, FromSupervisor::new);
        // a child, not a message adapter: the receptionist must not watch one ref both as service and as subscriber
        ActorRef<Command> self = ctx.getSelf();
        this.peerInbox = ctx.spawn(Behaviors.receive(LeaseMessage.class).onAnyMessage(m -> {
            self.tell(new FromPeer(m));
            return Behaviors.same();
        }).build(), "peer-inbox");
        ctx.getSystem().receptionist().tell(Receptionist.register(AGENTS, peerInbox));
        ActorRef<Receptionist.Listing> listing = ctx.messageAdapter(Receptionist.Listing.class,
                l -> new Peers(l.getServiceInstances(AGENTS)));
        ctx.getSystem().receptionist().tell(Receptionist.subscribe(AGENTS, listing));
        nodeAgent.tell(new NodeAgent.Listen(ctx.messageAdapter(NodeAgent.Observed.class, Observed::new)));
        // a new supervisor incarnation decides only once it heard a majority: report at once when a member leaves (the
        // singleton proxy holds the report until it found the new one), not up to a renew interval later
        Cluster.get(ctx.getSystem()).subscriptions().tell(org.apache.pekko.cluster.typed.Subscribe.create(
                ctx.messageAdapter(org.apache.pekko.cluster.ClusterEvent.MemberRemoved.class, e -> MemberGone.INSTANCE),
                org.apache.pekko.cluster.ClusterEvent.MemberRemoved.class));
        Cluster.get(ctx.getSystem()).subscriptions().tell(org.apache.pekko.cluster.typed.Subscribe.create(
                ctx.messageAdapter(org.apache.pekko.cluster.typed.SelfUp.class, e -> SelfUp.INSTANCE),
                org.apache.pekko.cluster.typed.SelfUp.class));
        timers.startTimerWithFixedDelay(Renew.INSTANCE, t.renewInterval());
        timers.startTimerWithFixedDelay(Check.INSTANCE, t.checkInterval());
        ctx.getLog().info("cluster link up: node {} epoch {} (primary {}), mode {}, lease {} ms", settings.nodeId(),
                epochs.current(), epochs.primaryOfCurrentEpoch().map(Object::toString).orElse("none"),
                settings.automatic() ? "automatic" : "manual", t.lease().toMillis());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(FromSupervisor.class, m -> onSupervisor(m.command()))
                .onMessage(RetryStartAsPrimary.class, m -> {
                    startAsPrimaryOnceLeased(m.command(), m.epoch(), m.firstNanos(), false);
                    return this;
                })
                .onMessage(FromPeer.class, m -> onPeer(m.message()))
                .onMessage(Peers.class, p -> {
                    peers = p.refs();
                    return this;
                })
                .onMessage(Observed.class, this::onObserved)
                .onMessage(Finished.class, this::onFinished)
                .onMessage(NotStarted.class, n -> {
                    internalOpPending = false;
                    if (state instanceof LinkState.Rejoining j) {
                        transition(j.from(), "rejoin not started: " + n.why());
                    }
                    if (n.replyTo() != null) {
                        n.replyTo().tell(new StepResult(n.opId(), settings.nodeId(), StepResult.Outcome.FAILED, n.why(),
                                Optional.empty(), Optional.empty(), Duration.ZERO));
                    }
                    return this;
                })
                .onMessage(FenceDone.class, this::onFenceDone)
                .onMessage(Submitted.class, m -> this)
                .onMessageEquals(Renew.INSTANCE, this::onRenew)
                .onMessageEquals(Check.INSTANCE, this::onCheck)
                .onMessageEquals(SelfUp.INSTANCE, () -> {
                    failureClock.joined(System.nanoTime());
                    return this;
                })
                .onMessageEquals(MemberGone.INSTANCE, () -> {
                    supervisor.tell(new SupervisorMessage.Report(report(), supervisorInbox, peerInbox));
                    return this;
                })
                .build();
    }

    // ------------------------------------------------------------------ who am I

    private boolean primaryOfEpoch() {
        return epochs.primaryOfCurrentEpoch().map(p -> p == settings.nodeId()).orElse(false);
    }

    private boolean runningAsPrimary() {
        return latest.map(s -> s.isReachable() && !s.inRecovery()).orElse(false);
    }

    /**
     * Whether the local PostgreSQL may be serving writes: what fencing and the old primary's vote decide on (F3): a
     * live postmaster in a data directory without standby configuration, read from the files and processes now. Not
     * the last SQL probe, which can be a monitor interval old (seen: a primary stopped cleanly for a switchover still
     * looked "primary" and answered every vote for its successor with "fencing the old primary first").
     */
    private boolean mayServeWrites() {
        return settings.mayServeWrites().getAsBoolean();
    }

    /**
     * The primary asks for promises only while its PostgreSQL serves (or is being restarted, or
     * the agent just started): a primary that is down must not hold up a promotion.
     */
    private boolean wantsLease(long now) {
        return LocalRules.wantsLease(state, observation(now), t, now);
    }

    private int members() {
        int n = 0;
        for (var m : Cluster.get(ctx.getSystem()).state().getMembers()) {
            if (m.status() != MemberStatus.removed() && m.status() != MemberStatus.down()) {
                n++;
            }
        }
        return Math.max(Math.max(1, n), settings.expectedMembers());
    }

    // ------------------------------------------------------------------ reports and lease renewal

    private Behavior<Command> onRenew() {
        long now = System.nanoTime();
        seq++;
        lease.requestSent(seq, now);
        supervisor.tell(new SupervisorMessage.Report(report(), supervisorInbox, peerInbox));
        if (primaryOfEpoch() && !settings.witness() && wantsLease(now)) {
            var req = new LeaseMessage.PromiseRequest(epochs.current(), settings.nodeId(), seq, t.lease().toMillis(),
                    peerInbox);
            peerInbox.tell(req); // our own promise, before the receptionist lists us
            peers.stream().filter(p -> !p.equals(peerInbox)).forEach(p -> p.tell(req));
        }
        return this;
    }

    private NodeReport report() {
        PgState pg;
        Optional<PgSnapshot> s = latest;
        if (settings.witness()) {
            pg = PgState.NONE;
        } else if (running.filter(ClusterLink::disturbsPostgres).isPresent()) {
            pg = PgState.BUSY;
        } else if (s.map(PgSnapshot::isReachable).orElse(false)) {
            pg = s.get().inRecovery() ? PgState.STANDBY : PgState.PRIMARY;
        } else if (state.fenced()) {
            pg = PgState.FENCED;
        } else if (livenessVerdict instanceof ServerLiveness.Verdict.Hung) {
            pg = PgState.HUNG;
        } else if (livenessVerdict instanceof ServerLiveness.Verdict.Slow) {
            pg = PgState.SLOW;
        } else {
            pg = PgState.DOWN;
        }
        boolean reachable = s.map(PgSnapshot::isReachable).orElse(false);
        Optional<String> streamingFrom = s.flatMap(PgSnapshot::walReceiver).filter(w -> w.isStreaming())
                .flatMap(w -> w.senderHost().flatMap(h -> w.senderPort().map(p -> h + ":" + p)));
        Optional<Boolean> primaryReachable = pg == PgState.STANDBY
                ? settings.primaryProbe().lastResult().or(() -> streamingFrom.map(f -> true))
                : Optional.empty();
        List<String> sync = s.filter(PgSnapshot::isReachable).map(x -> x.standbys().stream()
                .filter(st -> st.syncState().map(v -> v.equals("sync") || v.equals("quorum")).orElse(false))
                .map(st -> st.applicationName()).toList()).orElse(List.of());
        return new NodeReport(settings.nodeId(), settings.nodeName(), seq, incarnation, epochs.current(),
                epochs.primaryOfCurrentEpoch().orElse(0), settings.witness(), settings.priority(), settings.conninfo(), pg,
                state.recovery(), reachable ? Optional.of(s.get().timeline()) : Optional.empty(),
                reachable ? s.get().currentLsn().map(Object::toString) : Optional.empty(),
                reachable ? s.get().receivedLsn().map(Object::toString) : Optional.empty(),
                reachable ? s.get().replayedLsn().map(Object::toString) : Optional.empty(),
                streamingFrom, primaryReachable, primaryUnreachableMillis(primaryReachable), sync,
                primaryOfEpoch() && lease.held(System.nanoTime(), members()), reportDetail(pg), epochs.highestSeen(),
                records.promisedTerm());
    }

    /** A hung or slow server's report says why it counts as such. */
    private String reportDetail(PgState pg) {
        if (pg == PgState.HUNG && livenessVerdict instanceof ServerLiveness.Verdict.Hung h) {
            return "hung: " + h.why();
        }
        if (pg == PgState.SLOW && livenessVerdict instanceof ServerLiveness.Verdict.Slow sl) {
            return "slow: " + sl.why();
        }
        return detail;
    }

    private long primaryUnreachableMillis(Optional<Boolean> reachable) {
        long now = System.nanoTime();
        failureClock.ping(reachable, now);
        return failureClock.bothHeldMillis(now);
    }

    /** Operations that only talk to the supervisor or the metadata leave PostgreSQL as it is: no BUSY for them. */
    private static boolean disturbsPostgres(String operation) {
        return !java.util.Set.of(org.pgsteward.protocol.api.Commands.STANDBY_SWITCHOVER,
                org.pgsteward.protocol.api.Commands.CLUSTER_PAUSE, org.pgsteward.protocol.api.Commands.CLUSTER_RESUME,
                org.pgsteward.protocol.api.Commands.PRIMARY_REGISTER, org.pgsteward.protocol.api.Commands.STANDBY_REGISTER,
                org.pgsteward.protocol.api.Commands.WITNESS_REGISTER, org.pgsteward.protocol.api.Commands.STANDBY_UNREGISTER,
                ClusterStep.SET_SYNC, ClusterStep.AWAIT_LSN).contains(operation);
    }

    // ------------------------------------------------------------------ peers: promises and votes

    private Behavior<Command> onPeer(LeaseMessage m) {
        long now = System.nanoTime();
        if (m instanceof LeaseMessage.PromiseRequest req) {
            if (epochs.primaryOfCurrentEpoch().equals(Optional.of(req.primaryNodeId())) && req.epoch() == epochs.current()) {
                failureClock.primaryRequest(now);
            }
            Voter.PromiseAnswer a = voter.onPromiseRequest(req.epoch(), req.primaryNodeId(), req.leaseMillis(), now);
            if (!a.granted() && req.primaryNodeId() != settings.nodeId()) {
                ctx.getLog().debug("refused a promise to node {} in epoch {}: {}", req.primaryNodeId(), req.epoch(), a.why());
            }
            req.replyTo().tell(new LeaseMessage.PromiseReply(req.epoch(), settings.nodeId(), req.seq(), a.granted(),
                    a.grantedMillis(), epochs.current(), a.why()));
        } else if (m instanceof LeaseMessage.PromiseReply reply) {
            if (reply.granted() && reply.epoch() == epochs.current() && primaryOfEpoch()) {
                lease.promised(reply.fromNodeId(), reply.seq(), reply.grantedMillis() * 1_000_000);
                renewGuard();
            } else if (!reply.granted() && reply.acceptedEpoch() > epochs.current()) {
                // a decided newer epoch (a vote alone never shows here: it does not change the accepted epoch)
                ctx.getLog().warn("node {} has accepted epoch {} (ours {}): this node is no longer primary",
                        reply.fromNodeId(), reply.acceptedEpoch(), epochs.current());
                lease.dropAll();
                if (mayServeWrites()) {
                    startFence("a newer epoch " + reply.acceptedEpoch() + " exists");
                }
            }
        } else if (m instanceof LeaseMessage.VoteRequest vote) {
            onVote(vote, now);
        } else if (m instanceof LeaseMessage.Release r) {
            lease.released(r.primaryNodeId());
        }
        return this;
    }

    private void onVote(LeaseMessage.VoteRequest vote, long now) {
        boolean servingAsOldPrimary = primaryOfEpoch() && (mayServeWrites() || state instanceof LinkState.Fencing);
        Voter.VoteAnswer a = voter.onVoteRequest(vote.newEpoch(), vote.candidateNodeId(), servingAsOldPrimary, now);
        if (a instanceof Voter.VoteAnswer.FenceFirst f) {
            // this node is the primary being replaced and is alive: stop writes first, then vote
            startFence(f.why());
            vote.replyTo().tell(new LeaseMessage.VoteReply(vote.newEpoch(), settings.nodeId(), false,
                    Voter.fenceRetryMillis(), "fencing the old primary first"));
        } else if (a instanceof Voter.VoteAnswer.Refused r) {
            vote.replyTo().tell(new LeaseMessage.VoteReply(vote.newEpoch(), settings.nodeId(), false, r.retryMillis(),
                    r.why()));
        } else {
            ctx.getLog().info("voted for node {} in epoch {} (a vote only: the epoch is accepted when decided)",
                    vote.candidateNodeId(), vote.newEpoch());
            vote.replyTo().tell(new LeaseMessage.VoteReply(vote.newEpoch(), settings.nodeId(), true, 0, "granted"));
        }
    }

    /** Accepts a supervisor decision; false (logged) when this agent holds another primary for that epoch. */
    private boolean acceptEpoch(long epoch, int primaryId, String why) {
        long before = epochs.current();
        boolean ok;
        try {
            ok = epochs.accept(epoch, primaryId);
        } catch (java.io.UncheckedIOException e) {
            ctx.getLog().error("cannot persist epoch {} (primary node {}) from {}: {}", epoch, primaryId, why, e.getMessage());
            return false;
        }
        if (ok && epoch > before) {
            ctx.getLog().info("accepted epoch {} (primary node {}) from {}", epoch, primaryId, why);
            if (primaryId != settings.nodeId()) {
                lease.dropAll();
            }
        }
        return ok;
    }

    /** Sets {@link #becamePrimaryNanos} when this node became the primary of a new epoch, however it was told. */
    private void notePrimaryEpoch(long now) {
        if (primaryOfEpoch() && primarySinceEpoch != epochs.current()) {
            primarySinceEpoch = epochs.current();
            becamePrimaryNanos = now;
        }
    }

    private long primarySinceEpoch;

    // ------------------------------------------------------------------ supervisor commands

    private Behavior<Command> onSupervisor(AgentCommand c) {
        if (c instanceof AgentCommand.RecordPrepare p) {
            p.replyTo().tell(recordReply(p.term(), 0, () -> records.prepare(p.term()), true));
            return this;
        }
        if (c instanceof AgentCommand.History h) {
            history.add(h.lines());
            return this;
        }
        if (c instanceof AgentCommand.RecordStore st) {
            st.replyTo().tell(recordReply(st.stored().term(), st.stored().seq(), () -> records.store(st.stored()), false));
            return this;
        }
        long accepted = epochs.current();
        if (c.epoch() < accepted) {
            ctx.getLog().warn("refused {} of epoch {}: this agent accepted epoch {}", c.getClass().getSimpleName(), c.epoch(),
                    accepted);
            replyIfAsked(c, StepResult.Outcome.REFUSED, "refused: epoch " + c.epoch() + " is older than the accepted epoch " + accepted);
            return this;
        }
        if (c instanceof AgentCommand.EpochAnnounce a) {
            acceptEpoch(a.epoch(), a.primaryNodeId(), "the supervisor");
            if (!epochConfirmed) {
                ctx.getLog().info("the supervisor confirms epoch {} (primary node {})", a.epoch(), a.primaryNodeId());
            }
            epochConfirmed = a.epoch() >= epochs.current();
            if (!a.primaryConninfo().isBlank() && a.primaryNodeId() != settings.nodeId()) {
                epochPrimaryConninfo = Optional.of(a.primaryConninfo());
                settings.primaryProbe().target(Optional.of(a.primaryConninfo()));
            } else if (a.primaryNodeId() == settings.nodeId()) {
                epochPrimaryConninfo = Optional.empty();
                settings.primaryProbe().target(Optional.empty());
            }
        } else if (c instanceof AgentCommand.Fence f) {
            startFence(f.reason());
        } else if (c instanceof AgentCommand.Promote p) {
            if (!acceptEpoch(p.epoch(), settings.nodeId(), "promotion")) {
                replyIfAsked(c, StepResult.Outcome.REFUSED, "refused: epoch " + p.epoch() + " has another primary here (node "
                        + epochs.primaryOfCurrentEpoch().map(String::valueOf).orElse("?") + ")");
                return this;
            }
            notePrimaryEpoch(System.nanoTime());
            startAsPrimaryOnceLeased(p, p.epoch(), System.nanoTime(), true);
        } else if (c instanceof AgentCommand.Follow f) {
            if (!acceptEpoch(f.epoch(), f.primaryNodeId(), "follow")) {
                replyIfAsked(c, StepResult.Outcome.REFUSED, "refused: epoch " + f.epoch() + " has another primary here (node "
                        + epochs.primaryOfCurrentEpoch().map(String::valueOf).orElse("?") + ")");
                return this;
            }
            epochPrimaryConninfo = Optional.of(f.primaryConninfo());
            settings.primaryProbe().target(epochPrimaryConninfo);
            internal(new ClusterStep.Follow(f.primaryConninfo()), f.opId(), f.epoch(), f.replyTo());
        } else if (c instanceof AgentCommand.Rejoin r) {
            if (!acceptEpoch(r.epoch(), r.primaryNodeId(), "rejoin")) {
                replyIfAsked(c, StepResult.Outcome.REFUSED, "refused: epoch " + r.epoch() + " has another primary here (node "
                        + epochs.primaryOfCurrentEpoch().map(String::valueOf).orElse("?") + ")");
                return this;
            }
            rejoining("the supervisor asks it to rejoin node " + r.primaryNodeId());
            internal(new ClusterStep.Rejoin(r.primaryConninfo()), r.opId(), r.epoch(), r.replyTo());
        } else if (c instanceof AgentCommand.SetSynchronousStandbys s) {
            internal(new ClusterStep.SetSync(s.names()), s.opId(), s.epoch(), s.replyTo());
        } else if (c instanceof AgentCommand.StopForSwitchover s) {
            setFenced(true, "stopped for a switchover"); // it must not be restarted as a crashed primary
            internal(new ClusterStep.StopForSwitchover(), s.opId(), s.epoch(), s.replyTo());
        } else if (c instanceof AgentCommand.Resume r) {
            startAsPrimaryOnceLeased(r, r.epoch(), System.nanoTime(), true);
        } else if (c instanceof AgentCommand.AwaitLsn a) {
            internal(new ClusterStep.AwaitLsn(a.lsn(), a.timeout()), a.opId(), a.epoch(), a.replyTo());
        }
        return this;
    }

    /** Runs a record prepare or store; a store that cannot persist is refused, never acknowledged. */
    private org.pgsteward.protocol.cluster.RecordReply recordReply(long term, long seq,
                                                                   java.util.function.BooleanSupplier action,
                                                                   boolean withRecord) {
        boolean ok;
        String why = "";
        try {
            ok = action.getAsBoolean();
            if (!ok) {
                why = "term " + term + " is older than the promised term " + records.promisedTerm();
            }
        } catch (java.io.UncheckedIOException e) {
            ok = false;
            why = e.getMessage();
            ctx.getLog().error("cluster record: {}", why);
        }
        return new org.pgsteward.protocol.cluster.RecordReply(settings.nodeId(), term, seq, ok, records.promisedTerm(),
                withRecord ? records.stored() : Optional.empty(), why);
    }

    private void replyIfAsked(AgentCommand c, StepResult.Outcome outcome, String message) {
        if (c instanceof AgentCommand.Step step) {
            step.replyTo().tell(new StepResult(step.opId(), settings.nodeId(), outcome, message, Optional.empty(),
                    Optional.empty(), Duration.ZERO));
        }
    }

    /** Runs an internal operation through the NodeAgent; the answer goes to {@code replyTo} (may be null). */
    private void internal(ClusterStep step, String opId, long epoch, ActorRef<StepResult> replyTo) {
        long started = System.nanoTime();
        internalOpPending = true;
        ActorRef<NodeAgent.Done> onFinish = ctx.messageAdapter(NodeAgent.Done.class,
                d -> new Finished(d, step, opId, epoch, replyTo, started));
        ctx.ask(NodeAgent.SubmitResult.class, nodeAgent,
                Duration.ofSeconds(10), ref -> new NodeAgent.Submit(step, ref, Optional.of(onFinish)),
                (res, err) -> {
                    if (err != null) {
                        return new NotStarted(step.label() + ": " + err.getMessage(), opId, replyTo);
                    }
                    if (res instanceof NodeAgent.Rejected rej) {
                        return new NotStarted(rej.error().message(), opId, replyTo);
                    }
                    return new Submitted();
                });
    }

    /** The ask's success is followed by the operation's own finish message: nothing to do. */
    private record Submitted() implements Command {}

    private Behavior<Command> onFinished(Finished f) {
        internalOpPending = false;
        OperationView v = f.done().view();
        boolean ok = v.state() == OperationView.State.SUCCEEDED;
        long millis = (System.nanoTime() - f.startedNanos()) / 1_000_000;
        if (f.step() instanceof ClusterStep.LocalRestart) {
            LocalRecovery r = ok ? LocalRecovery.NONE : (restartAttempts >= t.restartAttempts() ? LocalRecovery.GAVE_UP
                    : LocalRecovery.RESTARTING);
            if (ok) {
                restartAttempts = 0;
            }
            detail = "local restart " + (ok ? "succeeded" : "failed: " + v.message());
            record("local_restart", ok, detail);
            setRecovery(r, detail);
        }
        if (f.step() instanceof ClusterStep.Rejoin && ok) {
            setFenced(false, "rejoined as a standby");
        } else if (f.step() instanceof ClusterStep.Rejoin && state instanceof LinkState.Rejoining j) {
            transition(j.from(), "rejoin FAILED: " + v.message());
        }
        if (f.step() instanceof ClusterStep.StopForSwitchover && ok) {
            // stopped cleanly: let go of the lease at once so the successor's votes need not wait for it
            releaseLease();
        }
        if (f.step() instanceof ClusterStep.Resume && !ok) {
            setFenced(true, "restart after the rolled-back switchover failed: " + v.message());
        }
        if (f.step() instanceof ClusterStep.Promote && ok) {
            setFenced(false, "promoted");
            setRecovery(LocalRecovery.NONE, "promoted");
        }
        if (f.replyTo() != null) {
            Optional<PgSnapshot> s = latest;
            f.replyTo().tell(new StepResult(f.opId(), settings.nodeId(), ok ? StepResult.Outcome.DONE : StepResult.Outcome.FAILED,
                    v.message(), f.done().lsn(), s.filter(PgSnapshot::isReachable).map(PgSnapshot::timeline),
                    Duration.ofMillis(millis)));
        }
        return this;
    }

    // ------------------------------------------------------------------ local state, fencing, restarts

    private Behavior<Command> onObserved(Observed o) {
        latest = Optional.of(o.observed().snapshot());
        running = o.observed().runningOperation();
        PgSnapshot s = o.observed().snapshot();
        if (s.isReachable() || !state.fenced()) {
            detail = s.isReachable() ? (s.inRecovery() ? "standby" : "primary") : s.error().orElse("down");
        }
        if (s.isReachable() && state.recovery() != LocalRecovery.NONE) {
            restartAttempts = 0;
            setRecovery(LocalRecovery.NONE, "PostgreSQL answers again");
        }
        if (settings.primaryProbe().target().isEmpty() && !primaryOfEpoch() && s.isReachable() && s.inRecovery()) {
            // not told the primary's conninfo yet (a restarted agent, before the supervisor's announcement): the
            // upstream this standby streams from is the best guess, else the one its standby configuration names,
            // which stays known when the primary has died before this agent saw the standby stream
            Optional<String> guess = s.walReceiver().filter(w -> w.isStreaming())
                    .flatMap(w -> w.senderHost().flatMap(h -> w.senderPort().map(p -> "host=" + h + " port=" + p)))
                    .or(settings.configuredUpstream());
            guess.ifPresent(c -> {
                ctx.getLog().info("not told the primary's address yet: probing {} (this standby's upstream)", c);
                settings.primaryProbe().target(Optional.of(c));
            });
        }
        long now = System.nanoTime();
        long ago = Math.max(0, Duration.between(s.probedAt(), java.time.Instant.now()).toNanos());
        if (!settings.witness()) {
            // a fresh look, not the last check's: a postmaster killed since then must not look alive and slow
            liveness = liveness.sampled(settings.postmasterSample().get(), now);
        }
        liveness = liveness.probed(s.reachability(), now - ago, now);
        // down: no postmaster alive (crashed, stopped): restart it; one that lives but does not answer is hung or slow
        boolean down = judgeLiveness() instanceof ServerLiveness.Verdict.Down;
        downObservations = down && running.isEmpty() ? downObservations + 1 : 0;
        if (!settings.witness()) {
            localDecisions(now);
        }
        return this;
    }

    /** Consecutive probes that found PostgreSQL down with no operation running (one alone may be a race). */
    private int downObservations;

    /** What to do about the local PostgreSQL, on each fresh probe (automatic mode): see {@link LocalRules#onProbe}. */
    private void localDecisions(long now) {
        LocalRules.Action a = LocalRules.onProbe(state, observation(now), leaseView(), t, now);
        if (a instanceof LocalRules.Action.Unfence u) {
            ctx.getLog().info("lease held again as primary of epoch {}: starting PostgreSQL", epochs.current());
            setFenced(false, u.reason());
            internal(new ClusterStep.LocalRestart(), "unfence", epochs.current(), null);
        } else if (a instanceof LocalRules.Action.Rejoin r) {
            lastRejoinNanos = now;
            ctx.getLog().info("fenced former primary: rejoining as a standby of node {}", epochs.primaryOfCurrentEpoch().get());
            rejoining(r.reason());
            internal(new ClusterStep.Rejoin(epochPrimaryConninfo.get()), "auto-rejoin", epochs.current(), null);
        } else if (a instanceof LocalRules.Action.StayFenced f) {
            // a former primary's data directory: it must not start as a primary again
            ctx.getLog().warn("PostgreSQL is down and its data directory is a primary's, but node {} is primary in epoch {}: "
                    + "staying fenced", epochs.primaryOfCurrentEpoch().get(), epochs.current());
            setFenced(true, f.reason());
        } else if (a instanceof LocalRules.Action.GiveUp g) {
            setRecovery(LocalRecovery.GAVE_UP, g.reason());
        } else if (a instanceof LocalRules.Action.CannotRestart c) {
            restartAttempts = c.attempt();
            lastRestartNanos = now;
            ctx.getLog().warn("not restarting PostgreSQL: {}", c.reason());
        } else if (a instanceof LocalRules.Action.Restart r) {
            restartAttempts = r.attempt();
            lastRestartNanos = now;
            ctx.getLog().warn("PostgreSQL is down ({}): local restart attempt {} of {}",
                    latest.get().error().orElse("unreachable"), restartAttempts, t.restartAttempts());
            setRecovery(LocalRecovery.RESTARTING, r.reason());
            internal(new ClusterStep.LocalRestart(), "restart-" + restartAttempts, epochs.current(), null);
        }
    }

    private Behavior<Command> onCheck() {
        if (settings.witness()) {
            settings.leaseStatus().set(false);
            return this;
        }
        long now = System.nanoTime();
        liveness = liveness.sampled(settings.postmasterSample().get(), now);
        ServerLiveness.Verdict verdict = judgeLiveness();
        notePrimaryEpoch(now);
        followEpoch();
        settings.leaseStatus().set(epochs.primaryOfCurrentEpoch().isEmpty()
                || (primaryOfEpoch() && (!settings.automatic() || lease.held(now, members()))));
        renewGuard();
        LocalRules.Observation o = observation(now, settings.mayServeWrites().getAsBoolean(),
                verdict instanceof ServerLiveness.Verdict.Hung h ? Optional.of(h) : Optional.empty());
        LocalRules.Action a = LocalRules.onCheck(state, o, leaseView(), t, now);
        if (a instanceof LocalRules.Action.Fence f) {
            startFence(f.reason());
        } else if (a instanceof LocalRules.Action.GiveUpHung g) {
            // a hung primary: the agent gives up (so the supervisor may fail over), fences it (SIGQUIT, SIGKILL after
            // the fence's deadline: a stopped process acts on nothing else; complete when every process of it is gone)
            // and, once fenced, releases the lease so the votes for its successor need not wait for it
            setRecovery(LocalRecovery.GAVE_UP, g.reason());
            startFence(g.reason(), true);
        }
        return this;
    }

    /**
     * Gives the guard outside this JVM the lease's deadline (it fences if this agent stops renewing, F1): at every lease
     * check, at every promise that arrives, and before the server starts serving as primary. A server that becomes
     * writable must find the guard holding the lease it was started on, not the deadline of a check before it (seen
     * in the chaos run: a guard still holding an earlier incarnation's expired deadline stopped the server 17 ms after
     * its promotion, before the next check).
     */
    private void renewGuard() {
        if (primaryOfEpoch() && settings.automatic()) {
            settings.guard().primaryUntil(Math.max(lease.heldUntil(members()), Long.MIN_VALUE / 2) - t.fenceLead().toNanos() / 2);
        } else {
            settings.guard().notPrimary();
        }
    }

    /** What the rules see now; {@code mayServeWrites} reads the files and processes, so only the lease check asks. */
    private LocalRules.Observation observation(long now) {
        return observation(now, false, Optional.empty());
    }

    private LocalRules.Observation observation(long now, boolean mayServeWrites,
                                               Optional<ServerLiveness.Verdict.Hung> hung) {
        return new LocalRules.Observation(settings.automatic(), settings.autoRejoin(), epochs.current(),
                epochs.primaryOfCurrentEpoch(), settings.nodeId(), epochConfirmed, running.isPresent(), internalOpPending,
                running.filter(ClusterLink::disturbsPostgres).isPresent(), latest.isPresent(), downObservations,
                mayServeWrites, runningAsPrimary(), epochPrimaryConninfo.isPresent(), hung,
                restartAttempts, lastRestartNanos, lastRejoinNanos, startedNanos, inheritedUntil,
                becamePrimaryNanos, latest.flatMap(PgSnapshot::error).orElse("unreachable"), settings.standbyDataDir(),
                settings.hasData());
    }

    private LocalRules.LeaseView leaseView() {
        return lease.view(members());
    }

    // ------------------------------------------------------------------ state changes

    /** The serving state the accepted epoch gives this node now. */
    private LinkState serving() {
        if (settings.witness()) {
            return new LinkState.Witness();
        }
        if (!epochConfirmed) {
            return new LinkState.Joining(startedNanos);
        }
        if (primaryOfEpoch()) {
            return new LinkState.Primary(epochs.current(), becamePrimaryNanos);
        }
        return new LinkState.Standby(epochs.current(), epochs.primaryOfCurrentEpoch().orElse(0));
    }

    private static boolean isServing(LinkState s) {
        return s instanceof LinkState.Joining || s instanceof LinkState.Standby || s instanceof LinkState.Primary
                || s instanceof LinkState.Witness;
    }

    /** A serving state follows the accepted epoch (told by the supervisor, a promotion, a follow). */
    private void followEpoch() {
        if (isServing(state)) {
            LinkState next = serving();
            if (!next.equals(state)) {
                transition(next, "epoch " + epochs.current() + (epochs.primaryOfCurrentEpoch().isPresent()
                        ? ", primary node " + epochs.primaryOfCurrentEpoch().get() : ", no primary"));
            }
        }
    }

    /** As the old flag {@code fenced = value}: a fence that runs keeps running (its outcome decides). */
    private void setFenced(boolean value, String reason) {
        if (state instanceof LinkState.Fencing f) {
            state = new LinkState.Fencing(f.reason(), f.sinceNanos(), f.releaseLease(), fencedAs(f.before(), value, reason));
        } else {
            transition(fencedAs(state, value, reason), reason);
        }
    }

    private LinkState fencedAs(LinkState s, boolean value, String reason) {
        if (value) {
            return s.fenced() ? s : new LinkState.Fenced(reason, epochs.current(), s.recovery());
        }
        return s.fenced() ? serving().withRecovery(s.recovery(), restartAttempts, System.nanoTime(), reason, serving()) : s;
    }

    /** The local recovery changed (a restart started, failed, gave up; the server answers again). */
    private void setRecovery(LocalRecovery r, String why) {
        transition(state.withRecovery(r, restartAttempts, System.nanoTime(), why, serving()), why);
    }

    /** A fenced node starts to rejoin as a standby; a rejoin that fails leaves it fenced. */
    private void rejoining(String why) {
        if (state instanceof LinkState.Fenced f) {
            transition(new LinkState.Rejoining(System.nanoTime(), f), why);
        }
    }

    /**
     * Every state change: logged with its reason, and recorded as an agent event ({@code cluster event} on this node)
     * when it stops, starts, restarts, rejoins or gives up on the local server.
     */
    private void transition(LinkState next, String reason) {
        if (next.equals(state)) {
            return;
        }
        LinkState before = state;
        state = next;
        ctx.getLog().info("state {} -> {}: {}", name(before), name(next), reason);
        eventOf(before, next, reason).ifPresent(e -> record(e.kind(), e.ok(), e.text()));
    }

    private void record(String kind, boolean ok, String text) {
        history.agentEvent(java.time.Instant.now(), settings.nodeId(), kind, ok, settings.nodeName() + " " + text);
    }

    static String name(LinkState s) {
        return s.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
    }

    /** An agent event: {@code kind} as the review names them (fence, unfence, local_restart, gave_up, auto_rejoin). */
    record Event(String kind, boolean ok, String text) {}

    /** Which transitions are agent events, and how they read in {@code cluster event}. */
    static Optional<Event> eventOf(LinkState before, LinkState next, String reason) {
        if (next instanceof LinkState.Fencing) {
            return Optional.empty(); // logged; its outcome is the event
        }
        if (next instanceof LinkState.Rejoining) {
            return Optional.of(new Event("auto_rejoin", true, "rejoining as a standby: " + reason));
        }
        if (before instanceof LinkState.Rejoining) {
            return Optional.of(next.fenced() ? new Event("auto_rejoin", false, "rejoin failed, still fenced: " + reason)
                    : new Event("auto_rejoin", true, "rejoined as a standby: " + reason));
        }
        if (before instanceof LinkState.Fencing f) {
            // a failed fence returns to the state it interrupted (a fenced one too); a fence that worked is a new Fenced
            return Optional.of(!next.equals(f.before()) && next.fenced() ? new Event("fence", true, "fenced: " + reason)
                    : new Event("fence", false, "fence FAILED: " + reason));
        }
        if (next instanceof LinkState.Fenced) {
            return Optional.of(new Event("fence", true, "fenced: " + reason));
        }
        if (before.fenced() && !next.fenced() && !(next instanceof LinkState.Fencing)) {
            return Optional.of(new Event("unfence", true, "unfenced: " + reason));
        }
        if (next instanceof LinkState.Restarting r) {
            return Optional.of(new Event("local_restart", true, "local restart attempt " + r.attempt() + ": " + reason));
        }
        if (next instanceof LinkState.GaveUp) {
            return Optional.of(new Event("gave_up", true, "gave up on its PostgreSQL: " + reason));
        }
        return Optional.empty();
    }

    private ServerLiveness.Limits livenessLimits() {
        return new ServerLiveness.Limits(t.failoverTimeout().toNanos(), t.restartBudget().toNanos());
    }

    /**
     * The verdict on the local server now; a change is logged with its reason (not while an operation stops, starts
     * or rewinds the server: it does not answer then by design).
     */
    private ServerLiveness.Verdict judgeLiveness() {
        ServerLiveness.Verdict v = ServerLiveness.judge(liveness, livenessLimits());
        if (v.getClass() != livenessVerdict.getClass() && !settings.witness()
                && running.filter(ClusterLink::disturbsPostgres).isEmpty()) {
            if (v instanceof ServerLiveness.Verdict.Hung h) {
                ctx.getLog().warn("local PostgreSQL is HUNG: {}; {}", h.why(), settings.automatic() && primaryOfEpoch()
                        ? "as the primary it is fenced and replaced once that has lasted failover.timeout "
                        + t.failoverTimeout().toMillis() + " ms + restart budget " + t.restartBudget().toMillis()
                        + " ms, unless it answers or runs again"
                        : "reported (a standby, or manual mode: nothing is fenced for it)");
            } else if (v instanceof ServerLiveness.Verdict.Slow sl) {
                ctx.getLog().warn("local PostgreSQL is slow, not hung: {}", sl.why());
            } else if (v instanceof ServerLiveness.Verdict.Answers
                    && !(livenessVerdict instanceof ServerLiveness.Verdict.Down)) {
                ctx.getLog().info("local PostgreSQL answers again");
            }
        }
        livenessVerdict = v;
        return v;
    }

    /** Lets go of the lease at once (this node stopped serving for good): the successor's votes need not wait. */
    private void releaseLease() {
        lease.dropAll();
        var release = new LeaseMessage.Release(epochs.current(), settings.nodeId());
        peerInbox.tell(release);
        peers.stream().filter(p -> !p.equals(peerInbox)).forEach(p -> p.tell(release));
    }

    private final TimerScheduler<Command> timers;

    private record RetryStartAsPrimary(AgentCommand.Step command, long epoch, long firstNanos) implements Command {}

    /** One wait for a lease before starting as the primary at a time: a repeated Promote or Resume replaces it. */
    private static final Object LEASE_WAIT = "lease-wait";

    /**
     * A node serves writes as the primary of its epoch only once it holds that epoch's lease (issue 8.1): a promoted
     * standby (its voters promise it at its first request: a vote alone promises nothing, so until then nothing
     * keeps another election of a later epoch from winning) and the old primary of a rolled-back switchover (its
     * promises were released at the clean stop). Promises are asked for at once and waited for up to
     * {@link Timings#resumeLeaseWait}; then the step runs (pg_promote, or the start), or the command fails with the
     * reason. A command for an epoch that is no longer this node's is refused. Manual mode counts no lease.
     *
     * @param first the command's first try (promises are asked for then; later tries look at the answers)
     */
    private void startAsPrimaryOnceLeased(AgentCommand.Step c, long epoch, long firstNanos, boolean first) {
        long now = System.nanoTime();
        if (epoch != epochs.current() || !primaryOfEpoch()) {
            if (!first && c instanceof AgentCommand.Resume) {
                setFenced(true, "epoch " + epoch + " moved on while its old primary waited for a lease");
            }
            replyIfAsked(c, StepResult.Outcome.REFUSED, "refused: epoch " + epoch + " is no longer this node's (accepted "
                    + epochs.current() + ", primary node " + epochs.primaryOfCurrentEpoch().map(String::valueOf).orElse("?")
                    + ")");
            return;
        }
        if (first && c instanceof AgentCommand.Resume) {
            // a fenced node asks for no promises; while it waits unfenced and down, every start (this one, a local
            // restart) still needs the fresh lease
            setFenced(false, "restarting as the primary after a rolled-back switchover");
        }
        LocalRules.StartAsPrimary d = LocalRules.onStartAsPrimary(settings.automatic(), primaryOfEpoch(), leaseView(), t,
                firstNanos, now);
        if (d instanceof LocalRules.StartAsPrimary.Start) {
            if (now - firstNanos > 1_000_000) {
                ctx.getLog().info("lease of epoch {} held after {} ms: starting as its primary", epoch,
                        (now - firstNanos) / 1_000_000);
            }
            renewGuard(); // the server writes from the step's end: the guard holds this lease before that
            if (c instanceof AgentCommand.Resume) {
                internal(new ClusterStep.Resume(), c.opId(), epoch, c.replyTo());
            } else {
                internal(new ClusterStep.Promote(epoch), c.opId(), epoch, c.replyTo());
            }
        } else if (d instanceof LocalRules.StartAsPrimary.Refuse refuse) {
            ctx.getLog().warn("not starting as the primary of epoch {}: {}", epoch, refuse.why());
            if (c instanceof AgentCommand.Resume) {
                setFenced(true, refuse.why());
            }
            replyIfAsked(c, StepResult.Outcome.FAILED, (c instanceof AgentCommand.Resume ? "not restarted: " : "not promoted: ")
                    + refuse.why());
        } else {
            if (first) {
                onRenew(); // ask for promises now rather than at the next renewal
            }
            timers.startSingleTimer(LEASE_WAIT, new RetryStartAsPrimary(c, epoch, firstNanos), Duration.ofMillis(10));
        }
    }

    private void startFence(String reason) {
        startFence(reason, false);
    }

    private void startFence(String reason, boolean releaseLease) {
        if (state instanceof LinkState.Fencing) {
            return;
        }
        ctx.getLog().warn("FENCING local PostgreSQL: {}", reason);
        long t0 = System.nanoTime();
        transition(new LinkState.Fencing(reason, t0, releaseLease, state), reason);
        // the fence runs on its own thread; its end comes back as a message (the actor's context is not touched there)
        ctx.pipeToSelf(CompletableFuture.supplyAsync(fence::fence, fenceExecutor), (how, err) ->
                new FenceDone(err == null ? how : "failed: " + err.getMessage(), (System.nanoTime() - t0) / 1_000_000));
    }

    private Behavior<Command> onFenceDone(FenceDone d) {
        boolean fenced = !d.how().startsWith("failed");
        ctx.getLog().warn("fence: {} in {} ms", d.how(), d.tookMillis());
        if (!(state instanceof LinkState.Fencing f)) {
            // a fence started before this actor restarted (after a failure): its outcome still counts
            setFenced(fenced, "a fence from before the link restarted: " + d.how());
            return this;
        }
        String what = d.how() + " in " + d.tookMillis() + " ms";
        if (fenced) {
            detail = "fenced (" + d.how() + "): " + f.reason(); // kept while it stays fenced and down
            transition(new LinkState.Fenced(f.reason() + " (" + what + ")", epochs.current(), f.recovery()),
                    f.reason() + " (" + what + ")");
        } else {
            transition(afterFailedFence(f), what + "; fencing: " + f.reason());
        }
        if (fenced && f.releaseLease() && primaryOfEpoch()) {
            releaseLease();
            ctx.getLog().warn("hung primary fenced: lease of epoch {} released, the cluster may fail over", epochs.current());
            onRenew(); // the supervisor hears FENCED now rather than at the next renewal
        }
        return this;
    }

    /**
     * Where a fence that failed leaves the agent: where it was. A fenced node stays fenced (its server may now serve
     * writes: the next lease check fences it again), never unfenced by the failure.
     */
    static LinkState afterFailedFence(LinkState.Fencing f) {
        return f.before();
    }

    /** How the link stops the local PostgreSQL (immediate stop, SIGKILL if it hangs); blocking. */
    @FunctionalInterface
    public interface FenceAction {
        String fence();
    }

}
