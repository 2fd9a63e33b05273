package org.pgsteward.agent.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.pgsteward.agent.NodeAgent;
import org.pgsteward.agent.postgres.PgSnapshot;
import org.pgsteward.agent.postgres.Reachability;
import org.pgsteward.agent.postgres.WalReceiverInfo;
import org.pgsteward.agent.testing.JsonFuzz;
import org.pgsteward.agent.testing.TestPorts;
import org.pgsteward.protocol.Lsn;
import org.pgsteward.protocol.api.ClusterView;
import org.pgsteward.protocol.api.CommandRequest;
import org.pgsteward.protocol.api.EventRow;
import org.pgsteward.protocol.api.NodeRow;
import org.pgsteward.protocol.api.OperationView;

/** The HTTP face with a fake agent behind it: both listeners, the token, bad input, bounded expensive requests. */
class HttpApiTest {

    private static final String TOKEN = "test-token-0123456789abcdef";
    private static final ActorTestKit KIT = ActorTestKit.create("HttpApiTest");
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static final PgSnapshot PRIMARY = new PgSnapshot(Reachability.REACHABLE, Optional.empty(), Instant.now(), false,
            150018, "15.18", 1, Optional.of(Lsn.parse("0/3000100")), Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty(), List.of(), Optional.empty());
    /** Streaming, 0x80 = 128 bytes received but not yet replayed. */
    private static final PgSnapshot STANDBY = new PgSnapshot(Reachability.REACHABLE, Optional.empty(), Instant.now(), true,
            150018, "15.18", 1, Optional.empty(), Optional.of(Lsn.parse("0/3000100")), Optional.of(Lsn.parse("0/3000080")),
            Optional.empty(), Optional.of(new WalReceiverInfo(1, Optional.of("streaming"), Optional.of("127.0.0.1"),
            Optional.of(5432), Optional.empty(), Optional.of(1L), Optional.empty(), Optional.empty(), Optional.empty())),
            List.of(), Optional.empty());

    private static final FakeAgent AGENT = new FakeAgent();
    private static String admin;
    private static String health;
    private static final List<ServerBinding> BINDINGS = new ArrayList<>();

    @BeforeAll
    static void bind() throws Exception {
        var api = new HttpApi(AGENT, () -> true, ApiToken.of(TOKEN));
        int a = TestPorts.freePort();
        int h = TestPorts.freePort();
        BINDINGS.add(api.bind(KIT.system(), "127.0.0.1", a).toCompletableFuture().get(15, TimeUnit.SECONDS));
        BINDINGS.add(api.bindHealth(KIT.system(), "127.0.0.1", h).toCompletableFuture().get(15, TimeUnit.SECONDS));
        admin = "http://127.0.0.1:" + a;
        health = "http://127.0.0.1:" + h;
    }

    @AfterAll
    static void shutdown() {
        KIT.shutdownTestKit();
    }

    @BeforeEach
    void reset() {
        AGENT.submitted.clear();
        AGENT.snapshot.set(Optional.of(PRIMARY));
        AGENT.hold.set(false);
        AGENT.held.clear();
    }

    // ------------------------------------------------------------------ health endpoints

    @Test
    void givenPrimary_whenHealthEndpointsAskedWithGetHeadOptions_thenSameAnswerOnBothListeners() throws Exception {
        for (String base : List.of(admin, health)) {
            for (String method : List.of("GET", "HEAD", "OPTIONS")) {
                for (String path : List.of("/primary", "/read-write", "/health")) {
                    assertEquals(200, send(method, base + path, Optional.empty(), null).statusCode(), method + " " + base + path);
                }
                for (String path : List.of("/replica", "/read-only")) {
                    assertEquals(503, send(method, base + path, Optional.empty(), null).statusCode(), method + " " + base + path);
                }
                assertEquals(200, send(method, base + "/metrics", Optional.empty(), null).statusCode());
            }
            assertEquals("", send("HEAD", base + "/primary", Optional.empty(), null).body(), "HEAD has no body");
        }
    }

    @Test
    void givenStandby128BytesBehind_whenReplicaAskedWithLag_thenOkOnlyWithinTheLimit() throws Exception {
        AGENT.snapshot.set(Optional.of(STANDBY));
        assertEquals(200, get(health + "/replica").statusCode());
        assertEquals(200, get(health + "/read-only?lag=128").statusCode());
        assertEquals(200, send("OPTIONS", health + "/replica?lag=1000", Optional.empty(), null).statusCode());
        assertEquals(503, get(health + "/replica?lag=127").statusCode());
        assertEquals(503, get(admin + "/primary").statusCode());
        assertEquals(400, get(health + "/replica?lag=lots").statusCode());
        assertEquals(400, get(health + "/replica?lag=-1").statusCode());
    }

