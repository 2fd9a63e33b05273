package org.pgsteward.agent;

import java.util.Optional;
import java.util.Set;

/**
 * The agent's log format, chosen before the first logger exists: the system property {@code pgsteward.log.format}
 * or else the environment variable {@code PGSTEWARD_LOG_FORMAT}, {@code text} (default) or {@code json}; logback.xml
 * picks the appender of that name. Checked here because logback would silently log nothing for an unknown name.
 */
final class LogFormat {

    static final String PROPERTY = "pgsteward.log.format";
    static final String ENV = "PGSTEWARD_LOG_FORMAT";
    private static final Set<String> FORMATS = Set.of("text", "json");

    private LogFormat() {}

    /** What is wrong with the chosen format, if anything. */
    static Optional<String> problem(Optional<String> property, Optional<String> env) {
        if (property.isPresent()) {
            return check("-D" + PROPERTY, property.get());
        }
        return env.flatMap(v -> check(ENV, v));
    }

    static Optional<String> problem() {
        return problem(Optional.ofNullable(System.getProperty(PROPERTY)), Optional.ofNullable(System.getenv(ENV)));
    }

    private static Optional<String> check(String where, String value) {
        return FORMATS.contains(value) ? Optional.empty()
                : Optional.of(where + " must be text or json, got \"" + value + "\"");
    }
}
