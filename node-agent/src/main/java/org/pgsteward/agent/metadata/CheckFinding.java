package org.pgsteward.agent.metadata;

import java.util.Objects;

/**
 * One result of {@link PrimaryChecks}: which setting, its current value, and a message saying
 * what it needs.
 *
 * @param setting      the GUC name (or {@code pg_is_in_recovery})
 * @param currentValue the value as the server reports it; {@code "(not set)"} when absent
 * @param message      the full sentence for the user, naming setting, value and requirement
 */
public record CheckFinding(String setting, String currentValue, String message) {

    public CheckFinding {
        Objects.requireNonNull(setting, "setting");
        Objects.requireNonNull(currentValue, "currentValue");
        Objects.requireNonNull(message, "message");
    }

    @Override
    public String toString() {
        return message;
    }
}
