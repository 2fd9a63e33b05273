package org.pgsteward.agent.ops;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import org.pgsteward.agent.postgres.Conninfo;
import org.pgsteward.protocol.ExitCode;

/**
 * JDBC connections to this node's and other nodes' PostgreSQL with this node's credentials,
 * with timeouts, and failures mapped to the seed's exit codes.
 */
public final class Connections {

    static final int CONNECT_TIMEOUT_S = 5;
    static final int SOCKET_TIMEOUT_S = 30;

    private final Conninfo own;

    public Connections(Conninfo own) {
        this.own = own;
    }

    /**
     * A registered node's conninfo (stored without a password) completed with this node's user
     * and password when the user is the same: libpq would take them from .pgpass the same way.
     * This node's {@code passfile}, if any, is added whatever the user: a password file only answers for the
     * host, port, database and user its lines name.
     */
    public Conninfo withCredentials(Conninfo target) {
        Conninfo c = target;
        if (c.user().isEmpty() && own.user().isPresent()) {
            c = c.with("user", own.user().get());
        }
        if (c.password().isEmpty() && own.password().isPresent() && c.user().equals(own.user())) {
            c = c.with("password", own.password().get());
        }
        if (c.get("passfile").isEmpty() && own.get("passfile").filter(f -> !f.isEmpty()).isPresent()) {
            c = c.with("passfile", own.get("passfile").get());
        }
        if (c.dbname().isEmpty() && own.dbname().isPresent()) {
            c = c.with("dbname", own.dbname().get());
        }
        return c;
    }

    public Connection open(Conninfo target) {
        Properties props = target.toJdbcProperties();
        props.putIfAbsent("connectTimeout", Integer.toString(CONNECT_TIMEOUT_S));
        props.setProperty("socketTimeout", Integer.toString(SOCKET_TIMEOUT_S));
        props.putIfAbsent("ApplicationName", "pgsteward");
        // pgsteward's own bookkeeping (metadata, monitoring) must not wait for a synchronous standby that may be
        // the one that just failed; users' commits keep their synchronous_commit
        props.putIfAbsent("options", "-c synchronous_commit=local");
        try {
            return DriverManager.getConnection(target.toJdbcUrl(), props);
        } catch (SQLException e) {
            throw failure("cannot connect to " + target.toConnStringRedacted(), e);
        }
    }

    /** Maps a JDBC failure to the seed's exit codes: bad password 9, unreachable 6, anything else 7. */
    public static OperationFailure failure(String what, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String msg = what + ": " + e.getMessage();
        if (state.equals("28P01") || state.equals("28000")
                || (state.equals("08004") && String.valueOf(e.getMessage()).contains("password"))) {
            return new OperationFailure(ExitCode.ERR_BAD_PASSWORD, msg, e);
        }
        if (state.startsWith("08") || state.equals("57P03") || state.equals("3D000")) {
            return new OperationFailure(ExitCode.ERR_DB_CON, msg, e);
        }
        return new OperationFailure(ExitCode.ERR_DB_QUERY, msg, e);
    }
}
