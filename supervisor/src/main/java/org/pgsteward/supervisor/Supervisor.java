package org.pgsteward.supervisor;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.pgsteward.protocol.CborSerializable;
import org.pgsteward.protocol.cluster.AgentCommand;
import org.pgsteward.protocol.cluster.AgentResult;
import org.pgsteward.protocol.cluster.LeaseMessage;
import org.pgsteward.protocol.cluster.NodeReport;
import org.pgsteward.protocol.cluster.PgState;
import org.pgsteward.supervisor.policy.CandidateAssessment;
import org.pgsteward.supervisor.policy.ClusterSnapshot;
import org.pgsteward.supervisor.policy.Decision;
import org.pgsteward.supervisor.policy.FailoverPolicy;
import org.pgsteward.supervisor.policy.NodeView;
import org.pgsteward.supervisor.policy.ObservedReport;
import org.pgsteward.supervisor.policy.PolicyConfig;
import org.pgsteward.supervisor.policy.RegisteredMember;
import org.pgsteward.supervisor.SupervisorEvent.EpochLearned;
import org.pgsteward.supervisor.SupervisorEvent.EpochReserved;
import org.pgsteward.supervisor.SupervisorEvent.MemberSeen;
import org.pgsteward.supervisor.SupervisorEvent.PausedChanged;
import org.pgsteward.supervisor.SupervisorEvent.PrimaryChosen;
import org.pgsteward.supervisor.SupervisorEvent.StepRecorded;

/**
 * The cluster's one decider: a Cluster Singleton, event-sourced. It hears every agent's report,
 * asks {@link FailoverPolicy} what to do, and carries out promotions: reserve a new epoch
 * (persisted), collect a majority of votes (each voter's lease promise to the old primary has
 * expired), record the new primary (persisted), tell the candidate to promote and the others
 * to follow. A new incarnation first hears a majority of agents and adopts the highest epoch
 * they accepted; it never reuses one.
 */
public final class Supervisor extends EventSourcedBehavior<Supervisor.Command, SupervisorEvent, SupervisorState> {

    public sealed interface Command {}

    /** Every agent, every monitor interval. */
    public record Report(NodeReport report, ActorRef<AgentCommand> agent, ActorRef<LeaseMessage> lease)
            implements Command, CborSerializable {}

    /**
     * An agent asks to become primary: after `primary register` (no primary yet) or for a manual
     * `standby promote`. The answer comes once a majority voted for the new epoch.
     */
    public record RequestPrimary(int nodeId, String why, boolean force, ActorRef<PrimaryAnswer> replyTo)
            implements Command, CborSerializable {}

    public record PrimaryAnswer(boolean granted, long epoch, String message) implements CborSerializable {}

    public record SetPaused(boolean paused, String by, ActorRef<View> replyTo) implements Command, CborSerializable {}

    /**
     * A planned, lossless swap: the primary checkpoints and stops cleanly, {@code candidateId} is
     * verified to have received its final LSN, is promoted, and the old primary rejoins as its
     * standby. Before the vote, any failure rolls back (the old primary starts again).
     */
    public record Switchover(int candidateId, ActorRef<PrimaryAnswer> replyTo) implements Command, CborSerializable {}

    public record GetView(ActorRef<View> replyTo) implements Command, CborSerializable {}

    /**
     * What `cluster show` and `cluster event` show of the supervisor. {@code warnings}: what keeps it from working
     * (its journal failing), added by {@link SupervisorGuard}.
     */
    public record View(long epoch, Optional<Integer> primaryId, boolean paused, boolean stateKnown, String mode,
                       String lastDecision, Optional<String> operation, List<String> history, List<String> warnings)
            implements CborSerializable {

        public View withWarnings(List<String> more) {
            List<String> all = new ArrayList<>(warnings);
            all.addAll(more);
            return new View(epoch, primaryId, paused, stateKnown, mode, lastDecision, operation, history, List.copyOf(all));
        }
    }

    private enum Tick implements Command { INSTANCE }

    private record MemberReachability(Address address, boolean reachable) implements Command {}

    private record Voted(LeaseMessage.VoteReply reply) implements Command {}

    private record StepDone(AgentResult result) implements Command {}

    private record ResendVote(long epoch, int nodeId) implements Command {}

    /** An attempt to install a new primary, from reserving the epoch to the followers' answers. */
    private static final class Operation {
        final String id = UUID.randomUUID().toString();
        final long epoch;
        final int candidateId;
        final Optional<Integer> oldPrimaryId;
        final String reason;
        final Optional<ActorRef<PrimaryAnswer>> manualReplyTo;
        final long startedNanos = System.nanoTime();
        final Optional<Long> failedSinceNanos;
        final Set<Integer> votes = new HashSet<>();
        Phase phase = Phase.VOTING;
        long phaseStartedNanos = System.nanoTime();
        final Set<Integer> awaitingFollow = new HashSet<>();
        Optional<ActorRef<PrimaryAnswer>> switchoverReplyTo = Optional.empty();
        Optional<String> finalLsn = Optional.empty();
        /** A switchover being rolled back: what failed (the old primary is being restarted). */
        String rollbackDetail = "";
        final StringBuilder steps = new StringBuilder();

