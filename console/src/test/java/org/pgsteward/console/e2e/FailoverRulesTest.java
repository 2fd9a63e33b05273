package org.pgsteward.console.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgsteward.console.e2e.E2eSupport.ok;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.testing.PostgresExtension;

/** The rules around automatic failover: pause, priority 0, no eligible candidate, a moving supervisor, a witness. */
class FailoverRulesTest {

    @RegisterExtension
    final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    final AgentFixture agents = new AgentFixture();

    /** Lease 3 s + failover timeout 1.5 s + margins: by then a failover would have started. */
    private static final Duration WOULD_HAVE_FAILED_OVER = Duration.ofSeconds(8);

    @Test
    void givenPaused_whenPrimaryLost_thenNoFailoverUntilResumed() {
        HaCluster c = HaCluster.start(pg, agents, false, "", 1);
        ok(c.node(2).console("cluster", "pause"));
        assertTrue(ok(c.node(2).console("cluster", "show")).stdout().contains("PAUSED"));
        c.node(1).agent().kill9();
        HaCluster.killPostgres(c.node(1));
        long lost = System.nanoTime();
        Wait.until("the supervisor says it would fail over but is paused", Duration.ofSeconds(60), () ->
                System.nanoTime() - lost > WOULD_HAVE_FAILED_OVER.toNanos()
                        && c.node(2).agent().httpGet("/api/v1/cluster").contains("paused"));
        assertEquals(List.of(), c.writable());

        ok(c.node(2).console("cluster", "resume"));
        Wait.until("a new primary after resume", Duration.ofSeconds(60), () -> c.writable().size() == 1);
        String events = ok(c.node(2).console("cluster", "event")).stdout();
        assertTrue(events.contains("automatic failover paused") && events.contains("automatic failover resumed"), events);
    }

    @Test
    void givenPriorityZeroStandbyMostAdvanced_whenPrimaryLost_thenTheOtherStandbyIsPromoted() throws Exception {
        HaCluster c = HaCluster.start(pg, agents, false, "", 1);
        TestNode node2 = c.node(2);
        // node2 never becomes primary automatically, however advanced it is
        node2.agent().stop();
        node2.setPriority(0);
        node2.agent().start();
        Wait.until("priority 0 known to the supervisor", Duration.ofSeconds(30), () ->
                c.node(3).agent().httpGet("/api/v1/events?limit=500").contains("node2 (id 2, priority 0)"));
        Wait.until("node2's agent streams again and the cluster is healthy", Duration.ofSeconds(60), () ->
                node2.agent().httpStatus("/replica") == 200
                        && node2.agent().httpGet("/api/v1/cluster").contains("\"warnings\":[]"));
        c.node(1).agent().kill9();
        HaCluster.killPostgres(c.node(1));
        Wait.until("node3 promoted", Duration.ofSeconds(60), () -> c.writable().equals(List.of(c.node(3))));
        Wait.until("node2 follows node3", Duration.ofSeconds(60), () -> HaCluster.streamsFrom(node2, c.node(3)));
    }

    @Test
    void givenOnlyStandbyHasPriorityZero_whenPrimaryLost_thenNoCandidateIsReportedWithTheReason() {
        HaCluster c = HaCluster.startTwoNodesAndWitness(pg, agents, 1);
        TestNode node2 = c.node(2);
        node2.agent().stop();
        node2.setPriority(0);
        node2.agent().start();
        Wait.until("priority 0 known", Duration.ofSeconds(30), () ->
                node2.agent().httpGet("/api/v1/events?limit=500").contains("node2 (id 2, priority 0)"));
        // the restarted agent settles first (streams, seen by the supervisor): a primary lost within a second or two of
        // a standby agent's restart is a different case (see the issue note)
        Wait.until("node2's agent streams again and the cluster is healthy", Duration.ofSeconds(60), () ->
                node2.agent().httpStatus("/replica") == 200
                        && node2.agent().httpGet("/api/v1/cluster").contains("\"warnings\":[]"));
        c.node(1).agent().kill9();
        HaCluster.killPostgres(c.node(1));
        Wait.until("cluster show says why no failover happens", Duration.ofSeconds(60), () ->
                ok(node2.console("cluster", "show")).stdout().contains("priority 0"));
        assertTrue(ok(node2.console("cluster", "event")).stdout().contains("no candidate"));
        assertEquals(List.of(), c.writable());
    }

    @Test
    void givenTwoNodesAndWitness_whenPrimaryLost_thenStandbyPromoted() {
        HaCluster c = HaCluster.startTwoNodesAndWitness(pg, agents, 2);
        c.node(1).agent().kill9();
        HaCluster.killPostgres(c.node(1));
        Wait.until("node2 promoted with the witness's vote", Duration.ofSeconds(60), () ->
                c.writable().equals(List.of(c.node(2))));
        c.node(1).agent().start();
        Wait.until("node1 rejoins as a standby of node2", Duration.ofSeconds(120), () ->
                HaCluster.streamsFrom(c.node(1), c.node(2)));
    }

    @Test
    void givenSupervisorOnAStandby_whenItsAgentKilled_thenSupervisorMovesWithoutFailoverAndKeepsEpochAndHistory() {
        HaCluster c = HaCluster.start(pg, agents, false, "", 1); // node2 is the oldest member: it hosts the supervisor
        String before = c.node(3).agent().httpGet("/api/v1/cluster");
        assertTrue(before.contains("\"epoch\":1"), before);
        c.node(2).agent().kill9();
        Wait.until("the supervisor answers again from another host", Duration.ofSeconds(60), () -> {
            String v = c.node(3).agent().httpGet("/api/v1/cluster");
            return v.contains("\"epoch\":1") && !v.contains("did not answer") && !v.contains("learning");
        });
        assertEquals(List.of(c.node(1)), c.writable());
        String events = ok(c.node(3).console("cluster", "event")).stdout();
        assertTrue(events.contains("node 1 is primary in epoch 1"), "history kept: " + events);
        assertTrue(HaCluster.streamsFrom(c.node(3), c.node(1)));
    }

    @Test
    void givenJournalOnAnOutsidePostgres_whenSupervisorHostDies_thenTheNewSupervisorHasTheHistory() {
        var journal = pg.primary("journal");
        String hocon = "supervisor { journal-url = \"jdbc:postgresql://127.0.0.1:" + journal.port()
                + "/postgres\", journal-user = \"postgres\" }\n";
        HaCluster c = HaCluster.start(pg, agents, false, hocon, 1); // node2 hosts the supervisor
        assertTrue(Integer.parseInt(journal.queryOne("SELECT count(*) FROM event_journal")) > 0);
        c.node(2).agent().kill9();
        Wait.until("the supervisor answers again from another host", Duration.ofSeconds(60), () -> {
            String v = c.node(3).agent().httpGet("/api/v1/cluster");
            return v.contains("\"epoch\":1") && !v.contains("did not answer") && !v.contains("learning");
        });
        String events = ok(c.node(3).console("cluster", "event")).stdout();
        assertTrue(events.contains("node 1 is primary in epoch 1"), "history from the PostgreSQL journal: " + events);
        assertEquals(List.of(c.node(1)), c.writable());
    }
}
