package org.pgsteward.console.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgsteward.console.e2e.E2eSupport.ok;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.config.ConfigLoader;
import org.pgsteward.agent.testing.DirSnapshot;
import org.pgsteward.agent.testing.JsonFuzz;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.PostgresExtension;
import org.pgsteward.agent.testing.TestPorts;

/** A real agent's two listeners: the token on /api/v1, the open read-only health checks, bad and fuzzed bodies. */
class AdminApiTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @RegisterExtension
    final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    final AgentFixture agents = new AgentFixture();

    @Test
    void givenDefaultInstall_whenApiCalledWithoutOrWithWrongToken_then401AndNothingChanged_andHealthChecksOpen()
            throws Exception {
        PgTestInstance p = pg.primary("node1");
        int healthPort = TestPorts.freePort();
        agents.cluster(1, "manual", "agent { health-http = \"127.0.0.1:" + healthPort + "\" }");
        TestNode n = agents.node("test", 1, p, List.of());
        n.agent().start();
        ok(n.console("-w", "8", "primary", "register"));
        String admin = "http://" + n.agent().httpAddress();
        String health = "http://127.0.0.1:" + healthPort;

        // the token was created at the first start, owner-only, where the console looks for it
        Path tokenFile = ConfigLoader.load(Path.of(n.config())).agent().stateDir().resolve("api.token");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)));
        String token = Files.readString(tokenFile).strip();
        assertEquals(Optional.of(token), n.agent().apiToken());

        assertEquals(401, send("GET", admin + "/api/v1/status", Optional.empty(), null).statusCode());
        assertEquals(401, send("GET", admin + "/api/v1/cluster", Optional.of("guess"), null).statusCode());
        assertEquals(401, send("POST", admin + "/api/v1/operations", Optional.of("guess"),
                "{\"command\":\"cluster pause\",\"args\":{}}").statusCode());
        assertEquals(401, send("POST", admin + "/api/v1/operations", Optional.empty(),
                "{\"command\":\"standby promote\",\"args\":{\"force\":true}}").statusCode());
        String cluster = send("GET", admin + "/api/v1/cluster", Optional.of(token), null).body();
        assertTrue(cluster.contains("\"paused\":false"), "not paused by the refused request: " + cluster);

        // health checks: GET, HEAD and OPTIONS on both listeners, no credentials; no API on the health listener
        for (String base : List.of(admin, health)) {
            for (String method : List.of("GET", "HEAD", "OPTIONS")) {
                int primary = send(method, base + "/primary", Optional.empty(), null).statusCode();
                assertEquals(200, primary, method + " " + base + "/primary");
                assertEquals(200, send(method, base + "/read-write", Optional.empty(), null).statusCode());
                assertEquals(503, send(method, base + "/replica?lag=1024", Optional.empty(), null).statusCode());
                assertEquals(200, send(method, base + "/health", Optional.empty(), null).statusCode());
                assertEquals(200, send(method, base + "/metrics", Optional.empty(), null).statusCode());
            }
        }
        assertEquals(404, send("GET", health + "/api/v1/status", Optional.of(token), null).statusCode());
        assertEquals(404, send("POST", health + "/api/v1/operations", Optional.of(token),
                "{\"command\":\"cluster pause\",\"args\":{}}").statusCode());

        // the console finds the token by itself
        ok(n.console("cluster", "show"));
    }

    @Test
    void givenRunningPrimary_whenFuzzedBodiesPosted_thenOnly4xxAndNothingChanged() throws Exception {
        PgTestInstance p = pg.primary("node1");
        TestNode n = agents.node("test", 1, p, List.of());
        n.agent().start();
        ok(n.console("-w", "8", "primary", "register"));
        String token = n.agent().apiToken().orElseThrow();
        String ops = "http://" + n.agent().httpAddress() + "/api/v1/operations";
        String started = p.queryOne("SELECT pg_postmaster_start_time()::text");
        DirSnapshot confBefore = DirSnapshot.of(p.dataDir().resolve("global"));
        // the supervisor confirms the registration's epoch asynchronously, after the command returned
        Wait.until("the supervisor saw node 1 run as primary", Duration.ofSeconds(30), () ->
                n.agent().httpGet("/api/v1/events").contains("runs as primary in epoch 1"));
        String events = n.agent().httpGet("/api/v1/events");

        List<String> bodies = JsonFuzz.invalidBodies(7L, 150);
        for (String body : bodies) {
            HttpResponse<String> r = send("POST", ops, Optional.of(token), body);
            assertTrue(r.statusCode() >= 400 && r.statusCode() < 500, r.statusCode() + " for " + body + ": " + r.body());
        }
        HttpResponse<String> huge = send("POST", ops, Optional.of(token), "{\"command\":\"standby clone\",\"args\":{"
                + "\"target\":\"" + "h".repeat(200_000) + "\"}}");
        assertEquals(413, huge.statusCode());

        assertEquals("f", p.queryOne("SELECT pg_is_in_recovery()"));
        assertEquals(started, p.queryOne("SELECT pg_postmaster_start_time()::text"), "never restarted");
        assertEquals(events, n.agent().httpGet("/api/v1/events"), "no event recorded");
        assertTrue(n.agent().httpGet("/api/v1/cluster").contains("\"paused\":false"));
        assertEquals(confBefore.entries().keySet(), DirSnapshot.of(p.dataDir().resolve("global")).entries().keySet());
        assertTrue(n.agent().isAlive());
    }

    @Test
    void givenHealthPortTaken_whenAgentStarts_thenExit1NamingTheKey() throws Exception {
        PgTestInstance p = pg.primary("node1");
        try (var taken = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            agents.cluster(1, "manual", "agent { health-http = \"127.0.0.1:" + taken.getLocalPort() + "\" }");
            TestNode n = agents.node("test", 1, p, List.of());
            BadInputTest.AgentRun run = BadInputTest.AgentRun.of("-f", n.config());
            assertEquals(1, run.exitCode(), run.output());
            assertTrue(run.output().contains("pgsteward.agent.health-http"), run.output());
        }
    }

    @Test
    void givenConfiguredTokenFileMissing_whenAgentStarts_thenExit1NamingTheKeyAndFile() {
        PgTestInstance p = pg.primary("node1");
        Path missing = agents.workDir().resolve("no-such.token");
        agents.cluster(1, "manual", "agent { api-token-file = \"" + missing + "\" }");
        TestNode m = agents.node("test", 1, p, List.of());
        BadInputTest.AgentRun run = BadInputTest.AgentRun.of("-f", m.config());
        assertEquals(1, run.exitCode(), run.output());
        assertTrue(run.output().contains("pgsteward.agent.api-token-file") && run.output().contains(missing.toString()),
                run.output());
    }

    private static HttpResponse<String> send(String method, String url, Optional<String> token, String json)
            throws IOException, InterruptedException {
        var b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
