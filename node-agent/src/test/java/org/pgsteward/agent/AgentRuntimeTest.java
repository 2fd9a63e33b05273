package org.pgsteward.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.pgsteward.agent.config.NodeConfig;
import org.pgsteward.agent.postgres.Conninfo;

@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
class AgentRuntimeTest {

    private static final ActorTestKit TEST_KIT = ActorTestKit.create("AgentRuntimeTest");

    @JUnit5TestKit
    ActorTestKit testKit = TEST_KIT;

    @AfterAll
    static void shutdown() {
        TEST_KIT.shutdownTestKit();
    }

    @Test
    void givenJournalUrlWithPassword_whenShownInAWarning_thenThePasswordIsHidden() {
        assertEquals("jdbc:postgresql://j:5432/pgsteward?user=p&password=***&ssl=true",
                AgentRuntime.redacted("jdbc:postgresql://j:5432/pgsteward?user=p&password=s3cret&ssl=true"));
        assertEquals("jdbc:h2:file:/var/lib/x;USER=sa;PASSWORD=***;WRITE_DELAY=0",
                AgentRuntime.redacted("jdbc:h2:file:/var/lib/x;USER=sa;PASSWORD=pw;WRITE_DELAY=0"));
        assertEquals("jdbc:h2:file:/var/lib/x;WRITE_DELAY=0", AgentRuntime.redacted("jdbc:h2:file:/var/lib/x;WRITE_DELAY=0"));
    }

    @Test
    void givenAgentTls_whenThePekkoConfigIsGenerated_thenArteryIsTlsTcpOnThePemFiles_elsePlainTcp() {
        var agent = new NodeConfig.Agent(new NodeConfig.HostPort("127.0.0.1", 8701),
                new NodeConfig.HostPort("127.0.0.1", 2551), List.of(), Path.of("/tmp/state"), Duration.ofSeconds(1));
        var tls = new NodeConfig.Tls(Path.of("/tls/a b.crt"), Path.of("/tls/a b.key"), Path.of("/tls/ca.crt"));
        var plain = config(agent);
        var secure = config(new NodeConfig.Agent(agent.http(), agent.clusterAddress(), agent.seedNodes(),
                agent.stateDir(), agent.monitorInterval(), Optional.empty(), Optional.empty(), Optional.of(tls)));

        assertEquals("tcp", AgentRuntime.pekkoConfig(plain, false).getString("pekko.remote.artery.transport"));
        var c = AgentRuntime.pekkoConfig(secure, false);
        assertEquals("tls-tcp", c.getString("pekko.remote.artery.transport"));
        assertEquals("org.apache.pekko.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider",
                c.getString("pekko.remote.artery.ssl.ssl-engine-provider"));
        assertEquals("/tls/a b.key", c.getString("pekko.remote.artery.ssl.rotating-keys-engine.key-file"));
        assertEquals("/tls/a b.crt", c.getString("pekko.remote.artery.ssl.rotating-keys-engine.cert-file"));
        assertEquals("/tls/ca.crt", c.getString("pekko.remote.artery.ssl.rotating-keys-engine.ca-cert-file"));
    }

    private static NodeConfig config(NodeConfig.Agent agent) {
        return new NodeConfig(Path.of("/etc/node1.conf"), "test", new NodeConfig.Node(1, "node1",
                Conninfo.parse("host=127.0.0.1"), Optional.empty(), 100, NodeConfig.Role.WITNESS),
                new NodeConfig.Postgres(Optional.empty(), Optional.empty(), Optional.empty()), agent,
                new NodeConfig.Failover(NodeConfig.FailoverMode.MANUAL, true, Optional.empty()),
                new NodeConfig.Replication(false), new NodeConfig.Clone(List.of(), Duration.ofHours(1)));
    }

