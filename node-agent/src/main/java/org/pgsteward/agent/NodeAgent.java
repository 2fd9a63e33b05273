package org.pgsteward.agent;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.pgsteward.agent.ops.OperationOutcome;
import org.pgsteward.agent.ops.OperationRecord;
import org.pgsteward.agent.ops.ClusterStep;
import org.pgsteward.agent.ops.OperationRunner;
import org.pgsteward.agent.ops.Work;
import org.pgsteward.agent.postgres.PgSnapshot;
import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.ExitCodeException;
import org.pgsteward.protocol.api.CommandRequest;
import org.pgsteward.protocol.api.ErrorView;
import org.pgsteward.protocol.api.OperationView;

/**
 * Owns this host's PostgreSQL. Runs one operation on it at a time (a second request while
 * one runs is answered "busy"), and probes it every monitor interval. Blocking work (pg_ctl,
 * JDBC, clones) runs on the blocking executor; its results come back as messages.
 */
public final class NodeAgent extends AbstractBehavior<NodeAgent.Command> {

    public sealed interface Command {}

    /** Start a console command or a cluster step; {@code onFinish} hears how it ended. */
    public record Submit(Work work, ActorRef<SubmitResult> replyTo, Optional<ActorRef<Done>> onFinish)
            implements Command {
        public Submit(CommandRequest request, ActorRef<SubmitResult> replyTo) {
            this(new Work.Console(request), replyTo, Optional.empty());
        }
    }

    /** How a submitted operation ended: its final view, and the LSN a cluster step answers with. */
    public record Done(OperationView view, Optional<org.pgsteward.protocol.Lsn> lsn) {}

    /** Who hears each probe result (the cluster link). */
    public record Listen(ActorRef<Observed> listener) implements Command {}

    /** A probe result, with whether an operation is running on the node. */
    public record Observed(PgSnapshot snapshot, Optional<String> runningOperation) {}

    public sealed interface SubmitResult {}

    public record Accepted(OperationView view) implements SubmitResult {}

    public record Rejected(ErrorView error) implements SubmitResult {}

    /** The operation with progress lines from index {@code since}. */
    public record GetOperation(String id, int since, ActorRef<Optional<OperationView>> replyTo) implements Command {}

    public record GetLocalState(ActorRef<LocalState> replyTo) implements Command {}

    /** The latest probe of the local PostgreSQL and the running operation, if any. */
    public record LocalState(Optional<PgSnapshot> snapshot, Optional<OperationView> running) {}

    private enum Tick implements Command { INSTANCE }

    private record Probed(PgSnapshot snapshot) implements Command {}

    private record ProbeFailed(Throwable error) implements Command {}

    private record ProgressLine(String id, String line) implements Command {}

    private record Finished(String id, OperationOutcome outcome) implements Command {}

    private static final int HISTORY = 50;

    /** For the blocking threads: the ActorContext's logger may only be used on the actor's own thread. */
    private static final org.slf4j.Logger BLOCKING_LOG = org.slf4j.LoggerFactory.getLogger(NodeAgent.class);

    private final OperationRunner runner;
    private final Supplier<PgSnapshot> monitor;
    private final Executor blocking;
    private final Clock clock;
    private final Map<String, OperationRecord> history = new LinkedHashMap<>();
    private final Map<String, ActorRef<Done>> finishListeners = new java.util.HashMap<>();
    private Optional<ActorRef<Observed>> listener = Optional.empty();
    private Optional<OperationRecord> current = Optional.empty();
    private Optional<PgSnapshot> latest = Optional.empty();
    private boolean probing;

