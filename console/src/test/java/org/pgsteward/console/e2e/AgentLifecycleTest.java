package org.pgsteward.console.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgsteward.console.e2e.E2eSupport.ok;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.postgres.ServerStatus;
import org.pgsteward.agent.postgres.StopMode;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.PostgresExtension;

/** An agent process: health endpoints follow its PostgreSQL; SIGTERM stops the agent, not PostgreSQL. */
class AgentLifecycleTest {

    @RegisterExtension
    final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    final AgentFixture agents = new AgentFixture();

    @Test
    void givenAgentOnPrimary_whenProbedAndTerminated_thenEndpointsAnswerAndPostgresKeepsRunning() {
        PgTestInstance p = pg.primary("solo");
        TestNode n = agents.node("test", 1, p, List.of());
        n.agent().start();

        Wait.until("/primary answers 200", Duration.ofSeconds(30), () -> n.agent().httpStatus("/primary") == 200);
        assertEquals(200, n.agent().httpStatus("/health"));
        assertEquals(503, n.agent().httpStatus("/replica"));
        String metrics = n.agent().httpGet("/metrics");
        assertTrue(metrics.contains("pgsteward_node_is_primary{cluster=\"test\",node=\"solo\",node_id=\"1\"} 1.0"), metrics);
        String status = ok(n.console("node", "status", "--json")).stdout();
        assertTrue(status.contains("\"role\" : \"primary\""), status);

        p.pgCtl().stop(StopMode.FAST);
        Wait.until("/health answers 503 once PostgreSQL is down", Duration.ofSeconds(30),
                () -> n.agent().httpStatus("/health") == 503);
        p.pgCtl().start();
        Wait.until("/health answers 200 again", Duration.ofSeconds(30), () -> n.agent().httpStatus("/health") == 200);

        n.agent().stop(); // SIGTERM
        assertFalse(n.agent().isAlive());
        assertTrue(n.agent().logTail().contains("agent stopped; PostgreSQL left as it was"), n.agent().logTail());
        assertEquals(ServerStatus.RUNNING, p.pgCtl().status());
    }
}
