package org.pgsteward.console.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgsteward.console.e2e.E2eSupport.ok;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.testing.PostgresExtension;

/**
 * Issue 7.8: every agent SIGKILLed at random moments (while idle, while starting, while the cluster is still
 * recovering from the last round) and started again, in random order, many rounds, with the product defaults (a
 * journal per host). What must hold: never two writable primaries; afterwards the same primary, both standbys
 * streaming from it, the supervisor answering, and the epoch never lower than one seen before.
 */
class AllAgentsKilledTest {

    private static final Pattern EPOCH = Pattern.compile("\"epoch\":(\\d+)");
    private static final int ROUNDS = 6;

    @RegisterExtension
    final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    final AgentFixture agents = new AgentFixture();

    @Test
    void givenAllAgentsKilledAtRandomMoments_whenStartedAgainManyTimes_thenSamePrimaryAndTheEpochNeverGoesBack() {
        long seed = Long.getLong("test.seed", System.nanoTime());
        Random random = new Random(seed);
        HaCluster c = HaCluster.start(pg, agents, false, "", 1);
        TestNode node1 = c.node(1);
        long[] highest = {epoch(node1)};
        assertEquals(1, highest[0]);

        List<String> log = new ArrayList<>();
        for (int round = 1; round <= ROUNDS; round++) {
            // a random moment: the agents may be idle, starting, or still recovering from the last round
            int before = random.nextInt(4_000);
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(before).toNanos());
            assertTrue(c.writable().size() <= 1, "two writable primaries: " + c.writable());
            c.nodes.forEach(n -> n.agent().kill9());
            List<TestNode> order = new ArrayList<>(c.nodes);
            java.util.Collections.shuffle(order, random);
            for (TestNode n : order) {
                n.agent().launchOnly();
                java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(random.nextInt(1_500)).toNanos());
            }
            log.add("round " + round + ": killed after " + before + " ms, started " + order);
            if (round % 2 == 0 || round == ROUNDS) {
                converge(c, node1, highest, "round " + round + " (seed " + seed + ")");
            }
        }
        String show = ok(node1.console("cluster", "show")).stdout();
        assertTrue(show.contains("node1"), show);
        System.out.println("all agents killed " + ROUNDS + " times (seed " + seed + "): " + log + "; epoch " + highest[0]);
    }

    /** One primary (node1), the others streaming from it, the supervisor answering; the epoch never went back. */
    private static void converge(HaCluster c, TestNode node1, long[] highest, String when) {
        Wait.until("after " + when + ": node1 the only primary, both standbys streaming, the supervisor answers",
                Duration.ofSeconds(120), () -> {
                    List<TestNode> w = c.writable();
                    assertTrue(w.size() <= 1, "two writable primaries: " + w);
                    for (TestNode n : c.nodes) {
                        if (!n.agent().isAlive()) {
                            throw new AssertionError(n + "'s agent exited:\n" + n.agent().logTail());
                        }
                    }
                    if (!w.equals(List.of(node1)) || !HaCluster.streamsFrom(c.node(2), node1)
                            || !HaCluster.streamsFrom(c.node(3), node1)) {
                        return false;
                    }
                    String view;
                    try {
                        view = node1.agent().httpGet("/api/v1/cluster");
                    } catch (IllegalStateException e) {
                        return false; // its agent is still starting
                    }
                    java.util.OptionalLong epoch = epochIn(view);
                    if (epoch.isEmpty()) {
                        return false; // no supervisor answer yet
                    }
                    long e = epoch.getAsLong();
                    assertTrue(e >= highest[0], "the epoch went back from " + highest[0] + " to " + e + ": " + view);
                    highest[0] = e;
                    return view.contains("\"warnings\":[]");
                });
    }

    private static long epoch(TestNode n) {
        String view = n.agent().httpGet("/api/v1/cluster");
        return epochIn(view).orElseThrow(() -> new AssertionError("no epoch in " + view));
    }

    private static java.util.OptionalLong epochIn(String view) {
        Matcher m = EPOCH.matcher(view);
        return m.find() ? java.util.OptionalLong.of(Long.parseLong(m.group(1))) : java.util.OptionalLong.empty();
    }
}
