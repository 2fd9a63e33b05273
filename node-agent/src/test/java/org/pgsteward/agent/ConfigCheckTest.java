package org.pgsteward.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigCheckTest {

    @TempDir
    Path dir;

    private record Result(int code, String out, String err) {}

    private Result check(String text) throws Exception {
        Path file = dir.resolve("node.conf");
        Files.writeString(file, text);
        var out = new StringWriter();
        var err = new StringWriter();
        int code = ConfigCheck.run(file, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void givenAValidFile_whenChecked_thenExit0AndNothingIsCreated() throws Exception {
        Path state = dir.resolve("state");
        Result r = check("pgsteward { cluster = \"c\", node { id = 2, name = \"n2\", conninfo = \"host=h dbname=d\" },"
                + " agent.state-dir = \"" + state + "\" }\n");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("valid (cluster c, node 2 n2, agent.http 127.0.0.1:8702"), r.out());
        assertEquals("", r.err());
        assertFalse(Files.exists(state), "--check-config touched the state directory");
    }

    @Test
    void givenAFileWithSeveralProblems_whenChecked_thenExit1NamingEachOne() throws Exception {
        Result r = check("""
                pgsteward {
                  cluster = "bad name"
                  node { name = "n1", conninfo = "host=h dbname=d", priorty = 5 }
                  agent { http = "127.0.0.1:99999", monitor-interval = 5 }
                  failover { mode = "sometimes" }
                  replicaton { synchronous = on }
                }
                """);
        assertEquals(1, r.code(), r.out());
        String err = r.err();
        for (String expected : new String[] {
                "pgsteward.node.priorty: unknown key (did you mean pgsteward.node.priority?)",
                "pgsteward.replicaton: unknown key",
                "pgsteward.cluster: must be 1 to",
                "pgsteward.node.id: required key is missing",
                "pgsteward.agent.http: ",
                "pgsteward.agent.monitor-interval: must be a duration with a unit",
                "pgsteward.failover.mode: must be one of automatic, manual, got \"sometimes\"",
                ": 7 problems"}) {
            assertTrue(err.contains(expected), "missing <" + expected + "> in:\n" + err);
        }
        assertEquals(8, err.lines().count(), err);
        assertEquals("", r.out());
    }

    @Test
    void givenAnUnknownEventInEventsOnly_whenChecked_thenExit1NamingItAndTheEvents() throws Exception {
        Result r = check("pgsteward { cluster = \"c\", node { id = 2, name = \"n2\", conninfo = \"host=h dbname=d\" },"
                + " events.only = [\"failover\"] }\n");
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains("pgsteward.events.only: unknown event \"failover\"; events: primary_register"), r.err());
    }
}
