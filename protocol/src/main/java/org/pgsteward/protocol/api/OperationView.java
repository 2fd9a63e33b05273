package org.pgsteward.protocol.api;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * An operation the agent runs or ran ({@code GET /api/v1/operations/{id}?since=N}).
 *
 * @param progress     progress lines from index {@code progressFrom} on (the console asks for new ones)
 * @param progressFrom index of the first line in {@code progress}
 * @param exitCode     the console's exit code once finished (0 on success)
 * @param message      the outcome in one paragraph, once finished
 */
public record OperationView(
        String id,
        String command,
        State state,
        Instant startedAt,
        Optional<Instant> finishedAt,
        int progressFrom,
        List<String> progress,
        int exitCode,
        String message) {

    public enum State { RUNNING, SUCCEEDED, FAILED }

    public boolean finished() {
        return state != State.RUNNING;
    }
}
