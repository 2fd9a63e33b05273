package org.pgsteward.agent.exec;

import java.time.Duration;

/** What a finished external command left behind. */
public record CommandResult(ExternalCommand command, int exitCode, String stdout, String stderrTail, Duration elapsed) {

    public boolean succeeded() {
        return exitCode == 0;
    }
}
