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

    /**
     * Found by the chaos run (load 30): the first seed's agent restarted while the others did not answer within
     * seed-node-timeout formed a cluster of its own and stayed there for good. A first start on the state of a running
     * cluster now leaves such an island and joins the others.
     */
    @Test
    void givenTheFirstSeedsAgentRestartedWhileTheOthersAreFrozen_whenTheyResume_thenItLeavesItsIslandAndJoinsThem() {
        HaCluster c = HaCluster.start(pg, agents, false, "", 0); // node1 first in the seed list, as by default
        TestNode node1 = c.node(1);
        TestNode node2 = c.node(2);
        TestNode node3 = c.node(3);

        node2.agent().signal("STOP");
        node3.agent().signal("STOP");
        try {
            node1.agent().kill9();
            int restartedAt = node1.agent().logText().length();
            node1.agent().launchOnly();
            Wait.until("node1's restarted agent forms a cluster of its own", Duration.ofSeconds(60), () ->
                    node1.agent().logText().substring(restartedAt).contains("forming new cluster"));
        } finally {
            node2.agent().signal("CONT");
            node3.agent().signal("CONT");
        }
        Wait.until("node1 leaves its island", Duration.ofSeconds(90), () ->
                node1.agent().logContains("leaving it to join the others"));
        Wait.until("one primary, the two others streaming from it", Duration.ofSeconds(120), () -> {
            var p = c.onlyWritable();
            return p.isPresent() && c.nodes.stream().filter(n -> n != p.get()).allMatch(n -> HaCluster.streamsFrom(n, p.get()));
        });
        Wait.until("every agent sees the three members", Duration.ofSeconds(60), () ->
                c.nodes.stream().allMatch(n -> n.agent().httpGet("/api/v1/cluster").split("\"status\":\"Up\"").length == 4));
    }
}
