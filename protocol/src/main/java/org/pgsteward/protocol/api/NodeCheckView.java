package org.pgsteward.protocol.api;

import java.util.List;
import org.pgsteward.protocol.ExitCode;

/**
 * {@code GET /api/v1/check}: what {@code node check} reports about this node, one line per concern (PostgreSQL,
 * replication, replication slots, the primary's lease, the supervisor), each with its verdict and, for a problem, the
 * console's exit code.
 */
public record NodeCheckView(String node, List<Check> checks) {

    public enum Level { OK, WARNING, PROBLEM }

    /** @param exitCode the console's exit code when {@code level} is PROBLEM, else 0 */
    public record Check(String name, Level level, int exitCode, String detail) {

        public static Check ok(String name, String detail) {
            return new Check(name, Level.OK, 0, detail);
        }

        public static Check warning(String name, String detail) {
            return new Check(name, Level.WARNING, 0, detail);
        }

        public static Check problem(String name, ExitCode code, String detail) {
            return new Check(name, Level.PROBLEM, code.code(), detail);
        }
    }

    /** The first problem's exit code, in the order of the checks; 0 when there is none. */
    public int exitCode() {
        return checks.stream().filter(c -> c.level() == Level.PROBLEM).mapToInt(Check::exitCode).findFirst().orElse(0);
    }
}
