package org.pgsteward.agent.postgres;

import org.pgsteward.protocol.ExitCode;

/**
 * Rewinding a former primary failed or was refused. {@link #exitCode()} is the console's exit
 * code; the message names what is wrong and, for pg_rewind itself, carries its command line
 * and stderr tail.
 */
public final class RewindException extends RuntimeException {

    private final ExitCode exitCode;

    public RewindException(ExitCode exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public RewindException(ExitCode exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public ExitCode exitCode() {
        return exitCode;
    }

    @Override
    public String toString() {
        return "RewindException[" + exitCode + "]: " + getMessage();
    }
}
