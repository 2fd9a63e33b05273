package org.pgsteward.agent.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.pgsteward.protocol.ExitCode;

/** Which failed pings of the primary still prove a running server (the failover evidence rule). */
class MonitorPingTest {

    @ParameterizedTest(name = "SQLState {0}: server answered = {1}")
    @CsvSource({
            "08001, false", // connection refused or connect timed out
            "08006, false", // connection lost (a cut link hits the network timeout)
            "57P03, false", // the database system is starting up / shutting down
            "53300, true",  // too many connections: a live server
            "28P01, true",  // password rejected: a live server
            "XX000, true"})
    void givenFailedPing_whenClassified_thenOnlyAnAnsweringServerCountsAsReachable(String state, boolean answered) {
        var e = new SQLException("failed", state);
        assertEquals(answered, Monitor.serverAnswered(e));
        assertEquals(answered, Monitor.serverAnswered(new OperationFailure(ExitCode.ERR_DB_CON, "cannot connect", e)),
                "the state is found behind a wrapper too");
    }

    @Test
    void givenNoSqlState_whenClassified_thenUnreachable() {
        assertFalse(Monitor.serverAnswered(new SQLException("no state")));
        assertFalse(Monitor.serverAnswered(new IllegalStateException("no SQL at all")));
    }
}
