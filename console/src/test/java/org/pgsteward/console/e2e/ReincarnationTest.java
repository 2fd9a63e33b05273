package org.pgsteward.console.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgsteward.console.e2e.E2eSupport.ok;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.testing.PostgresExtension;

/**
 * A member downed by mistake (here: its agent frozen long enough for the split-brain resolver to down it, as a long
 * GC pause or a starved host would) comes back by itself as a new incarnation of the same agent process: no service
 * manager, no operator, no failover.
 */
class ReincarnationTest {

    @RegisterExtension
    final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    final AgentFixture agents = new AgentFixture();

    @Test
    void givenAStandbysAgentFrozenUntilItsMemberIsDowned_whenItResumes_thenItJoinsAgainByItselfAndNothingFailsOver() {
        HaCluster c = HaCluster.start(pg, agents, false, "", 1);
        TestNode node1 = c.node(1);
        TestNode node3 = c.node(3);
        long pid = node3.agent().pid();

        node3.agent().signal("STOP");
        try {
            Wait.until("node3's member downed by the others", Duration.ofSeconds(60), () ->
                    node1.agent().logContains("downing [node3@") || c.node(2).agent().logContains("downing [node3@"));
        } finally {
            node3.agent().signal("CONT");
        }
        Wait.until("node3's agent starts a new cluster incarnation", Duration.ofSeconds(60), () ->
                node3.agent().logContains("cluster incarnation ended"));
        Wait.until("node3 is a member again and the supervisor sees a healthy cluster", Duration.ofSeconds(90), () -> {
            String view = node1.agent().httpGet("/api/v1/cluster");
            return view.contains("\"warnings\":[]") && !ok(node1.console("cluster", "show")).stdout().contains("unreachable");
        });
        Wait.until("node3 streams from node1", Duration.ofSeconds(60), () -> HaCluster.streamsFrom(node3, node1));

        assertTrue(node3.agent().isAlive());
        assertEquals(pid, node3.agent().pid(), "the same agent process, not a restarted one");
        assertEquals(List.of(node1), c.writable());
        String events = ok(node3.console("cluster", "event")).stdout();
        assertFalse(events.contains("epoch 2"), "no failover: " + events);
    }
}
