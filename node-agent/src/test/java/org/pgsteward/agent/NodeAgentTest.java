package org.pgsteward.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.pgsteward.agent.NodeAgent.Accepted;
import org.pgsteward.agent.NodeAgent.Observed;
import org.pgsteward.agent.NodeAgent.Rejected;
import org.pgsteward.agent.NodeAgent.Submit;
import org.pgsteward.agent.NodeAgent.SubmitResult;
import org.pgsteward.agent.ops.OperationFailure;
import org.pgsteward.agent.ops.OperationOutcome;
import org.pgsteward.agent.ops.OperationRunner;
import org.pgsteward.agent.ops.Progress;
import org.pgsteward.agent.postgres.PgSnapshot;
import org.pgsteward.agent.postgres.Reachability;
import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.Lsn;
import org.pgsteward.protocol.api.CommandArgs;
import org.pgsteward.protocol.api.CommandRequest;
import org.pgsteward.protocol.api.Commands;
import org.pgsteward.protocol.api.OperationView;

/**
 * The node agent with a fake operation runner (which waits for the test to let it finish) and a fake
 * monitor: one operation at a time, its progress and outcome, and the probe results its listener hears.
 */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
class NodeAgentTest {

    private static final ActorTestKit TEST_KIT = ActorTestKit.create("NodeAgentTest");

    /** The extension finds the kit through an instance field; the kit itself is one per class. */
    @JUnit5TestKit
    ActorTestKit testKit = TEST_KIT;

    private static final ExecutorService BLOCKING = Executors.newCachedThreadPool();

    private static final Duration WAIT = Duration.ofSeconds(5);

    /** Only the probe at start: tests of operations do not depend on monitor ticks. */
    private static final Duration RARELY = Duration.ofHours(1);

    private static final Duration OFTEN = Duration.ofMillis(50);

    private static final PgSnapshot DOWN = PgSnapshot.failed(Reachability.UNREACHABLE, "connection refused",
            Instant.parse("2025-03-01T12:00:00Z"));

    private static final PgSnapshot STANDBY = new PgSnapshot(Reachability.REACHABLE, Optional.empty(),
            Instant.parse("2025-03-01T12:00:00Z"), true, 150018, "15.18", 3, Optional.empty(),
            Optional.of(Lsn.parse("0/3000100")), Optional.of(Lsn.parse("0/3000080")), Optional.empty(), Optional.empty(),
            List.of(), Optional.empty());

    private static final CommandRequest CLONE = new CommandRequest(Commands.STANDBY_CLONE, CommandArgs.none());
    private static final CommandRequest PROMOTE = new CommandRequest(Commands.STANDBY_PROMOTE, CommandArgs.none());

    private final List<GatedRunner> runners = new java.util.ArrayList<>();

    @AfterEach
    void releaseBlockedRunners() {
        runners.forEach(r -> r.finish.complete(() -> OperationOutcome.success("released by the test")));
    }

    @AfterAll
    static void shutdown() throws InterruptedException {
        TEST_KIT.shutdownTestKit();
        BLOCKING.shutdownNow();
        assertTrue(BLOCKING.awaitTermination(10, TimeUnit.SECONDS), "blocking executor still busy");
    }

    // ------------------------------------------------------------------ one operation at a time

    @Test
    void givenIdleAgent_whenSubmitted_thenAccepted_andASecondSubmitWhileRunningIsRejectedBusy() throws Exception {
        GatedRunner runner = runner();
        var agent = spawn(runner, () -> DOWN, RARELY);
        TestProbe<SubmitResult> replies = testKit.createTestProbe();

        agent.tell(new Submit(CLONE, replies.ref()));
        OperationView accepted = replies.expectMessageClass(Accepted.class).view();
        assertEquals(Commands.STANDBY_CLONE, accepted.command());
        assertEquals(OperationView.State.RUNNING, accepted.state());
        assertEquals(Optional.empty(), accepted.finishedAt());
        runner.started.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);

