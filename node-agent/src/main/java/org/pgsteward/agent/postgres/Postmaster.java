package org.pgsteward.agent.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.pgsteward.agent.exec.CommandFailedException;
import org.pgsteward.agent.exec.CommandRunner;
import org.pgsteward.agent.exec.ExternalCommand;

/**
 * The local postmaster as seen from its data directory, without SQL: {@code postmaster.pid}, whether that
 * process is alive and a postgres, whether the data directory has standby configuration, and a fence that
 * signals the postmaster directly.
 *
 * <p>Deciding to fence must not need a new SQL session (a server out of connection slots, or whose pg_hba or
 * password changed, still commits on the sessions it has), so {@link #mayServeWrites()} looks only at files and
 * processes. {@link #stop(Duration)} does not go through {@code pg_ctl}, whose {@code -t} counts whole seconds:
 * SIGQUIT (immediate shutdown), then SIGKILL of the postmaster and its descendants after a millisecond deadline.
 * Used by the agent's fence and by the guard process ({@code org.pgsteward.agent.guard.FenceGuard}), which has no
 * configuration but the data directory: hence no dependency on the agent's classes.
 */
public final class Postmaster {

    private static final long POLL_MILLIS = 10;
    /** After SIGKILL the processes are gone within milliseconds; this only bounds a kernel that is very slow. */
    private static final Duration AFTER_KILL_WAIT = Duration.ofSeconds(2);

    private final Path dataDir;
    private final OptionalInt majorVersion;
    private final CommandRunner runner;

    /**
     * @param majorVersion the server's major version (which standby configuration counts); empty: read PG_VERSION
     *                     each time it is needed
     * @param runner       sends SIGQUIT ({@code kill -QUIT}: Java signals only SIGTERM and SIGKILL)
     */
    public Postmaster(Path dataDir, OptionalInt majorVersion, CommandRunner runner) {
        this.dataDir = dataDir;
        this.majorVersion = majorVersion;
        this.runner = runner;
    }

