package org.pgsteward.console.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgsteward.console.e2e.E2eSupport.awaitRow;
import static org.pgsteward.console.e2e.E2eSupport.ok;
import static org.pgsteward.console.e2e.E2eSupport.refusesWrites;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.postgres.StopMode;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.PostgresExtension;
import org.pgsteward.agent.testing.SshTestServer;

/**
 * The seed's walkthrough, through the console, with real agent processes and real PostgreSQL:
 * clone two standbys, register all, lose the primary, promote, follow, bring the old primary
 * back by a forced rsync clone, then restore the original roles the same way.
 */
class SeedWalkthroughTest {

    @RegisterExtension
    final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    final AgentFixture agents = new AgentFixture();

    private SshTestServer sshd;

    @BeforeEach
    void sshd() throws Exception {
        sshd = SshTestServer.start();
    }

    @AfterEach
    void stopSshd() {
        if (sshd != null) {
            sshd.close();
        }
    }

    @Test
    void givenThreeNodes_whenPrimaryLostPromotedFollowedAndRecloned_thenEveryRowEverywhereAndRolesRestored() {
        List<TestNode> nodes = manualCluster(sshd.sshOptions());
        TestNode node1 = nodes.get(0);
        TestNode node2 = nodes.get(1);
        TestNode node3 = nodes.get(2);
        PgTestInstance pg1 = node1.pg();
        PgTestInstance pg2 = node2.pg();
        PgTestInstance pg3 = node3.pg();

        // node1 registered; node2 cloned by pg_basebackup, node3 by the seed's rsync method
        ok(node1.console("--verbose", "master", "register"));
        ok(node2.console("-D", pg2.dataDir().toString(), "-d", "postgres", "-p", Integer.toString(node1.port()),
                "-U", "postgres", "--verbose", "standby", "clone", "127.0.0.1"));
        ok(node3.console("-D", pg3.dataDir().toString(), "-d", "postgres", "-p", Integer.toString(node1.port()),
                "-U", "postgres", "-R", "postgres", "--verbose", "standby", "clone", "--method", "rsync", "127.0.0.1"));
        ok(node2.console("--verbose", "standby", "register"));
        ok(node3.console("--verbose", "standby", "register"));

        // a row inserted on the primary appears on both standbys; standbys refuse writes
        pg1.execute("INSERT INTO walk VALUES (1, 'on node1')");
        awaitRow(node2, "walk", 1);
        awaitRow(node3, "walk", 1);
        assertTrue(refusesWrites(node2, "walk"));
        assertTrue(refusesWrites(node3, "walk"));
        Wait.until("repl_status shows both standbys", Duration.ofSeconds(30), () ->
                pg1.query("SELECT standby_node FROM repmgr_test.repl_status ORDER BY standby_node").equals(List.of("2", "3")));
        String show = ok(node1.console("cluster", "show")).stdout();
        assertTrue(show.contains("node1") && show.contains("primary"), show);
        assertTrue(show.contains("node2") && show.contains("node3") && show.contains("standby"), show);

        // node1 lost; node2 promoted; node3 follows node2. node1 is shut down cleanly: its WAL senders hand every
        // record to both standbys first, so node3 has nothing node2 lacks (a crash can leave node3 ahead of node2;
        // that case, refused and then rewound with -F, is the next test)
        pg1.pgCtl().stop(StopMode.FAST);
        ok(node2.console("--verbose", "standby", "promote"));
        assertEquals("f", pg2.queryOne("SELECT pg_is_in_recovery()"));
        ok(node3.console("--verbose", "standby", "follow"));
        pg2.execute("INSERT INTO walk VALUES (2, 'on node2')");
        awaitRow(node3, "walk", 2);

        // node1 comes back as a standby of node2 by a forced rsync clone over ssh
        ok(node1.console("-D", pg1.dataDir().toString(), "-d", "postgres", "-p", Integer.toString(node2.port()),
                "-U", "postgres", "-R", "postgres", "--verbose", "--force", "standby", "clone", "--method", "rsync", "127.0.0.1"));
        ok(node1.console("standby", "register"));
        awaitRow(node1, "walk", 1);
        awaitRow(node1, "walk", 2);
        assertTrue(refusesWrites(node1, "walk"));

        // the original roles restored the same way: node2 stopped, node1 promoted, node2 re-cloned, node3 follows
        pg2.pgCtl().stop(StopMode.FAST);
        ok(node1.console("standby", "promote"));
        ok(node3.console("standby", "follow"));
        ok(node2.console("-D", pg2.dataDir().toString(), "-p", Integer.toString(node1.port()), "-U", "postgres",
                "-R", "postgres", "--force", "standby", "clone", "--method", "rsync", "127.0.0.1"));
        ok(node2.console("standby", "register"));
        pg1.execute("INSERT INTO walk VALUES (3, 'on node1 again')");
        for (TestNode n : List.of(node2, node3)) {
            awaitRow(n, "walk", 1);
            awaitRow(n, "walk", 2);
            awaitRow(n, "walk", 3);
        }
        assertTrue(refusesWrites(node2, "walk"));
        assertTrue(refusesWrites(node3, "walk"));
        assertEquals("f", pg1.queryOne("SELECT pg_is_in_recovery()"));
        String events = ok(node3.console("cluster", "event")).stdout();
        assertTrue(events.contains("node 1 is primary in epoch 3"), events);
        assertTrue(events.contains("node 2 is primary in epoch 2"), events);
        String finalShow = ok(node3.console("cluster", "show", "--csv")).stdout();
        assertTrue(finalShow.lines().anyMatch(l -> l.startsWith("1,node1,primary,running")), finalShow);
        assertTrue(finalShow.lines().anyMatch(l -> l.startsWith("2,node2,standby,running")), finalShow);
        assertTrue(finalShow.lines().anyMatch(l -> l.startsWith("3,node3,standby,running")), finalShow);
    }

