package org.pgsteward.agent.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.pgsteward.agent.exec.CommandFailedException;
import org.pgsteward.agent.exec.CommandRunner;
import org.pgsteward.agent.exec.ExternalCommand;
import org.pgsteward.protocol.ExitCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Clones a data directory with {@code pg_basebackup}, run as {@code postgres.os-user}.
 *
 * <p>Into an absent or empty directory it copies in place (and on failure leaves the directory as
 * it found it). A non-empty directory is refused unless forced; forced, the copy goes to a sibling
 * {@code <dir>.pgsteward-new} first and only a completed copy replaces the old directory
 * (old moved aside to {@code <dir>.pgsteward-old}, new moved in, old deleted). A failed copy is
 * deleted and the old directory is left as it was. Leftovers of an interrupted earlier run are
 * cleaned up first.
 *
 * <p>Writing the recovery configuration and starting the standby are the caller's.
 */
public final class BaseBackup {

    private static final Logger log = LoggerFactory.getLogger(BaseBackup.class);

    public static final String NEW_SUFFIX = ".pgsteward-new";
    public static final String OLD_SUFFIX = ".pgsteward-old";

    private static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(1);
    /** libpq waits forever for an unreachable host unless told; a conninfo connect_timeout wins over this. */
    private static final String DEFAULT_CONNECT_TIMEOUT_SECONDS = "10";

    private final PgBinaries binaries;
    private final CommandRunner runner;
    private final Optional<String> osUser;
    private final Duration timeout;
    private final OsUserFiles files;

    /**
     * @param osUser  the PostgreSQL OS user; pg_basebackup runs as it when we are root
     * @param timeout pg_basebackup running longer is killed (ERR_TIMEOUT)
     */
    public BaseBackup(PgBinaries binaries, CommandRunner runner, Optional<String> osUser, Duration timeout) {
        this.binaries = binaries;
        this.runner = runner;
        this.osUser = osUser;
        this.timeout = timeout;
        this.files = new OsUserFiles(osUser, runner.isRoot());
    }

    /**
     * Clones {@code request.upstream()} into {@code request.dataDir()}.
     *
     * @param progress receives human-readable progress lines (from pg_basebackup's stderr thread)
     * @throws CloneException ERR_BAD_CONFIG (non-empty target without force, not a data directory,
     *     server running on it, version mismatch), ERR_DB_CON, ERR_BAD_PASSWORD, ERR_NEEDS_XLOG
     *     (WAL removed on the upstream during the copy), ERR_TIMEOUT, ERR_OPERATION_FAILED (any
     *     other pg_basebackup or file system failure)
     */
    public void clone(CloneRequest request, Consumer<String> progress) {
        CloneTarget target = CloneTarget.of(request.dataDir());
        recoverInterruptedSwap(target, progress);
        CloneTarget.State state = target.state();
        if (state == CloneTarget.State.NON_EMPTY) {
            target.checkMayOverwrite(request.force());
            replace(target, request.upstream(), progress);
        } else {
            cloneInPlace(target, state, request.upstream(), progress);
        }
    }

    private void cloneInPlace(CloneTarget target, CloneTarget.State state, Conninfo upstream, Consumer<String> progress) {
        target.prepareEmpty(state, files);
        try {
            copy(upstream, target.path(), progress);
        } catch (RuntimeException e) {
            cleanUp(() -> target.restoreEmpty(state), e);
            throw e;
        }
    }

    private void replace(CloneTarget target, Conninfo upstream, Consumer<String> progress) {
        if (target.isMountPoint()) {
            // the old directory could not be moved aside; refuse before copying gigabytes
            throw new CloneException(ExitCode.ERR_BAD_CONFIG, target + " is a mount point and cannot be replaced"
                    + " by a forced pg_basebackup clone; empty it first, or use the rsync clone");
        }
        Path fresh = target.sibling(NEW_SUFFIX);
        Path old = target.sibling(OLD_SUFFIX);
        try {
            if (Files.exists(fresh)) {
                progress.accept("removing " + fresh + " left by an interrupted clone");
                OsUserFiles.deleteRecursively(fresh);
            }
            if (Files.exists(old)) {
                // the target exists, so an earlier swap completed and only the delete was missed
                progress.accept("removing " + old + " left by an earlier clone");
                OsUserFiles.deleteRecursively(old);
            }
            files.createDirectory(fresh);
        } catch (IOException | RuntimeException e) {
            throw new CloneException(ExitCode.ERR_OPERATION_FAILED, "cannot prepare " + fresh + " (data directory "
                    + target + " untouched): " + e.getMessage(), e);
        }
        try {
            copy(upstream, fresh, progress);
        } catch (RuntimeException e) {
            cleanUp(() -> OsUserFiles.deleteRecursively(fresh), e);
            throw e;
        }
        swap(target.path(), fresh, old);
        progress.accept("replaced " + target + " with the new copy");
        try {
            OsUserFiles.deleteRecursively(old);
        } catch (RuntimeException e) {
            // the clone is in place; a leftover is removed by the next run
            log.warn("could not remove the old data directory {}: {}", old, e.getMessage());
            progress.accept("warning: could not remove the old data directory " + old + ": " + e.getMessage());
        }
    }