    /** For a data directory whose PG_VERSION tells the version (read when needed: it may be re-cloned). */
    public static Postmaster of(Path dataDir, CommandRunner runner) {
        return new Postmaster(dataDir, OptionalInt.empty(), runner);
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The pid on line 1 of postmaster.pid, when the file exists and says one. */
    public Optional<Long> pid() {
        try {
            List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"));
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).strip()));
        } catch (IOException | NumberFormatException | SecurityException e) {
            return Optional.empty();
        }
    }

    /**
     * The postmaster process, when the pid file names a live postgres: a zombie (SIGKILLed, not yet reaped by
     * init) counts as gone, a pid reused by another program too; a process whose command cannot be read counts as
     * postgres (conservative).
     */
    public Optional<ProcessHandle> live() {
        return pid().flatMap(ProcessHandle::of).filter(Postmaster::running).filter(Postmaster::looksLikePostgres);
    }

    public boolean running() {
        return live().isPresent();
    }

    /**
     * The live postmaster as /proc shows it now (state, CPU time, context switches): whether it runs, for telling a
     * hung server from a slow one. Empty when no postmaster is alive; counters unknown when /proc cannot be read.
     */
    public Optional<ProcessSample> sample() {
        return live().flatMap(p -> ProcessSample.read(p.pid()).or(() -> p.isAlive()
                ? Optional.of(ProcessSample.unknown(p.pid())) : Optional.empty()));
    }

    /**
     * Whether the data directory is set up as a standby: standby.signal from 12, recovery.conf up to 11. A
     * configuration that cannot be parsed still counts by its file; an unknown version counts as no standby.
     */
    public boolean standbyConfigured() {
        Optional<Integer> major = majorVersion.isPresent() ? Optional.of(majorVersion.getAsInt())
                : PgBinaries.dataDirMajorVersion(dataDir);
        return major.map(v -> standbyConfigured(dataDir, v)).orElse(false);
    }

    /**
     * As {@link #standbyConfigured()}, for a known server version (also the agent's LocalNode.standbyDataDir): the
     * files that keep the server in recovery, whatever else they say (a standby whose primary_conninfo is empty, or
     * a targeted recovery, does not accept writes): standby.signal or recovery.signal from 12, recovery.conf before.
     */
    public static boolean standbyConfigured(Path dataDir, int majorVersion) {
        return majorVersion >= 12
                ? Files.exists(dataDir.resolve(RecoveryConfig.STANDBY_SIGNAL)) || Files.exists(dataDir.resolve("recovery.signal"))
                : Files.exists(dataDir.resolve(RecoveryConfig.RECOVERY_CONF));
    }

    /**
     * A live postmaster in a data directory without standby configuration: it may accept writes (or will once it
     * is out of crash recovery). Conservative: a postmaster whose role is unclear counts.
     */
    public boolean mayServeWrites() {
        return running() && !standbyConfigured();
    }

    /** What {@link #stop} did. */
    public enum StopOutcome { NOT_RUNNING, STOPPED_BY_SIGQUIT, KILLED }

    /**
     * @param pid        the postmaster's pid (0 when none was running)
     * @param tookMillis from the call until the postmaster was gone (or found not running)
     * @param killed     processes SIGKILLed (the postmaster and its descendants still alive), 0 without escalation
     */
    public record StopResult(StopOutcome outcome, long pid, long tookMillis, int killed) {
        public boolean escalated() {
            return outcome == StopOutcome.KILLED;
        }

        public String describe() {
            return switch (outcome) {
                case NOT_RUNNING -> "not running";
                case STOPPED_BY_SIGQUIT -> "stopped (SIGQUIT, immediate shutdown) postmaster " + pid + " in " + tookMillis + " ms";
                case KILLED -> "killed (SIGKILL) postmaster " + pid + " and " + (killed - 1) + " descendants after "
                        + tookMillis + " ms (no exit on SIGQUIT)";
            };
        }
    }

    /**
     * Fence: SIGQUIT to the postmaster (PostgreSQL's immediate shutdown: backends quit at once), waits up to
     * {@code killAfter} (polling every 10 ms) for it to exit, then SIGKILLs it and every descendant (captured before
     * the kill, and before the SIGQUIT: backends orphaned by an exiting postmaster are killed too). A stopped
     * (SIGSTOP) or hung postmaster ignores SIGQUIT but not SIGKILL. Needs permission to signal the server's
     * processes (root, or its OS user). Blocking, bounded by killAfter plus a short wait after the kill.
     */
    public StopResult stop(Duration killAfter) {
        long t0 = System.nanoTime();
        Optional<ProcessHandle> pm = live();
        if (pm.isEmpty()) {
            return new StopResult(StopOutcome.NOT_RUNNING, 0, 0, 0);
        }
        ProcessHandle p = pm.get();
        Map<Long, ProcessHandle> family = new LinkedHashMap<>();
        p.descendants().forEach(d -> family.put(d.pid(), d));
        long deadline = t0 + killAfter.toNanos();
        sigquit(p.pid(), killAfter);
        while (running(p) && System.nanoTime() < deadline && pause()) {
            // polling: ProcessHandle.onExit does not see a zombie as exited
        }
        if (!running(p)) {
            family.values().stream().filter(Postmaster::running).forEach(ProcessHandle::destroyForcibly);
            return new StopResult(StopOutcome.STOPPED_BY_SIGQUIT, p.pid(), millisSince(t0), 0);
        }
        p.descendants().forEach(d -> family.put(d.pid(), d));
        List<ProcessHandle> all = new ArrayList<>();
        all.add(p);
        all.addAll(family.values());
        all.forEach(ProcessHandle::destroyForcibly);
        long killDeadline = System.nanoTime() + AFTER_KILL_WAIT.toNanos();
        // the fence is complete when every process of the server is gone (a backend could still commit): wait for
        // the postmaster and each child to die (or to be a zombie, which PID 1 reaps later)
        while (all.stream().anyMatch(Postmaster::running) && System.nanoTime() < killDeadline && pause()) {
            // waiting for the kernel
        }
        if (running(p)) {
            throw new PgException("postmaster " + p.pid() + " of " + dataDir + " still alive " + AFTER_KILL_WAIT.toMillis()
                    + " ms after SIGKILL", null);
        }
        return new StopResult(StopOutcome.KILLED, p.pid(), millisSince(t0), all.size());
    }

    /** Alive and not a zombie. */
    private static boolean running(ProcessHandle p) {
        return p.isAlive() && !PgCtl.isZombie(p.pid());
    }

    static boolean looksLikePostgres(ProcessHandle p) {
        return p.info().command().map(c -> c.endsWith("postgres") || c.endsWith("postmaster")).orElse(true);
    }

    private static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    /** Sleeps one poll interval; false when interrupted (the fence then escalates at once rather than give up). */
    private static boolean pause() {
        try {
            Thread.sleep(POLL_MILLIS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** A kill that cannot run or does not return within the deadline only means SIGKILL comes next. */
    private void sigquit(long pid, Duration within) {
        try {
            runner.execute(ExternalCommand.of(within.isZero() ? Duration.ofMillis(1) : within,
                    List.of("kill", "-QUIT", Long.toString(pid))));
        } catch (CommandFailedException e) {
            // escalate below
        }
    }
}
