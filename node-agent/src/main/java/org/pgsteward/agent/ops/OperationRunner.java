package org.pgsteward.agent.ops;

import org.pgsteward.protocol.api.CommandRequest;

/** Runs one console command against this node (blocking; called off the actor's thread). */
@FunctionalInterface
public interface OperationRunner {

    /**
     * @throws org.pgsteward.protocol.ExitCodeException when the command fails; other exceptions count as
     *                          {@code ERR_OPERATION_FAILED} with their message
     */
    OperationOutcome run(CommandRequest request, Progress progress);
}
