package org.pgsteward.agent.ops;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.api.OperationView;

/** The agent's record of one operation: what ran, its progress lines, how it ended. Actor-confined. */
public final class OperationRecord {

    private static final int MAX_PROGRESS_LINES = 10_000;

    private final String id;
    private final String command;
    private final Instant startedAt;
    private final List<String> progress = new ArrayList<>();
    private OperationView.State state = OperationView.State.RUNNING;
    private Optional<Instant> finishedAt = Optional.empty();
    private ExitCode exitCode = ExitCode.SUCCESS;
    private String message = "";

    public OperationRecord(String id, String command, Instant startedAt) {
        this.id = id;
        this.command = command;
        this.startedAt = startedAt;
    }

    public String id() {
        return id;
    }

    public String command() {
        return command;
    }

    public Instant startedAt() {
        return startedAt;
    }

    public boolean running() {
        return state == OperationView.State.RUNNING;
    }

    public void addProgress(String line) {
        if (progress.size() < MAX_PROGRESS_LINES) {
            progress.add(line);
        }
    }

    public void finish(OperationOutcome outcome, Instant at) {
        state = outcome.succeeded() ? OperationView.State.SUCCEEDED : OperationView.State.FAILED;
        exitCode = outcome.exitCode();
        message = outcome.message();
        finishedAt = Optional.of(at);
    }

    /** The view with progress lines from index {@code since} on. */
    public OperationView view(int since) {
        int from = Math.max(0, Math.min(since, progress.size()));
        return new OperationView(id, command, state, startedAt, finishedAt, from,
                List.copyOf(progress.subList(from, progress.size())), exitCode.code(), message);
    }
}
