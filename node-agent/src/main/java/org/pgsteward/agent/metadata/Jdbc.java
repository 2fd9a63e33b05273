package org.pgsteward.agent.metadata;

import java.sql.Connection;
import java.sql.SQLException;

/** Transactions and error wrapping for the metadata package. */
final class Jdbc {

    /** Work that may throw SQLException. */
    @FunctionalInterface
    interface Work<T> {
        T run() throws SQLException;
    }

    private Jdbc() {}

    /**
     * Runs {@code work} atomically. On an autocommit connection: own transaction, committed on
     * success, rolled back on any exception, autocommit restored. With autocommit off the caller
     * owns the transaction: the work joins it and the caller commits or rolls back.
     *
     * @throws MetadataException wrapping an SQLException, named by {@code purpose}
     */
    static <T> T inTransaction(Connection conn, String purpose, Work<T> work) {
        boolean own;
        try {
            own = conn.getAutoCommit();
            if (own) {
                conn.setAutoCommit(false);
            }
        } catch (SQLException e) {
            throw MetadataException.of(purpose, e);
        }
        try {
            T result = work.run();
            if (own) {
                conn.commit();
            }
            return result;
        } catch (SQLException e) {
            rollbackQuietly(conn, own, e);
            throw MetadataException.of(purpose, e);
        } catch (RuntimeException | Error e) {
            rollbackQuietly(conn, own, e);
            throw e;
        } finally {
            if (own) {
                try {
                    conn.setAutoCommit(true);
                } catch (SQLException ignored) {
                    // The connection is broken; the caller sees that on its next use.
                }
            }
        }
    }

    /** Runs a single statement's work, wrapping SQLException. */
    static <T> T query(String purpose, Work<T> work) {
        try {
            return work.run();
        } catch (SQLException e) {
            throw MetadataException.of(purpose, e);
        }
    }

    private static void rollbackQuietly(Connection conn, boolean own, Throwable cause) {
        if (!own) {
            return;
        }
        try {
            conn.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }
}
