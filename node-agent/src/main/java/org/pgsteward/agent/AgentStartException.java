package org.pgsteward.agent;

import org.pgsteward.protocol.ExitCode;

/** The agent cannot start; the message says why (and names the key or file when it is configuration). */
public final class AgentStartException extends RuntimeException {

    private final ExitCode exitCode;

    public AgentStartException(ExitCode exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public ExitCode exitCode() {
        return exitCode;
    }
}