        agent.tell(new Submit(PROMOTE, replies.ref()));
        Rejected rejected = replies.expectMessageClass(Rejected.class);
        assertEquals(ExitCode.ERR_BUSY.code(), rejected.error().exitCode());
        assertEquals(10, rejected.error().exitCode());
        assertTrue(rejected.error().message().startsWith("busy: standby clone running since "), rejected.error().message());
        assertEquals("busy: standby clone running since " + accepted.startedAt(), rejected.error().message());
        assertEquals(1, runner.calls.get(), "the rejected command did not run");
    }

    @Test
    void givenRunningOperation_whenItCompletes_thenGetOperationShowsSucceededWithItsProgressLines() throws Exception {
        GatedRunner runner = runner();
        var agent = spawn(runner, () -> DOWN, RARELY);
        String id = submit(agent, CLONE).id();
        runner.started.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);

        OperationView running = awaitOperation(agent, id, 0, v -> assertEquals(List.of("checking the upstream"), v.progress()));
        assertEquals(OperationView.State.RUNNING, running.state());

        runner.finish.complete(() -> OperationOutcome.success("standby cloned from node1"));
        OperationView done = awaitOperation(agent, id, 0, v -> assertEquals(OperationView.State.SUCCEEDED, v.state()));
        assertEquals(List.of("checking the upstream", "copying the data directory"), done.progress());
        assertEquals(0, done.progressFrom());
        assertEquals(0, done.exitCode());
        assertEquals("standby cloned from node1", done.message());
        assertTrue(done.finishedAt().isPresent());
        assertTrue(!done.finishedAt().get().isBefore(done.startedAt()));

        // the console polls for lines it has not seen yet
        OperationView tail = getOperation(agent, id, 1).orElseThrow();
        assertEquals(1, tail.progressFrom());
        assertEquals(List.of("copying the data directory"), tail.progress());
        OperationView none = getOperation(agent, id, 99).orElseThrow();
        assertEquals(2, none.progressFrom());
        assertEquals(List.of(), none.progress());

        // the agent is free again
        assertEquals(Commands.STANDBY_PROMOTE, submit(agent, PROMOTE).command());
    }

    @Test
    void givenUnknownOperationId_whenAsked_thenEmpty() {
        var agent = spawn(runner(), () -> DOWN, RARELY);
        assertEquals(Optional.empty(), getOperation(agent, "no-such-operation", 0));
    }

    // ------------------------------------------------------------------ failures

    @Test
    void givenRunnerThrowsOperationFailure_whenItEnds_thenFailedWithItsExitCodeAndMessage() {
        GatedRunner runner = runner();
        var agent = spawn(runner, () -> DOWN, RARELY);
        TestProbe<NodeAgent.Done> finished = testKit.createTestProbe();
        String id = submit(agent, CLONE, finished).id();

        runner.finish.complete(() -> {
            throw new OperationFailure(ExitCode.ERR_DB_CON, "cannot connect to the upstream node1");
        });
        OperationView v = finished.receiveMessage(WAIT).view();
        assertEquals(id, v.id());
        assertEquals(OperationView.State.FAILED, v.state());
        assertEquals(6, v.exitCode());
        assertEquals("cannot connect to the upstream node1", v.message());
        assertEquals(List.of("checking the upstream", "copying the data directory"), v.progress());
        assertEquals(Optional.of(v), getOperation(agent, id, 0));
    }

    @Test
    void givenRunnerThrowsUnexpectedException_whenItEnds_thenFailedWithErrOperationFailedAndTheMessage_andTheAgentIsFreeAgain() {
        GatedRunner runner = runner();
        var agent = spawn(runner, () -> DOWN, RARELY);
        TestProbe<NodeAgent.Done> finished = testKit.createTestProbe();
        String id = submit(agent, CLONE, finished).id();

        runner.finish.complete(() -> {
            throw new IllegalStateException("disk full");
        });
        OperationView v = finished.receiveMessage(WAIT).view();
        assertEquals(id, v.id());
        assertEquals(OperationView.State.FAILED, v.state());
        assertEquals(ExitCode.ERR_OPERATION_FAILED.code(), v.exitCode());
        assertEquals(13, v.exitCode());
        assertEquals("standby clone failed: disk full", v.message());

        // not left "busy" forever
        assertEquals(Commands.STANDBY_PROMOTE, submit(agent, PROMOTE).command());
    }

    @Test
    void givenSubmitWithOnFinish_whenTheOperationSucceeds_thenTheListenerGetsTheFinalView() {
        GatedRunner runner = runner();
        var agent = spawn(runner, () -> DOWN, RARELY);
        TestProbe<NodeAgent.Done> finished = testKit.createTestProbe();
        OperationView accepted = submit(agent, CLONE, finished);
        finished.expectNoMessage(Duration.ofMillis(100)); // still running

        runner.finish.complete(() -> OperationOutcome.success("done"));
        OperationView v = finished.receiveMessage(WAIT).view();
        assertEquals(accepted.id(), v.id());
        assertEquals(accepted.startedAt(), v.startedAt());
        assertEquals(OperationView.State.SUCCEEDED, v.state());
        assertEquals(0, v.exitCode());
        assertEquals("done", v.message());
        assertEquals(List.of("checking the upstream", "copying the data directory"), v.progress());
        assertEquals(Optional.of(v), getOperation(agent, v.id(), 0));
        finished.expectNoMessage(Duration.ofMillis(100)); // once
    }

    // ------------------------------------------------------------------ monitoring

    @Test
    void givenListener_whenTheMonitorProbes_thenItHearsTheSnapshotAndTheRunningOperation() throws Exception {
        GatedRunner runner = runner();
        var agent = spawn(runner, () -> STANDBY, OFTEN);
        TestProbe<Observed> observed = testKit.createTestProbe();
        agent.tell(new NodeAgent.Listen(observed.ref()));
        assertEquals(new Observed(STANDBY, Optional.empty()), observed.receiveMessage(WAIT));

        submit(agent, CLONE);
        runner.started.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        awaitObserved(observed, new Observed(STANDBY, Optional.of(Commands.STANDBY_CLONE)));

        TestProbe<NodeAgent.LocalState> local = testKit.createTestProbe();
        agent.tell(new NodeAgent.GetLocalState(local.ref()));
        NodeAgent.LocalState state = local.receiveMessage();
        assertEquals(Optional.of(STANDBY), state.snapshot());
        assertEquals(Commands.STANDBY_CLONE, state.running().orElseThrow().command());
        assertEquals(OperationView.State.RUNNING, state.running().orElseThrow().state());

        runner.finish.complete(() -> OperationOutcome.success("done"));
        awaitObserved(observed, new Observed(STANDBY, Optional.empty()));
        agent.tell(new NodeAgent.GetLocalState(local.ref()));
        assertEquals(new NodeAgent.LocalState(Optional.of(STANDBY), Optional.empty()), local.receiveMessage());
    }

    @Test
    void givenMonitorCycleThrows_whenTheNextTickComes_thenTheAgentProbesAgain() {
        AtomicInteger cycles = new AtomicInteger();
        Supplier<PgSnapshot> flaky = () -> {
            if (cycles.incrementAndGet() <= 2) {
                throw new IllegalStateException("probe crashed");
            }
            return DOWN;
        };
        var agent = spawn(runner(), flaky, OFTEN);
        TestProbe<Observed> observed = testKit.createTestProbe();
        agent.tell(new NodeAgent.Listen(observed.ref()));

        assertEquals(new Observed(DOWN, Optional.empty()), observed.receiveMessage(WAIT));
        assertTrue(cycles.get() >= 3);
        TestProbe<NodeAgent.LocalState> local = testKit.createTestProbe();
        agent.tell(new NodeAgent.GetLocalState(local.ref()));
        assertEquals(Optional.of(DOWN), local.receiveMessage().snapshot());
    }

    @Test
    void givenNoProbeYet_whenLocalStateAsked_thenNoSnapshot() {
        CompletableFuture<PgSnapshot> never = new CompletableFuture<>();
        try {
            var agent = spawn(runner(), never::join, RARELY);
            TestProbe<NodeAgent.LocalState> local = testKit.createTestProbe();
            agent.tell(new NodeAgent.GetLocalState(local.ref()));
            assertEquals(new NodeAgent.LocalState(Optional.empty(), Optional.empty()), local.receiveMessage());
        } finally {
            never.complete(DOWN); // frees the blocking thread
        }
    }

    // ------------------------------------------------------------------ fixtures

    /**
     * Reports a progress line, waits until the test says how to end, reports another line and ends
     * that way (returns an outcome or throws).
     */
    private static final class GatedRunner implements OperationRunner {
        final CompletableFuture<CommandRequest> started = new CompletableFuture<>();
        final CompletableFuture<Supplier<OperationOutcome>> finish = new CompletableFuture<>();
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public OperationOutcome run(CommandRequest request, Progress progress) {
            calls.incrementAndGet();
            progress.report("checking the upstream");
            started.complete(request);
            Supplier<OperationOutcome> end = finish.join();
            progress.report("copying the data directory");
            return end.get();
        }
    }

    private GatedRunner runner() {
        GatedRunner r = new GatedRunner();
        runners.add(r);
        return r;
    }

    private ActorRef<NodeAgent.Command> spawn(OperationRunner runner, Supplier<PgSnapshot> monitor, Duration interval) {
        return testKit.spawn(NodeAgent.create(runner, monitor, BLOCKING, interval));
    }

    private OperationView submit(ActorRef<NodeAgent.Command> agent, CommandRequest request) {
        TestProbe<SubmitResult> replies = testKit.createTestProbe();
        agent.tell(new Submit(request, replies.ref()));
        return replies.expectMessageClass(Accepted.class).view();
    }

    private OperationView submit(ActorRef<NodeAgent.Command> agent, CommandRequest request, TestProbe<NodeAgent.Done> onFinish) {
        TestProbe<SubmitResult> replies = testKit.createTestProbe();
        agent.tell(new Submit(new org.pgsteward.agent.ops.Work.Console(request), replies.ref(), Optional.of(onFinish.ref())));
        return replies.expectMessageClass(Accepted.class).view();
    }

    private Optional<OperationView> getOperation(ActorRef<NodeAgent.Command> agent, String id, int since) {
        TestProbe<Optional<OperationView>> probe = testKit.createTestProbe();
        agent.tell(new NodeAgent.GetOperation(id, since, probe.ref()));
        return probe.receiveMessage();
    }

    private OperationView awaitOperation(ActorRef<NodeAgent.Command> agent, String id, int since, Consumer<OperationView> check) {
        TestProbe<Optional<OperationView>> probe = testKit.createTestProbe();
        return probe.awaitAssert(WAIT, Duration.ofMillis(10), () -> {
            agent.tell(new NodeAgent.GetOperation(id, since, probe.ref()));
            OperationView v = probe.receiveMessage().orElseThrow();
            check.accept(v);
            return v;
        });
    }

    private static void awaitObserved(TestProbe<Observed> probe, Observed expected) {
        probe.fishForMessage(WAIT, "observation " + expected,
                o -> o.equals(expected) ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());
    }
}
