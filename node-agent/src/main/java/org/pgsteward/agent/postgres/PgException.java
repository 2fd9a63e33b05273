package org.pgsteward.agent.postgres;

/** Something about the local PostgreSQL is not as it must be; the message says what. */
public class PgException extends RuntimeException {

    public PgException(String message) {
        super(message);
    }

    public PgException(String message, Throwable cause) {
        super(message, cause);
    }
}
