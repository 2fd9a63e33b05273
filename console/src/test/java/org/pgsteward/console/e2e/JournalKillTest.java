package org.pgsteward.console.e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.PostgresExtension;

/**
 * The embedded default journal (H2 in the state directory) survives a SIGKILL of its agent at any moment: during
 * the JVM's start, the schema creation, the supervisor's recovery and its first writes. After each kill the agent
 * starts on the same state directory and its supervisor reads the journal and answers (checked after every third
 * kill: a corrupted journal stays corrupted, so the next check finds it).
 */
class JournalKillTest {

    private static final int KILLS = 15;
    /** Kills land anywhere from the JVM's start to the supervisor's first writes (~3 s after the start). */
    private static final int MAX_DELAY_MS = 3500;

    @RegisterExtension
    final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    final AgentFixture agents = new AgentFixture();

    @Test
    void givenEmbeddedJournal_whenTheAgentIsKilledAtRandomMomentsManyTimes_thenItAlwaysStartsAndItsJournalIsRead()
            throws InterruptedException {
        PgTestInstance p = pg.primary("solo");
        TestNode n = agents.node("test", 1, p, List.of());
        long seed = System.nanoTime();
        Random random = new Random(seed);
        List<Integer> delays = new ArrayList<>();
        for (int kill = 1; kill <= KILLS; kill++) {
            int delay = random.nextInt(MAX_DELAY_MS);
            delays.add(delay);
            n.agent().launchOnly();
            Thread.sleep(delay); // the moment of the crash, not a wait for a condition
            n.agent().kill9();
            if (kill % 3 != 0) {
                continue; // checked after every third kill (a full start and check costs 6-10 s on 2 busy cores)
            }
            n.agent().start();
            String context = "after kill " + kill + " of " + KILLS + ", at " + delays + " ms after the starts (seed "
                    + seed + ")";
            Wait.until("the supervisor read its journal and answers (" + context + ")", Duration.ofSeconds(30),
                    () -> supervisorAnswers(n));
            String view = n.agent().httpGet("/api/v1/cluster");
            assertFalse(view.contains("supervisor journal"), context + ": " + view);
            n.agent().kill9(); // and once more while it runs: during or just after its first writes
        }
    }

    private static boolean supervisorAnswers(TestNode n) {
        String view = n.agent().httpGet("/api/v1/cluster");
        if (view.contains("supervisor journal") && view.contains("failed")) {
            throw new IllegalStateException("the journal failed: " + view + "\n" + n.agent().logTail());
        }
        return !view.contains("the supervisor did not answer") && !view.contains("not read after");
    }
}
