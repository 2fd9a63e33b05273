package org.pgsteward.agent.ops;

import java.util.Optional;
import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.Lsn;

/**
 * How an operation ended.
 *
 * @param lsn the WAL position a cluster step reports as its result (promotion point, final LSN, received LSN)
 */
public record OperationOutcome(ExitCode exitCode, String message, Optional<Lsn> lsn) {

    public OperationOutcome(ExitCode exitCode, String message) {
        this(exitCode, message, Optional.empty());
    }

    public static OperationOutcome success(String message) {
        return new OperationOutcome(ExitCode.SUCCESS, message);
    }

    public static OperationOutcome success(String message, Optional<Lsn> lsn) {
        return new OperationOutcome(ExitCode.SUCCESS, message, lsn);
    }

    public boolean succeeded() {
        return exitCode == ExitCode.SUCCESS;
    }
}
