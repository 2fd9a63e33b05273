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
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.pgsteward.protocol.cluster.AgentCommand;
import org.pgsteward.protocol.Lsn;
import org.pgsteward.protocol.cluster.StepResult;
import org.pgsteward.protocol.cluster.SupervisorMessage;
import org.pgsteward.protocol.cluster.SupervisorMessage.DecisionKind;
import org.pgsteward.protocol.cluster.SupervisorMessage.GetView;
import org.pgsteward.protocol.cluster.SupervisorMessage.PrimaryAnswer;
import org.pgsteward.protocol.cluster.SupervisorMessage.Refusal;
import org.pgsteward.protocol.cluster.SupervisorMessage.Report;
import org.pgsteward.protocol.cluster.SupervisorMessage.RequestPrimary;
import org.pgsteward.protocol.cluster.SupervisorMessage.SetPaused;
import org.pgsteward.protocol.cluster.SupervisorMessage.Switchover;
import org.pgsteward.protocol.cluster.SupervisorMessage.View;
import org.pgsteward.protocol.cluster.LeaseMessage;
import org.pgsteward.protocol.cluster.NodeReport;
import org.pgsteward.protocol.cluster.PgState;
import org.pgsteward.supervisor.policy.CandidateAssessment;
import org.pgsteward.supervisor.policy.ChosenPrimaryWatch;
import org.pgsteward.supervisor.policy.ClusterSnapshot;
import org.pgsteward.supervisor.policy.Decision;
import org.pgsteward.supervisor.policy.Evidence;
import org.pgsteward.supervisor.policy.FailoverPolicy;
import org.pgsteward.supervisor.policy.NodeView;
import org.pgsteward.supervisor.policy.ObservedReport;
import org.pgsteward.supervisor.policy.PolicyConfig;
import org.pgsteward.supervisor.policy.RegisteredMember;
import org.pgsteward.supervisor.policy.RequestRules;
import org.pgsteward.supervisor.policy.StrayStandbys;
import org.pgsteward.supervisor.promotion.Promotion;
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
public final class Supervisor extends EventSourcedBehavior<Object, SupervisorEvent, SupervisorState> {

    /** The messages only this actor sends itself (timers and adapters); the others are {@link SupervisorMessage}s. */
    private sealed interface Internal {}

    private enum Tick implements Internal { INSTANCE }


    private record Voted(LeaseMessage.VoteReply reply) implements Internal {}

    private record StepDone(StepResult result) implements Internal {}

    private record ResendVote(long epoch, int nodeId) implements Internal {}

    private record RecordAnswer(org.pgsteward.protocol.cluster.RecordReply reply) implements Internal {}


    private final ActorContext<Object> ctx;
    private final TimerScheduler<Object> timers;
    private final SupervisorSettings settings;
    /** When this incarnation started, for the time its journal recovery took. */
    private final long createdNanos = System.nanoTime();
    /** The agents' reports, refs and reachability, as this incarnation hears them. */
    private final Observations seen;
    private final Map<Integer, ObservedReport> reports;
    private final Map<Integer, ActorRef<AgentCommand>> agents;
    private final Map<Integer, ActorRef<LeaseMessage>> leaseRefs;
    /** Agent incarnations told the epoch: every new agent process hears it once, so it may act. */
    private final Set<String> announcedTo = new HashSet<>();
    private final ActorRef<LeaseMessage.VoteReply> voteAdapter;
    private final ActorRef<StepResult> stepAdapter;
    private final ActorRef<org.pgsteward.protocol.cluster.RecordReply> recordAdapter;
    private final ClusterRecordKeeper record = new ClusterRecordKeeper();
    private boolean stateKnown;
    private Optional<Long> failedSinceNanos = Optional.empty();
    /** After a rolled-back switchover: the planned stop is no evidence of a failure, only what follows counts. */
    private Optional<Long> evidenceNotBeforeNanos = Optional.empty();
    /** The attempt to install a primary under way (its phases and transitions: {@link Promotion}). */
    private Optional<Promotion> operation = Optional.empty();
    /** Who hears how it ends: the agent that asked to be primary, or the console of a switchover. */
    private Optional<ActorRef<PrimaryAnswer>> requester = Optional.empty();
    private String lastDecision = "starting: waiting to hear from a majority of agents";
    private DecisionKind lastDecisionKind = DecisionKind.STARTING;
    private String lastRecordedDecision = "";

