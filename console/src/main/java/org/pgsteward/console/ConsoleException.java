package org.pgsteward.console;

import org.pgsteward.protocol.ExitCode;

/** A command failed; the message is printed and the exit code returned. */
final class ConsoleException extends RuntimeException {

    private final ExitCode exitCode;

    ConsoleException(ExitCode exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    ExitCode exitCode() {
        return exitCode;
    }
}
