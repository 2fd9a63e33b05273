package org.pgsteward.console.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgsteward.console.e2e.E2eSupport.ok;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.testing.PostgresExtension;

/** Planned switchover: lossless, and rolled back when a step fails. */
class SwitchoverTest {

    @RegisterExtension
    final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    final AgentFixture agents = new AgentFixture();

    @Test
    void givenThreeNodes_whenSwitchedOverAndBack_thenEachTimeLosslessAndTheOldPrimaryFollows() {
        HaCluster c = HaCluster.start(pg, agents, false, "", 1);
        TestNode node1 = c.node(1);
        TestNode node2 = c.node(2);
        TestNode node3 = c.node(3);
        node1.pg().execute("INSERT INTO ha (id) SELECT g FROM generate_series(1, 1000) g");

        ok(node2.console("standby", "switchover"));

        assertEquals(List.of(node2), c.writable());
        assertEquals("1000", node2.pg().queryOne("SELECT count(*) FROM ha"));
        Wait.until("node1 and node3 stream from node2", Duration.ofSeconds(60), () ->
                HaCluster.streamsFrom(node1, node2) && HaCluster.streamsFrom(node3, node2));
        node2.pg().execute("INSERT INTO ha (id) VALUES (1001)");
        E2eSupport.awaitRow(node1, "ha", 1001);

        Wait.until("the supervisor sees node2 as the running primary", Duration.ofSeconds(60), () ->
                node3.agent().httpGet("/api/v1/cluster").contains("\"warnings\":[]"));
        ok(node1.console("standby", "switchover"));

        assertEquals(List.of(node1), c.writable());
        assertEquals("1001", node1.pg().queryOne("SELECT count(*) FROM ha"));
        Wait.until("node2 and node3 stream from node1", Duration.ofSeconds(60), () ->
                HaCluster.streamsFrom(node2, node1) && HaCluster.streamsFrom(node3, node1));
        String events = ok(node3.console("cluster", "event")).stdout();
        assertTrue(events.contains("switchover from node 1 to node 2") && events.contains("switchover from node 2 to node 1"),
                events);
    }

    @Test
    void givenCandidateThatStopsReceiving_whenSwitchover_thenRolledBackNamingTheStep() throws Exception {
        HaCluster c = HaCluster.start(pg, agents, false, "", 1);
        TestNode node1 = c.node(1);
        TestNode node2 = c.node(2);
        // the clean stop waits for every walsender to hear its standby confirm the shutdown checkpoint: with a frozen
        // receiver that is wal_sender_timeout (60 s by default), the same in production, only slower
        node1.pg().execute("ALTER SYSTEM SET wal_sender_timeout = '5s'");
        node1.pg().execute("SELECT pg_reload_conf()");
        // freeze node2's WAL receiver: it still looks like a streaming standby but receives nothing more
        long walReceiver = Long.parseLong(node2.pg().queryOne("SELECT pid FROM pg_stat_wal_receiver"));
        signal("STOP", walReceiver);
        try {
            var run = node2.console("standby", "switchover");
            assertNotEquals(0, run.exitCode(), run.describe());
            assertTrue(run.stderr().contains("verify the candidate received the final LSN"), run.describe());
            assertTrue(run.stderr().contains("rolled back"), run.describe());
        } finally {
            signal("CONT", walReceiver);
        }
        Wait.until("node1 is the writable primary again", Duration.ofSeconds(60), () -> c.writable().equals(List.of(node1)));
        Wait.until("node2 streams from node1 again", Duration.ofSeconds(60), () -> HaCluster.streamsFrom(node2, node1));
        assertTrue(node1.agent().httpGet("/api/v1/cluster").contains("\"epoch\":1"));
    }

    private static void signal(String sig, long pid) throws Exception {
        Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).start();
        assertEquals(0, p.waitFor());
    }
}
