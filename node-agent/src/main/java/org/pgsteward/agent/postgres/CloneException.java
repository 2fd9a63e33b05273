package org.pgsteward.agent.postgres;

import org.pgsteward.protocol.ExitCode;

/**
 * Cloning a standby failed. {@link #exitCode()} says which of the seed's exit codes the
 * console reports; the message says which step failed and, for an external command, carries
 * its command line and stderr tail (from {@link org.pgsteward.agent.exec.CommandFailedException}).
 */
public final class CloneException extends RuntimeException {

    private final ExitCode exitCode;

    public CloneException(ExitCode exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public CloneException(ExitCode exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public ExitCode exitCode() {
        return exitCode;
    }

    @Override
    public String toString() {
        return "CloneException[" + exitCode + "]: " + getMessage();
    }
}
