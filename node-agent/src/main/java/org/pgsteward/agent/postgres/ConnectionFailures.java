package org.pgsteward.agent.postgres;

import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.pgsteward.protocol.ExitCode;

/**
 * Tells a connection problem (ERR_DB_CON) and a rejected password (ERR_BAD_PASSWORD) apart,
 * from libpq's stderr (pg_basebackup, run with LC_ALL=C) or from a pgjdbc SQLException.
 */
final class ConnectionFailures {

    private static final List<String> PASSWORD_MARKERS = List.of(
            "password authentication failed",
            "no password supplied", // libpq: the server wants one, none given (--no-password)
            "but no password was provided"); // pgjdbc's wording of the same

    private static final List<String> CONNECTION_MARKERS = List.of(
            "connection refused",
            "could not connect to server",
            "connection to server at",
            "could not translate host name",
            "name or service not known",
            "no route to host",
            "network is unreachable",
            "timeout expired",
            "connection timed out",
            "no pg_hba.conf entry",
            "the database system is starting up",
            "the database system is shutting down",
            "the database system is in recovery mode",
            "server closed the connection unexpectedly");

    private ConnectionFailures() {}

    /** ERR_BAD_PASSWORD or ERR_DB_CON when the text names such a failure. */
    static Optional<ExitCode> fromText(String text) {
        String t = text.toLowerCase(Locale.ROOT);
        if (PASSWORD_MARKERS.stream().anyMatch(t::contains)) {
            return Optional.of(ExitCode.ERR_BAD_PASSWORD);
        }
        if (CONNECTION_MARKERS.stream().anyMatch(t::contains)) {
            return Optional.of(ExitCode.ERR_DB_CON);
        }
        return Optional.empty();
    }

    /** For a failed JDBC connect: a rejected password, else always a connection failure. */
    static ExitCode fromConnect(SQLException e) {
        if ("28P01".equals(e.getSQLState())) { // invalid_password
            return ExitCode.ERR_BAD_PASSWORD;
        }
        return fromText(String.valueOf(e.getMessage()))
                .filter(c -> c == ExitCode.ERR_BAD_PASSWORD)
                .orElse(ExitCode.ERR_DB_CON);
    }
}