    @Test
    void givenStandbyAheadOfThePromotedOne_whenFollow_thenRefusedUntouchedAndWithForceRewoundToTheNewPrimary()
            throws Exception {
        List<TestNode> nodes = manualCluster(List.of());
        TestNode node1 = nodes.get(0);
        TestNode node2 = nodes.get(1);
        TestNode node3 = nodes.get(2);
        PgTestInstance pg1 = node1.pg();
        PgTestInstance pg2 = node2.pg();
        PgTestInstance pg3 = node3.pg();
        ok(node1.console("master", "register"));
        for (TestNode n : List.of(node2, node3)) {
            ok(n.console("-p", Integer.toString(node1.port()), "-U", "postgres", "standby", "clone", "127.0.0.1"));
            ok(n.console("standby", "register"));
        }
        pg1.execute("INSERT INTO walk VALUES (1, 'everywhere')");
        awaitRow(node2, "walk", 1);
        awaitRow(node3, "walk", 1);

        // node2 stops receiving; node3 still receives row 2; then node1 crashes and node2 is promoted without it
        pg2.execute("ALTER SYSTEM SET primary_conninfo = ''");
        pg2.execute("SELECT pg_reload_conf()");
        Wait.until("node2's WAL receiver stopped", Duration.ofSeconds(30), () ->
                pg2.query("SELECT count(*) FROM pg_stat_wal_receiver").equals(List.of("0")));
        pg1.execute("INSERT INTO walk VALUES (2, 'only node3 received it')");
        awaitRow(node3, "walk", 2);
        pg1.pgCtl().stop(StopMode.IMMEDIATE);
        String promoted = ok(node2.console("standby", "promote")).stdout();
        assertTrue(promoted.contains("WARNING: node 3 (node3) has WAL up to"), promoted);
        java.nio.file.Path autoConf = pg3.dataDir().resolve("postgresql.auto.conf");
        String before = java.nio.file.Files.readString(autoConf);

        // refused at once, naming the fork, and nothing changed: still a standby of node1's history with row 2
        ConsoleRun refused = E2eSupport.exits(14, node3.console("standby", "follow"));
        assertTrue(refusesWrites(node3, "walk"));
        assertTrue(refused.stderr().contains("forked off timeline 1 at"), refused.describe());
        assertTrue(refused.stderr().contains("standby follow -F"), refused.describe());
        assertEquals(before, java.nio.file.Files.readString(autoConf), "the refused follow changed the configuration");
        assertEquals("t", pg3.queryOne("SELECT pg_is_in_recovery()"));
        assertEquals(List.of("1"), pg3.query("SELECT count(*) FROM walk WHERE id = 2"));

        // -F rewinds node3 to node2's history: row 2 (never on node2) is gone, node2's rows stream in
        String forced = ok(node3.console("-F", "--verbose", "standby", "follow")).stdout();
        assertTrue(forked(forced), forced);
        pg2.execute("INSERT INTO walk VALUES (3, 'on node2')");
        awaitRow(node3, "walk", 3);
        assertEquals(List.of("0"), pg3.query("SELECT count(*) FROM walk WHERE id = 2"));
        assertTrue(refusesWrites(node3, "walk"));
        String events = ok(node3.console("cluster", "event")).stdout();
        assertTrue(events.contains("rewound first"), events);
    }

    /**
     * node1 a running primary with table walk, node2 and node3 empty; their agents (failover.mode = manual) started.
     */
    private List<TestNode> manualCluster(List<String> ssh) {
        PgTestInstance pg1 = pg.primary("node1");
        // the seed's master register wants wal_keep_segments >= 5000 by default
        pg1.execute("ALTER SYSTEM SET wal_keep_size = '80000MB'");
        pg1.execute("SELECT pg_reload_conf()");
        pg1.execute("CREATE TABLE walk (id int primary key, what text)");
        agents.cluster(3, "manual", "");
        List<TestNode> nodes = List.of(agents.node("test", 1, pg1, ssh), agents.node("test", 2, pg.empty("node2"), ssh),
                agents.node("test", 3, pg.empty("node3"), ssh));
        AgentProcess.startAll(nodes.stream().map(TestNode::agent).toList());
        return nodes;
    }

    private static boolean forked(String output) {
        return output.contains("rewinding this node to the upstream's history") && output.contains("rewound");
    }
}