        String resumeId() {
            return id + "-resume";
        }

        void step(String what) {
            steps.append(steps.length() == 0 ? "" : "; ").append(what).append(" at +")
                    .append((System.nanoTime() - startedNanos) / 1_000_000).append(" ms");
        }

        Operation(long epoch, int candidateId, Optional<Integer> oldPrimaryId, String reason,
                  Optional<ActorRef<PrimaryAnswer>> manualReplyTo, Optional<Long> failedSinceNanos) {
            this.epoch = epoch;
            this.candidateId = candidateId;
            this.oldPrimaryId = oldPrimaryId;
            this.reason = reason;
            this.manualReplyTo = manualReplyTo;
            this.failedSinceNanos = failedSinceNanos;
        }

        String describe() {
            return phase.name().toLowerCase() + " node " + candidateId + " in epoch " + epoch;
        }
    }

    private enum Phase { STOPPING_OLD, CATCHING_UP, VOTING, PROMOTING, FOLLOWING, RESUMING_OLD }

    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private final SupervisorSettings settings;
    /**
     * In the refusal of a new primary while the old one's last report said it serves: a requester that has
     * just seen that server stopped may retry until the old primary's agent has reported it.
     */
    public static final String RUNNING_PRIMARY = " is the running primary of epoch ";
    /** When this incarnation started, for the time its journal recovery took. */
    private final long createdNanos = System.nanoTime();
    private final Map<Integer, ObservedReport> reports = new HashMap<>();
    private final Map<Integer, ActorRef<AgentCommand>> agents = new HashMap<>();
    private final Map<Integer, ActorRef<LeaseMessage>> leaseRefs = new HashMap<>();
    private final Set<Address> unreachable = new HashSet<>();
    /** Agent incarnations told the epoch: every new agent process hears it once, so it may act. */
    private final Set<String> announcedTo = new HashSet<>();
    private final ActorRef<LeaseMessage.VoteReply> voteAdapter;
    private final ActorRef<AgentResult> stepAdapter;
    private boolean stateKnown;
    private Optional<Long> failedSinceNanos = Optional.empty();
    /** After a rolled-back switchover: the planned stop is no evidence of a failure, only what follows counts. */
    private Optional<Long> evidenceNotBeforeNanos = Optional.empty();
    private Optional<Operation> operation = Optional.empty();
    private String lastDecision = "starting: waiting to hear from a majority of agents";
    private String lastRecordedDecision = "";

