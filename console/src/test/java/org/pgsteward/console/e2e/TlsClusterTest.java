package org.pgsteward.console.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgsteward.console.e2e.E2eSupport.ok;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.testing.PostgresExtension;
import org.pgsteward.agent.testing.TestPorts;
import org.pgsteward.protocol.Json;
import org.pgsteward.protocol.api.ClusterView;

/**
 * Issue 9.2: agent.tls. Agents with certificates of one CA form a cluster over mutual TLS and fail over as usual, the
 * console talks HTTPS to agent.http; an agent with a certificate of another CA, and one without TLS, pointed at the
 * same seed nodes, are refused and never become members.
 */
class TlsClusterTest {

    @RegisterExtension
    final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    final AgentFixture agents = new AgentFixture();

    @Test
    void givenAgentsWithCertificatesOfOneCa_whenAStrangerWithItsOwnCaAndAPlainTcpAgentJoin_thenBothAreRefused()
            throws Exception {
        // one member suffices here (the failover test below runs three): it is the seed the outsiders try
        Path tls = Certificates.make(agents.workDir().resolve("tls"), "node1");
        Path otherCa = Certificates.make(agents.workDir().resolve("other-ca"), "stranger");
        agents.tls(Optional.of(tls)).cluster(1, "manual", "");
        TestNode node1 = witness(agents.node("test", 1, pg.empty("node1"), List.of()));
        int healthPort = TestPorts.freePort();
        node1.appendConfig("pgsteward.agent.health-http = \"127.0.0.1:" + healthPort + "\"");
        TestNode stranger = witness(agents.outsider("test", 3, pg.empty("stranger"), Optional.of(otherCa)));
        TestNode plain = witness(agents.outsider("test", 4, pg.empty("plain"), Optional.empty()));
        for (TestNode outsider : List.of(stranger, plain)) {
            // an outsider is free to retry as fast as it likes: every second instead of Pekko's 5 s
            outsider.appendConfig("pekko.cluster.seed-node-timeout = 1s");
        }

        AgentProcess.startAll(List.of(node1.agent(), stranger.agent(), plain.agent()));
        Wait.until("node1 is an Up member", Duration.ofSeconds(60), () -> upMembers(node1).equals(Set.of(address(node1))));
        // both outsiders try the seed node again and again (every seed-node-timeout)
        Wait.until("the stranger and the plain agent fail to join three times", Duration.ofSeconds(60), () ->
                stranger.agent().logTail().contains("Couldn't join seed nodes after [3] attempts")
                        && plain.agent().logTail().contains("Couldn't join seed nodes after [3] attempts"));
        assertTrue(stranger.agent().logTail().contains("SSLHandshakeException"), "refused in the TLS handshake");

        ClusterView view = clusterJson(node1);
        assertEquals(Set.of(address(node1)), view.members().stream()
                .map(ClusterView.ClusterMember::address).collect(Collectors.toSet()), "the members: " + view.members());
        assertTrue(view.clusterTrafficAuthenticated(), "TLS: " + view);
        String text = ok(node1.console("cluster", "show")).stdout();
        assertFalse(text.contains(address(stranger)) || text.contains(address(plain)), text);
        assertFalse(text.contains("not authenticated"), text);
        for (TestNode outsider : List.of(stranger, plain)) {
            ClusterView own = Json.mapper().readValue(outsider.agent().httpGet("/api/v1/cluster"), ClusterView.class);
            assertTrue(own.members().stream().noneMatch(m -> m.status().equals("Up")),
                    outsider.name() + " never becomes an Up member: " + own.members());
            assertEquals(outsider == stranger, own.clusterTrafficAuthenticated(), outsider.name());
        }
        String plainShow = ok(plain.console("cluster", "show")).stdout();
        assertTrue(plainShow.contains("WARNING: cluster traffic is not authenticated (pgsteward.agent.tls is not set)"),
                plainShow);
        assertTrue(plain.agent().logTail().contains("cluster traffic is not authenticated"), plain.agent().logTail());
        assertFalse(node1.agent().logTail().contains("cluster traffic is not authenticated"));

        // agent.http serves HTTPS only; agent.health-http stays plain HTTP
        assertEquals(-1, plainHttpStatus("http://" + node1.agent().httpAddress() + "/health"));
        assertEquals(503, plainHttpStatus("http://127.0.0.1:" + healthPort + "/health"), "a witness has no PostgreSQL");
        assertTrue(node1.agent().uri("/health").toString().startsWith("https://"));
        assertEquals(503, node1.agent().httpStatus("/health"));
    }

