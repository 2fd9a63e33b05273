package org.pgsteward.supervisor;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.pgsteward.protocol.cluster.SupervisorMessage;
import org.pgsteward.protocol.cluster.SupervisorMessage.DecisionKind;
import org.pgsteward.protocol.cluster.SupervisorMessage.GetView;
import org.pgsteward.protocol.cluster.SupervisorMessage.PrimaryAnswer;
import org.pgsteward.protocol.cluster.SupervisorMessage.Refusal;
import org.pgsteward.protocol.cluster.SupervisorMessage.View;

/**
 * Keeps a {@link Supervisor} running whatever fails: it runs the event-sourced supervisor as its child and, when
 * that child fails (its journal cannot be read or written, or any other exception), starts a new one after a
 * backoff (200 ms doubling to 5 s, randomized). Pekko's default would stop the singleton for good while its host
 * stays the oldest member: no failover, no lease renewals anywhere.
 *
 * <p>The failures escape to this parent, instead of {@code onPersistFailure}'s backoff inside the child, so that
 * something stays to answer: while the journal fails, {@code GetView} is answered here with the warning (journal
 * and error), and requests that need a supervisor are refused at once with it instead of timing out.
 */
public final class SupervisorGuard extends AbstractBehavior<Object> {

    /** How the child is restarted, and how long the warning stays after it runs again (failures may recur). */
    public record Restarts(Duration minBackoff, Duration maxBackoff, double randomFactor, Duration warnFor) {

        public static Restarts defaults() {
            return new Restarts(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2, Duration.ofSeconds(30));
        }

        Duration backoff(int failures) {
            long base = minBackoff.toMillis() << Math.min(20, Math.max(0, failures - 1));
            long capped = Math.min(maxBackoff.toMillis(), base);
            return Duration.ofMillis((long) (capped * (1 + ThreadLocalRandom.current().nextDouble() * randomFactor)));
        }
    }

    /** A view is not read yet after this long: the journal is slow or hangs (a lock, an unreachable server). */
    private static final Duration SLOW_RECOVERY = Duration.ofSeconds(3);
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(3);

    private record Respawn(int incarnation) {}

    /** The first answer of an incarnation: its journal was read. */
    private record Recovered(int incarnation, Optional<View> view) {}

    private record Relay(Optional<View> view, ActorRef<View> replyTo) {}

    private final ActorContext<Object> ctx;
    private final TimerScheduler<Object> timers;
    private final SupervisorSettings settings;
    private final String journal;
    private final Restarts restarts;
    private Optional<ActorRef<SupervisorMessage>> child = Optional.empty();
    private int incarnation;
    private boolean recovered;
    private long spawnedNanos;
    private long recoveredNanos;
    private int failures;
    private Instant firstFailureAt = Instant.EPOCH;
    private long lastFailureNanos;
    private long respawnAtNanos;
    private String lastError = "";
    private Optional<View> lastView = Optional.empty();

    /**
     * The supervisor as an agent runs it (the cluster singleton's behaviour): guarded, and the guard itself restarted
     * with the same backoff should it ever fail.
     *
     * @param journal what the warning names: the journal's URL, without password
     */
    public static Behavior<SupervisorMessage> singleton(SupervisorSettings settings, String journal) {
        Restarts r = Restarts.defaults();
        return Behaviors.supervise(create(settings, journal, r))
                .onFailure(SupervisorStrategy.restartWithBackoff(r.minBackoff(), r.maxBackoff(), r.randomFactor()));
    }