    /**
     * @param monitor one monitor cycle: probe the local PostgreSQL (and report it); blocking
     */
    public static Behavior<Command> create(OperationRunner runner, Supplier<PgSnapshot> monitor, Executor blocking,
                                           Duration monitorInterval) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(Tick.INSTANCE, Duration.ZERO, monitorInterval);
            return new NodeAgent(ctx, runner, monitor, blocking);
        }));
    }

    private NodeAgent(ActorContext<Command> ctx, OperationRunner runner, Supplier<PgSnapshot> monitor, Executor blocking) {
        super(ctx);
        ctx.setLoggerName(NodeAgent.class);
        this.runner = runner;
        this.monitor = monitor;
        this.blocking = blocking;
        this.clock = Clock.systemUTC();
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Submit.class, this::onSubmit)
                .onMessage(Listen.class, l -> {
                    listener = Optional.of(l.listener());
                    return this;
                })
                .onMessage(GetOperation.class, this::onGetOperation)
                .onMessage(GetLocalState.class, this::onGetLocalState)
                .onMessageEquals(Tick.INSTANCE, this::onTick)
                .onMessage(Probed.class, this::onProbed)
                .onMessage(ProbeFailed.class, this::onProbeFailed)
                .onMessage(ProgressLine.class, this::onProgress)
                .onMessage(Finished.class, this::onFinished)
                .build();
    }

    /**
     * A switchover asked for on this node waits for the supervisor, which in turn runs steps here
     * (wait for the final LSN, promote): those steps run beside it, one at a time.
     */
    private Optional<OperationRecord> beside = Optional.empty();

    private boolean mayRunBeside(Work work) {
        return current.map(c -> c.command().equals(org.pgsteward.protocol.api.Commands.STANDBY_SWITCHOVER)).orElse(false)
                && work instanceof ClusterStep && beside.isEmpty();
    }

    private Behavior<Command> onSubmit(Submit submit) {
        boolean besideRun = mayRunBeside(submit.work());
        if (current.isPresent() && !besideRun) {
            OperationRecord running = current.get();
            submit.replyTo().tell(new Rejected(new ErrorView(ExitCode.ERR_BUSY.code(),
                    "busy: " + running.command() + " running since " + running.startedAt())));
            return this;
        }
        String id = UUID.randomUUID().toString();
        var record = new OperationRecord(id, submit.work().label(), clock.instant());
        if (besideRun) {
            beside = Optional.of(record);
        } else {
            current = Optional.of(record);
        }
        remember(record);
        submit.onFinish().ifPresent(l -> finishListeners.put(id, l));
        getContext().getLog().info("operation {} started: {}", id, submit.work().label());
        ActorRef<Command> self = getContext().getSelf();
        CompletableFuture.supplyAsync(() -> runSafely(submit.work(), line -> self.tell(new ProgressLine(id, line))),
                        blocking)
                .thenAccept(outcome -> self.tell(new Finished(id, outcome)));
        submit.replyTo().tell(new Accepted(record.view(0)));
        return this;
    }

    private OperationOutcome runSafely(Work work, org.pgsteward.agent.ops.Progress progress) {
        try {
            return work instanceof Work.Console c ? runner.run(c.request(), progress)
                    : runner.runStep((ClusterStep) work, progress);
        } catch (ExitCodeException f) {
            return new OperationOutcome(f.exitCode(), f.getMessage());
        } catch (RuntimeException | Error e) {
            BLOCKING_LOG.error("operation {} failed unexpectedly", work.label(), e);
            return new OperationOutcome(ExitCode.ERR_OPERATION_FAILED,
                    work.label() + " failed: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        }
    }

    private void remember(OperationRecord record) {
        history.put(record.id(), record);
        while (history.size() > HISTORY) {
            String oldest = history.keySet().iterator().next();
            history.remove(oldest);
        }
    }

    private Behavior<Command> onGetOperation(GetOperation get) {
        get.replyTo().tell(Optional.ofNullable(history.get(get.id())).map(r -> r.view(get.since())));
        return this;
    }

    private Behavior<Command> onGetLocalState(GetLocalState get) {
        get.replyTo().tell(new LocalState(latest, current.map(r -> r.view(Integer.MAX_VALUE))));
        return this;
    }

    private Behavior<Command> onTick() {
        if (probing) {
            return this;
        }
        probing = true;
        ActorRef<Command> self = getContext().getSelf();
        CompletableFuture.supplyAsync(monitor, blocking).whenComplete((snapshot, error) ->
                self.tell(error == null ? new Probed(snapshot) : new ProbeFailed(error)));
        return this;
    }

    private Behavior<Command> onProbed(Probed probed) {
        probing = false;
        PgSnapshot s = probed.snapshot();
        latest.ifPresent(prev -> {
            if (prev.reachability() != s.reachability() || prev.inRecovery() != s.inRecovery()) {
                getContext().getLog().info("local PostgreSQL now {}{}", s.reachability(),
                        s.isReachable() ? (s.inRecovery() ? " (standby)" : " (primary)") : s.error().map(e -> ": " + e).orElse(""));
            }
        });
        latest = Optional.of(s);
        listener.ifPresent(l -> l.tell(new Observed(s, current.map(OperationRecord::command))));
        return this;
    }

    private Behavior<Command> onProbeFailed(ProbeFailed failed) {
        probing = false;
        getContext().getLog().warn("monitor cycle failed: {}", failed.error().toString());
        return this;
    }

    private Behavior<Command> onProgress(ProgressLine p) {
        OperationRecord r = history.get(p.id());
        if (r != null) {
            r.addProgress(p.line());
            getContext().getLog().info("[{}] {}", r.command(), p.line());
        }
        return this;
    }

    private Behavior<Command> onFinished(Finished f) {
        OperationRecord r = history.get(f.id());
        if (r != null) {
            r.finish(f.outcome(), clock.instant());
            long ms = Duration.between(r.startedAt(), clock.instant()).toMillis();
            if (f.outcome().succeeded()) {
                getContext().getLog().info("operation {} ({}) succeeded in {} ms: {}", f.id(), r.command(), ms,
                        f.outcome().message());
            } else {
                getContext().getLog().warn("operation {} ({}) failed in {} ms with {}: {}", f.id(), r.command(), ms,
                        f.outcome().exitCode(), f.outcome().message());
            }
        }
        if (beside.map(b -> b.id().equals(f.id())).orElse(false)) {
            beside = Optional.empty();
        } else {
            current = Optional.empty();
        }
        ActorRef<Done> onFinish = finishListeners.remove(f.id());
        if (onFinish != null && r != null) {
            onFinish.tell(new Done(r.view(0), f.outcome().lsn()));
        }
        // the operation may have changed the node: probe now rather than at the next tick
        getContext().getSelf().tell(Tick.INSTANCE);
        return this;
    }
}