    @Test
    void givenHealthListener_whenApiOrWritesAsked_thenNotThereEvenWithTheToken() throws Exception {
        assertEquals(404, send("GET", health + "/api/v1/status", Optional.of(TOKEN), null).statusCode());
        assertEquals(404, send("POST", health + "/api/v1/operations", Optional.of(TOKEN),
                "{\"command\":\"cluster pause\"}").statusCode());
        assertEquals(405, send("POST", health + "/primary", Optional.empty(), "{}").statusCode());
        assertEquals(405, send("DELETE", admin + "/replica", Optional.empty(), null).statusCode());
        assertEquals(List.of(), AGENT.submitted);
    }

    // ------------------------------------------------------------------ token

    @Test
    void givenNoOrWrongToken_whenApiAsked_then401AndNothingSubmitted() throws Exception {
        HttpResponse<String> none = send("GET", admin + "/api/v1/status", Optional.empty(), null);
        assertEquals(401, none.statusCode());
        assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"), none.headers().toString());
        assertTrue(none.body().contains("api-token-file"), none.body());
        for (Optional<String> token : List.of(Optional.<String>empty(), Optional.of("wrong"), Optional.of(TOKEN + "x"),
                Optional.of(TOKEN.substring(1)), Optional.of(""))) {
            assertEquals(401, send("POST", admin + "/api/v1/operations", token, "{\"command\":\"cluster pause\"}")
                    .statusCode(), token.toString());
            assertEquals(401, send("GET", admin + "/api/v1/cluster", token, null).statusCode());
        }
        HttpResponse<String> basic = CLIENT.send(HttpRequest.newBuilder(URI.create(admin + "/api/v1/status"))
                .header("Authorization", "Basic " + TOKEN).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, basic.statusCode());
        assertEquals(List.of(), AGENT.submitted);
        assertEquals(200, send("GET", admin + "/api/v1/status", Optional.of(TOKEN), null).statusCode());
        assertEquals(202, send("POST", admin + "/api/v1/operations", Optional.of(TOKEN),
                "{\"command\":\"cluster pause\",\"args\":{\"force\":false}}").statusCode());
        assertEquals(1, AGENT.submitted.size());
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void givenBadBodies_whenPosted_thenClearErrorsAndNothingSubmitted() throws Exception {
        Optional<String> t = Optional.of(TOKEN);
        String ops = admin + "/api/v1/operations";
        HttpResponse<String> malformed = send("POST", ops, t, "{\"command\":");
        assertEquals(400, malformed.statusCode());
        assertTrue(malformed.body().contains("malformed"), malformed.body());
        HttpResponse<String> unknown = send("POST", ops, t, "{\"command\":\"standby clone\",\"args\":{\"froce\":true}}");
        assertEquals(400, unknown.statusCode());
        assertTrue(unknown.body().contains("args.froce") && unknown.body().contains("force"), unknown.body());
        HttpResponse<String> top = send("POST", ops, t, "{\"command\":\"cluster pause\",\"dryRun\":true}");
        assertEquals(400, top.statusCode());
        assertTrue(top.body().contains("dryRun"), top.body());
        HttpResponse<String> big = send("POST", ops, t, "{\"command\":\"cluster pause\",\"args\":{\"target\":\""
                + "x".repeat(70 * 1024) + "\"}}");
        assertEquals(413, big.statusCode(), big.body());
        HttpResponse<String> unknownCommand = send("POST", ops, t, "{\"command\":\"standby frobnicate\"}");
        assertEquals(400, unknownCommand.statusCode());
        assertTrue(unknownCommand.body().contains("standby frobnicate"), unknownCommand.body());
        assertEquals(405, send("GET", ops, t, null).statusCode());
        assertEquals(405, send("PUT", ops, t, "{\"command\":\"cluster pause\"}").statusCode());
        assertEquals(405, send("POST", admin + "/api/v1/status", t, "{}").statusCode());
        HttpResponse<String> text = CLIENT.send(HttpRequest.newBuilder(URI.create(ops)).header("Authorization",
                "Bearer " + TOKEN).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{\"command\":\"cluster pause\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(415, text.statusCode());
        assertEquals(List.of(), AGENT.submitted);
    }

    @Test
    void givenFuzzedBodies_whenPosted_thenOnly4xxAndNothingSubmitted() throws Exception {
        List<String> bodies = JsonFuzz.invalidBodies(20261201L, 300);
        assertTrue(bodies.size() >= 250, "bodies generated: " + bodies.size());
        for (String body : bodies) {
            HttpResponse<String> r = send("POST", admin + "/api/v1/operations", Optional.of(TOKEN), body);
            assertTrue(r.statusCode() >= 400 && r.statusCode() < 500, r.statusCode() + " for " + body + ": " + r.body());
        }
        assertEquals(List.of(), AGENT.submitted);
    }

    // ------------------------------------------------------------------ bounded

    @Test
    void givenTwoClusterRequestsRunning_whenAThirdArrives_then503UntilOneFinishes() throws Exception {
        AGENT.hold.set(true);
        Optional<String> t = Optional.of(TOKEN);
        var first = CompletableFuture.supplyAsync(() -> sendUnchecked("GET", admin + "/api/v1/cluster", t));
        var second = CompletableFuture.supplyAsync(() -> sendUnchecked("GET", admin + "/api/v1/events", t));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (AGENT.held.size() < 2) {
            assertTrue(System.nanoTime() < deadline, "both requests reached the agent");
            Thread.onSpinWait();
        }
        HttpResponse<String> third = send("GET", admin + "/api/v1/cluster", t, null);
        assertEquals(503, third.statusCode());
        assertTrue(third.body().contains("retry"), third.body());
        assertEquals(200, send("GET", admin + "/health", Optional.empty(), null).statusCode(), "health is not bounded");
        AGENT.hold.set(false);
        AGENT.held.forEach(f -> f.complete(null));
        assertEquals(200, first.get(30, TimeUnit.SECONDS).statusCode());
        assertEquals(200, second.get(30, TimeUnit.SECONDS).statusCode());
        assertEquals(200, send("GET", admin + "/api/v1/cluster", t, null).statusCode());
    }

    // ------------------------------------------------------------------ helpers

    private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return send("GET", url, Optional.empty(), null);
    }

    private static HttpResponse<String> sendUnchecked(String method, String url, Optional<String> token) {
        try {
            return send(method, url, token, null);
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static HttpResponse<String> send(String method, String url, Optional<String> token, String json)
            throws IOException, InterruptedException {
        var b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        token.ifPresent(tk -> b.header("Authorization", "Bearer " + tk));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Records what reaches the agent; answers as configured by the test. */
    static final class FakeAgent implements AgentFacade {
        final List<CommandRequest> submitted = new CopyOnWriteArrayList<>();
        final AtomicReference<Optional<PgSnapshot>> snapshot = new AtomicReference<>(Optional.empty());
        final java.util.concurrent.atomic.AtomicBoolean hold = new java.util.concurrent.atomic.AtomicBoolean();
        final List<CompletableFuture<Object>> held = new CopyOnWriteArrayList<>();

        @Override
        public CompletionStage<NodeAgent.SubmitResult> submit(CommandRequest request) {
            submitted.add(request);
            return CompletableFuture.completedFuture(new NodeAgent.Accepted(new OperationView("op-1", request.command(),
                    OperationView.State.RUNNING, Instant.now(), Optional.empty(), 0, List.of(), 0, "")));
        }

        @Override
        public CompletionStage<Optional<OperationView>> operation(String id, int since) {
            return CompletableFuture.completedFuture(Optional.empty());
        }

        @Override
        public CompletionStage<NodeAgent.LocalState> localState() {
            return CompletableFuture.completedFuture(new NodeAgent.LocalState(snapshot.get(), Optional.empty()));
        }

        @Override
        public CompletionStage<NodeRow> status() {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<ClusterView> cluster() {
            return held(new ClusterView("test", Optional.empty(), 1, false, List.of(), List.of(), true, List.of()));
        }

        @Override
        public CompletionStage<List<EventRow>> events(int limit) {
            return held(List.of());
        }

        @Override
        public CompletionStage<org.pgsteward.protocol.api.NodeCheckView> check() {
            return held(new org.pgsteward.protocol.api.NodeCheckView("fake", List.of()));
        }

        /** Completed now, or (while {@link #hold}) when the test completes it. */
        private <T> CompletionStage<T> held(T value) {
            if (!hold.get()) {
                return CompletableFuture.completedFuture(value);
            }
            var f = new CompletableFuture<Object>();
            held.add(f);
            return f.thenApply(x -> value);
        }

        @Override
        public String metrics() {
            return "pgsteward_up 1\n";
        }
    }
}
