package org.pgsteward.agent.postgres;

import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.ExitCodeException;

/**
 * Rewinding a former primary failed or was refused. {@link #exitCode()} is the console's exit
 * code; the message names what is wrong and, for pg_rewind itself, carries its command line
 * and stderr tail.
 */
public final class RewindException extends ExitCodeException {

    public RewindException(ExitCode exitCode, String message) {
        super(exitCode, message);
    }

    public RewindException(ExitCode exitCode, String message, Throwable cause) {
        super(exitCode, message, cause);
    }
}
