package org.pgsteward.console.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgsteward.console.e2e.E2eSupport.exits;
import static org.pgsteward.console.e2e.E2eSupport.ok;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.testing.PostgresExtension;

/**
 * Issue 10 points 3 and 8 on one cluster: a standby cloned but not registered is registered by its agent; every
 * standby streams through its slot on the primary; after a failover the new primary has the other standby's slot
 * active and the old primary rejoins through its own, its stale slots dropped; `standby unregister` drops a slot.
 */
class ReplicationSlotsTest {

    @RegisterExtension
    final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    final AgentFixture agents = new AgentFixture();

    private static final String ACTIVE_SLOTS = "SELECT slot_name FROM pg_replication_slots WHERE active ORDER BY 1";
    private static final String ALL_SLOTS = "SELECT slot_name FROM pg_replication_slots ORDER BY 1";

    @Test
    void givenStandbysOnSlots_whenThePrimaryFailsAndComesBack_thenSlotsFollowTheTopologyAndUnregisterDropsOne() {
        HaCluster c = HaCluster.startWithAnUnregisteredStandby(pg, agents, "", 3);
        TestNode node1 = c.node(1);
        TestNode node3 = c.node(3);

        // 10.8: node3 was only cloned; its agent registers it
        Wait.until("node3 registered by its agent", Duration.ofSeconds(60), () ->
                ok(node1.console("cluster", "show")).stdout().lines().anyMatch(l -> l.contains("node3")
                        && l.contains("standby")));
        String events = ok(node1.console("cluster", "event")).stdout();
        assertTrue(events.lines().anyMatch(l -> l.contains("standby_register") && l.contains("node.auto-register")), events);

        // 10.3: each standby streams through its slot on the primary
        Wait.until("both standbys stream through their slots on node1", Duration.ofSeconds(60), () ->
                node1.pg().query(ACTIVE_SLOTS).equals(List.of("pgsteward_node2", "pgsteward_node3")));
        // 10.7: node check covers slots, the lease and the supervisor
        Wait.until("node check on the primary passes, its lease held", Duration.ofSeconds(30), () ->
                node1.console("node", "check").exitCode() == 0);
        String check = ok(node1.console("node", "check")).stdout();
        assertTrue(check.contains("slot pgsteward_node2 in use by standby node 2")
                && check.contains("slot pgsteward_node3 in use by standby node 3"), check);
        assertTrue(check.lines().anyMatch(l -> l.trim().startsWith("lease") && l.contains("held in epoch")), check);
        assertTrue(check.lines().anyMatch(l -> l.trim().startsWith("supervisor") && l.contains("OK")), check);
        String standbyCheck = ok(c.node(2).console("node", "check")).stdout();
        assertTrue(standbyCheck.contains("streams through slot pgsteward_node2"), standbyCheck);
        // with slots, primary register asks for no wal_keep_size
        node1.pg().execute("ALTER SYSTEM SET wal_keep_size = 0");
        node1.pg().execute("SELECT pg_reload_conf()");
        ok(node1.console("primary", "register"));

        node1.agent().kill9();
        HaCluster.killPostgres(node1);
        Wait.until("a new primary and the other standby streaming from it", Duration.ofSeconds(90), () -> {
            List<TestNode> w = c.writable();
            return w.size() == 1 && c.nodes.stream().filter(n -> n != node1 && n != w.get(0))
                    .allMatch(n -> HaCluster.streamsFrom(n, w.get(0)));
        });
        TestNode primary = c.onlyWritable().orElseThrow();
        TestNode standby = primary == c.node(2) ? node3 : c.node(2);
        String standbySlot = "pgsteward_node" + standby.id();
        Wait.until("the new primary has the other standby's slot active", Duration.ofSeconds(30), () ->
                primary.pg().query(ACTIVE_SLOTS).equals(List.of(standbySlot)));
        assertTrue(primary.pg().query(ALL_SLOTS).contains("pgsteward_node1"), "a slot waits for the old primary");
        Wait.until("cluster show warns about the slot held for the absent node1, last", Duration.ofSeconds(30), () -> {
            List<String> lines = ok(primary.console("cluster", "show")).stdout().lines().toList();
            return lines.get(lines.size() - 1).startsWith("WARNING: replication slot pgsteward_node1 on the primary holds");
        });
        String primaryCheck = ok(primary.console("node", "check")).stdout();
        assertTrue(primaryCheck.lines().anyMatch(l -> l.trim().startsWith("slots") && l.contains("WARNING")
                && l.contains("pgsteward_node1")), "the absent node1's slot is a warning, not a problem:\n" + primaryCheck);
        Wait.until("the slot's retained bytes on /metrics", Duration.ofSeconds(30), () ->
                primary.agent().httpGet("/metrics").lines().anyMatch(l -> l.startsWith("pgsteward_slot_retained_bytes")
                        && l.contains("slot=\"pgsteward_node1\"")));

        node1.agent().start();
        Wait.until("node1 rejoins through its slot on the new primary", Duration.ofSeconds(120), () ->
                HaCluster.streamsFrom(node1, primary)
                        && primary.pg().query(ACTIVE_SLOTS).equals(List.of("pgsteward_node1", standbySlot).stream().sorted().toList()));
        Wait.until("the old primary's stale slots dropped", Duration.ofSeconds(30), () -> node1.pg().query(ALL_SLOTS).isEmpty());

        // standby unregister: refused for the primary, an unknown node, a standby streaming elsewhere
        assertTrue(exits(1, primary.console("standby", "unregister")).stdout().contains("is the primary")
                || primary.console("standby", "unregister").stderr().contains("is the primary"));
        assertTrue(output(exits(1, standby.console("standby", "unregister", "--node-id", "99"))).contains("not registered"));
        assertTrue(output(exits(1, primary.console("standby", "unregister", "--node-id", Integer.toString(standby.id()))))
                .contains("still streams through slot " + standbySlot));
        ok(standby.console("standby", "unregister"));
        assertEquals(List.of("pgsteward_node1"), primary.pg().query(ALL_SLOTS));
        String show = ok(primary.console("cluster", "show")).stdout();
        assertTrue(show.lines().noneMatch(l -> l.contains(" " + standby.name() + " ")), show);
        Wait.until("the unregistered standby still streams, without a slot", Duration.ofSeconds(30), () ->
                HaCluster.streamsFrom(standby, primary));
    }

    private static String output(ConsoleRun run) {
        return run.stdout() + run.stderr();
    }
}
