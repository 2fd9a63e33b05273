package org.pgsteward.agent.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.exec.CommandRunner;
import org.pgsteward.agent.postgres.Postmaster;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.PostgresExtension;

/** The test plays the agent: it starts the guard process, writes the lease file, and stops renewing it. */
class FenceGuardTest {

    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final Duration BOUND = Duration.ofSeconds(30);

    private Path stateDir;

    @BeforeEach
    void stateDir() throws IOException {
        stateDir = Files.createTempDirectory("pgsteward-guard-test");
    }

    @AfterEach
    void stopGuard() throws Exception {
        guardPid().flatMap(ProcessHandle::of).ifPresent(h -> {
            h.destroy(); // SIGTERM
            h.onExit().orTimeout(BOUND.toSeconds(), TimeUnit.SECONDS).join();
        });
        try (var files = Files.walk(stateDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    @Test
    void givenPrimaryLease_whenRenewedThenAbandoned_thenGuardKillsThePostmasterAfterTheDeadline() throws Exception {
        PgTestInstance node = pg.primary("guarded");
        Postmaster pm = postmaster(node);
        var link = new GuardLink(stateDir, Duration.ofSeconds(3));
        // a deadline well beyond the guard's start (a JVM: over a second on a loaded machine), then a short one
        link.primaryUntil(System.nanoTime() + Duration.ofSeconds(30).toNanos());
        assertTrue(GuardLink.ensureGuard(stateDir, node.dataDir()).startsWith("started"), log());
        link.primaryUntil(System.nanoTime() + Duration.ofSeconds(1).toNanos());

        // renewed for two seconds, past the first deadline: the server stays up (each renewal good for 3 s, so a
        // test thread starved for a second on a busy machine is not taken for a dead agent)
        long renewUntil = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (System.nanoTime() < renewUntil) {
            link.primaryUntil(System.nanoTime() + Duration.ofSeconds(3).toNanos());
            assertTrue(pm.mayServeWrites(), "a renewed primary keeps running: " + log());
            Thread.sleep(100);
        }
        // the agent dies: no more renewals
        long deadline = GuardLink.read(stateDir).orElseThrow().deadlineNanos();

        assertTrue(await(() -> !pm.running()), "the guard fenced the abandoned primary: " + log());
        long killedAfterDeadline = (System.nanoTime() - deadline) / 1_000_000;
        System.out.println("guard fenced " + killedAfterDeadline + " ms after the deadline (at most; observed by polling): "
                + log().strip());
        assertTrue(killedAfterDeadline >= 0, "not before the deadline");
        assertTrue(await(() -> log().contains("FENCED " + node.dataDir())), log());
    }

    @Test
    void givenStandbyLease_thenNothingIsKilled_untilThePrimaryLeaseRunsOut() throws Exception {
        PgTestInstance node = pg.primary("unguarded");
        Postmaster pm = postmaster(node);
        var link = new GuardLink(stateDir, Duration.ofSeconds(3));
        link.notPrimary();
        assertTrue(GuardLink.ensureGuard(stateDir, node.dataDir()).startsWith("started"), log());

        // thirty polls of the guard
        long until = System.nanoTime() + Duration.ofMillis(1500).toNanos();
        while (System.nanoTime() < until) {
            assertTrue(pm.mayServeWrites(), "standby: the guard fences nothing: " + log());
            Thread.sleep(50);
        }
        assertFalse(log().contains("FENCED"), log());

        // the same guard was watching all along: an expired primary lease is fenced
        link.primaryUntil(System.nanoTime() - 1);
        assertTrue(await(() -> !pm.running()), "fenced once the lease says primary and expired: " + log());
        assertTrue(await(() -> log().contains("FENCED")), log());
    }

    @Test
    void givenRunningGuard_whenSecondGuardStarts_thenItRefuses() throws Exception {
        PgTestInstance node = pg.primary("twice");
        assertTrue(GuardLink.ensureGuard(stateDir, node.dataDir()).startsWith("started"), log());
        long first = guardPid().orElseThrow();

        assertEquals("already running", GuardLink.ensureGuard(stateDir, node.dataDir()));
        Process second = new ProcessBuilder(GuardLink.command(stateDir, node.dataDir())).redirectErrorStream(true).start();
        String out = new String(second.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(second.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS));

        assertEquals(FenceGuard.EXIT_ALREADY_RUNNING, second.exitValue(), out);
        assertTrue(out.contains("another guard holds"), out);
        assertEquals(first, guardPid().orElseThrow(), "the first guard still holds the lock");
        assertTrue(ProcessHandle.of(first).map(ProcessHandle::isAlive).orElse(false));
        System.out.println("guard " + first + " VmRSS: " + Files.readAllLines(Path.of("/proc", Long.toString(first), "status"))
                .stream().filter(l -> l.startsWith("VmRSS")).findFirst().orElse("?"));
    }

    @Test
    void givenRunningGuard_whenStateDirRemoved_thenGuardExits() throws Exception {
        PgTestInstance node = pg.primary("gone");
        assertTrue(GuardLink.ensureGuard(stateDir, node.dataDir()).startsWith("started"), log());
        ProcessHandle guard = ProcessHandle.of(guardPid().orElseThrow()).orElseThrow();
        Path moved = Files.move(stateDir, stateDir.resolveSibling(stateDir.getFileName() + "-moved"));
        try {
            assertTrue(await(() -> !guard.isAlive()), "the guard exits when its state directory is gone");
            assertTrue(postmaster(node).mayServeWrites(), "and fences nothing on its way out");
        } finally {
            Files.move(moved, stateDir);
        }
    }

    /** Plays an agent in a JVM of its own: starts the guard, says so, then waits to be killed. */
    public static final class AgentStandIn {
        public static void main(String[] args) throws Exception {
            var link = new GuardLink(Path.of(args[0]), Duration.ofSeconds(3));
            System.out.println(GuardLink.ensureGuard(Path.of(args[0]), Path.of(args[1])));
            link.primaryUntil(System.nanoTime() + Duration.ofSeconds(2).toNanos());
            System.out.println("renewed");
            System.out.flush();
            Thread.sleep(Duration.ofMinutes(5).toMillis());
        }
    }

    @Test
    void givenGuardStartedByAnAgent_whenTheAgentIsSigkilled_thenTheGuardSurvivesAndFencesAfterTheLease() throws Exception {
        PgTestInstance node = pg.primary("orphan");
        Postmaster pm = postmaster(node);
        Process agent = new ProcessBuilder(java(), "-Xmx32m", "-cp", System.getProperty("java.class.path"),
                AgentStandIn.class.getName(), stateDir.toString(), node.dataDir().toString()).redirectErrorStream(true).start();
        try {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(agent.getInputStream(), StandardCharsets.UTF_8));
            String started = out.readLine();
            assertTrue(started != null && started.startsWith("started"), started + " " + log());
            assertEquals("renewed", out.readLine());
            long guard = guardPid().orElseThrow();

            agent.destroyForcibly(); // SIGKILL
            assertTrue(agent.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS));

            assertTrue(ProcessHandle.of(guard).map(ProcessHandle::isAlive).orElse(false), "the guard outlives its agent");
            assertTrue(pm.mayServeWrites(), "within the lease the primary runs on");
            assertTrue(await(() -> !pm.running()), "the guard fenced the primary of the dead agent: " + log());
            assertTrue(await(() -> log().contains("FENCED")), log());
            assertTrue(ProcessHandle.of(guard).map(ProcessHandle::isAlive).orElse(false), "and keeps guarding");
        } finally {
            agent.destroyForcibly();
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private Optional<Long> guardPid() {
        return GuardLink.guardPid(stateDir);
    }

    private String log() {
        try {
            Path out = stateDir.resolve(FenceGuard.LOG_FILE);
            return Files.exists(out) ? Files.readString(out) : "(no guard output)";
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static Postmaster postmaster(PgTestInstance node) {
        return new Postmaster(node.dataDir(), OptionalInt.of(node.majorVersion()), new CommandRunner());
    }

    private static boolean await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }
}
