package org.pgsteward.console.e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgsteward.console.e2e.E2eSupport.ok;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.PostgresExtension;
import org.pgsteward.agent.testing.TestPorts;

/**
 * A journal that cannot be reached does not stop the agent: it starts, serves its node, and `cluster show` and
 * `cluster event` warn naming the journal (without its password) and the error while the supervisor restarts.
 */
class UnreachableJournalTest {

    @RegisterExtension
    final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    final AgentFixture agents = new AgentFixture();

    @Test
    void givenUnreachableJournal_whenTheAgentStarts_thenItRuns_andClusterShowAndEventNameTheJournalAndError() {
        int closed = TestPorts.freePort();
        String url = "jdbc:postgresql://127.0.0.1:" + closed + "/pgsteward?password=s3cret";
        agents.cluster(1, "manual", "  supervisor { journal-url = \"" + url + "\", journal-user = \"x\" }\n");
        PgTestInstance p = pg.primary("solo");
        TestNode n = agents.node("test", 1, p, List.of());

        n.agent().start();

        String shown = "jdbc:postgresql://127.0.0.1:" + closed + "/pgsteward?password=***";
        // first "not read after ..." while the connection attempt hangs, then the failure once it gives up
        Wait.until("cluster show names the failing journal and its error", Duration.ofSeconds(60), () -> {
            String view = n.agent().httpGet("/api/v1/cluster");
            return view.contains("supervisor journal " + shown + " failed");
        });
        String show = ok(n.console("cluster", "show")).stdout();
        assertTrue(show.contains("supervisor journal " + shown) && show.contains("failed"), show);
        assertTrue(show.contains("onnect"), show); // the error: connection refused, or timed out
        assertFalse(show.contains("s3cret"), show);
        String events = ok(n.console("cluster", "event")).stdout();
        assertTrue(events.contains("supervisor journal " + shown), events);
        assertTrue(n.agent().isAlive());
        assertFalse(n.agent().logTail().contains("s3cret"), n.agent().logTail());
    }
}
