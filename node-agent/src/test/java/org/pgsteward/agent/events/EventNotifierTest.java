package org.pgsteward.agent.events;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgsteward.agent.exec.CommandRunner;

/** The event command run as a real program: its arguments, exit codes, timeout, and the bounded queue. */
class EventNotifierTest {

    @TempDir
    Path dir;

    private final BlockingQueue<EventNotifier.Outcome> outcomes = new LinkedBlockingQueue<>();

    private static NodeEvent event(String name, String details) {
        return new NodeEvent(1, "node1", name, true, Instant.parse("2026-12-02T05:00:00Z"), details);
    }

    private Path script(String body) throws Exception {
        Path s = dir.resolve("hook-" + System.nanoTime());
        Files.writeString(s, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(s, PosixFilePermissions.fromString("rwx------"));
        return s;
    }

    private EventNotifier.Outcome next() throws InterruptedException {
        EventNotifier.Outcome o = outcomes.poll(30, TimeUnit.SECONDS);
        if (o == null) {
            throw new AssertionError("no outcome within 30 s");
        }
        return o;
    }

    @Test
    void givenARecordingScript_whenEventsHappen_thenEachArgumentArrivesAsGivenInOrder() throws Exception {
        Path out = dir.resolve("args");
        Path hook = script("for a in \"$@\"; do printf '[%s]' \"$a\" >> " + out + "; done; echo >> " + out);
        var n = new EventNotifier(new EventCommand(List.of(hook.toString(), "%n", "%e", "%s", "%t", "%d"),
                Duration.ofSeconds(10), Set.of("fence", "standby_register")), new CommandRunner(), outcomes::add);
        n.notify(event("standby_register", "a 'quoted' $(not run) detail"));
        n.notify(event("standby_clone", "filtered out by only"));
        n.notify(event("fence", "stopped"));
        assertEquals(EventNotifier.Outcome.OK, next());
        assertEquals(EventNotifier.Outcome.OK, next());
        assertEquals(List.of("[1][standby_register][1][2026-12-02T05:00:00Z][a 'quoted' $(not run) detail]",
                "[1][fence][1][2026-12-02T05:00:00Z][stopped]"), Files.readAllLines(out));
    }

    @Test
    void givenAFailingOrHangingScript_thenItsExitAndTimeoutAreCounted() throws Exception {
        var failing = new EventNotifier(new EventCommand(List.of(script("echo broken >&2; exit 3").toString()),
                Duration.ofSeconds(10), Set.of()), new CommandRunner(), outcomes::add);
        failing.notify(event("fence", ""));
        assertEquals(EventNotifier.Outcome.FAILED, next());
        var hanging = new EventNotifier(new EventCommand(List.of(script("exec sleep 30").toString()), Duration.ofSeconds(1),
                Set.of()), new CommandRunner(), outcomes::add);
        hanging.notify(event("fence", ""));
        assertEquals(EventNotifier.Outcome.TIMEOUT, next());
    }

    @Test
    void givenAFullQueue_whenAnotherEventComes_thenItIsDroppedAtOnceAndTheOthersRun() throws Exception {
        var n = new EventNotifier(new EventCommand(List.of(script("sleep 0.3").toString()), Duration.ofSeconds(10), Set.of()),
                new CommandRunner(), outcomes::add, 2);
        for (int i = 0; i < 4; i++) { // one runs, two wait, the fourth finds the queue full
            n.notify(event("fence", "#" + i));
        }
        List<EventNotifier.Outcome> seen = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            seen.add(next());
        }
        assertEquals(List.of(EventNotifier.Outcome.DROPPED, EventNotifier.Outcome.OK, EventNotifier.Outcome.OK,
                EventNotifier.Outcome.OK), seen);
    }
}
