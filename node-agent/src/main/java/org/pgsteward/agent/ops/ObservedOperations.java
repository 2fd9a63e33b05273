package org.pgsteward.agent.ops;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.pgsteward.agent.events.EventNames;
import org.pgsteward.agent.events.EventNotifier;
import org.pgsteward.agent.events.NodeEvent;
import org.pgsteward.agent.metrics.AgentMetrics;
import org.pgsteward.protocol.ExitCodeException;
import org.pgsteward.protocol.api.CommandRequest;
import org.pgsteward.protocol.api.Commands;

/**
 * Every operation of this node, from the console or asked for by the supervisor, ends here: it is counted by command
 * and outcome in the metrics and, when it is an event ({@link EventNames}), handed to the event command. The one
 * place on a node where what happens to that node is seen (the fence aside, which does not run as an operation).
 */
public final class ObservedOperations implements OperationRunner {

    private final OperationRunner delegate;
    private final int nodeId;
    private final String nodeName;
    private final EventNotifier events;
    private final AgentMetrics metrics;
    /** Switchovers asked for on this node that are running: the supervisor's promote meanwhile is theirs. */
    private final AtomicInteger switchovers = new AtomicInteger();

    public ObservedOperations(OperationRunner delegate, int nodeId, String nodeName, EventNotifier events,
                              AgentMetrics metrics) {
        this.delegate = delegate;
        this.nodeId = nodeId;
        this.nodeName = nodeName;
        this.events = events;
        this.metrics = metrics;
    }

    @Override
    public OperationOutcome run(CommandRequest request, Progress progress) {
        String command = request.command();
        boolean switchover = command.equals(Commands.STANDBY_SWITCHOVER);
        Optional<String> event = EventNames.ofCommand(command);
        if (switchover) {
            switchovers.incrementAndGet();
        }
        try {
            return observed(command, event, () -> delegate.run(request, progress));
        } finally {
            if (switchover) {
                switchovers.decrementAndGet();
            }
        }
    }

    @Override
    public OperationOutcome runStep(ClusterStep step, Progress progress) {
        return observed(step.label(), EventNames.ofStep(step, switchovers.get() > 0), () -> delegate.runStep(step, progress));
    }

    private OperationOutcome observed(String command, Optional<String> event,
                                      java.util.function.Supplier<OperationOutcome> run) {
        try {
            OperationOutcome outcome = run.get();
            ended(command, event, outcome.succeeded(), outcome.message());
            return outcome;
        } catch (ExitCodeException e) {
            ended(command, event, false, e.getMessage());
            throw e;
        } catch (RuntimeException | Error e) {
            ended(command, event, false, e.getMessage() == null ? e.toString() : e.getMessage());
            throw e;
        }
    }

    private void ended(String command, Optional<String> event, boolean ok, String details) {
        metrics.operation(command, ok);
        event.ifPresent(name -> events.notify(new NodeEvent(nodeId, nodeName, name, ok, Instant.now(),
                details == null ? "" : details)));
    }
}
