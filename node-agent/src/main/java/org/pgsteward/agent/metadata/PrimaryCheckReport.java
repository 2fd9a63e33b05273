package org.pgsteward.agent.metadata;

import java.util.List;
import java.util.stream.Collectors;
import org.pgsteward.protocol.ExitCode;

/**
 * What {@link PrimaryChecks} found. Failures make {@code primary register} refuse (exit
 * {@code ERR_BAD_CONFIG}); warnings are only printed.
 */
public record PrimaryCheckReport(List<CheckFinding> failures, List<CheckFinding> warnings) {

    public PrimaryCheckReport {
        failures = List.copyOf(failures);
        warnings = List.copyOf(warnings);
    }

    public boolean passed() {
        return failures.isEmpty();
    }

    /** The failure messages, one per line (empty when passed). */
    public String failureText() {
        return failures.stream().map(CheckFinding::message).collect(Collectors.joining("\n"));
    }

    /** Throws {@link MetadataException} with {@code ERR_BAD_CONFIG} listing every failure, if any. */
    public PrimaryCheckReport orThrow() {
        if (!passed()) {
            throw new MetadataException(ExitCode.ERR_BAD_CONFIG,
                    "this server is not configured to be a primary:\n" + failureText());
        }
        return this;
    }
}