    public static Behavior<SupervisorMessage> create(SupervisorSettings settings) {
        Behavior<Object> b = Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Supervisor(ctx, timers, settings)));
        return b.narrow();
    }

    private Supervisor(ActorContext<Object> ctx, TimerScheduler<Object> timers, SupervisorSettings settings) {
        super(PersistenceId.ofUniqueId(settings.persistenceId()));
        this.ctx = ctx;
        this.timers = timers;
        this.settings = settings;
        this.seen = new Observations(ctx.getSystem(), settings);
        this.reports = seen.reports();
        this.agents = seen.agents();
        this.leaseRefs = seen.leaseRefs();
        this.voteAdapter = ctx.messageAdapter(LeaseMessage.VoteReply.class, Voted::new);
        this.stepAdapter = ctx.messageAdapter(StepResult.class, StepDone::new);
        this.recordAdapter = ctx.messageAdapter(org.pgsteward.protocol.cluster.RecordReply.class, RecordAnswer::new);
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
            return s.withSyncStandbys(sy.names()); // from journals of older versions: not history
        } else if (event instanceof SupervisorEvent.RecordAdopted ra) {
            s = s.withRecord(ra.record());
        } else if (event instanceof SupervisorEvent.SyncSetRecorded ss) {
            s = s.withSyncStandbys(ss.names());
        }
        return s.withHistory(historyEntry(event).line());
    }

    /** The typed history entry of a journal event (its line is what the state keeps and the agents copy). */
    static org.pgsteward.protocol.cluster.HistoryEntry historyEntry(SupervisorEvent event) {
        String kind;
        boolean ok = true;
        if (event instanceof StepRecorded st) {
            kind = st.kind();
            ok = st.ok();
        } else if (event instanceof MemberSeen) {
            kind = "member";
        } else if (event instanceof EpochLearned || event instanceof EpochReserved) {
            kind = "epoch";
        } else if (event instanceof PrimaryChosen) {
            kind = "primary";
        } else if (event instanceof PausedChanged p) {
            kind = p.paused() ? "pause" : "resume";
        } else if (event instanceof SupervisorEvent.RecordAdopted) {
            kind = "record";
        } else {
            kind = "synchronous";
        }
        return org.pgsteward.protocol.cluster.HistoryEntry.supervisor(event.at(), kind, ok, event.describe());
    }

    @Override
    public CommandHandler<Object, SupervisorEvent, SupervisorState> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(Report.class, this::onReport)
                .onCommand(RequestPrimary.class, this::onRequestPrimary)
                .onCommand(SetPaused.class, this::onSetPaused)
                .onCommand(Switchover.class, this::onSwitchover)
                .onCommand(GetView.class, (state, get) -> {
                    get.replyTo().tell(view(state));
                    return Effect().none();
                })
                .onCommand(Tick.class, (state, t) -> onTick(state))
                .onCommand(Voted.class, this::onVoted)
                .onCommand(ResendVote.class, this::onResendVote)
                .onCommand(StepDone.class, this::onStepDone)
                .onCommand(RecordAnswer.class, this::onRecordAnswer)
                .build();
    }

    // ------------------------------------------------------------------ reports, learning, leases

    private Effect<SupervisorEvent, SupervisorState> onReport(SupervisorState state, Report r) {
        NodeReport rep = r.report();
        long now = System.nanoTime();
        seen.heard(rep, r.agent(), r.lease(), now);
        List<SupervisorEvent> events = new ArrayList<>();
        RegisteredMember known = state.members().get(rep.nodeId());
        // not before the cluster record is adopted (it names the members): a new incarnation on a host whose journal
        // lacks them would otherwise write one event per first report, and the record's answers would wait for those
        // writes (measured: ~0.3 s of a failover after a host loss)
        if (stateKnown && (known == null || known.priority() != rep.priority() || !known.name().equals(rep.nodeName())
                || known.witness() != rep.witness())) {
            events.add(new MemberSeen(Instant.now(), rep.nodeId(), rep.nodeName(), rep.priority(), rep.witness()));
        }
        record.conninfo(rep.nodeId(), rep.conninfo());
        if (!stateKnown) {
            prepareRecordOnceAMajorityReported();
        }
        tellAgainIfNewIncarnation(rep, r.agent());
        Optional<Promotion> manualDone = operation.filter(op -> op.phase() instanceof Promotion.Phase.Promoting
                && op.kind() == Promotion.Kind.REQUESTED && op.candidateId() == rep.nodeId() && rep.pg() == PgState.PRIMARY
                && rep.acceptedEpoch() == op.epoch());
        manualDone.ifPresent(op -> events.add(new StepRecorded(Instant.now(), op.epoch(), "promote", true, "node "
                + rep.nodeId() + " runs as primary in epoch " + op.epoch() + " at " + rep.currentLsn().orElse("?") + ", "
                + (System.nanoTime() - op.startedNanos()) / 1_000_000 + " ms after it asked")));
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
            boolean voting = operation.map(Promotion::voting).orElse(false);
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

    /**
     * Once a majority of the cluster's members reported: ask every agent for the cluster record under a term above
     * every term they promised (retried every second until a majority answered).
     */
    private void prepareRecordOnceAMajorityReported() {
        long now = System.nanoTime();
        if (record.preparing(now)) {
            return;
        }
        int members = seen.clusterSize();
        List<ObservedReport> fresh = seen.freshReports().toList();
        if (fresh.size() * 2 <= members) {
            lastDecisionKind = DecisionKind.LEARNING;
            lastDecision = "learning the cluster state: " + fresh.size() + " of " + members + " agents reported";
            return;
        }
        long promised = fresh.stream().mapToLong(o -> o.report().recordTerm()).max().orElse(0);
        long term = record.startPrepare(promised, now);
        lastDecisionKind = DecisionKind.LEARNING;
        lastDecision = "learning the cluster state: reading the cluster record from a majority of agents (term " + term + ")";
        agents.values().forEach(a -> a.tell(new AgentCommand.RecordPrepare(0, term, recordAdapter)));
    }

    private Effect<SupervisorEvent, SupervisorState> onRecordAnswer(SupervisorState state, RecordAnswer answer) {
        org.pgsteward.protocol.cluster.RecordReply r = answer.reply();
        if (!r.ok() && r.promisedTerm() > record.term() && record.prepared()) {
            ctx.getLog().warn("node {} promised cluster-record term {} (ours {}): another supervisor incarnation took over; "
                    + "not deciding until this one has read the record again", r.nodeId(), r.promisedTerm(), record.term());
            record.lost(r.promisedTerm());
            stateKnown = false;
            return Effect().none();
        }
        if (!r.ok() && !r.why().isBlank()) {
            ctx.getLog().warn("node {} did not store the cluster record: {}", r.nodeId(), r.why());
        }
        if (stateKnown) {
            record.storeAnswered(r, seen.majority()).forEach(Runnable::run);
            return Effect().none();
        }
        Optional<Optional<org.pgsteward.protocol.cluster.StoredRecord>> read = record.prepareAnswered(r, seen.majority());
        if (read.isEmpty()) {
            return Effect().none();
        }
        List<SupervisorEvent> events = new ArrayList<>();
        SupervisorState next = state;
        if (read.get().isPresent()) {
            var stored = read.get().get();
            if (!sameFacts(stored.record(), desiredRecord(state))) {
                var adopted = new SupervisorEvent.RecordAdopted(Instant.now(), stored.term(), stored.seq(), stored.record(),
                        "the newest of " + seen.majority() + " or more agents' copies");
                events.add(adopted);
                next = apply(state, adopted);
            }
        }
        learnFromMajority(next).ifPresent(events::add);
        stateKnown = true;
        ctx.getLog().info("cluster record read from a majority under term {}: {}", record.term(),
                read.get().map(st -> "version " + st.term() + "." + st.seq() + ", epoch " + st.record().epoch()
                        + ", primary " + st.record().primaryId() + (st.record().paused() ? ", paused" : ""))
                        .orElse("no agent holds one yet"));
        return Effect().persist(events).thenRun(s -> {
            // every agent that reported hears the epoch now: it may act on it (a restarted agent starts nothing before)
            s.primaryId().ifPresent(p -> reports.forEach((id, o) -> Optional.ofNullable(agents.get(id)).ifPresent(a -> {
                announcedTo.add(o.report().incarnation());
                a.tell(new AgentCommand.EpochAnnounce(s.epoch(), p, primaryConninfo(s)));
            })));
            writeRecord(s);
            ctx.getSelf().tell(Tick.INSTANCE); // decide now, not at the next tick: a failover may be waiting
        });
    }

    /** Equal but for the operation text, which is for people (and changes with every phase). */
    private static boolean sameFacts(org.pgsteward.protocol.cluster.ClusterRecord a,
                                     org.pgsteward.protocol.cluster.ClusterRecord b) {
        return a.epoch() == b.epoch() && a.primaryId() == b.primaryId() && a.paused() == b.paused()
                && a.syncStandbys().equals(b.syncStandbys()) && a.members().stream().map(m -> m.id() + m.name() + m.priority())
                .toList().equals(b.members().stream().map(m -> m.id() + m.name() + m.priority()).toList());
    }

    /** The cluster record as this incarnation's state has it. */
    private org.pgsteward.protocol.cluster.ClusterRecord desiredRecord(SupervisorState s) {
        List<org.pgsteward.protocol.cluster.ClusterRecord.Member> members = s.members().values().stream()
                .map(m -> new org.pgsteward.protocol.cluster.ClusterRecord.Member(m.id(), m.name(), m.priority(), m.witness(),
                        record.conninfo(m.id()).orElse(""))).toList();
        return new org.pgsteward.protocol.cluster.ClusterRecord(s.epoch(), s.primaryId().orElse(0), s.paused(), members,
                s.syncStandbys(), operation.map(Promotion::describe));
    }

    /** The chosen primary of the current epoch while it has not been seen running as primary (issue 7.6). */
    private Optional<ChosenPrimaryWatch.Watch> watch = Optional.empty();

    private ChosenPrimaryWatch.Limits watchLimits() {
        return new ChosenPrimaryWatch.Limits(settings.promoteRetries(), settings.promoteRetryAfter(),
                settings.policy().failoverTimeout());
    }

    /**
     * Safety-2026-12 F9 and issue 7.6: the primary of the epoch was chosen by a majority but runs as a standby (its
     * promote failed or timed out, its agent was busy, or the Promote was lost when the supervisor moved). It is told to
     * promote again, a few times; a promotion that succeeds re-points the other standbys at it. After the last attempt
     * (or once it answers that it cannot promote, or its agent stays unreachable) it is fenced and another candidate is
     * chosen in a new epoch, through the vote; it is never told to promote again in its epoch, and rejoins as a standby.
     * Empty when {@link FailoverPolicy} decides this tick.
     */
    private Optional<Effect<SupervisorEvent, SupervisorState>> watchChosenPrimary(SupervisorState state) {
        if (settings.policy().mode() != PolicyConfig.Mode.AUTOMATIC || state.primaryId().isEmpty()
                || seen.withoutMajority().isPresent()) {
            return Optional.empty();
        }
        int primary = state.primaryId().get();
        long now = System.nanoTime();
        ChosenPrimaryWatch.Seen seen = seenOfChosenPrimary(state, primary, now);
        watch = watch.filter(w -> w.epoch() == state.epoch() && w.primaryId() == primary);
        if (watch.isEmpty()) {
            if (seen != ChosenPrimaryWatch.Seen.STANDBY) {
                return Optional.empty();
            }
            watch = Optional.of(ChosenPrimaryWatch.Watch.found(state.epoch(), primary, now));
        }
        String name = Optional.ofNullable(state.members().get(primary)).map(RegisteredMember::name).orElse("node" + primary);
        ChosenPrimaryWatch.Next next = ChosenPrimaryWatch.next(watch.get(), seen, name, now, watchLimits());
        if (next instanceof ChosenPrimaryWatch.Next.Done) {
            watch = Optional.empty();
            return Optional.empty();
        }
        if (next instanceof ChosenPrimaryWatch.Next.Wait w) {
            watch = Optional.of(w.watch());
            return Optional.empty();
        }
        if (next instanceof ChosenPrimaryWatch.Next.Retry r) {
            watch = Optional.of(r.watch());
            ctx.getLog().warn(r.why());
            lastDecision = "promote: " + r.why(); // cluster show says what the supervisor does now
            lastDecisionKind = DecisionKind.PROMOTE;
            var op = Promotion.retry(state.epoch(), primary, r.why(), incarnationOf(primary), System.nanoTime());
            begin(op, Optional.empty());
            agents.get(primary).tell(new AgentCommand.Promote(state.epoch(), op.id(), stepAdapter));
            return Optional.of(Effect().persist(new StepRecorded(Instant.now(), state.epoch(), "promote", false, r.why())));
        }
        var replace = (ChosenPrimaryWatch.Next.Replace) next;
        watch = Optional.of(replace.watch());
        return Optional.of(replaceChosenPrimary(state, primary, replace.why(), now));
    }

    private ChosenPrimaryWatch.Seen seenOfChosenPrimary(SupervisorState state, int primary, long now) {
        ObservedReport o = reports.get(primary);
        ActorRef<AgentCommand> agent = agents.get(primary);
        if (o == null || agent == null || now - o.receivedAtNanos() > settings.policy().reportStaleAfter().toNanos()
                || !seen.agentReachable(agent.path().address())) {
            return ChosenPrimaryWatch.Seen.UNREACHABLE;
        }
        if (o.report().acceptedEpoch() != state.epoch()) {
            return ChosenPrimaryWatch.Seen.OTHER;
        }
        return switch (o.report().pg()) {
            case PRIMARY -> ChosenPrimaryWatch.Seen.RUNS_AS_PRIMARY;
            case STANDBY -> ChosenPrimaryWatch.Seen.STANDBY;
            default -> ChosenPrimaryWatch.Seen.OTHER;
        };
    }

    /**
     * Chooses another candidate in a new epoch for a chosen primary given up on. It is fenced first: a live agent of the
     * epoch's primary keeps asking for promises, which would hold every vote for its successor (and the fence ends any
     * late promotion of it). No candidate: said once in the history, tried again next tick.
     */
    private Effect<SupervisorEvent, SupervisorState> replaceChosenPrimary(SupervisorState state, int failed, String why,
                                                                          long now) {
        // the failed one again only a retry interval after its last promote attempt (one that cannot promote at
        // all is not chosen in a new epoch on every tick)
        boolean mayChooseItAgain = watch.map(w -> now - w.lastAttemptNanos() >= settings.promoteRetryAfter().toNanos())
                .orElse(true);
        Decision d = ChosenPrimaryWatch.replacement(settings.policy(), snapshot(state), failed, why, now, mayChooseItAgain);
        String text = kind(d) + ": " + d.reason();
        if (!withoutNumbers(text).equals(withoutNumbers(lastDecision))) {
            ctx.getLog().warn("decision: {}", text);
        }
        lastDecision = text;
        lastDecisionKind = kindOf(d);
        if (!(d instanceof Decision.Promote p)) {
            if (withoutNumbers(text).equals(withoutNumbers(lastRecordedDecision))) {
                return Effect().none();
            }
            lastRecordedDecision = text;
            return Effect().persist(new StepRecorded(Instant.now(), state.epoch(), "decision", false, text));
        }
        lastRecordedDecision = "";
        if (p.candidateId() != failed) {
            Optional.ofNullable(agents.get(failed)).ifPresent(a -> a.tell(new AgentCommand.Fence(state.epoch(), why
                    + ": another candidate is chosen in a new epoch")));
        }
        String reason = p.reason() + "; candidates: " + candidatesText(p.assessments()) + "; winner node " + p.candidateId();
        ctx.getLog().warn("REPLACING the chosen primary: {}", reason);
        long epoch = nextEpoch(state);
        var op = Promotion.failover(epoch, p.candidateId(), Optional.empty(), reason, Optional.empty(), Optional.of(failed),
                System.nanoTime());
        begin(op, Optional.empty());
        return Effect().persist(List.of(new StepRecorded(Instant.now(), state.epoch(), "promote", false, why
                        + ": choosing another candidate"), new EpochReserved(Instant.now(), epoch, p.candidateId(), reason)))
                .thenRun(s -> requestVotes(op));
    }

    /** The last history line every known agent was sent (empty: none yet in this incarnation). */
    private Optional<String> historyShared = Optional.empty();
    private final Set<String> historySharedWith = new HashSet<>();

    /**
     * Sends every agent the history lines it has not been sent by this incarnation: each agent keeps a copy, so the
     * history survives the loss of this host (issue 7.3); a new agent incarnation gets all of it.
     */
    private void shareHistory(SupervisorState s) {
        List<String> h = s.history();
        if (h.isEmpty()) {
            return;
        }
        int from = historyShared.map(h::lastIndexOf).orElse(-1) + 1;
        List<String> fresh = h.subList(from, h.size());
        for (var e : agents.entrySet()) {
            ObservedReport o = reports.get(e.getKey());
            if (o == null) {
                continue;
            }
            boolean known = historySharedWith.contains(o.report().incarnation());
            List<String> send = known ? fresh : h;
            if (!send.isEmpty()) {
                e.getValue().tell(new AgentCommand.History(s.epoch(), List.copyOf(send)));
            }
            historySharedWith.add(o.report().incarnation());
        }
        historyShared = Optional.of(h.get(h.size() - 1));
    }

    /** Sends the record to every agent when it changed (or again while a majority has not stored it). */
    private void writeRecord(SupervisorState s) {
        record.toSend(desiredRecord(s), System.nanoTime(), seen.majority()).ifPresent(st ->
                agents.values().forEach(a -> a.tell(new AgentCommand.RecordStore(s.epoch(), st, recordAdapter))));
    }

    /** Once the record has been read: adopt the highest epoch a majority of agents accepted. */
    private Optional<SupervisorEvent> learnFromMajority(SupervisorState state) {
        int members = seen.clusterSize();
        List<NodeReport> fresh = seen.freshReports().map(ObservedReport::report).toList();
        long agentsEpoch = fresh.stream().mapToLong(NodeReport::acceptedEpoch).max().orElse(0);
        ctx.getLog().info("state known from {} of {} agents: journal epoch {}, highest accepted epoch {}", fresh.size(),
                members, state.epoch(), agentsEpoch);
        return Evidence.fromMajority(state.epoch(), state.primaryId().isPresent(), fresh).map(l -> new EpochLearned(
                Instant.now(), l.epoch(), l.primaryId(), "highest epoch accepted by " + fresh.size() + " of " + members
                + " agents"));
    }

    /**
     * The epoch for the next attempt: above this journal's chosen and reserved epochs and above every epoch an agent
     * has accepted or voted in (another incarnation, on another host, may have run an election this journal never
     * saw: its voters refuse a second candidate in that epoch).
     */
    private long nextEpoch(SupervisorState state) {
        long seen = reports.values().stream().mapToLong(o -> o.report().highestSeenEpoch()).max().orElse(0);
        return Math.max(state.nextEpoch(), seen + 1);
    }

    /** What a request is judged on (see {@link RequestRules}). */
    private RequestRules.Situation situation(SupervisorState state) {
        return new RequestRules.Situation(stateKnown, lastDecision, operation.map(Promotion::describe), seen.withoutMajority(),
                state.epoch(), state.primaryId());
    }

    /** The primary's conninfo: from its reports, else from the cluster record (a new incarnation may never hear it). */
    private String primaryConninfo(SupervisorState s) {
        return s.primaryId().flatMap(record::conninfo).orElse("");
    }

    // ------------------------------------------------------------------ decisions

    private Effect<SupervisorEvent, SupervisorState> onTick(SupervisorState state) {
        if (!stateKnown) {
            prepareRecordOnceAMajorityReported();
            return Effect().none();
        }
        writeRecord(state);
        shareHistory(state);
        if (operation.isPresent()) {
            awaySince = Map.of(); // the promotion tells its standbys to follow
            return checkOperationTimeout(state, operation.get());
        }
        Optional<Effect<SupervisorEvent, SupervisorState>> watched = watchChosenPrimary(state);
        if (watched.isPresent()) {
            return watched.get();
        }
        Optional<String> noMajority = seen.withoutMajority();
        if (noMajority.isPresent()) {
            if (!withoutNumbers(noMajority.get()).equals(withoutNumbers(lastDecision))) {
                ctx.getLog().warn("decision: {}", noMajority.get());
            }
            lastDecision = noMajority.get();
            lastDecisionKind = DecisionKind.NO_MAJORITY;
            failedSinceNanos = Optional.empty(); // evidence must hold for a whole timeout once a majority is heard again
            return Effect().none();
        }
        Decision d = FailoverPolicy.decide(settings.policy(), snapshot(state), System.nanoTime());
        failedSinceNanos = d.primaryLooksFailedSinceNanos();
        String text = kind(d) + ": " + d.reason();
        if (!withoutNumbers(text).equals(withoutNumbers(lastDecision))) {
            ctx.getLog().info("decision: {}", text);
        }
        lastDecision = text;
        lastDecisionKind = kindOf(d);
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
            Optional<Effect<SupervisorEvent, SupervisorState>> follow = followStrayStandbys(state);
            return follow.orElseGet(() -> keepSynchronousStandbys(state));
        }
        awaySince = Map.of();
        return Effect().none();
    }

    /** Since when each standby has been seen away from the primary (see {@link StrayStandbys}). */
    private Map<Integer, Long> awaySince = Map.of();

    /**
     * A healthy cluster keeps every standby on its primary: one away from it for four failover timeouts (a follow lost
     * with the supervisor that sent it, a promotion whose step failed although the server came up as primary) is told
     * to follow it, and the history says why.
     */
    private Optional<Effect<SupervisorEvent, SupervisorState>> followStrayStandbys(SupervisorState state) {
        StrayStandbys.Result r = StrayStandbys.check(settings.policy(), snapshot(state), awaySince, System.nanoTime(),
                settings.policy().failoverTimeout().multipliedBy(4));
        awaySince = r.awaySince();
        if (r.follow().isEmpty()) {
            return Optional.empty();
        }
        String conninfo = primaryConninfo(state);
        int primary = state.primaryId().orElseThrow();
        List<SupervisorEvent> events = new ArrayList<>();
        for (StrayStandbys.Stray stray : r.follow()) {
            ActorRef<AgentCommand> agent = agents.get(stray.nodeId());
            if (agent == null) {
                continue;
            }
            ctx.getLog().warn(stray.why());
            agent.tell(new AgentCommand.Follow(state.epoch(), "follow-" + java.util.UUID.randomUUID(), primary, conninfo,
                    stepAdapter));
            events.add(new StepRecorded(Instant.now(), state.epoch(), "follow", true, stray.why()));
        }
        return events.isEmpty() ? Optional.empty() : Optional.of(Effect().persist(events));
    }

    private long lastSyncSetNanos = Long.MIN_VALUE / 2;
    /** The names last asked of the primary and answered (empty: not yet in this incarnation). */
    private Optional<List<String>> syncNamesSet = Optional.empty();
    private Optional<List<String>> syncNamesPending = Optional.empty();
    /** The op id of the SetSynchronousStandbys last sent. */
    private Optional<String> syncOpId = Optional.empty();

    /**
     * Synchronous mode: the primary names the other database nodes in synchronous_standby_names (FIRST 1), so a
     * commit is acknowledged only once one of them has it, and any of them may hold the newest acknowledged commit.
     * The recorded synchronous set covers every name the primary may admit: a name enters the cluster record (in
     * effect on a majority) before the primary is told to name it, and leaves only after the primary has stopped
     * naming it. Re-sent every 5 s while the primary reports no synchronous standby.
     */
    private Effect<SupervisorEvent, SupervisorState> keepSynchronousStandbys(SupervisorState state) {
        if (!settings.policy().synchronous() || state.primaryId().isEmpty()) {
            return Effect().none();
        }
        int primary = state.primaryId().get();
        List<String> desired = state.members().values().stream().filter(m -> !m.witness() && m.id() != primary)
                .map(RegisteredMember::name).sorted().toList();
        if (desired.isEmpty()) {
            return Effect().none();
        }
        List<String> recorded = state.syncStandbys();
        if (!recorded.containsAll(desired)) {
            java.util.TreeSet<String> union = new java.util.TreeSet<>(recorded);
            union.addAll(desired);
            List<String> added = desired.stream().filter(n -> !recorded.contains(n)).toList();
            return Effect().persist(new SupervisorEvent.SyncSetRecorded(Instant.now(), state.epoch(), List.copyOf(union),
                    "recorded before the primary names " + String.join(", ", added))).thenRun(this::writeRecord);
        }
        boolean inEffect = record.written().filter(w -> w.record().syncStandbys().containsAll(desired)
                && record.effectiveSeq(seen.majority()) >= w.seq()).isPresent();
        ObservedReport p = reports.get(primary);
        ActorRef<AgentCommand> agent = agents.get(primary);
        long now = System.nanoTime();
        boolean needed = !syncNamesSet.equals(Optional.of(desired)) || p != null && p.report().syncStandbys().isEmpty();
        if (!inEffect || p == null || agent == null || !needed || now - lastSyncSetNanos < Duration.ofSeconds(5).toNanos()) {
            return Effect().none();
        }
        lastSyncSetNanos = now;
        syncNamesPending = Optional.of(desired);
        ctx.getLog().info("synchronous mode: setting synchronous_standby_names on node {} to FIRST 1 {} (recorded set {})",
                primary, desired, recorded);
        String opId = "sync-" + now;
        syncOpId = Optional.of(opId);
        agent.tell(new AgentCommand.SetSynchronousStandbys(state.epoch(), opId, desired, stepAdapter));
        return Effect().none();
    }

    /** The primary names exactly these now: names it no longer names leave the recorded set. */
    private Effect<SupervisorEvent, SupervisorState> onSyncNamesSet(SupervisorState state, StepResult r) {
        if (!r.done() || syncNamesPending.isEmpty()) {
            if (!r.done()) {
                ctx.getLog().warn("synchronous mode: node {} could not set synchronous_standby_names: {}", r.nodeId(),
                        r.message());
            }
            return Effect().none();
        }
        List<String> names = syncNamesPending.get();
        syncNamesSet = syncNamesPending;
        syncNamesPending = Optional.empty();
        if (names.containsAll(state.syncStandbys())) {
            return Effect().none();
        }
        List<String> removed = state.syncStandbys().stream().filter(n -> !names.contains(n)).toList();
        return Effect().persist(new SupervisorEvent.SyncSetRecorded(Instant.now(), state.epoch(), names,
                "the primary no longer names " + String.join(", ", removed))).thenRun(this::writeRecord);
    }

    private static String withoutNumbers(String s) {
        return s.replaceAll("[0-9]+(\\.[0-9]+)?", "#");
    }

    static DecisionKind kindOf(Decision d) {
        if (d instanceof Decision.Healthy) {
            return DecisionKind.HEALTHY;
        } else if (d instanceof Decision.NotReady) {
            return DecisionKind.NOT_READY;
        } else if (d instanceof Decision.WaitForEvidence) {
            return DecisionKind.WAIT_FOR_EVIDENCE;
        } else if (d instanceof Decision.WaitForLease) {
            return DecisionKind.WAIT_FOR_LEASE;
        } else if (d instanceof Decision.Paused) {
            return DecisionKind.PAUSED;
        } else if (d instanceof Decision.ReportOnly) {
            return DecisionKind.REPORT_ONLY;
        } else if (d instanceof Decision.NoCandidate) {
            return DecisionKind.NO_CANDIDATE;
        }
        return DecisionKind.PROMOTE;
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
            boolean reachable = Optional.ofNullable(agents.get(id)).map(a -> seen.agentReachable(a.path().address()))
                    .orElse(false);
            views.add(new NodeView(m, Optional.ofNullable(o), reachable));
        }
        // The lease is the agents' (majority promises); the votes wait for it to expire on each voter's clock plus a
        // margin, so the policy itself need not wait for a supervisor grant: no grant, and no incarnation bound.
        long now = System.nanoTime();
        long longAgo = now - Duration.ofDays(1).toNanos();
        failedSinceNanos = Evidence.failedSince(failedSinceNanos, List.copyOf(reports.values()), evidenceNotBeforeNanos,
                now);
        return new ClusterSnapshot(state.epoch(), state.primaryId(), state.paused(), views, Optional.empty(),
                longAgo, failedSinceNanos, stateKnown, state.syncStandbys());
    }

    private Effect<SupervisorEvent, SupervisorState> startFailover(SupervisorState state, Decision.Promote p) {
        String candidates = candidatesText(p.assessments());
        String reason = p.reason() + "; candidates: " + candidates + "; winner node " + p.candidateId();
        ctx.getLog().warn("FAILOVER: {}", reason);
        long epoch = nextEpoch(state);
        var op = Promotion.failover(epoch, p.candidateId(), state.primaryId(), reason, failedSinceNanos, Optional.empty(),
                System.nanoTime());
        begin(op, Optional.empty());
        return Effect().persist(new EpochReserved(Instant.now(), epoch, p.candidateId(), reason))
                .thenRun(s -> requestVotes(op));
    }

    static String candidatesText(List<CandidateAssessment> list) {
        return list.stream().map(a -> a.name() + "(" + a.receivedLsn().map(Object::toString).orElse("?") + ", priority "
                + a.priority() + ", " + (a.eligible() ? "eligible" : a.why()) + ")").collect(Collectors.joining(", "));
    }

    private void begin(Promotion op, Optional<ActorRef<PrimaryAnswer>> answerTo) {
        operation = Optional.of(op);
        requester = answerTo;
    }

    private void requestVotes(Promotion op) {
        for (var e : leaseRefs.entrySet()) {
            e.getValue().tell(new LeaseMessage.VoteRequest(op.epoch(), op.candidateId(), voteAdapter));
        }
    }

    private Effect<SupervisorEvent, SupervisorState> onResendVote(SupervisorState state, ResendVote r) {
        operation.filter(op -> op.epoch() == r.epoch() && op.voting()).ifPresent(op ->
                Optional.ofNullable(leaseRefs.get(r.nodeId())).ifPresent(ref ->
                        ref.tell(new LeaseMessage.VoteRequest(op.epoch(), op.candidateId(), voteAdapter))));
        return Effect().none();
    }

    private Effect<SupervisorEvent, SupervisorState> onVoted(SupervisorState state, Voted v) {
        LeaseMessage.VoteReply reply = v.reply();
        Optional<Promotion> current = operation.filter(op -> op.epoch() == reply.newEpoch() && op.voting());
        if (current.isEmpty()) {
            return Effect().none();
        }
        Promotion op = current.get();
        if (!reply.granted()) {
            if (reply.retryInMillis() > 0) {
                timers.startSingleTimer("vote-" + reply.fromNodeId(), new ResendVote(op.epoch(), reply.fromNodeId()),
                        Duration.ofMillis(reply.retryInMillis()));
            } else {
                ctx.getLog().info("node {} refused to vote for epoch {}: {}", reply.fromNodeId(), op.epoch(), reply.reason());
            }
            return Effect().none();
        }
        Promotion.Next next = op.onVote(reply.fromNodeId(), seen.majority(), incarnationOf(op.candidateId()),
                System.nanoTime());
        operation = next.promotion();
        if (!(next instanceof Promotion.Next.Chosen chosen)) {
            return Effect().none();
        }
        Promotion p = chosen.p();
        return Effect().persist(new PrimaryChosen(Instant.now(), p.epoch(), p.candidateId(), chosen.why())).thenRun(s -> {
            ctx.getLog().info("epoch {}: node {} chosen as primary by a majority of {} after {} ms", p.epoch(),
                    p.candidateId(), seen.clusterSize(), chosen.votedMillis());
            announce(s);
            if (p.kind() != Promotion.Kind.SWITCHOVER) {
                // the old primary must not write in the new epoch: say so directly as well as by the announcement
                p.oldPrimaryId().filter(old -> old != p.candidateId()).flatMap(old -> Optional.ofNullable(agents.get(old)))
                        .ifPresent(a -> a.tell(new AgentCommand.Fence(p.epoch(), "node " + p.candidateId()
                                + " is primary in epoch " + p.epoch())));
            }
            if (p.kind() == Promotion.Kind.REQUESTED) {
                // the agent that asked promotes itself (or already is primary) and answers its console
                requester.ifPresent(to -> to.tell(new PrimaryAnswer.Granted(p.epoch(), chosen.why())));
            } else {
                Optional.ofNullable(agents.get(p.candidateId())).ifPresent(a -> a.tell(new AgentCommand.Promote(p.epoch(),
                        p.id(), stepAdapter)));
                watch = Optional.of(ChosenPrimaryWatch.Watch.promoted(p.epoch(), p.candidateId(), System.nanoTime()));
            }
        });
    }

    private void announce(SupervisorState s) {
        String conninfo = primaryConninfo(s);
        s.primaryId().ifPresent(p -> agents.values().forEach(a -> a.tell(new AgentCommand.EpochAnnounce(s.epoch(), p, conninfo))));
    }

    private Effect<SupervisorEvent, SupervisorState> onStepDone(SupervisorState state, StepDone done) {
        StepResult r = done.result();
        if (syncOpId.equals(Optional.of(r.opId()))) {
            return onSyncNamesSet(state, r);
        }
        Optional<Promotion> current = operation.filter(op -> op.waitsFor(r.opId()));
        if (current.isEmpty()) {
            return Effect().none();
        }
        Promotion.Next next = current.get().onStep(r, System.nanoTime());
        operation = next.promotion();
        return carryOut(state, current.get(), next);
    }

    /** Does what a transition of the promotion under way names ({@code before}: the promotion it started from). */
    private Effect<SupervisorEvent, SupervisorState> carryOut(SupervisorState state, Promotion before, Promotion.Next next) {
        if (next instanceof Promotion.Next.AwaitFinalLsn a) {
            Optional.ofNullable(agents.get(a.p().candidateId())).ifPresent(ag -> ag.tell(new AgentCommand.AwaitLsn(
                    state.epoch(), a.p().id(), a.finalLsn(), Duration.ofSeconds(10), stepAdapter)));
            return Effect().none();
        }
        if (next instanceof Promotion.Next.ReserveEpoch e) {
            Promotion p = e.p();
            return Effect().persist(new EpochReserved(Instant.now(), p.epoch(), p.candidateId(), p.reason()))
                    .thenRun(s -> requestVotes(p));
        }
        if (next instanceof Promotion.Next.RollBack b) {
            // before the vote nothing is decided: the old primary starts again and the switchover reports the failed
            // step; the promotion stays open until its agent restarted it (or the step times out), so no failover is
            // decided from the planned stop's evidence meanwhile
            Promotion p = b.p();
            ctx.getLog().warn("{}; rolling back: starting node {} again as primary", b.detail(),
                    p.oldPrimaryId().map(Object::toString).orElse("?"));
            Optional<ActorRef<AgentCommand>> agent = p.oldPrimaryId().flatMap(id -> Optional.ofNullable(agents.get(id)));
            if (agent.isEmpty()) {
                Promotion.Next unreachable = p.rollBackUnreachable();
                operation = unreachable.promotion();
                return carryOut(state, p, unreachable);
            }
            agent.get().tell(new AgentCommand.Resume(state.epoch(), p.resumeId(), stepAdapter));
            return Effect().none();
        }
        if (next instanceof Promotion.Next.RolledBack rb) {
            // evidence of a failed primary counts again only from now on
            failedSinceNanos = Optional.empty();
            evidenceNotBeforeNanos = Optional.of(System.nanoTime());
            ctx.getLog().warn(rb.detail());
            answer(before, new PrimaryAnswer.Refused(state.epoch(), Refusal.FAILED, rb.detail()));
            return Effect().persist(new StepRecorded(Instant.now(), state.epoch(), "switchover", false, rb.detail()));
        }
        if (next instanceof Promotion.Next.PromoteFailed f) {
            if (f.refused()) {
                // it cannot take the step at all: no point telling it again (issue 7.6)
                watch = watch.filter(w -> w.epoch() == before.epoch() && w.primaryId() == f.nodeId())
                        .or(() -> Optional.of(ChosenPrimaryWatch.Watch.promoted(before.epoch(), f.nodeId(), System.nanoTime())))
                        .map(w -> w.cannotPromote(f.message()));
            }
            answer(before, new PrimaryAnswer.Refused(before.epoch(), Refusal.FAILED, "switchover: promoting node "
                    + f.nodeId() + " failed after the vote (automatic failover takes over): " + f.message()));
            return Effect().persist(new StepRecorded(Instant.now(), before.epoch(), "promote", false, f.detail()));
        }
        if (next instanceof Promotion.Next.Promoted pr) {
            Promotion p = pr.p();
            long now = System.nanoTime();
            ctx.getLog().info("epoch {}: {}", p.epoch(), pr.detail());
            boolean switchover = p.kind() == Promotion.Kind.SWITCHOVER;
            ctx.getSystem().eventStream().tell(new org.apache.pekko.actor.typed.eventstream.EventStream.Publish<>(
                    new OperationTiming(switchover, Duration.ofNanos(now - (switchover ? p.startedNanos()
                            : p.failedSinceNanos().orElse(p.startedNanos()))))));
            // promoted: from now on only the evidence rule (FailoverPolicy) may replace it, never the watch of a chosen
            // primary that "never ran as primary" (its agent may die before a report says primary)
            watch = Optional.of(watch.filter(w -> w.epoch() == p.epoch() && w.primaryId() == pr.nodeId())
                    .orElse(ChosenPrimaryWatch.Watch.promoted(p.epoch(), pr.nodeId(), now)).promoteSucceeded());
            startFollowing(state, p);
            return Effect().persist(new StepRecorded(Instant.now(), p.epoch(), "promote", true, pr.detail()));
        }
        if (next instanceof Promotion.Next.Followed f) {
            if (f.done()) {
                followingDone(f.p());
            }
            return Effect().persist(new StepRecorded(Instant.now(), f.p().epoch(), "follow", f.ok(), f.detail()));
        }
        if (next instanceof Promotion.Next.TimedOut t) {
            ctx.getLog().warn(t.detail());
            answer(before, new PrimaryAnswer.Refused(state.epoch(), Refusal.FAILED, (before.kind() == Promotion.Kind.SWITCHOVER
                    ? "switchover: " : "") + t.detail()));
            if (before.kind() == Promotion.Kind.REQUESTED) {
                requester.ifPresent(to -> to.tell(new PrimaryAnswer.Refused(state.epoch(), Refusal.FAILED, t.detail())));
            }
            return Effect().persist(new StepRecorded(Instant.now(), before.epoch(), t.phase(), false, t.detail()));
        }
        return Effect().none();
    }

    /** The console of a switchover hears how it ended (the agent that asked for a promotion heard at its vote). */
    private void answer(Promotion p, PrimaryAnswer a) {
        if (p.kind() == Promotion.Kind.SWITCHOVER) {
            requester.ifPresent(to -> to.tell(a));
        }
    }

    private void followingDone(Promotion p) {
        answer(p, new PrimaryAnswer.Granted(p.epoch(), "switchover to node " + p.candidateId() + " done: " + p.stepsText()));
    }

    private void startFollowing(SupervisorState state, Promotion op) {
        String conninfo = Optional.ofNullable(reports.get(op.candidateId())).map(o -> o.report().conninfo()).orElse("");
        Map<Integer, Promotion.Follower> awaiting = new HashMap<>();
        for (var e : agents.entrySet()) {
            int id = e.getKey();
            ObservedReport o = reports.get(id);
            boolean isStandby = o != null && !o.report().witness() && id != op.candidateId()
                    && o.report().pg() == PgState.STANDBY
                    && op.oldPrimaryId().map(old -> old != id).orElse(true)
                    && op.replacedPrimaryId().map(r -> r != id).orElse(true);
            if (isStandby && settings.policy().mode() == PolicyConfig.Mode.AUTOMATIC) {
                awaiting.put(id, new Promotion.Follower(o.report().incarnation(), false));
                e.getValue().tell(new AgentCommand.Follow(op.epoch(), op.id(), op.candidateId(), conninfo, stepAdapter));
            }
        }
        if (op.kind() == Promotion.Kind.SWITCHOVER && op.oldPrimaryId().isPresent()) {
            ActorRef<AgentCommand> old = agents.get(op.oldPrimaryId().get());
            if (old != null) {
                awaiting.put(op.oldPrimaryId().get(), new Promotion.Follower(incarnationOf(op.oldPrimaryId().get()), true));
                old.tell(new AgentCommand.Rejoin(op.epoch(), op.id(), op.candidateId(), conninfo, stepAdapter));
            }
        }
        // the chosen primary given up on was fenced: it rejoins as a standby of the new primary (when its agent is heard;
        // an unreachable one rejoins by itself when it comes back, as a returning old primary does)
        op.replacedPrimaryId().filter(id -> Optional.ofNullable(reports.get(id)).filter(o -> System.nanoTime()
                        - o.receivedAtNanos() <= settings.policy().reportStaleAfter().toNanos()).isPresent())
                .ifPresent(id -> Optional.ofNullable(agents.get(id)).ifPresent(a -> {
                    awaiting.put(id, new Promotion.Follower(incarnationOf(id), true));
                    a.tell(new AgentCommand.Rejoin(op.epoch(), op.id(), op.candidateId(), conninfo, stepAdapter));
                }));
        Promotion.Next next = op.following(awaiting, System.nanoTime());
        operation = next.promotion();
        if (next instanceof Promotion.Next.Followed f && f.done()) {
            followingDone(f.p());
        }
    }

    private String incarnationOf(int nodeId) {
        return Optional.ofNullable(reports.get(nodeId)).map(o -> o.report().incarnation()).orElse("");
    }

    /** A node the promotion waits for reports as a new agent incarnation: the one told is gone, this one is told. */
    private void tellAgainIfNewIncarnation(NodeReport rep, ActorRef<AgentCommand> agent) {
        operation.flatMap(op -> op.newIncarnation(rep.nodeId(), rep.incarnation())).ifPresent(op -> {
            operation = Optional.of(op);
            if (op.phase() instanceof Promotion.Phase.Promoting) {
                ctx.getLog().info("node {} answers as a new agent incarnation: telling it again to promote in epoch {}",
                        rep.nodeId(), op.epoch());
                agent.tell(new AgentCommand.Promote(op.epoch(), op.id(), stepAdapter));
                return;
            }
            boolean rejoin = op.awaited(rep.nodeId()).map(Promotion.Follower::rejoin).orElse(false);
            String conninfo = Optional.ofNullable(reports.get(op.candidateId())).map(o -> o.report().conninfo())
                    .orElse("");
            ctx.getLog().info("node {} answers as a new agent incarnation: telling it again to {} node {}", rep.nodeId(),
                    rejoin ? "rejoin" : "follow", op.candidateId());
            agent.tell(rejoin ? new AgentCommand.Rejoin(op.epoch(), op.id(), op.candidateId(), conninfo, stepAdapter)
                    : new AgentCommand.Follow(op.epoch(), op.id(), op.candidateId(), conninfo, stepAdapter));
        });
    }

    private Effect<SupervisorEvent, SupervisorState> checkOperationTimeout(SupervisorState state, Promotion op) {
        Promotion.Next next = op.onTimeout(System.nanoTime(),
                settings.voteTimeout().plus(settings.policy().leaseDuration()).plus(settings.policy().leaseMargin()),
                settings.stepTimeout(), seen.majority());
        if (next instanceof Promotion.Next.Stay) {
            return Effect().none();
        }
        operation = next.promotion();
        return carryOut(state, op, next);
    }

    // ------------------------------------------------------------------ console requests

    private Effect<SupervisorEvent, SupervisorState> onRequestPrimary(SupervisorState state, RequestPrimary req) {
        Optional<Integer> old = state.primaryId();
        Optional<PrimaryAnswer> now = RequestRules.requestPrimary(situation(state), req.nodeId(), req.force(),
                old.flatMap(seen::freshReport));
        if (now.isPresent()) {
            req.replyTo().tell(now.get());
            return Effect().none();
        }
        long epoch = nextEpoch(state);
        String reason = req.why();
        var op = Promotion.requested(epoch, req.nodeId(), old, reason, System.nanoTime());
        begin(op, Optional.of(req.replyTo()));
        ctx.getLog().info("node {} asks to become primary ({}): reserving epoch {}", req.nodeId(), reason, epoch);
        return Effect().persist(new EpochReserved(Instant.now(), epoch, req.nodeId(), reason)).thenRun(s -> requestVotes(op));
    }

    private Effect<SupervisorEvent, SupervisorState> onSwitchover(SupervisorState state, Switchover sw) {
        Optional<PrimaryAnswer.Refused> refusal = RequestRules.switchover(situation(state), sw.candidateId(),
                state.primaryId().flatMap(seen::freshReport), seen.freshReport(sw.candidateId()));
        if (refusal.isPresent()) {
            sw.replyTo().tell(refusal.get());
            return Effect().none();
        }
        int old = state.primaryId().get();
        var op = Promotion.switchover(nextEpoch(state), sw.candidateId(), old, System.nanoTime());
        begin(op, Optional.of(sw.replyTo()));
        ctx.getLog().info("switchover: node {} -> node {}: stopping the old primary cleanly", old, sw.candidateId());
        agents.get(old).tell(new AgentCommand.StopForSwitchover(state.epoch(), op.id(), stepAdapter));
        return Effect().persist(new StepRecorded(Instant.now(), state.epoch(), "switchover", true, op.reason() + " started"));
    }

    /**
     * Pausing or resuming takes effect here at once and is confirmed to the console only once a majority of agents
     * holds it in the cluster record, so it survives the loss of this host (a supervisor elsewhere reads it back).
     */
    private Effect<SupervisorEvent, SupervisorState> onSetPaused(SupervisorState state, SetPaused p) {
        if (!stateKnown) {
            p.replyTo().tell(view(state)); // unchanged: the console reports why (the view says what is being learned)
            return Effect().none();
        }
        if (state.paused() == p.paused()) {
            writeRecord(state);
            record.whenEffective(() -> p.replyTo().tell(view(state)), seen.majority());
            return Effect().none();
        }
        return Effect().persist(new PausedChanged(Instant.now(), p.paused(), p.by())).thenRun(s -> {
            writeRecord(s);
            record.whenEffective(() -> p.replyTo().tell(view(s)), seen.majority());
        });
    }

    private View view(SupervisorState s) {
        List<String> history = new ArrayList<>(s.history());
        java.util.Collections.reverse(history);
        return new View(s.epoch(), s.primaryId(), s.paused(), stateKnown, settings.policy().mode().name().toLowerCase(),
                lastDecisionKind, lastDecision, operation.map(Promotion::describe), history, List.of());
    }
}
