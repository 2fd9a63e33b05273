package org.pgsteward.console.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

/** Assertions and waits shared by the end-to-end tests. */
final class E2eSupport {

    private E2eSupport() {}

    static ConsoleRun ok(ConsoleRun run) {
        assertEquals(0, run.exitCode(), run.describe());
        return run;
    }

    static ConsoleRun exits(int code, ConsoleRun run) {
        assertEquals(code, run.exitCode(), run.describe());
        return run;
    }

    static void awaitRow(TestNode node, String table, int id) {
        Wait.until("row " + id + " of " + table + " on " + node.name(), Duration.ofSeconds(60), () ->
                node.pg().query("SELECT count(*) FROM " + table + " WHERE id = " + id).equals(List.of("1")));
    }

    static boolean refusesWrites(TestNode node, String table) {
        try (Connection c = node.pg().connect(); var st = c.createStatement()) {
            st.execute("INSERT INTO " + table + " VALUES (-1, 'must fail')");
            return false;
        } catch (SQLException e) {
            return "25006".equals(e.getSQLState()); // read_only_sql_transaction
        }
    }
}