    /** old aside, new in; if the second rename fails the first is undone. */
    private static void swap(Path target, Path fresh, Path old) {
        try {
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            cleanUp(() -> OsUserFiles.deleteRecursively(fresh), e);
            throw new CloneException(ExitCode.ERR_OPERATION_FAILED, "cannot move " + target + " aside to " + old
                    + " (data directory untouched, new copy removed): " + e, e);
        }
        try {
            Files.move(fresh, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException back) {
                e.addSuppressed(back);
                throw new CloneException(ExitCode.ERR_OPERATION_FAILED, "cannot move the new copy " + fresh
                        + " into place, nor the old data directory back; it is in " + old + ": " + e, e);
            }
            cleanUp(() -> OsUserFiles.deleteRecursively(fresh), e);
            throw new CloneException(ExitCode.ERR_OPERATION_FAILED, "cannot move the new copy " + fresh
                    + " into place (old data directory restored): " + e, e);
        }
    }

    /**
     * A crash between "old aside" and "new in" leaves no target but an {@code .pgsteward-old}:
     * put the old directory back, so the run continues from a known state.
     */
    private static void recoverInterruptedSwap(CloneTarget target, Consumer<String> progress) {
        Path old = target.sibling(OLD_SUFFIX);
        if (Files.exists(target.path()) || !Files.isDirectory(old)) {
            return;
        }
        progress.accept("restoring " + old + " to " + target + " (left by an interrupted clone)");
        try {
            Files.move(old, target.path(), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new CloneException(ExitCode.ERR_OPERATION_FAILED, "cannot restore " + old + " to " + target + ": " + e, e);
        }
    }

    /** Runs pg_basebackup into {@code dir}, then checks the copy can be run by the local binaries. */
    private void copy(Conninfo upstream, Path dir, Consumer<String> progress) {
        var parser = new BaseBackupProgress(progress, PROGRESS_INTERVAL, System::nanoTime);
        ExternalCommand command = command(upstream, dir).withStderrListener(parser);
        progress.accept("pg_basebackup from " + upstream.toConnStringRedacted() + " into " + dir);
        try {
            runner.run(command);
        } catch (CommandFailedException e) {
            throw failure(e);
        } finally {
            parser.finish();
        }
        int local = binaries.majorVersion();
        Optional<Integer> copied = PgBinaries.dataDirMajorVersion(dir);
        if (copied.isEmpty() || copied.get() != local) {
            throw new CloneException(ExitCode.ERR_BAD_CONFIG, "the upstream runs PostgreSQL "
                    + copied.map(String::valueOf).orElse("(unknown)") + " but the local binaries in "
                    + binaries.binDir() + " are " + local + "; the copy cannot be used");
        }
    }

    /** The pg_basebackup command line: argv only, the password travels in PGPASSWORD. */
    ExternalCommand command(Conninfo upstream, Path dir) {
        List<String> argv = List.of(binaries.tool("pg_basebackup").toString(),
                "-D", dir.toString(),
                "-d", upstream.without("password").toConnString(),
                "-X", "stream",
                "-c", "fast",
                "-P",
                "-v",
                "--no-password");
        Map<String, String> env = new HashMap<>();
        env.put("LC_ALL", "C"); // English messages: ConnectionFailures matches them
        env.put("PGCONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT_SECONDS);
        upstream.password().ifPresent(p -> env.put("PGPASSWORD", p));
        return ExternalCommand.of(timeout, argv).runningAs(osUser).withEnv(env);
    }

    private static CloneException failure(CommandFailedException e) {
        if (e.timedOut()) {
            return new CloneException(ExitCode.ERR_TIMEOUT, "pg_basebackup did not finish in time: " + e.getMessage(), e);
        }
        String stderr = e.stderrTail();
        // "requested WAL segment ... has already been removed": the upstream recycled WAL the copy needs
        ExitCode code = stderr.contains("has already been removed") ? ExitCode.ERR_NEEDS_XLOG
                : ConnectionFailures.fromText(stderr).orElse(ExitCode.ERR_OPERATION_FAILED);
        return new CloneException(code, "pg_basebackup failed: " + e.getMessage(), e);
    }

    /** Runs a cleanup after a failure; a cleanup failure is attached to the first one, never replaces it. */
    private static void cleanUp(Runnable cleanup, Throwable first) {
        try {
            cleanup.run();
        } catch (RuntimeException e) {
            first.addSuppressed(e);
        }
    }
}
