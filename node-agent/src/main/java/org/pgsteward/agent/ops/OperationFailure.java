package org.pgsteward.agent.ops;

import org.pgsteward.protocol.ExitCode;

/** An operation stopped: what failed, in words a user can act on, and the console's exit code. */
public class OperationFailure extends RuntimeException {

    private final ExitCode exitCode;

    public OperationFailure(ExitCode exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public OperationFailure(ExitCode exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public ExitCode exitCode() {
        return exitCode;
    }
}
