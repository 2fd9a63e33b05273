package org.pgsteward.agent.guard;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's side of the {@link FenceGuard}: starts the guard for its state directory unless one runs, and tells
 * it until when this node may be a writable primary, through {@link #LEASE_FILE} (replaced atomically by rename;
 * no fsync: the guard reads it from the page cache, and after a host crash nothing runs that it could fence).
 *
 * <p>Cheap enough to call every 100 ms: the file is rewritten only when the mode changes or the deadline moves by
 * more than {@link #MIN_CHANGE}. Thread-safe.
 */
public class GuardLink {

    private static final Logger log = LoggerFactory.getLogger(GuardLink.class);
    public static final String LEASE_FILE = "guard-lease";
    static final long MIN_CHANGE = Duration.ofMillis(20).toNanos();
    /** Deadlines below this mean "no promise known" (an agent that has not yet been renewed since it started). */
    private static final long UNKNOWN = Long.MIN_VALUE / 4;
    private static final Duration START_WAIT = Duration.ofSeconds(15);

    /** What the lease file says. */
    public record Lease(boolean primary, long deadlineNanos) {
        static final Lease STANDBY = new Lease(false, 0);

        static Lease parse(String text) {
            String[] w = text.strip().split("\\s+");
            if (w.length == 1 && w[0].equals("standby")) {
                return STANDBY;
            }
            if (w.length == 2 && w[0].equals("primary")) {
                try {
                    return new Lease(true, Long.parseLong(w[1]));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("bad deadline: " + text.strip());
                }
            }
            throw new IllegalArgumentException("neither 'standby' nor 'primary <nanos>': " + text.strip());
        }

        String format() {
            return primary ? "primary " + deadlineNanos + "\n" : "standby\n";
        }
    }

    private final Path stateDir;
    private final long leaseNanos;
    private Optional<Lease> written;
    private boolean failing;

    /**
     * @param lease how long a primary that has no promise yet in this agent incarnation, and no deadline left by the
     *              previous one, may run unrenewed (the agent just started: the guard fences if it dies now)
     */
    public GuardLink(Path stateDir, Duration lease) {
        this(stateDir, lease, true);
    }

    /**
     * @param guardRanBefore a guard already held this state directory when the agent started: the lease file was
     *                       written in this boot, on this boot's monotonic clock. Otherwise (first start, a guard that
     *                       had died, a reboot) its deadline means nothing and is not inherited.
     */
    public GuardLink(Path stateDir, Duration lease, boolean guardRanBefore) {
        this.stateDir = stateDir;
        this.leaseNanos = lease.toNanos();
        this.written = guardRanBefore ? read(stateDir) : Optional.empty();
    }

    /** For a witness: no PostgreSQL, no guard, nothing to write. */
    public static GuardLink none() {
        return new GuardLink(Path.of("/nonexistent"), Duration.ZERO) {
            @Override
            public void primaryUntil(long deadlineNanos) {
            }

            @Override
            public void notPrimary() {
            }
        };
    }

    /**
     * This node is the primary of its epoch: the guard fences it after {@code deadlineNanos} (System.nanoTime) unless
     * renewed. A deadline below {@code Long.MIN_VALUE / 4} means no promise is known yet: an earlier deadline (the
     * previous agent incarnation's) stays; without one, the guard gets a lease from now.
     */
    public synchronized void primaryUntil(long deadlineNanos) {
        Optional<Lease> now = written;
        if (deadlineNanos < UNKNOWN) {
            if (now.map(Lease::primary).orElse(false)) {
                return;
            }
            write(new Lease(true, System.nanoTime() + leaseNanos));
            return;
        }
        if (now.isPresent() && now.get().primary() && Math.abs(now.get().deadlineNanos() - deadlineNanos) <= MIN_CHANGE) {
            return;
        }
        write(new Lease(true, deadlineNanos));
    }

    /** The deadline last given to the guard while this node is the primary (System.nanoTime), for the metrics. */
    public synchronized Optional<Long> primaryDeadlineNanos() {
        return written.filter(Lease::primary).map(Lease::deadlineNanos);
    }

    /** This node is not (or not automatically) the primary: the guard fences nothing. */
    public synchronized void notPrimary() {
        if (written.isPresent() && !written.get().primary()) {
            return;
        }
        write(Lease.STANDBY);
    }

    /** Never throws (it runs in the cluster link's lease check): a failure is logged, once until it works again. */
    private void write(Lease lease) {
        Path target = stateDir.resolve(LEASE_FILE);
        try {
            Path tmp = Files.createTempFile(stateDir, "." + LEASE_FILE + ".", ".tmp");
            Files.writeString(tmp, lease.format(), StandardCharsets.US_ASCII);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            written = Optional.of(lease);
            failing = false;
        } catch (IOException | RuntimeException e) {
            if (!failing) {
                log.error("cannot tell the fence guard {} through {}: {}", lease.format().strip(), target, e.toString());
                failing = true;
            }
        }
    }

    static Optional<Lease> read(Path stateDir) {
        try {
            return Optional.of(Lease.parse(Files.readString(stateDir.resolve(LEASE_FILE), StandardCharsets.US_ASCII)));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The pid a guard wrote into its lock file (it may have exited since: see {@link #guardRunning}). */
    public static Optional<Long> guardPid(Path stateDir) {
        try {
            String s = Files.readString(stateDir.resolve(FenceGuard.LOCK_FILE), StandardCharsets.US_ASCII).strip();
            return s.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(s));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Whether a guard holds the lock of this state directory now. */
    public static boolean guardRunning(Path stateDir) {
        try (FileChannel ch = FileChannel.open(stateDir.resolve(FenceGuard.LOCK_FILE), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            FileLock lock = ch.tryLock();
            if (lock == null) {
                return true;
            }
            lock.release();
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check " + stateDir.resolve(FenceGuard.LOCK_FILE) + ": " + e, e);
        }
    }

    /**
     * The guard's command: this JVM's java and classpath, a tiny heap, in a session of its own ({@code setsid}), so
     * a signal to the agent's process group (a terminal's Ctrl-C) does not reach it. stdin from /dev/null, stdout and
     * stderr appended to {@code guard.out}: no pipe to an agent that may be dead.
     */
    static List<String> command(Path stateDir, Path dataDir) {
        var argv = new ArrayList<String>();
        argv.add("setsid");
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        argv.addAll(List.of("-Xmx16m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss256k",
                "-cp", System.getProperty("java.class.path"), FenceGuard.class.getName(),
                stateDir.toAbsolutePath().toString(), dataDir.toAbsolutePath().toString()));
        return argv;
    }

    /**
     * Starts the guard for {@code stateDir} unless one runs, and waits (up to 15 s) until it holds its lock.
     * Returns how it went, for the log.
     */
    public static String ensureGuard(Path stateDir, Path dataDir) {
        if (guardRunning(stateDir)) {
            return "already running";
        }
        var pb = new ProcessBuilder(command(stateDir, dataDir));
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        File out = stateDir.resolve("guard.out").toFile();
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(out));
        pb.redirectError(ProcessBuilder.Redirect.appendTo(out));
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the fence guard: " + e, e);
        }
        long deadline = System.nanoTime() + START_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (guardPid(stateDir).isPresent() && guardRunning(stateDir)) {
                return "started, pid " + p.pid();
            }
            if (!p.isAlive()) {
                return p.exitValue() == FenceGuard.EXIT_ALREADY_RUNNING ? "already running"
                        : "FAILED: exited with " + p.exitValue() + " (see " + out + ")";
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "start interrupted";
            }
        }
        return "FAILED: not up after " + START_WAIT.toSeconds() + " s (pid " + p.pid() + ", see " + out + ")";
    }
}
