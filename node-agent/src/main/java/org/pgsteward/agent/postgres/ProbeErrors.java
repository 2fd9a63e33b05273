package org.pgsteward.agent.postgres;

import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.util.Collection;
import java.util.Locale;
import java.util.Set;

/** Turns what went wrong during a probe into a {@link Reachability} and a message safe to log. */
final class ProbeErrors {

    static final String MASK = "********";

    /** invalid_password, invalid_authorization_specification (e.g. no pg_hba.conf entry) */
    private static final Set<String> AUTH_STATES = Set.of("28P01", "28000");
    /** pgjdbc: unable to connect (refused, unknown host, login timeout), connection failure (I/O error, socket timeout) */
    private static final Set<String> UNREACHABLE_STATES = Set.of("08001", "08006");
    /** pgjdbc's CONNECTION_REJECTED, also used for "password requested but none given" */
    private static final String REJECTED = "08004";

    private ProbeErrors() {}

    static Reachability classify(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (AUTH_STATES.contains(state)) {
            return Reachability.AUTH_FAILED;
        }
        if (REJECTED.equals(state) && String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT).contains("password")) {
            return Reachability.AUTH_FAILED;
        }
        if (UNREACHABLE_STATES.contains(state) || hasNetworkCause(e)) {
            return Reachability.UNREACHABLE;
        }
        return Reachability.ERROR;
    }

    /** Refused, reset, no route, timed out, unknown host: anywhere in the cause chain. */
    static boolean hasNetworkCause(Throwable t) {
        for (int depth = 0; t != null && depth < 20; depth++, t = t.getCause()) {
            if (t instanceof SocketException || t instanceof SocketTimeoutException || t instanceof UnknownHostException) {
                return true;
            }
        }
        return false;
    }

    /**
     * The message of {@code t} with its SQLState, and every secret (passwords from the URL or
     * properties) masked, should a driver or server ever echo one back.
     */
    static String describe(Throwable t, Collection<String> secrets) {
        String message = t.getMessage() == null || t.getMessage().isBlank() ? t.getClass().getName() : t.getMessage();
        if (t instanceof SQLException sql && sql.getSQLState() != null) {
            message = message + " (SQLState " + sql.getSQLState() + ")";
        }
        return redact(message, secrets);
    }

    static String redact(String text, Collection<String> secrets) {
        String out = text;
        for (String secret : secrets) {
            if (!secret.isEmpty()) {
                out = out.replace(secret, MASK);
            }
        }
        return out;
    }
}
