package org.pgsteward.supervisor;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
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
import org.pgsteward.protocol.cluster.SupervisorMessage;
import org.pgsteward.protocol.cluster.SupervisorMessage.PrimaryAnswer;
import org.pgsteward.protocol.cluster.SupervisorMessage.View;
import org.pgsteward.supervisor.policy.PolicyConfig;

/** The supervisor as the agent runs it, on a journal that fails to read or to write and then works again. */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
class JournalFailureTest {

    private static final ActorTestKit TEST_KIT = ActorTestKit.create("JournalFailureTest", config());

    @JUnit5TestKit
    ActorTestKit testKit = TEST_KIT;

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final AtomicInteger CLUSTERS = new AtomicInteger();
    private static final String JOURNAL = "jdbc:test:failing-journal";

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
    void givenJournalThatCannotBeRead_thenTheViewWarnsNamingTheJournalAndError_andOnceItWorks_theSupervisorAnswers() {
        FailingJournal.failReads = true;
        ActorRef<SupervisorMessage> sup = testKit.spawn(asTheAgentRunsIt(settings()));
        TestProbe<View> views = testKit.createTestProbe();
        View failing = awaitView(sup, views, v -> v.warnings().stream().anyMatch(w ->
                w.contains("supervisor journal " + JOURNAL) && w.contains(FailingJournal.error)));
        assertFalse(failing.stateKnown());
        // requests that need a supervisor are refused at once, naming the journal
        TestProbe<PrimaryAnswer> answers = testKit.createTestProbe();
        sup.tell(new SupervisorMessage.RequestPrimary(1, "primary register", false, answers.ref()));
        PrimaryAnswer refused = answers.receiveMessage(WAIT);
        assertFalse((refused instanceof PrimaryAnswer.Granted));
        assertTrue(refused.text().contains(JOURNAL), refused.text());

        FailingJournal.heal();
        View running = awaitView(sup, views, v -> (v.lastDecision().startsWith("starting") || v.lastDecision().startsWith("learning")));
        assertFalse(running.warnings().isEmpty(), "the warning stays a while after the journal works again");
        testKit.stop(sup);
    }

    @Test
    void givenJournalThatCannotBeWritten_whenAPersistFails_thenTheSupervisorRestarts_andPersistsOnceItWorks() {
        ActorRef<SupervisorMessage> sup = testKit.spawn(asTheAgentRunsIt(settings(1)));
        TestProbe<View> views = testKit.createTestProbe();
        awaitView(sup, views, v -> v.warnings().isEmpty() && (v.lastDecision().startsWith("starting") || v.lastDecision().startsWith("learning")));
        FailingJournal.failWrites = true;
        // an agent's first report, once the (empty) cluster record is read, makes the supervisor persist that it saw
        // the member
        ActorRef<org.pgsteward.protocol.cluster.AgentCommand> agent = testKit.spawn(answeringTheRecord());
        TestProbe<org.pgsteward.protocol.cluster.LeaseMessage> lease = testKit.createTestProbe();
        SupervisorMessage.Report report = new SupervisorMessage.Report(new org.pgsteward.protocol.cluster.NodeReport(1, "node1", 1, "inc-1",
                0, 0, false, 100, "host=10.0.0.1", org.pgsteward.protocol.cluster.PgState.STANDBY,
                org.pgsteward.protocol.cluster.LocalRecovery.NONE, java.util.Optional.empty(), java.util.Optional.empty(),
                java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.empty(),
                0, java.util.List.of(), false, "", 0, 0), agent, lease.ref());
        views.awaitAssert(WAIT, Duration.ofMillis(100), () -> {
            sup.tell(report);
            sup.tell(new SupervisorMessage.GetView(views.ref()));
            View v = views.receiveMessage(Duration.ofMillis(500));
            assertTrue(v.warnings().stream().anyMatch(w -> w.contains(FailingJournal.error)), v.toString());
            return v;
        });

        FailingJournal.heal();
        View seen = views.awaitAssert(WAIT, Duration.ofMillis(100), () -> {
            sup.tell(report);
            sup.tell(new SupervisorMessage.GetView(views.ref()));
            View v = views.receiveMessage(Duration.ofMillis(500));
            assertTrue(v.history().stream().anyMatch(h -> h.contains("member node1")), v.history().toString());
            return v;
        });
        assertTrue(seen.history().stream().anyMatch(h -> h.contains("member node1")), seen.history().toString());
        testKit.stop(sup);
    }

    @Test
    void givenTheUnguardedSupervisor_whenItsJournalCannotBeRead_thenItStopsForGood() {
        // why the guard exists: Pekko's default on a journal failure is to stop
        FailingJournal.failReads = true;
        ActorRef<SupervisorMessage> sup = testKit.spawn(Supervisor.create(settings()));
        TestProbe<Object> watcher = testKit.createTestProbe();
        watcher.expectTerminated(sup, WAIT);
    }

    private static Behavior<SupervisorMessage> asTheAgentRunsIt(SupervisorSettings settings) {
        return SupervisorGuard.singleton(settings, JOURNAL);
    }

    private static SupervisorSettings settings() {
        return settings(3);
    }

    private static SupervisorSettings settings(int expectedMembers) {
        return new SupervisorSettings("journal-test-" + CLUSTERS.incrementAndGet(), PolicyConfig.defaults(),
                Duration.ofMillis(20), Duration.ofSeconds(5), Duration.ofSeconds(5), expectedMembers);
    }

    /** An agent that holds no cluster record yet and promises every prepare's term; ignores everything else. */
    private static Behavior<org.pgsteward.protocol.cluster.AgentCommand> answeringTheRecord() {
        return org.apache.pekko.actor.typed.javadsl.Behaviors.receive(org.pgsteward.protocol.cluster.AgentCommand.class)
                .onMessage(org.pgsteward.protocol.cluster.AgentCommand.RecordPrepare.class, p -> {
                    p.replyTo().tell(new org.pgsteward.protocol.cluster.RecordReply(1, p.term(), 0, true, p.term(),
                            java.util.Optional.empty(), ""));
                    return org.apache.pekko.actor.typed.javadsl.Behaviors.same();
                })
                .onAnyMessage(m -> org.apache.pekko.actor.typed.javadsl.Behaviors.same())
                .build();
    }

    private static View awaitView(ActorRef<SupervisorMessage> sup, TestProbe<View> probe, Predicate<View> check) {
        return probe.awaitAssert(WAIT, Duration.ofMillis(100), () -> {
            sup.tell(new SupervisorMessage.GetView(probe.ref()));
            View v = probe.receiveMessage(Duration.ofMillis(500));
            assertTrue(check.test(v), v.toString());
            return v;
        });
    }
}
