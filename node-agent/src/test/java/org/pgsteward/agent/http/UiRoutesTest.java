package org.pgsteward.agent.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pgsteward.agent.testing.TestPorts;
import org.pgsteward.agent.ui.LagHistory;
import org.pgsteward.agent.ui.LagView;
import org.pgsteward.agent.ui.UiData;
import org.pgsteward.agent.ui.UiStatus;

/** /ui on the admin listener with a fake agent: the token once, then the cookie; read-only; nothing without either. */
class UiRoutesTest {

    private static final String TOKEN = "ui-test-token-0123456789abcdef";
    private static final ActorTestKit KIT = ActorTestKit.create("UiRoutesTest");
    // no redirects followed: the test looks at the login's answer itself
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static String http;
    private static String httpsFlagged;

    private static final UiData DATA = new UiData() {
        @Override
        public UiStatus status() {
            return new UiStatus("test", 1, "node1", "127.0.0.1:2551", 1000, "automatic", 3000, 1500, true, false, 1,
                    Optional.of(1), List.of(), false, Optional.of("127.0.0.1:2551"), Instant.now());
        }

        @Override
        public LagView lag() {
            return new LagView(1000, 3600, List.of(new LagHistory.NodeSeries(2, List.of(1000L), List.of(16L),
                    java.util.Arrays.asList((Double) null))), Optional.empty());
        }
    };

    @BeforeAll
    static void bind() throws Exception {
        var agent = new HttpApiTest.FakeAgent();
        ApiToken token = ApiToken.of(TOKEN);
        int a = TestPorts.freePort();
        int b = TestPorts.freePort();
        new HttpApi(agent, () -> true, token, Optional.of(new UiRoutes(agent, DATA, token, false, Duration.ofSeconds(1))))
                .bind(KIT.system(), "127.0.0.1", a).toCompletableFuture().get(15, TimeUnit.SECONDS);
        // the flag an HTTPS listener passes, checked on plain HTTP: only the cookie's attributes differ
        new HttpApi(agent, () -> true, token, Optional.of(new UiRoutes(agent, DATA, token, true, Duration.ofSeconds(1))))
                .bind(KIT.system(), "127.0.0.1", b).toCompletableFuture().get(15, TimeUnit.SECONDS);
        http = "http://127.0.0.1:" + a;
        httpsFlagged = "http://127.0.0.1:" + b;
    }

    @AfterAll
    static void shutdown() {
        KIT.shutdownTestKit();
    }

    @Test
    void givenNoTokenNorCookie_whenPageOrDataAsked_then401SayingHowToOpenIt() throws Exception {
        for (String path : List.of("/ui", "/ui/static/ui.js", "/ui/static/uPlot.iife.min.js", "/ui/data/cluster",
                "/ui/data/events", "/ui/data/lag", "/ui/data/status")) {
            var r = send("GET", http + path, Optional.empty(), Optional.empty());
            assertEquals(401, r.statusCode(), path);
            assertTrue(r.body().contains("/ui?token=TOKEN"), r.body());
        }
    }

    @Test
    void givenWrongToken_whenLoggingIn_then401AndNoCookie() throws Exception {
        var r = send("GET", http + "/ui?token=" + TOKEN + "x", Optional.empty(), Optional.empty());
        assertEquals(401, r.statusCode());
        assertTrue(r.headers().allValues("Set-Cookie").isEmpty());
        var forged = send("GET", http + "/ui/data/status", Optional.of(UiRoutes.COOKIE + "=" + TOKEN), Optional.empty());
        assertEquals(401, forged.statusCode(), "the token itself is not the cookie");
    }

    @Test
    void givenTheToken_whenLoggingIn_thenHttpOnlyStrictCookieAndRedirectToThePageWhichThenOpensWithIt() throws Exception {
        var login = send("GET", http + "/ui?token=" + TOKEN, Optional.empty(), Optional.empty());
        assertEquals(303, login.statusCode());
        assertEquals("/ui", login.headers().firstValue("Location").orElse(""));
        String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(setCookie.startsWith(UiRoutes.COOKIE + "="), setCookie);
        assertTrue(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/ui"),
                setCookie);
        assertFalse(setCookie.contains("Secure"), "plain HTTP: " + setCookie);
        assertFalse(setCookie.contains(TOKEN), "the cookie never holds the token: " + setCookie);
        Optional<String> cookie = Optional.of(setCookie.substring(0, setCookie.indexOf(';')));

        var page = send("GET", http + "/ui", cookie, Optional.empty());
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertTrue(page.body().contains("/ui/static/ui.js") && page.body().contains("/ui/static/uPlot.iife.min.js"));
        assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'self'"));
        var chartLibrary = send("GET", http + "/ui/static/uPlot.iife.min.js", cookie, Optional.empty());
        assertEquals(200, chartLibrary.statusCode());
        assertTrue(chartLibrary.body().contains("uPlot"), "served from the WebJar");
        assertEquals(404, send("GET", http + "/ui/static/..%2Fui.js", cookie, Optional.empty()).statusCode());

        var cluster = send("GET", http + "/ui/data/cluster", cookie, Optional.empty());
        assertEquals(200, cluster.statusCode());
        assertEquals(send("GET", http + "/api/v1/cluster", Optional.empty(), Optional.of(TOKEN)).body(), cluster.body(),
                "the console's cluster view, as it is");
        assertEquals(200, send("GET", http + "/ui/data/events", cookie, Optional.empty()).statusCode());
        var lag = send("GET", http + "/ui/data/lag", cookie, Optional.empty());
        assertTrue(lag.body().contains("\"nodeId\":2") && lag.body().contains("\"seconds\":[null]"), lag.body());
        assertTrue(send("GET", http + "/ui/data/status", cookie, Optional.empty()).body().contains("\"failoverMode\":\"automatic\""));

        // the cookie opens the read-only page, never the API
        assertEquals(401, send("GET", http + "/api/v1/status", cookie, Optional.empty()).statusCode());
        assertEquals(401, send("POST", http + "/api/v1/operations", cookie, Optional.empty()).statusCode());
        for (String path : List.of("/ui", "/ui/data/cluster", "/ui/data/lag")) {
            assertEquals(405, send("POST", http + path, cookie, Optional.empty()).statusCode(), "read-only: " + path);
        }
    }

    @Test
    void givenTheBearerToken_whenDataAsked_thenAnsweredWithoutACookie() throws Exception {
        var lag = send("GET", http + "/ui/data/lag", Optional.empty(), Optional.of(TOKEN));
        assertEquals(200, lag.statusCode());
        assertTrue(lag.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
    }

    @Test
    void givenHttpsListener_whenLoggingIn_thenTheCookieIsSecure() throws Exception {
        var login = send("GET", httpsFlagged + "/ui?token=" + TOKEN, Optional.empty(), Optional.empty());
        assertEquals(303, login.statusCode());
        assertTrue(login.headers().firstValue("Set-Cookie").orElseThrow().contains("Secure"));
    }

    private static HttpResponse<String> send(String method, String url, Optional<String> cookie, Optional<String> bearer)
            throws Exception {
        var b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.noBody());
        cookie.ifPresent(c -> b.header("Cookie", c));
        bearer.ifPresent(t -> b.header("Authorization", "Bearer " + t));
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
