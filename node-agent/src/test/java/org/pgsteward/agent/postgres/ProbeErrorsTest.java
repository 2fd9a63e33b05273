package org.pgsteward.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.ConnectException;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProbeErrorsTest {

    @Test
    void givenSqlStates_whenClassified_thenReachability() {
        assertEquals(Reachability.AUTH_FAILED, ProbeErrors.classify(new SQLException("x", "28P01")));
        assertEquals(Reachability.AUTH_FAILED, ProbeErrors.classify(new SQLException("x", "28000")));
        assertEquals(Reachability.AUTH_FAILED, ProbeErrors.classify(new SQLException(
                "The server requested password-based authentication, but no password was provided.", "08004")));
        assertEquals(Reachability.ERROR, ProbeErrors.classify(new SQLException("The server does not support SSL.", "08004")));
        assertEquals(Reachability.UNREACHABLE, ProbeErrors.classify(new SQLException("refused", "08001")));
        assertEquals(Reachability.UNREACHABLE, ProbeErrors.classify(new SQLException("I/O error", "08006")));
        assertEquals(Reachability.UNREACHABLE,
                ProbeErrors.classify(new SQLException("failed", null, new ConnectException("Connection refused"))));
        assertEquals(Reachability.ERROR, ProbeErrors.classify(new SQLException("the database system is starting up", "57P03")));
        assertEquals(Reachability.ERROR, ProbeErrors.classify(new SQLException("no state")));
    }

    @Test
    void givenSecretInMessage_whenDescribed_thenMaskedAndStateShown() {
        String d = ProbeErrors.describe(new SQLException("bad password hunter2 for x", "28P01"), List.of("hunter2", ""));
        assertEquals("bad password ******** for x (SQLState 28P01)", d);
        assertEquals("java.lang.IllegalStateException", ProbeErrors.describe(new IllegalStateException(), List.of()));
    }
}
