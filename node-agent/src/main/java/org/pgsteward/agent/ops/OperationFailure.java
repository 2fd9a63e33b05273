package org.pgsteward.agent.ops;

import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.ExitCodeException;

/** An operation stopped: what failed, in words a user can act on, and the console's exit code. */
public class OperationFailure extends ExitCodeException {

    public OperationFailure(ExitCode exitCode, String message) {
        super(exitCode, message);
    }

    public OperationFailure(ExitCode exitCode, String message, Throwable cause) {
        super(exitCode, message, cause);
    }
}
