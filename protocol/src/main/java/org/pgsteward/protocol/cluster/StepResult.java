package org.pgsteward.protocol.cluster;

import java.time.Duration;
import java.util.Optional;
import org.pgsteward.protocol.CborSerializable;
import org.pgsteward.protocol.Lsn;

/**
 * An agent's answer to a {@link AgentCommand.Step}.
 *
 * @param outcome  done, failed while running, or refused without running (the step cannot run on this node)
 * @param message  for people: what happened
 * @param lsn      the WAL position that matters for the step (promotion point, final LSN, received LSN)
 * @param timeline the node's timeline after the step
 * @param took     how long the step took on the agent
 */
public record StepResult(String opId, int nodeId, Outcome outcome, String message, Optional<Lsn> lsn,
                         Optional<Long> timeline, Duration took) implements CborSerializable {

    public enum Outcome {
        DONE,
        /** It ran and failed (or timed out): it may work when asked again. */
        FAILED,
        /** It did not run: this node cannot take the step (another primary in its epoch, an older epoch). */
        REFUSED
    }

    public boolean done() {
        return outcome == Outcome.DONE;
    }

    public static StepResult refused(String opId, int nodeId, String message) {
        return new StepResult(opId, nodeId, Outcome.REFUSED, message, Optional.empty(), Optional.empty(), Duration.ZERO);
    }
}