    /** As the cluster link on ENOSPC from the epoch file: it throws, and must run again rather than stop for good. */
    @Test
    void givenASystemActorAsTheAgentCreatesIt_whenItThrows_thenItIsRestarted_andAnswersAgain() {
        AtomicInteger starts = new AtomicInteger();
        ActorRef<ActorRef<Integer>> actor = testKit.spawn(AgentRuntime.restartingOnFailure(failingOnFirstMessage(starts)));
        TestProbe<Integer> probe = testKit.createTestProbe();

        actor.tell(probe.ref()); // throws
        Integer answer = probe.awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(100), () -> {
            actor.tell(probe.ref());
            return probe.receiveMessage(Duration.ofMillis(500));
        });
        assertEquals(2, answer);
    }

    /** Answers with its incarnation number; the first incarnation throws on its first message. */
    private static Behavior<ActorRef<Integer>> failingOnFirstMessage(AtomicInteger starts) {
        return Behaviors.setup(ctx -> {
            int incarnation = starts.incrementAndGet();
            return Behaviors.receiveMessage(replyTo -> {
                if (incarnation == 1) {
                    throw new java.io.UncheckedIOException(new java.io.IOException("No space left on device"));
                }
                replyTo.tell(incarnation);
                return Behaviors.same();
            });
        });
    }

    @Test
    void givenAnIncarnationEnded_whenTheNextJoinIsChosen_thenDownedRejoinsThroughOthersAndOnlyAStopStops() {
        var downed = java.util.Optional.<org.apache.pekko.actor.CoordinatedShutdown.Reason>of(
                org.apache.pekko.actor.CoordinatedShutdown.ClusterDowningReason$.MODULE$);
        var joinFailed = java.util.Optional.<org.apache.pekko.actor.CoordinatedShutdown.Reason>of(
                org.apache.pekko.actor.CoordinatedShutdown.ClusterJoinUnsuccessfulReason$.MODULE$);
        var island = java.util.Optional.<org.apache.pekko.actor.CoordinatedShutdown.Reason>of(
                AgentRuntime.IslandReason.INSTANCE);
        var sigterm = java.util.Optional.<org.apache.pekko.actor.CoordinatedShutdown.Reason>of(
                org.apache.pekko.actor.CoordinatedShutdown.JvmExitReason$.MODULE$);
        assertEquals(java.util.Optional.of(AgentRuntime.Join.REJOIN), AgentRuntime.nextJoin(downed, true));
        assertEquals(java.util.Optional.of(AgentRuntime.Join.FALLBACK), AgentRuntime.nextJoin(joinFailed, true));
        assertEquals(java.util.Optional.of(AgentRuntime.Join.REJOIN), AgentRuntime.nextJoin(island, true));
        assertEquals(java.util.Optional.of(AgentRuntime.Join.FIRST), AgentRuntime.nextJoin(downed, false),
                "a single seed has no one else to join through");
        assertEquals(java.util.Optional.empty(), AgentRuntime.nextJoin(sigterm, true));
        assertEquals(java.util.Optional.empty(), AgentRuntime.nextJoin(java.util.Optional.empty(), true));
    }

    @Test
    void givenARejoin_whenTheClusterConfigIsMade_thenThisMemberIsNoSeedAndGivesUpAfterTheRejoinTimeout(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = dir.resolve("t.conf");
        java.nio.file.Files.writeString(file, "pgsteward { cluster = t, node { id = 1, conninfo = \"host=127.0.0.1\" },"
                + " agent { cluster-address = \"127.0.0.1:2551\", seed-nodes = [\"127.0.0.1:2551\", \"127.0.0.1:2552\"] } }");
        var config = org.pgsteward.agent.config.ConfigLoader.load(file);
        var first = AgentRuntime.pekkoConfig(config, false, AgentRuntime.Join.FIRST);
        var rejoin = AgentRuntime.pekkoConfig(config, false, AgentRuntime.Join.REJOIN);
        assertEquals(java.util.List.of("pekko://pgsteward@127.0.0.1:2551", "pekko://pgsteward@127.0.0.1:2552"),
                first.getStringList("pekko.cluster.seed-nodes"));
        assertEquals(java.util.List.of("pekko://pgsteward@127.0.0.1:2552"), rejoin.getStringList("pekko.cluster.seed-nodes"));
        assertEquals(AgentRuntime.REJOIN_TIMEOUT,
                rejoin.getDuration("pekko.cluster.shutdown-after-unsuccessful-join-seed-nodes"));
        // the first seed waits Pekko's 5 s before it forms a cluster; a member joining through others asks every second
        assertEquals(java.time.Duration.ofSeconds(5), first.getDuration("pekko.cluster.seed-node-timeout"));
        assertEquals(AgentRuntime.JOIN_RETRY, rejoin.getDuration("pekko.cluster.seed-node-timeout"));
        java.nio.file.Files.writeString(file, "pgsteward { cluster = t, node { id = 2, conninfo = \"host=127.0.0.1\" },"
                + " agent { cluster-address = \"127.0.0.1:2552\", seed-nodes = [\"127.0.0.1:2551\", \"127.0.0.1:2552\"] } }");
        var second = AgentRuntime.pekkoConfig(org.pgsteward.agent.config.ConfigLoader.load(file), false,
                AgentRuntime.Join.FIRST);
        assertEquals(AgentRuntime.JOIN_RETRY, second.getDuration("pekko.cluster.seed-node-timeout"));
    }

    /**
     * A downed member joins again as a new incarnation in the same process (ReincarnationTest); the fence's thread is
     * the process's, not the incarnation's: before, each incarnation made an executor of its own and each left a
     * daemon thread behind.
     */
    @Test
    void givenAWitnessAgentDownedThreeTimes_whenItHasJoinedAgainEachTime_thenOneFenceThreadServesEveryIncarnation(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        int cluster = org.pgsteward.agent.testing.TestPorts.freePort();
        int http = org.pgsteward.agent.testing.TestPorts.freePort();
        java.nio.file.Path file = dir.resolve("w.conf");
        java.nio.file.Files.writeString(file, "pgsteward { cluster = t, node { id = 9, name = w9, conninfo = \"host=127.0.0.1\","
                + " role = witness, priority = 0 }, agent { http = \"127.0.0.1:" + http + "\", cluster-address = \"127.0.0.1:"
                + cluster + "\", seed-nodes = [\"127.0.0.1:" + cluster + "\"], state-dir = \"" + dir.resolve("state") + "\" } }");
        var config = org.pgsteward.agent.config.ConfigLoader.load(file);
        AgentRuntime runtime = AgentRuntime.start(config, false);
        var exit = java.util.concurrent.CompletableFuture.supplyAsync(runtime::awaitTermination);
        try {
            for (int i = 0; i < 3; i++) {
                var system = awaitUp(runtime);
                var cluster0 = org.apache.pekko.cluster.typed.Cluster.get(system);
                cluster0.manager().tell(org.apache.pekko.cluster.typed.Down.apply(cluster0.selfMember().address()));
                system.getWhenTerminated().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
            }
            awaitUp(runtime);
            assertEquals(1, fenceThreads(), "fence threads after four incarnations");
        } finally {
            runtime.currentSystem().terminate();
            exit.get(60, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /** Waits until the runtime's current incarnation is an Up member (a downed one's successor is a new system). */
    private static org.apache.pekko.actor.typed.ActorSystem<Void> awaitUp(AgentRuntime runtime) {
        return org.pgsteward.agent.testing.Poll.until("the agent's incarnation an Up member", Duration.ofSeconds(60),
                runtime::currentSystem, system -> !system.whenTerminated().isCompleted()
                        && org.apache.pekko.cluster.typed.Cluster.get(system).selfMember().status()
                        == org.apache.pekko.cluster.MemberStatus.up());
    }

    private static long fenceThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals(AgentRuntime.FENCE_THREAD)).count();
    }
}
