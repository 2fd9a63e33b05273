package org.pgsteward.agent.guard;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.pgsteward.agent.exec.CommandRunner;
import org.pgsteward.agent.postgres.Postmaster;

/**
 * The fence that does not need the agent (safety rule 8): a small process per managed PostgreSQL, outside the
 * agent's JVM, started by the agent and outliving it. Rule: <em>an agent that is not running never leaves a writable
 * primary past its lease.</em>
 *
 * <p>The agent tells it, through {@link GuardLink#LEASE_FILE} in its state directory, either {@code standby} or
 * {@code primary <deadlineNanos>}: until when (on {@link System#nanoTime()}, CLOCK_MONOTONIC, which all JVMs on a
 * Linux host share) this node may serve writes, renewed with each lease renewal. Every {@link #POLL} the guard reads
 * it; past a primary deadline, while a postmaster that may serve writes runs in the data directory
 * ({@link Postmaster#mayServeWrites()}: files and processes, no SQL), it fences it: SIGQUIT, SIGKILL of the
 * postmaster and its children after {@link #KILL_AFTER}. So a SIGKILLed, frozen or starved agent stops renewing and
 * the guard fences before the voters' promises run out (the agent writes its lease end minus half the fence lead).
 *
 * <p>One guard per state directory: it holds an exclusive lock on {@code guard.lock} (which holds its pid) while it
 * runs; a second one
 * exits with {@link #EXIT_ALREADY_RUNNING}. It exits when the state directory is gone, or on SIGTERM (a missing data directory, before a clone or
 * during a re-clone, is watched on). It
 * logs each fence and each start and stop, one line each, to {@code guard.log} in the state directory and to
 * stderr. The Linux watchdog device is not used (yet): a guard that is frozen with the agent does not fence.
 *
 * <p>It runs in a session of its own ({@code setsid}) with no pipe to the agent, so it outlives a SIGKILLed or
 * SIGSTOPped agent; under systemd the agent's unit needs {@code KillMode=process} (or {@code mixed}) for it to
 * survive agent restarts too (the default {@code control-group} kills it with the agent).
 *
 * <p>Usage: {@code FenceGuard STATE_DIR DATA_DIR}.
 */
public final class FenceGuard {

    public static final String LOCK_FILE = "guard.lock";
    public static final String LOG_FILE = "guard.log";
    public static final int EXIT_ALREADY_RUNNING = 3;
    public static final int EXIT_USAGE = 2;
    static final Duration POLL = Duration.ofMillis(50);
    static final Duration KILL_AFTER = Duration.ofMillis(100);

    private final Path stateDir;
    private final Path dataDir;
    private final Postmaster postmaster;
    private volatile boolean stopping;
    private volatile boolean finished;
    private Optional<GuardLink.Lease> lastGood = Optional.empty();
    private boolean warnedUnreadable;

    FenceGuard(Path stateDir, Path dataDir) {
        this.stateDir = stateDir;
        this.dataDir = dataDir;
        this.postmaster = Postmaster.of(dataDir, new CommandRunner());
    }

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: FenceGuard STATE_DIR DATA_DIR");
            System.exit(EXIT_USAGE);
        }
        System.exit(new FenceGuard(Path.of(args[0]).toAbsolutePath(), Path.of(args[1]).toAbsolutePath()).run());
    }

    int run() {
        try (FileChannel ch = FileChannel.open(stateDir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock lock = lockOrNull(ch);
            if (lock == null) {
                System.err.println("pgsteward guard: another guard holds " + stateDir.resolve(LOCK_FILE) + ": exiting");
                return EXIT_ALREADY_RUNNING;
            }
            ch.truncate(0);
            ch.write(java.nio.ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)));
            Thread main = Thread.currentThread();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                if (finished) {
                    return;
                }
                stopping = true;
                main.interrupt();
                try {
                    main.join(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "pgsteward-guard-stop"));
            log("guard " + ProcessHandle.current().pid() + " up for " + dataDir);
            String why = loop();
            log("guard " + ProcessHandle.current().pid() + " stopped: " + why);
            finished = true;
            return 0;
        } catch (IOException e) {
            System.err.println("pgsteward guard: cannot lock " + stateDir.resolve(LOCK_FILE) + ": " + e);
            return 1;
        }
    }

    /** The agent probes the lock briefly while it waits for a new guard: a few tries ride over that. */
    private static FileLock lockOrNull(FileChannel ch) throws IOException {
        for (int i = 0; i < 5; i++) {
            FileLock lock = ch.tryLock();
            if (lock != null) {
                return lock;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    private String loop() {
        while (!stopping) {
            if (!Files.isDirectory(stateDir)) {
                return "state directory " + stateDir + " is gone";
            }
            // a data directory that does not exist yet (a node waiting for `standby clone`) or is being replaced by
            // a re-clone is watched on: the guard must be there once a server runs in it
            check(System.nanoTime());
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                if (stopping) {
                    break;
                }
            }
        }
        return "SIGTERM";
    }

    /** One look: fence when the lease says primary, its deadline has passed and a postmaster may serve writes. */
    void check(long now) {
        Optional<GuardLink.Lease> lease = readLease();
        if (lease.isEmpty() || !lease.get().primary() || now - lease.get().deadlineNanos() <= 0 || !postmaster.mayServeWrites()) {
            return;
        }
        long late = (now - lease.get().deadlineNanos()) / 1_000_000;
        try {
            Postmaster.StopResult r = postmaster.stop(KILL_AFTER);
            log("FENCED " + dataDir + ": the agent's lease ran out " + late + " ms ago: " + r.describe());
        } catch (RuntimeException e) {
            log("FENCE FAILED for " + dataDir + " (lease ran out " + late + " ms ago): " + e.getMessage());
        }
    }

    /** The lease file (absent: standby); an unreadable one keeps the last good value, logged once. */
    private Optional<GuardLink.Lease> readLease() {
        Path file = stateDir.resolve(GuardLink.LEASE_FILE);
        try {
            if (!Files.exists(file)) {
                lastGood = Optional.empty();
                return lastGood;
            }
            lastGood = Optional.of(GuardLink.Lease.parse(Files.readString(file, StandardCharsets.US_ASCII)));
            warnedUnreadable = false;
        } catch (IOException | IllegalArgumentException e) {
            if (!warnedUnreadable) {
                log("cannot read " + file + " (" + e.getMessage() + "): keeping " + lastGood.map(Object::toString).orElse("none"));
                warnedUnreadable = true;
            }
        }
        return lastGood;
    }

    private void log(String line) {
        String s = Instant.now() + " " + line;
        System.err.println(s);
        try {
            Files.writeString(stateDir.resolve(LOG_FILE), s + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.err.println("cannot write " + stateDir.resolve(LOG_FILE) + ": " + e);
        }
    }
}
