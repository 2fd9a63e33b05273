package org.pgsteward.agent.ops;

import org.pgsteward.protocol.ExitCode;

/** How an operation ended. */
public record OperationOutcome(ExitCode exitCode, String message) {

    public static OperationOutcome success(String message) {
        return new OperationOutcome(ExitCode.SUCCESS, message);
    }

    public boolean succeeded() {
        return exitCode == ExitCode.SUCCESS;
    }
}
