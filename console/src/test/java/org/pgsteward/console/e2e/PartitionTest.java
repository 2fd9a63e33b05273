package org.pgsteward.console.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.testing.PgTestEnvironment;
import org.pgsteward.agent.testing.PostgresExtension;

/**
 * A real network partition: the primary's host (its PostgreSQL and its agent, in a network namespace of its own) is
 * cut off from the rest of the network, which holds the other two nodes and the supervisor.
 */
class PartitionTest {

    private NetworkLab lab;
    /** The link failure that must not cause a failover: shorter than failover.timeout (1.5 s by default). */
    private static final Duration BLIP = Duration.ofMillis(1000);

    /** The network goes last: agents and servers stop first. */
    @RegisterExtension
    @Order(1)
    final NetworkLabExtension network = new NetworkLabExtension();

    @RegisterExtension
    @Order(2)
    final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    @Order(3)
    final AgentFixture agents = new AgentFixture();

    @Test
    void givenPrimaryHostCutOff_whenPartitioned_thenItFencesBeforeAStandbyIsPromotedAndRejoinsByItselfAfterHealing() {
        lab = network.create();
        HaCluster c = HaCluster.start(pg, agents, false, "", 1, lab); // node2 is the oldest member: the supervisor
        TestNode node1 = c.node(1);
        assertEquals(List.of(node1), c.writable());

        lab.cut("node1");

        // The isolated primary must stop taking writes before any standby is promoted: sample the standbys first,
        // then node1 (from inside its host), so a sample that sees both writable proves a real overlap.
        var fencedSeen = new java.util.concurrent.atomic.AtomicBoolean();
        var promoted = new java.util.concurrent.atomic.AtomicReference<TestNode>();
        Wait.until("node1 fenced and a standby promoted", Duration.ofSeconds(90), () -> {
            List<TestNode> others = List.of(c.node(2), c.node(3)).stream().filter(HaCluster::isWritable).toList();
            boolean node1Writable = writableOnItsHost(node1);
            if (!others.isEmpty() && node1Writable) {
                throw new AssertionError("two writable primaries: node1 (cut off) and " + others);
            }
            if (others.size() > 1) {
                throw new AssertionError("two writable primaries: " + others);
            }
            fencedSeen.compareAndSet(false, !node1Writable);
            if (!others.isEmpty()) {
                promoted.set(others.get(0));
            }
            return fencedSeen.get() && promoted.get() != null;
        });
        TestNode newPrimary = promoted.get();
        assertFalse(writableOnItsHost(node1), "node1 stays fenced");
        TestNode sibling = newPrimary == c.node(2) ? c.node(3) : c.node(2);
        Wait.until("the other standby follows " + newPrimary, Duration.ofSeconds(60), () ->
                HaCluster.streamsFrom(sibling, newPrimary));
        // alone on its side, node1's member is downed by the split-brain resolver: the agent process stays and starts
        // a new cluster incarnation, which joins the others by itself once the link is back
        long pid = node1.agent().pid();
        Wait.until("node1's member downed (minority side) and a new incarnation started", Duration.ofSeconds(60), () ->
                node1.agent().logContains("cluster incarnation ended"));
        assertFalse(writableOnItsHost(node1), "node1 stays fenced while its member is out of the cluster");

        lab.heal("node1");
        Wait.until("node1 rejoins as a standby of " + newPrimary + " by itself", Duration.ofSeconds(120), () ->
                HaCluster.streamsFrom(node1, newPrimary));
        assertTrue(node1.agent().isAlive());
        assertEquals(pid, node1.agent().pid(), "the same agent process, not a restarted one");
        assertEquals(List.of(newPrimary), c.writable());
        String events = newPrimary.agent().httpGet("/api/v1/events?limit=500");
        assertTrue(events.contains("promot"), events);
    }

    @Test
    void givenPrimaryHostBlip_whenTheLinkIsBackWithinTheFailoverTimeout_thenNoFailover() {
        lab = network.create();
        HaCluster c = HaCluster.start(pg, agents, false, "", 1, lab);
        TestNode node1 = c.node(1);
        assertEquals(List.of(node1), c.writable());

        // a blip: the link is down for BLIP (the fault's length, shorter than failover.timeout = 1.5 s)
        lab.cut("node1");
        java.util.concurrent.locks.LockSupport.parkNanos(BLIP.toNanos()); // the fault's duration, not a wait for a state
        lab.heal("node1");

        Wait.until("the supervisor sees a healthy cluster again", Duration.ofSeconds(60), () ->
                c.node(2).agent().httpGet("/api/v1/cluster").contains("\"warnings\":[]"));
        String view = c.node(2).agent().httpGet("/api/v1/cluster");
        assertTrue(view.contains("\"epoch\":1"), "no new epoch: " + view);
        assertEquals(List.of(node1), c.writable());
        assertTrue(HaCluster.streamsFrom(c.node(2), node1) || HaCluster.streamsFrom(c.node(3), node1));
        // the lease may still run short while the renewals wait for the connections to recover after the link is
        // back: then the primary fenced itself and started again on a fresh lease - an outage, not a failover
        System.out.println("blip of " + BLIP.toMillis() + " ms: the primary "
                + (node1.agent().logTail().contains("FENCING") ? "fenced itself and started again" : "kept running"));
    }

    /** Whether node1's PostgreSQL takes writes, asked from its own host (the only place it is reachable from). */
    private boolean writableOnItsHost(TestNode n) {
        Optional<String> answer = lab.run("node1", 5, List.of(PgTestEnvironment.binDir().resolve("psql").toString(),
                "-h", n.host(), "-p", Integer.toString(n.port()), "-U", "postgres", "-d", "postgres", "-At",
                "-c", "SELECT NOT pg_is_in_recovery()"));
        return answer.map("t"::equals).orElse(false);
    }
}
