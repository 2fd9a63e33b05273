package org.pgsteward.supervisor;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the supervisor's journal once at agent start, the way a supervisor recovery does (snapshot, events, highest
 * sequence number), and stops: it never writes. On every member, so that when the singleton moves here after a host
 * loss its recovery does not pay for loading and compiling the journal's code and opening its first connection
 * (measured: 470-710 ms for an empty journal on a cold JVM), time that adds to the failover.
 */
public final class JournalWarmup extends EventSourcedBehavior<Object, Object, Long> {

    private static final Logger log = LoggerFactory.getLogger(JournalWarmup.class);

    private static final Object DONE = "done";

    private final long startedNanos = System.nanoTime();
    private final ActorRef<Object> self;

    private JournalWarmup(SupervisorSettings settings, ActorRef<Object> self) {
        super(PersistenceId.ofUniqueId(settings.persistenceId()));
        this.self = self;
    }

    /** Reads, logs how long it took, stops; a failing journal only logs (the supervisor reports it). */
    public static Behavior<Object> behavior(SupervisorSettings settings) {
        return Behaviors.<Object>supervise(Behaviors.setup(ctx -> new JournalWarmup(settings, ctx.getSelf())))
                .onFailure(SupervisorStrategy.stop().withLoggingEnabled(false));
    }

    @Override
    public Long emptyState() {
        return 0L;
    }

    @Override
    public CommandHandler<Object, Object, Long> commandHandler() {
        return newCommandHandlerBuilder().forAnyState().onAnyCommand(c -> Effect().stop());
    }

    @Override
    public EventHandler<Long, Object> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent((n, e) -> n + 1);
    }

    @Override
    public SignalHandler<Long> signalHandler() {
        return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), n -> {
            log.debug("supervisor journal read ahead in {} ms ({} events after the snapshot)",
                    (System.nanoTime() - startedNanos) / 1_000_000, n);
            self.tell(DONE);
        }).build();
    }
}