    /**
     * @param journal what the warning names: the journal's URL, without password
     */
    public static Behavior<SupervisorMessage> create(SupervisorSettings settings, String journal, Restarts restarts) {
        Behavior<Object> guard = Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new SupervisorGuard(ctx, timers, settings, journal, restarts)));
        return guard.narrow();
    }

    private SupervisorGuard(ActorContext<Object> ctx, TimerScheduler<Object> timers, SupervisorSettings settings,
                            String journal, Restarts restarts) {
        super(ctx);
        this.ctx = ctx;
        this.timers = timers;
        this.settings = settings;
        this.journal = journal;
        this.restarts = restarts;
        spawn();
    }

    /** The one place the journal warning's text comes from. */
    static String warning(String journal, String error, int failures, Instant since, String now) {
        return "supervisor journal " + journal + " failed " + (failures == 1 ? "once" : failures + " times") + " since "
                + since + ": " + error + " (" + now + ")";
    }

    static String describe(Throwable failure) {
        if (failure == null) {
            return "the supervisor stopped";
        }
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String top = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        return root == failure ? failure.toString() : top + ": " + root;
    }

    @Override
    public Receive<Object> createReceive() {
        return newReceiveBuilder()
                .onMessage(GetView.class, this::onGetView)
                .onMessage(SupervisorMessage.Report.class, r -> {
                    child.ifPresent(c -> c.tell(r));
                    return this;
                })
                .onMessage(SupervisorMessage.RequestPrimary.class, r -> {
                    if (usable()) {
                        child.get().tell(r);
                    } else {
                        r.replyTo().tell(new PrimaryAnswer.Refused(epoch(), Refusal.SUPERVISOR_DOWN, refusal()));
                    }
                    return this;
                })
                .onMessage(SupervisorMessage.Switchover.class, s -> {
                    if (usable()) {
                        child.get().tell(s);
                    } else {
                        s.replyTo().tell(new PrimaryAnswer.Refused(epoch(), Refusal.SUPERVISOR_DOWN, "switchover refused: " + refusal()));
                    }
                    return this;
                })
                .onMessage(SupervisorMessage.SetPaused.class, p -> {
                    if (usable()) {
                        child.get().tell(p);
                    } else {
                        p.replyTo().tell(unavailableView());
                    }
                    return this;
                })
                .onMessage(Respawn.class, r -> {
                    if (r.incarnation() == incarnation && child.isEmpty()) {
                        spawn();
                    }
                    return this;
                })
                .onMessage(Recovered.class, this::onRecovered)
                .onMessage(Relay.class, r -> {
                    r.view().ifPresent(v -> lastView = Optional.of(v));
                    r.replyTo().tell(r.view().map(v -> v.withWarnings(warnings())).orElseGet(this::unavailableView));
                    return this;
                })
                .onSignal(Terminated.class, this::onChildEnded)
                .build();
    }

    private void spawn() {
        incarnation++;
        ActorRef<SupervisorMessage> c = ctx.spawn(Supervisor.create(settings), "incarnation-" + incarnation);
        ctx.watch(c);
        child = Optional.of(c);
        recovered = false;
        spawnedNanos = System.nanoTime();
        askRecovered();
    }

    /** Commands wait in the child while it reads its journal: the first answer says the journal was read. */
    private void askRecovered() {
        int inc = incarnation;
        child.ifPresent(c -> ctx.ask(View.class, c, ASK_TIMEOUT, GetView::new,
                (view, failure) -> new Recovered(inc, Optional.ofNullable(view))));
    }

    private Behavior<Object> onRecovered(Recovered r) {
        if (r.incarnation() != incarnation || child.isEmpty()) {
            return this;
        }
        if (r.view().isEmpty()) {
            askRecovered(); // still reading (a slow or hanging journal); the warning says so after SLOW_RECOVERY
            return this;
        }
        recovered = true;
        recoveredNanos = System.nanoTime();
        lastView = r.view();
        if (failures > 0) {
            ctx.getLog().info("supervisor running again after {} journal failure(s); the journal {} was read",
                    failures, journal);
        }
        return this;
    }

    private Behavior<Object> onChildEnded(Terminated t) {
        if (child.isEmpty() || !child.get().equals(t.getRef())) {
            return this;
        }
        long now = System.nanoTime();
        if (failures > 0 && recovered && now - recoveredNanos > restarts.warnFor().toNanos()) {
            failures = 0; // it ran long enough: a new failure is a new problem
        }
        if (failures == 0) {
            firstFailureAt = Instant.now();
        }
        failures++;
        lastFailureNanos = now;
        lastError = describe(t instanceof ChildFailed f ? f.getCause() : null);
        child = Optional.empty();
        recovered = false;
        Duration delay = restarts.backoff(failures);
        respawnAtNanos = now + delay.toNanos();
        ctx.getLog().error("{}; restarting the supervisor in {} ms", warning(journal, lastError, failures, firstFailureAt,
                "failure " + failures), delay.toMillis());
        timers.startSingleTimer(new Respawn(incarnation), delay);
        return this;
    }

    private Behavior<Object> onGetView(GetView get) {
        if (child.isPresent() && recovered) {
            ActorRef<View> replyTo = get.replyTo();
            ctx.ask(View.class, child.get(), ASK_TIMEOUT, GetView::new,
                    (view, failure) -> new Relay(Optional.ofNullable(view), replyTo));
        } else if (usable()) {
            child.get().tell(get); // starting: answered once the journal was read
        } else {
            get.replyTo().tell(unavailableView());
        }
        return this;
    }

    /** A child that has read its journal, or is reading it for the first time and not for long. */
    private boolean usable() {
        return child.isPresent() && (recovered || warnings().isEmpty());
    }

    private List<String> warnings() {
        long now = System.nanoTime();
        if (failures > 0 && (!recovered || now - lastFailureNanos < restarts.warnFor().toNanos())) {
            String state = child.isEmpty()
                    ? "restarting in " + Math.max(0, (respawnAtNanos - now) / 1_000_000) + " ms"
                    : recovered ? "running again for " + (now - recoveredNanos) / 1_000_000 + " ms"
                    : "reading the journal again for " + (now - spawnedNanos) / 1_000_000 + " ms";
            return List.of(warning(journal, lastError, failures, firstFailureAt, state));
        }
        if (child.isPresent() && !recovered && now - spawnedNanos > SLOW_RECOVERY.toNanos()) {
            return List.of("supervisor journal " + journal + " not read after " + (now - spawnedNanos) / 1_000_000
                    + " ms (slow, locked or unreachable?)");
        }
        return List.of();
    }

    private String refusal() {
        return "the supervisor is not running: " + String.join("; ", warnings()) + "; retry once the journal works";
    }

    private long epoch() {
        return lastView.map(View::epoch).orElse(0L);
    }

    /** The last view it gave (or an empty one), no longer current: the state is not known now. */
    private View unavailableView() {
        View base = lastView.orElseGet(() -> new View(0, Optional.empty(), false, false,
                settings.policy().mode().name().toLowerCase(), DecisionKind.NOT_RUNNING, "", Optional.empty(), List.of(),
                List.of()));
        return new View(base.epoch(), base.primaryId(), base.paused(), false, base.mode(), DecisionKind.NOT_RUNNING,
                "not running: its journal cannot be used", Optional.empty(), base.history(), warnings());
    }
}