    @Test
    void givenAgentsWithCertificatesOfOneCa_whenThePrimaryIsLost_thenAStandbyIsPromotedAsUsual() {
        agents.tls(Optional.of(Certificates.make(agents.workDir().resolve("tls"), "node1", "node2", "node3")));
        HaCluster c = HaCluster.start(pg, agents, false, "", 1);
        TestNode node1 = c.node(1);
        String show = ok(c.node(2).console("cluster", "show")).stdout();
        assertTrue(show.contains("node1") && show.contains("node3") && !show.contains("not authenticated"), show);
        assertEquals(-1, plainHttpStatus("http://" + node1.agent().httpAddress() + "/api/v1/status"), "HTTPS only");

        node1.agent().kill9();
        HaCluster.killPostgres(node1);
        Wait.until("a new primary and the other standby following it", Duration.ofSeconds(60), () -> {
            List<TestNode> w = c.writable();
            return w.size() == 1 && c.nodes.stream().filter(n -> n != node1 && n != w.get(0))
                    .allMatch(n -> HaCluster.streamsFrom(n, w.get(0)));
        });
        TestNode primary = c.onlyWritable().orElseThrow();
        String events = ok(primary.console("cluster", "event")).stdout();
        assertTrue(events.contains("primary in epoch 2"), events);
        Wait.until("/primary answers 200 on the new primary over HTTPS", Duration.ofSeconds(30), () ->
                primary.agent().httpStatus("/primary") == 200);
    }

    @Test
    void givenTheKeyOfAnotherHost_whenTheAgentStarts_thenItExits1NamingTheKeyAndStartsNothing() throws IOException {
        Path tls = Certificates.make(agents.workDir().resolve("tls"), "node1", "node2");
        TestNode node1 = witness(agents.tls(Optional.of(tls)).node("test", 1, pg.empty("node1"), List.of()));
        String key = tls.resolve("node1.key").toString();
        Path config = Path.of(node1.config());
        Files.writeString(config, Files.readString(config).replace(key, tls.resolve("node2.key").toString()));

        assertEquals(1, node1.agent().runToExit(Duration.ofSeconds(60)));
        String log = node1.agent().logTail();
        assertTrue(log.contains(node1.config() + ": pgsteward.agent.tls.private-key: " + tls.resolve("node2.key")
                + " is not the key of " + tls.resolve("node1.crt")), log);
        assertFalse(log.contains("Cluster Node"), "no cluster member was started: " + log);
    }

    private static TestNode witness(TestNode n) {
        n.makeWitness();
        return n;
    }

    private static String address(TestNode n) {
        return n.clusterAddress();
    }

    private static ClusterView clusterJson(TestNode n) throws IOException {
        return Json.mapper().readValue(ok(n.console("cluster", "show", "--json")).stdout(), ClusterView.class);
    }

    private static Set<String> upMembers(TestNode n) throws IOException {
        return Json.mapper().readValue(n.agent().httpGet("/api/v1/cluster"), ClusterView.class).members().stream()
                .filter(m -> m.status().equals("Up") && m.reachable()).map(ClusterView.ClusterMember::address)
                .collect(Collectors.toSet());
    }

    /** GET with a plain HTTP client: the status, or -1 when the connection fails (e.g. a TLS-only port). */
    private static int plainHttpStatus(String url) {
        try {
            return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build().send(HttpRequest.newBuilder(
                    URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
