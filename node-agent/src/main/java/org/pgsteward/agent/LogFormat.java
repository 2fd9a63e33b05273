package org.pgsteward.agent;

import java.util.Optional;
import java.util.Set;

/**
 * The agent's log format, chosen before the first logger exists: the system property {@code pgsteward.log.format}
 * or else the environment variable {@code PGSTEWARD_LOG_FORMAT}, {@code text} (default: logback.xml) or {@code json}
 * (logback-json.xml, through {@code logback.configurationFile}, unless that is set already). Two files rather than one
 * with both appenders: logback prints its whole status on stderr when an appender is left unreferenced.
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

    /** Before the first logger: points logback at the JSON configuration when that format is chosen. */
    static void apply() {
        String format = Optional.ofNullable(System.getProperty(PROPERTY)).or(() -> Optional.ofNullable(System.getenv(ENV)))
                .orElse("text");
        if (format.equals("json") && System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "logback-json.xml");
        }
    }

    static Optional<String> problem() {
        return problem(Optional.ofNullable(System.getProperty(PROPERTY)), Optional.ofNullable(System.getenv(ENV)));
    }

    private static Optional<String> check(String where, String value) {
        return FORMATS.contains(value) ? Optional.empty()
                : Optional.of(where + " must be text or json, got \"" + value + "\"");
    }
}
