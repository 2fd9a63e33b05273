package org.pgsteward.agent.metadata;

import java.sql.SQLException;
import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.ExitCodeException;

/**
 * A metadata operation failed or was refused. {@link #exitCode()} is what the console exits with:
 * {@link ExitCode#ERR_BAD_CONFIG} for a refused registration or an invalid request,
 * {@link ExitCode#ERR_DB_QUERY} for a failed statement, {@link ExitCode#ERR_DB_CON} when the
 * connection broke. The message names what was being done.
 */
public final class MetadataException extends ExitCodeException {

    public MetadataException(ExitCode exitCode, String message) {
        super(exitCode, message);
    }

    public MetadataException(ExitCode exitCode, String message, Throwable cause) {
        super(exitCode, message, cause);
    }

    /**
     * Wraps a driver error. The message is {@code "<purpose>: <driver message>"}, plus a hint when
     * the schema is missing.
     */
    public static MetadataException of(String purpose, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        // Class 08 = connection exception: the server went away, not a bad query.
        ExitCode code = state.startsWith("08") ? ExitCode.ERR_DB_CON : ExitCode.ERR_DB_QUERY;
        String hint = state.equals("42P01") || state.equals("3F000")
                ? " (is the cluster registered? run 'primary register' first)"
                : "";
        return new MetadataException(code, purpose + ": " + e.getMessage() + hint, e);
    }
}
