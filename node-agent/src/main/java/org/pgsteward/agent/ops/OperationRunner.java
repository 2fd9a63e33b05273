package org.pgsteward.agent.ops;

import org.pgsteward.protocol.api.CommandRequest;

/** Runs one console command or cluster step against this node (blocking; called off the actor's thread). */
@FunctionalInterface
public interface OperationRunner {

    /**
     * @throws org.pgsteward.protocol.ExitCodeException when the command fails; other exceptions count as
     *                          {@code ERR_OPERATION_FAILED} with their message
     */
    OperationOutcome run(CommandRequest request, Progress progress);

    /** A step the cluster link asks for (never reachable from HTTP). */
    default OperationOutcome runStep(ClusterStep step, Progress progress) {
        throw new OperationFailure(org.pgsteward.protocol.ExitCode.ERR_BAD_CONFIG, step.label() + ": not run by this runner");
    }
}