    public static Behavior<Command> create(SupervisorSettings settings) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Supervisor(ctx, timers, settings)));
    }

    private Supervisor(ActorContext<Command> ctx, TimerScheduler<Command> timers, SupervisorSettings settings) {
        super(PersistenceId.ofUniqueId(settings.persistenceId()));
        this.ctx = ctx;
        this.timers = timers;
        this.settings = settings;
        this.voteAdapter = ctx.messageAdapter(LeaseMessage.VoteReply.class, Voted::new);
        this.stepAdapter = ctx.messageAdapter(AgentResult.class, StepDone::new);
        ActorRef<ClusterEvent.ReachabilityEvent> reach = ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class,
                e -> new MemberReachability(e.member().address(), e instanceof ClusterEvent.ReachableMember));
        Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(reach, ClusterEvent.ReachabilityEvent.class));
        // a restarted agent comes back at the same address as a new member: it is reachable again
        ActorRef<ClusterEvent.MemberEvent> members = ctx.messageAdapter(ClusterEvent.MemberEvent.class,
                e -> new MemberReachability(e.member().address(), !(e instanceof ClusterEvent.MemberRemoved)
                        && !(e instanceof ClusterEvent.MemberDowned)));
        Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(members, ClusterEvent.MemberEvent.class));
        timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.tick());
        ctx.getLog().info("supervisor for cluster {} started (mode {}, lease {} ms, failover timeout {} ms)",
                settings.cluster(), settings.policy().mode(), settings.policy().leaseDuration().toMillis(),
                settings.policy().failoverTimeout().toMillis());
    }

    @Override
    public SignalHandler<SupervisorState> signalHandler() {
        return newSignalHandlerBuilder()
                .onSignal(RecoveryCompleted.instance(), state -> ctx.getLog().info(
                        "journal read in {} ms: epoch {}, primary {}, {} members, {} history entries",
                        (System.nanoTime() - createdNanos) / 1_000_000, state.epoch(),
                        state.primaryId().map(String::valueOf).orElse("none"), state.members().size(),
                        state.history().size()))
                .onSignal(RecoveryFailed.class, (state, failed) -> ctx.getLog().error(
                        "journal could not be read after {} ms: {}", (System.nanoTime() - createdNanos) / 1_000_000,
                        failed.getFailure().toString()))
                .build();
    }

    @Override
    public SupervisorState emptyState() {
        return SupervisorState.empty();
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return RetentionCriteria.snapshotEvery(100, 2);
    }

    @Override
    public EventHandler<SupervisorState, SupervisorEvent> eventHandler() {
        return newEventHandlerBuilder().forAnyState()
                .onAnyEvent((state, event) -> apply(state, event));
    }

    static SupervisorState apply(SupervisorState state, SupervisorEvent event) {
        SupervisorState s = state;
        if (event instanceof MemberSeen m) {
            s = s.withMember(new RegisteredMember(m.nodeId(), m.name(), m.priority(), m.witness(), false));
        } else if (event instanceof EpochLearned l) {
            s = s.withEpoch(l.epoch(), l.primaryId());
        } else if (event instanceof EpochReserved r) {
            s = s.withReserved(r.epoch()); // the chosen epoch and its primary change only when a majority voted
        } else if (event instanceof PrimaryChosen c) {
            s = s.withEpoch(c.epoch(), Optional.of(c.primaryId()));
        } else if (event instanceof PausedChanged p) {
            s = s.withPaused(p.paused());
        } else if (event instanceof SupervisorEvent.SyncStandbysSeen sy) {
            return s.withSyncStandbys(sy.names()); // changes often: not history
        }
        return s.withHistory(event.at() + " " + event.describe());
    }

    @Override
    public CommandHandler<Command, SupervisorEvent, SupervisorState> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(Report.class, this::onReport)
                .onCommand(RequestPrimary.class, this::onRequestPrimary)
                .onCommand(SetPaused.class, this::onSetPaused)
                .onCommand(Switchover.class, this::onSwitchover)
                .onCommand(GetView.class, (state, get) -> {
                    get.replyTo().tell(view(state));
                    return Effect().none();
                })
                .onCommand(MemberReachability.class, (state, m) -> {
                    if (m.reachable()) {
                        unreachable.remove(m.address());
                    } else {
                        unreachable.add(m.address());
                    }
                    return Effect().none();
                })
                .onCommand(Tick.class, (state, t) -> onTick(state))
                .onCommand(Voted.class, this::onVoted)
                .onCommand(ResendVote.class, this::onResendVote)
                .onCommand(StepDone.class, this::onStepDone)
                .build();
    }

    // ------------------------------------------------------------------ reports, learning, leases

    private Effect<SupervisorEvent, SupervisorState> onReport(SupervisorState state, Report r) {
        NodeReport rep = r.report();
        long now = System.nanoTime();
        reports.put(rep.nodeId(), new ObservedReport(rep, now));
        agents.put(rep.nodeId(), r.agent());
        leaseRefs.put(rep.nodeId(), r.lease());
        List<SupervisorEvent> events = new ArrayList<>();
        RegisteredMember known = state.members().get(rep.nodeId());
        if (known == null || known.priority() != rep.priority() || !known.name().equals(rep.nodeName())
                || known.witness() != rep.witness()) {
            events.add(new MemberSeen(Instant.now(), rep.nodeId(), rep.nodeName(), rep.priority(), rep.witness()));
        }
        if (!stateKnown) {
            learnFromMajority(state).ifPresent(events::add);
        }
        if (stateKnown && state.primaryId().equals(Optional.of(rep.nodeId())) && rep.acceptedEpoch() == state.epoch()
                && rep.pg() == PgState.PRIMARY && !rep.syncStandbys().isEmpty()
                && !new HashSet<>(rep.syncStandbys()).equals(new HashSet<>(state.syncStandbys()))) {
            events.add(new SupervisorEvent.SyncStandbysSeen(Instant.now(), state.epoch(), rep.syncStandbys()));
        }
        Optional<Operation> manualDone = operation.filter(op -> op.phase == Phase.PROMOTING && op.manualReplyTo.isPresent()
                && op.candidateId == rep.nodeId() && rep.pg() == PgState.PRIMARY && rep.acceptedEpoch() == op.epoch);
        manualDone.ifPresent(op -> events.add(new StepRecorded(Instant.now(), op.epoch, "promote", true, "node "
                + rep.nodeId() + " runs as primary in epoch " + op.epoch + " at " + rep.currentLsn().orElse("?") + ", "
                + (System.nanoTime() - op.startedNanos) / 1_000_000 + " ms after it asked")));
        long epoch = state.epoch();
        for (SupervisorEvent e : events) {
            if (e instanceof EpochLearned l) {
                epoch = Math.max(epoch, l.epoch());
            }
        }
        long currentEpoch = epoch;
        return Effect().persist(events).thenRun(s -> {
            if (!stateKnown) {
                return;
            }
            // while votes for a reserved epoch are collected, s.primaryId() is still the old epoch's primary:
            // announcing it with the reserved epoch would make agents accept that pair and refuse their votes
            boolean voting = operation.isPresent() && operation.get().phase == Phase.VOTING;
            if (s.primaryId().isPresent() && !voting
                    && (rep.acceptedEpoch() < s.epoch() || announcedTo.add(rep.incarnation()))) {
                r.agent().tell(new AgentCommand.EpochAnnounce(s.epoch(), s.primaryId().get(), primaryConninfo(s)));
            }
            manualDone.ifPresent(op -> startFollowing(s, op));
            if (currentEpoch != s.epoch()) {
                ctx.getLog().debug("epoch moved while persisting: {} -> {}", currentEpoch, s.epoch());
            }
        });
    }

    /** Once a majority of the cluster's members reported: adopt the highest epoch they accepted. */
    private Optional<SupervisorEvent> learnFromMajority(SupervisorState state) {
        int members = clusterSize();
        long fresh = freshReports().count();
        if (fresh * 2 <= members) {
            lastDecision = "learning the cluster state: " + fresh + " of " + members + " agents reported";
            return Optional.empty();
        }
        stateKnown = true;
        Optional<NodeReport> highest = freshReports().map(ObservedReport::report)
                .max(java.util.Comparator.comparingLong(NodeReport::acceptedEpoch));
        long agentsEpoch = highest.map(NodeReport::acceptedEpoch).orElse(0L);
        ctx.getLog().info("state known from {} of {} agents: journal epoch {}, highest accepted epoch {}", fresh, members,
                state.epoch(), agentsEpoch);
        if (agentsEpoch > state.epoch() || (agentsEpoch == state.epoch() && state.primaryId().isEmpty() && agentsEpoch > 0)) {
            Optional<Integer> primary = highest.map(NodeReport::epochPrimaryId).filter(id -> id > 0);
            return Optional.of(new EpochLearned(Instant.now(), agentsEpoch, primary,
                    "highest epoch accepted by " + fresh + " of " + members + " agents"));
        }
        return Optional.empty();
    }

    private java.util.stream.Stream<ObservedReport> freshReports() {
        long now = System.nanoTime();
        long stale = settings.policy().reportStaleAfter().toNanos();
        return reports.values().stream().filter(o -> now - o.receivedAtNanos() <= stale);
    }

    private int clusterSize() {
        int n = 0;
        for (var m : Cluster.get(ctx.getSystem()).state().getMembers()) {
            if (m.status() != org.apache.pekko.cluster.MemberStatus.removed()
                    && m.status() != org.apache.pekko.cluster.MemberStatus.down()) {
                n++;
            }
        }
        return Math.max(Math.max(n, 1), Math.max(settings.expectedMembers(), 0));
    }

    private int majority() {
        return clusterSize() / 2 + 1;
    }

    private String primaryConninfo(SupervisorState s) {
        return s.primaryId().flatMap(id -> Optional.ofNullable(reports.get(id))).map(o -> o.report().conninfo()).orElse("");
    }

    // ------------------------------------------------------------------ decisions

    private Effect<SupervisorEvent, SupervisorState> onTick(SupervisorState state) {
        if (!stateKnown) {
            return Effect().none();
        }
        if (operation.isPresent()) {
            return checkOperationTimeout(state, operation.get());
        }
        Decision d = FailoverPolicy.decide(settings.policy(), snapshot(state), System.nanoTime());
        failedSinceNanos = d.primaryLooksFailedSinceNanos();
        String text = kind(d) + ": " + d.reason();
        if (!withoutNumbers(text).equals(withoutNumbers(lastDecision))) {
            ctx.getLog().info("decision: {}", text);
        }
        lastDecision = text;
        if (d instanceof Decision.Promote p) {
            return startFailover(state, p);
        }
        boolean blocked = d instanceof Decision.NoCandidate || d instanceof Decision.Paused || d instanceof Decision.ReportOnly;
        if (blocked && !withoutNumbers(text).equals(withoutNumbers(lastRecordedDecision))) {
            lastRecordedDecision = text;
            return Effect().persist(new StepRecorded(Instant.now(), state.epoch(), "decision", false, text));
        }
        if (d instanceof Decision.Healthy) {
            lastRecordedDecision = "";
            keepSynchronousStandbys(state);
        }
        return Effect().none();
    }

    private long lastSyncSetNanos = Long.MIN_VALUE / 2;

    /**
     * Synchronous mode: the primary must name the other database nodes in synchronous_standby_names
     * (FIRST 1), so a commit is acknowledged only once a standby has it, and only that standby may be
     * promoted. Re-sent while the primary reports no synchronous standby.
     */
    private void keepSynchronousStandbys(SupervisorState state) {
        if (!settings.policy().synchronous() || state.primaryId().isEmpty()) {
            return;
        }
        int primary = state.primaryId().get();
        ObservedReport p = reports.get(primary);
        long now = System.nanoTime();
        if (p == null || !p.report().syncStandbys().isEmpty() || now - lastSyncSetNanos < Duration.ofSeconds(5).toNanos()) {
            return;
        }
        List<String> names = state.members().values().stream().filter(m -> !m.witness() && m.id() != primary)
                .map(RegisteredMember::name).sorted().toList();
        ActorRef<AgentCommand> agent = agents.get(primary);
        if (names.isEmpty() || agent == null) {
            return;
        }
        lastSyncSetNanos = now;
        ctx.getLog().info("synchronous mode: setting synchronous_standby_names on node {} to FIRST 1 {}", primary, names);
        agent.tell(new AgentCommand.SetSynchronousStandbys(state.epoch(), "sync-" + now, names, stepAdapter));
    }

    private static String withoutNumbers(String s) {
        return s.replaceAll("[0-9]+(\\.[0-9]+)?", "#");
    }

    private static String kind(Decision d) {
        return d.getClass().getSimpleName().replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase();
    }

    private ClusterSnapshot snapshot(SupervisorState state) {
        List<NodeView> views = new ArrayList<>();
        Set<Integer> ids = new HashSet<>(state.members().keySet());
        ids.addAll(reports.keySet());
        state.primaryId().ifPresent(ids::add);
        for (int id : ids) {
            RegisteredMember m = state.members().get(id);
            ObservedReport o = reports.get(id);
            if (m == null && o != null) {
                m = new RegisteredMember(id, o.report().nodeName(), o.report().priority(), o.report().witness(), false);
            }
            if (m == null) {
                // the primary a new incarnation learned from the agents but never heard from itself
                m = new RegisteredMember(id, "node " + id, 0, false, false);
            }
            boolean reachable = Optional.ofNullable(agents.get(id)).map(a -> !unreachable.contains(a.path().address()))
                    .orElse(false);
            views.add(new NodeView(m, Optional.ofNullable(o), reachable));
        }
        // The lease is the agents' (majority promises); the votes wait for it to expire on each voter's clock plus a
        // margin, so the policy itself need not wait for a supervisor grant: no grant, and no incarnation bound.
        long now = System.nanoTime();
        long longAgo = now - Duration.ofDays(1).toNanos();
        if (failedSinceNanos.isEmpty()) {
            // a new incarnation (or a fresh failure): the standbys know how long they have not reached the primary
            long confirmedFor = reports.values().stream().map(ObservedReport::report)
                    .filter(r -> r.primaryReachable().equals(Optional.of(false)) && !r.witness())
                    .mapToLong(NodeReport::primaryUnreachableMillis).min().orElse(0);
            if (confirmedFor > 0) {
                long since = now - Duration.ofMillis(confirmedFor).toNanos();
                if (evidenceNotBeforeNanos.isPresent() && since - evidenceNotBeforeNanos.get() < 0) {
                    since = evidenceNotBeforeNanos.get();
                }
                failedSinceNanos = Optional.of(since);
            }
        }
        return new ClusterSnapshot(state.epoch(), state.primaryId(), state.paused(), views, Optional.empty(),
                longAgo, failedSinceNanos, stateKnown, state.syncStandbys());
    }

    private Effect<SupervisorEvent, SupervisorState> startFailover(SupervisorState state, Decision.Promote p) {
        String candidates = candidatesText(p.assessments());
        String reason = p.reason() + "; candidates: " + candidates + "; winner node " + p.candidateId();
        ctx.getLog().warn("FAILOVER: {}", reason);
        long epoch = state.nextEpoch();
        var op = new Operation(epoch, p.candidateId(), state.primaryId(), reason, Optional.empty(), failedSinceNanos);
        operation = Optional.of(op);
        return Effect().persist(new EpochReserved(Instant.now(), epoch, p.candidateId(), reason))
                .thenRun(s -> requestVotes(op));
    }

    static String candidatesText(List<CandidateAssessment> list) {
        return list.stream().map(a -> a.name() + "(" + a.receivedLsn().map(Object::toString).orElse("?") + ", priority "
                + a.priority() + ", " + (a.eligible() ? "eligible" : a.why()) + ")").collect(Collectors.joining(", "));
    }

    private void requestVotes(Operation op) {
        for (var e : leaseRefs.entrySet()) {
            e.getValue().tell(new LeaseMessage.VoteRequest(op.epoch, op.candidateId, voteAdapter));
        }
    }

    private Effect<SupervisorEvent, SupervisorState> onResendVote(SupervisorState state, ResendVote r) {
        operation.filter(op -> op.epoch == r.epoch() && op.phase == Phase.VOTING).ifPresent(op ->
                Optional.ofNullable(leaseRefs.get(r.nodeId())).ifPresent(ref ->
                        ref.tell(new LeaseMessage.VoteRequest(op.epoch, op.candidateId, voteAdapter))));
        return Effect().none();
    }

    private Effect<SupervisorEvent, SupervisorState> onVoted(SupervisorState state, Voted v) {
        LeaseMessage.VoteReply reply = v.reply();
        Optional<Operation> current = operation.filter(op -> op.epoch == reply.newEpoch() && op.phase == Phase.VOTING);
        if (current.isEmpty()) {
            return Effect().none();
        }
        Operation op = current.get();
        if (!reply.granted()) {
            if (reply.retryInMillis() > 0) {
                timers.startSingleTimer("vote-" + reply.fromNodeId(), new ResendVote(op.epoch, reply.fromNodeId()),
                        Duration.ofMillis(reply.retryInMillis()));
            } else {
                ctx.getLog().info("node {} refused to vote for epoch {}: {}", reply.fromNodeId(), op.epoch, reply.reason());
            }
            return Effect().none();
        }
        op.votes.add(reply.fromNodeId());
        if (op.votes.size() < majority()) {
            return Effect().none();
        }
        long votedMs = (System.nanoTime() - op.startedNanos) / 1_000_000;
        op.phase = Phase.PROMOTING;
        op.phaseStartedNanos = System.nanoTime();
        String why = op.reason + "; votes from nodes " + op.votes + " in " + votedMs + " ms";
        return Effect().persist(new PrimaryChosen(Instant.now(), op.epoch, op.candidateId, why)).thenRun(s -> {
            ctx.getLog().info("epoch {}: node {} chosen as primary ({} of {} votes after {} ms)", op.epoch, op.candidateId,
                    op.votes.size(), clusterSize(), votedMs);
            announce(s);
            if (op.switchoverReplyTo.isEmpty()) {
                // the old primary must not write in the new epoch: say so directly as well as by the announcement
                op.oldPrimaryId.filter(old -> old != op.candidateId).flatMap(old -> Optional.ofNullable(agents.get(old)))
                        .ifPresent(a -> a.tell(new AgentCommand.Fence(op.epoch, "node " + op.candidateId
                                + " is primary in epoch " + op.epoch)));
            }
            if (op.manualReplyTo.isPresent()) {
                // the agent that asked promotes itself (or already is primary) and answers its console
                op.manualReplyTo.get().tell(new PrimaryAnswer(true, op.epoch, why));
            } else {
                Optional.ofNullable(agents.get(op.candidateId)).ifPresent(a -> a.tell(new AgentCommand.Promote(op.epoch,
                        op.id, stepAdapter)));
            }
        });
    }

    private void announce(SupervisorState s) {
        String conninfo = primaryConninfo(s);
        s.primaryId().ifPresent(p -> agents.values().forEach(a -> a.tell(new AgentCommand.EpochAnnounce(s.epoch(), p, conninfo))));
    }

    private Effect<SupervisorEvent, SupervisorState> onStepDone(SupervisorState state, StepDone done) {
        AgentResult r = done.result();
        Optional<Operation> current = operation.filter(op -> op.phase == Phase.RESUMING_OLD
                ? op.resumeId().equals(r.opId()) : op.id.equals(r.opId()));
        if (current.isEmpty()) {
            return Effect().none();
        }
        Operation op = current.get();
        if (op.phase == Phase.RESUMING_OLD) {
            return rolledBack(state, op, r.success(), r.message());
        }
        long sinceStart = (System.nanoTime() - op.startedNanos) / 1_000_000;
        if (op.phase == Phase.STOPPING_OLD) {
            if (!r.success()) {
                return rollBack(state, op, "stop the old primary cleanly", r.message());
            }
            op.finalLsn = r.lsn();
            op.step("old primary stopped at " + r.lsn().orElse("?"));
            op.phase = Phase.CATCHING_UP;
            op.phaseStartedNanos = System.nanoTime();
            Optional.ofNullable(agents.get(op.candidateId)).ifPresent(a -> a.tell(new AgentCommand.AwaitLsn(state.epoch(),
                    op.id, r.lsn().orElse("0/0"), 10_000, stepAdapter)));
            return Effect().none();
        }
        if (op.phase == Phase.CATCHING_UP) {
            if (!r.success()) {
                return rollBack(state, op, "verify the candidate received the final LSN " + op.finalLsn.orElse("?"),
                        r.message());
            }
            op.step("node " + op.candidateId + " has the final LSN");
            op.phase = Phase.VOTING;
            op.phaseStartedNanos = System.nanoTime();
            return Effect().persist(new EpochReserved(Instant.now(), op.epoch, op.candidateId, op.reason))
                    .thenRun(s -> requestVotes(op));
        }
        if (op.phase == Phase.PROMOTING) {
            if (!r.success()) {
                operation = Optional.empty();
                op.switchoverReplyTo.ifPresent(to -> to.tell(new PrimaryAnswer(false, op.epoch, "switchover: promoting node "
                        + r.nodeId() + " failed after the vote (automatic failover takes over): " + r.message())));
                return Effect().persist(new StepRecorded(Instant.now(), op.epoch, "promote", false,
                        "node " + r.nodeId() + ": " + r.message()));
            }
            String detail = "node " + r.nodeId() + " promoted in " + r.millis() + " ms at " + r.lsn().orElse("?")
                    + " (timeline " + r.timeline().map(Object::toString).orElse("?") + "), " + sinceStart
                    + " ms after the decision" + op.failedSinceNanos.map(f -> ", "
                    + (System.nanoTime() - f) / 1_000_000 + " ms after the failure was first seen").orElse("");
            ctx.getLog().info("epoch {}: {}", op.epoch, detail);
            op.step("node " + r.nodeId() + " promoted");
            startFollowing(state, op);
            return Effect().persist(new StepRecorded(Instant.now(), op.epoch, "promote", true, detail));
        }
        if (op.phase == Phase.FOLLOWING) {
            op.awaitingFollow.remove(r.nodeId());
            String detail = "node " + r.nodeId() + (r.success() ? " follows node " + op.candidateId + " (" + r.millis()
                    + " ms)" : " could not follow: " + r.message());
            op.step(detail);
            if (op.awaitingFollow.isEmpty()) {
                operation = Optional.empty();
                op.switchoverReplyTo.ifPresent(to -> to.tell(new PrimaryAnswer(true, op.epoch, "switchover to node "
                        + op.candidateId + " done: " + op.steps)));
            }
            return Effect().persist(new StepRecorded(Instant.now(), op.epoch, "follow", r.success(), detail));
        }
        return Effect().none();
    }

    private void startFollowing(SupervisorState state, Operation op) {
        op.phase = Phase.FOLLOWING;
        op.phaseStartedNanos = System.nanoTime();
        String conninfo = Optional.ofNullable(reports.get(op.candidateId)).map(o -> o.report().conninfo()).orElse("");
        for (var e : agents.entrySet()) {
            int id = e.getKey();
            ObservedReport o = reports.get(id);
            boolean isStandby = o != null && !o.report().witness() && id != op.candidateId
                    && o.report().pg() == PgState.STANDBY
                    && op.oldPrimaryId.map(old -> old != id).orElse(true);
            if (isStandby && settings.policy().mode() == PolicyConfig.Mode.AUTOMATIC) {
                op.awaitingFollow.add(id);
                e.getValue().tell(new AgentCommand.Follow(op.epoch, op.id, op.candidateId, conninfo, stepAdapter));
            }
        }
        if (op.switchoverReplyTo.isPresent() && op.oldPrimaryId.isPresent()) {
            ActorRef<AgentCommand> old = agents.get(op.oldPrimaryId.get());
            if (old != null) {
                op.awaitingFollow.add(op.oldPrimaryId.get());
                old.tell(new AgentCommand.Rejoin(op.epoch, op.id, op.candidateId, conninfo, stepAdapter));
            }
        }
        if (op.awaitingFollow.isEmpty()) {
            operation = Optional.empty();
            op.switchoverReplyTo.ifPresent(to -> to.tell(new PrimaryAnswer(true, op.epoch, "switchover to node "
                    + op.candidateId + " done: " + op.steps)));
        }
    }

    private Effect<SupervisorEvent, SupervisorState> checkOperationTimeout(SupervisorState state, Operation op) {
        long inPhase = System.nanoTime() - op.phaseStartedNanos;
        Duration limit = op.phase == Phase.VOTING
                ? settings.voteTimeout().plus(settings.policy().leaseDuration()).plus(settings.policy().leaseMargin())
                : settings.stepTimeout();
        if (inPhase < limit.toNanos()) {
            return Effect().none();
        }
        if (op.phase == Phase.STOPPING_OLD || op.phase == Phase.CATCHING_UP) {
            return rollBack(state, op, op.phase == Phase.STOPPING_OLD ? "stop the old primary cleanly"
                    : "verify the candidate received the final LSN", "no answer within " + inPhase / 1_000_000 + " ms");
        }
        if (op.phase == Phase.RESUMING_OLD) {
            return rolledBack(state, op, false, "no answer within " + inPhase / 1_000_000 + " ms");
        }
        operation = Optional.empty();
        op.switchoverReplyTo.ifPresent(to -> to.tell(new PrimaryAnswer(false, state.epoch(), "switchover: "
                + op.describe() + " timed out after " + inPhase / 1_000_000 + " ms")));
        String detail = op.describe() + " timed out after " + inPhase / 1_000_000 + " ms"
                + (op.phase == Phase.VOTING ? " with votes from " + op.votes + " (need " + majority() + ")" : "")
                + (op.phase == Phase.FOLLOWING ? ", still waiting for nodes " + op.awaitingFollow : "");
        ctx.getLog().warn(detail);
        op.manualReplyTo.ifPresent(r -> r.tell(new PrimaryAnswer(false, state.epoch(), detail)));
        return Effect().persist(new StepRecorded(Instant.now(), op.epoch, op.phase.name().toLowerCase(), false, detail));
    }

    // ------------------------------------------------------------------ console requests

    private Effect<SupervisorEvent, SupervisorState> onRequestPrimary(SupervisorState state, RequestPrimary req) {
        if (!stateKnown) {
            req.replyTo().tell(new PrimaryAnswer(false, state.epoch(), lastDecision + "; retry in a moment"));
            return Effect().none();
        }
        if (operation.isPresent()) {
            req.replyTo().tell(new PrimaryAnswer(false, state.epoch(), "busy: " + operation.get().describe()));
            return Effect().none();
        }
        if (state.primaryId().equals(Optional.of(req.nodeId()))) {
            req.replyTo().tell(new PrimaryAnswer(true, state.epoch(), "node " + req.nodeId() + " is primary in epoch "
                    + state.epoch()));
            return Effect().none();
        }
        Optional<Integer> old = state.primaryId();
        if (old.isPresent() && !req.force()) {
            ObservedReport o = reports.get(old.get());
            boolean oldServing = o != null && o.report().pg() == PgState.PRIMARY
                    && System.nanoTime() - o.receivedAtNanos() <= settings.policy().reportStaleAfter().toNanos();
            if (oldServing) {
                req.replyTo().tell(new PrimaryAnswer(false, state.epoch(), "node " + old.get()
                        + RUNNING_PRIMARY + state.epoch() + "; stop it first (or use -F)"));
                return Effect().none();
            }
        }
        long epoch = state.nextEpoch();
        String reason = req.why();
        var op = new Operation(epoch, req.nodeId(), old, reason, Optional.of(req.replyTo()), Optional.empty());
        operation = Optional.of(op);
        ctx.getLog().info("node {} asks to become primary ({}): reserving epoch {}", req.nodeId(), reason, epoch);
        return Effect().persist(new EpochReserved(Instant.now(), epoch, req.nodeId(), reason)).thenRun(s -> requestVotes(op));
    }

    private Effect<SupervisorEvent, SupervisorState> onSwitchover(SupervisorState state, Switchover sw) {
        Optional<String> refusal = Optional.empty();
        long fresh = settings.policy().reportStaleAfter().toNanos();
        long now = System.nanoTime();
        Optional<ObservedReport> primary = state.primaryId().flatMap(id -> Optional.ofNullable(reports.get(id)));
        ObservedReport candidate = reports.get(sw.candidateId());
        if (!stateKnown) {
            refusal = Optional.of(lastDecision);
        } else if (operation.isPresent()) {
            refusal = Optional.of("busy: " + operation.get().describe());
        } else if (state.primaryId().isEmpty() || primary.isEmpty() || primary.get().report().pg() != PgState.PRIMARY
                || now - primary.get().receivedAtNanos() > fresh) {
            refusal = Optional.of("no running primary to switch over from");
        } else if (state.primaryId().get() == sw.candidateId()) {
            refusal = Optional.of("node " + sw.candidateId() + " is already the primary");
        } else if (candidate == null || candidate.report().pg() != PgState.STANDBY || candidate.report().streamingFrom().isEmpty()
                || now - candidate.receivedAtNanos() > fresh) {
            refusal = Optional.of("node " + sw.candidateId() + " is not a streaming standby");
        }
        if (refusal.isPresent()) {
            sw.replyTo().tell(new PrimaryAnswer(false, state.epoch(), "switchover refused: " + refusal.get()));
            return Effect().none();
        }
        int old = state.primaryId().get();
        var op = new Operation(state.nextEpoch(), sw.candidateId(), Optional.of(old), "switchover from node " + old
                + " to node " + sw.candidateId(), Optional.empty(), Optional.empty());
        op.switchoverReplyTo = Optional.of(sw.replyTo());
        op.phase = Phase.STOPPING_OLD;
        operation = Optional.of(op);
        ctx.getLog().info("switchover: node {} -> node {}: stopping the old primary cleanly", old, sw.candidateId());
        agents.get(old).tell(new AgentCommand.StopForSwitchover(state.epoch(), op.id, stepAdapter));
        return Effect().persist(new StepRecorded(Instant.now(), state.epoch(), "switchover", true, op.reason + " started"));
    }

    /**
     * Before the vote nothing is decided: the old primary starts again and the switchover reports the failed step.
     * The operation stays open until the old primary's agent has restarted it (or the step times out), so no
     * failover is decided from the planned stop's evidence meanwhile.
     */
    private Effect<SupervisorEvent, SupervisorState> rollBack(SupervisorState state, Operation op, String step, String why) {
        op.rollbackDetail = "switchover to node " + op.candidateId + " failed at step '" + step + "': " + why;
        op.phase = Phase.RESUMING_OLD;
        op.phaseStartedNanos = System.nanoTime();
        String old = op.oldPrimaryId.map(Object::toString).orElse("?");
        ctx.getLog().warn("{}; rolling back: starting node {} again as primary", op.rollbackDetail, old);
        Optional<ActorRef<AgentCommand>> agent = op.oldPrimaryId.flatMap(id -> Optional.ofNullable(agents.get(id)));
        if (agent.isEmpty()) {
            return rolledBack(state, op, false, "node " + old + "'s agent is not reachable");
        }
        agent.get().tell(new AgentCommand.Resume(state.epoch(), op.resumeId(), stepAdapter));
        return Effect().none();
    }

    /** The rollback ended: evidence of a failed primary counts again only from now on. */
    private Effect<SupervisorEvent, SupervisorState> rolledBack(SupervisorState state, Operation op, boolean restarted,
                                                                String message) {
        operation = Optional.empty();
        failedSinceNanos = Optional.empty();
        evidenceNotBeforeNanos = Optional.of(System.nanoTime());
        String old = op.oldPrimaryId.map(Object::toString).orElse("?");
        String detail = op.rollbackDetail + (restarted
                ? "; rolled back: node " + old + " stays primary (" + message + ")"
                : "; rolled back, but starting node " + old + " again failed: " + message
                        + " (automatic failover decides from here)");
        ctx.getLog().warn(detail);
        op.switchoverReplyTo.ifPresent(to -> to.tell(new PrimaryAnswer(false, state.epoch(), detail)));
        return Effect().persist(new StepRecorded(Instant.now(), state.epoch(), "switchover", false, detail));
    }

    private Effect<SupervisorEvent, SupervisorState> onSetPaused(SupervisorState state, SetPaused p) {
        if (state.paused() == p.paused()) {
            p.replyTo().tell(view(state));
            return Effect().none();
        }
        return Effect().persist(new PausedChanged(Instant.now(), p.paused(), p.by())).thenRun(s -> p.replyTo().tell(view(s)));
    }

    private View view(SupervisorState s) {
        List<String> history = new ArrayList<>(s.history());
        java.util.Collections.reverse(history);
        return new View(s.epoch(), s.primaryId(), s.paused(), stateKnown, settings.policy().mode().name().toLowerCase(),
                lastDecision, operation.map(Operation::describe), history, List.of());
    }
}
