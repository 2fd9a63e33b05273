package org.pgsteward.supervisor;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.pgsteward.supervisor.Supervisor.View;
import org.pgsteward.supervisor.policy.PolicyConfig;

/** The supervisor as the agent runs it, on a journal that fails to read or to write and then works again. */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
class JournalFailureTest {

    private static final ActorTestKit TEST_KIT = ActorTestKit.create("JournalFailureTest", config());

    @JUnit5TestKit
    ActorTestKit testKit = TEST_KIT;

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final AtomicInteger CLUSTERS = new AtomicInteger();

    private static Config config() {
        return ConfigFactory.parseString(String.join("\n",
                        "pekko.actor.provider = cluster",
                        "pekko.remote.artery.canonical.hostname = \"127.0.0.1\"",
                        "pekko.remote.artery.canonical.port = 0",
                        "pekko.cluster.jmx.enabled = off",
                        "pekko.cluster.log-info-verbose = off",
                        "pekko.persistence.journal.plugin = \"failing-journal\"",
                        "failing-journal.class = \"" + FailingJournal.class.getName() + "\"",
                        "failing-journal.plugin-dispatcher = \"pekko.actor.default-dispatcher\"",
                        "pekko.persistence.snapshot-store.plugin = \"pekko.persistence.no-snapshot-store\"",
                        "pekko.log-dead-letters = 0",
                        "pekko.log-dead-letters-during-shutdown = off"))
                .withFallback(ConfigFactory.load());
    }

    @BeforeAll
    static void joinSelf() {
        Cluster cluster = Cluster.get(TEST_KIT.system());
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
        TEST_KIT.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
            if (!cluster.selfMember().status().equals(MemberStatus.up())) {
                throw new AssertionError("not up yet");
            }
            return null;
        });
    }

    @AfterEach
    void healJournal() {
        FailingJournal.heal();
    }

    @AfterAll
    static void shutdown() {
        TEST_KIT.shutdownTestKit();
    }

    @Test
    void givenJournalThatCannotBeRead_whenItWorksAgain_thenTheSupervisorAnswers() {
        FailingJournal.failReads = true;
        ActorRef<Supervisor.Command> sup = testKit.spawn(asTheAgentRunsIt(settings()));
        TestProbe<View> views = testKit.createTestProbe();
        // let a few recoveries fail
        views.expectNoMessage(Duration.ofMillis(800));
        FailingJournal.heal();
        View v = awaitView(sup, views);
        assertFalse(v.stateKnown());
        testKit.stop(sup);
    }

    private static Behavior<Supervisor.Command> asTheAgentRunsIt(SupervisorSettings settings) {
        return Supervisor.create(settings);
    }

    private static SupervisorSettings settings() {
        return new SupervisorSettings("journal-test-" + CLUSTERS.incrementAndGet(), PolicyConfig.defaults(),
                Duration.ofMillis(20), Duration.ofSeconds(5), Duration.ofSeconds(5), 3);
    }

    private static View awaitView(ActorRef<Supervisor.Command> sup, TestProbe<View> probe) {
        return probe.awaitAssert(WAIT, Duration.ofMillis(100), () -> {
            sup.tell(new Supervisor.GetView(probe.ref()));
            return probe.receiveMessage(Duration.ofMillis(500));
        });
    }
}
