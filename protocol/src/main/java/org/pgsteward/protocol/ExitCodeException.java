package org.pgsteward.protocol;

import java.util.Objects;

/**
 * A failure that knows which {@link ExitCode} the console reports for it. The subclasses name where it happened
 * (clone, rewind, metadata, an operation); the agent turns any of them into the operation's outcome.
 */
public class ExitCodeException extends RuntimeException {

    private final ExitCode exitCode;

    public ExitCodeException(ExitCode exitCode, String message) {
        super(message);
        this.exitCode = Objects.requireNonNull(exitCode, "exitCode");
    }

    public ExitCodeException(ExitCode exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = Objects.requireNonNull(exitCode, "exitCode");
    }

    public ExitCode exitCode() {
        return exitCode;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + exitCode + "]: " + getMessage();
    }
}
