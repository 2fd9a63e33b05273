package org.pgsteward.agent.exec;

import java.util.Optional;

/**
 * An external command exited non-zero, timed out, or could not start. The message
 * carries the command, its exit code and the tail of its stderr, and optionally more
 * context (for pg_ctl: the tail of the server log), because that is what a user needs
 * to see at 3 a.m.
 */
public class CommandFailedException extends RuntimeException {

    private final String commandLine;
    private final int exitCode;
    private final String stderrTail;
    private final boolean timedOut;

    public CommandFailedException(String commandLine, int exitCode, String stderrTail, boolean timedOut,
                                  Optional<String> context, Throwable cause) {
        super(format(commandLine, exitCode, stderrTail, timedOut, context), cause);
        this.commandLine = commandLine;
        this.exitCode = exitCode;
        this.stderrTail = stderrTail;
        this.timedOut = timedOut;
    }

    /** The same failure with more context appended (e.g. a server log tail). */
    public CommandFailedException withContext(String context) {
        return new CommandFailedException(commandLine, exitCode, stderrTail, timedOut, Optional.of(context), this);
    }

    private static String format(String cmd, int exit, String stderr, boolean timedOut, Optional<String> context) {
        var sb = new StringBuilder();
        if (timedOut) {
            sb.append("command timed out and was killed: ").append(cmd);
        } else if (exit < 0) {
            sb.append("command could not be started: ").append(cmd);
        } else {
            sb.append("command failed with exit code ").append(exit).append(": ").append(cmd);
        }
        if (!stderr.isBlank()) {
            sb.append("\n--- stderr (tail) ---\n").append(stderr.strip());
        }
        context.ifPresent(c -> sb.append('\n').append(c.strip()));
        return sb.toString();
    }

    public String commandLine() {
        return commandLine;
    }

    /** Exit code, or -1 when the process could not be started or was killed at its timeout. */
    public int exitCode() {
        return exitCode;
    }

    public String stderrTail() {
        return stderrTail;
    }

    public boolean timedOut() {
        return timedOut;
    }
}
