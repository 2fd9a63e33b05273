package org.pgsteward.agent.postgres;

import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.ExitCodeException;

/**
 * Cloning a standby failed. {@link #exitCode()} says which of the seed's exit codes the
 * console reports; the message says which step failed and, for an external command, carries
 * its command line and stderr tail (from {@link org.pgsteward.agent.exec.CommandFailedException}).
 */
public final class CloneException extends ExitCodeException {

    public CloneException(ExitCode exitCode, String message) {
        super(exitCode, message);
    }

    public CloneException(ExitCode exitCode, String message, Throwable cause) {
        super(exitCode, message, cause);
    }
}
