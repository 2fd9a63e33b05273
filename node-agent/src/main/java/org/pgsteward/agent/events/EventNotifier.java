package org.pgsteward.agent.events;

import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.pgsteward.agent.exec.CommandFailedException;
import org.pgsteward.agent.exec.CommandResult;
import org.pgsteward.agent.exec.CommandRunner;
import org.pgsteward.agent.exec.ExternalCommand;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@code events.command} for each event of this node, one at a time in the order of the events, on a thread of
 * its own: whoever reports an event (an operation's end, the fence) only queues it and never waits. At most
 * {@value #QUEUE} events wait; beyond that an event is dropped and logged (a hook that hangs until its timeout, for
 * every event, must not hold the agent's memory). Each run's exit code and stderr are logged.
 */
public final class EventNotifier {

    private static final Logger log = LoggerFactory.getLogger(EventNotifier.class);
    static final int QUEUE = 100;

    /** How a run of the command ended, for the metrics. */
    public enum Outcome { OK, FAILED, TIMEOUT, DROPPED }

    private final EventCommand command;
    private final CommandRunner runner;
    private final Consumer<Outcome> counted;
    private final ThreadPoolExecutor executor;
    private final int queue;

    public EventNotifier(EventCommand command, CommandRunner runner, Consumer<Outcome> counted) {
        this(command, runner, counted, QUEUE);
    }

    EventNotifier(EventCommand command, CommandRunner runner, Consumer<Outcome> counted, int queue) {
        this.queue = queue;
        this.command = command;
        this.runner = runner;
        this.counted = counted;
        this.executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queue), r -> {
            Thread t = new Thread(r, "pgsteward-events");
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.AbortPolicy());
    }

    public static EventNotifier none() {
        return new EventNotifier(EventCommand.none(), new CommandRunner(), o -> {});
    }

    /** Queues the command for {@code e} when configured and not filtered out by {@code events.only}; never blocks. */
    public void notify(NodeEvent e) {
        if (!command.accepts(e.event())) {
            return;
        }
        try {
            executor.execute(() -> run(e));
        } catch (RejectedExecutionException full) {
            counted.accept(Outcome.DROPPED);
            log.warn("event command: {} events are waiting, event {} ({}) dropped: {}", queue, e.event(),
                    e.success() ? "ok" : "failed", e.details());
        }
    }

    private void run(NodeEvent e) {
        List<String> argv = command.expand(e);
        ExternalCommand c = ExternalCommand.of(command.timeout(), argv);
        try {
            CommandResult r = runner.execute(c);
            if (r.succeeded()) {
                counted.accept(Outcome.OK);
                log.info("event command for {} exited 0 in {} ms", e.event(), r.elapsed().toMillis());
            } else {
                counted.accept(Outcome.FAILED);
                log.warn("event command for {} exited {} in {} ms: {}", e.event(), r.exitCode(), r.elapsed().toMillis(),
                        r.stderrTail().isBlank() ? "(no stderr)" : r.stderrTail().strip());
            }
        } catch (CommandFailedException f) {
            counted.accept(f.timedOut() ? Outcome.TIMEOUT : Outcome.FAILED);
            log.warn("event command for {}: {}", e.event(), f.getMessage());
        } catch (RuntimeException f) {
            counted.accept(Outcome.FAILED);
            log.warn("event command for {} could not run: {}", e.event(), f.toString());
        }
    }
}
