package org.pgsteward.agent.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.pgsteward.protocol.ExitCode;

/**
 * The local data directory a clone writes into, and the checks made on it before anything
 * is touched. A symlinked data directory is resolved, so the link itself is kept.
 */
final class CloneTarget {

    /** What is at the path now. */
    enum State { ABSENT, EMPTY, NON_EMPTY }

    private final Path path;

    private CloneTarget(Path path) {
        this.path = path;
    }

    static CloneTarget of(Path dataDir) {
        try {
            return new CloneTarget(Files.exists(dataDir) ? dataDir.toRealPath() : dataDir);
        } catch (IOException e) {
            throw new CloneException(ExitCode.ERR_BAD_CONFIG, "cannot resolve data directory " + dataDir + ": " + e, e);
        }
    }

    Path path() {
        return path;
    }

    /** {@code <path><suffix>} in the same parent directory (so renames between them are atomic). */
    Path sibling(String suffix) {
        return path.resolveSibling(path.getFileName() + suffix);
    }

    State state() {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return State.ABSENT;
        }
        if (!Files.isDirectory(path)) {
            throw new CloneException(ExitCode.ERR_BAD_CONFIG, path + " exists and is not a directory");
        }
        try (var entries = Files.list(path)) {
            return entries.findAny().isPresent() ? State.NON_EMPTY : State.EMPTY;
        } catch (IOException e) {
            throw new CloneException(ExitCode.ERR_BAD_CONFIG, "cannot read data directory " + path + ": " + e, e);
        }
    }

    /**
     * The checks for the seed's {@code -F} before an existing directory is overwritten: a
     * non-empty directory is refused without force, and with force it must be a PostgreSQL
     * data directory (so a typo cannot wipe a home directory) whose server is not running.
     */
    void checkMayOverwrite(boolean force) {
        if (!force) {
            throw new CloneException(ExitCode.ERR_BAD_CONFIG, "data directory " + path
                    + " is not empty; use force (-F) to overwrite it, or remove it");
        }
        if (!Files.isRegularFile(path.resolve("PG_VERSION"))) {
            throw new CloneException(ExitCode.ERR_BAD_CONFIG, path + " is not empty and has no PG_VERSION:"
                    + " not a PostgreSQL data directory, refusing to overwrite it even with force (-F)");
        }
        Optional<Long> pid = runningPostmaster();
        if (pid.isPresent()) {
            throw new CloneException(ExitCode.ERR_BAD_CONFIG, "PostgreSQL (postmaster pid " + pid.get()
                    + ") is running on " + path + "; stop it before cloning over it");
        }
    }

    /**
     * The pid from postmaster.pid when that process is alive and is a postgres. A stale file
     * (after a crash) does not count: PostgreSQL itself ignores it on start; nor does a zombie (a fenced
     * postmaster its parent has not reaped yet: seen delaying a fenced hung primary's rejoin by 20 s).
     */
    Optional<Long> runningPostmaster() {
        List<String> lines;
        try {
            lines = Files.readAllLines(path.resolve("postmaster.pid"));
        } catch (IOException e) {
            return Optional.empty();
        }
        if (lines.isEmpty()) {
            return Optional.empty();
        }
        try {
            long pid = Long.parseLong(lines.get(0).strip());
            return ProcessHandle.of(pid)
                    .filter(ProcessHandle::isAlive)
                    .filter(p -> !PgCtl.isZombie(pid))
                    .filter(p -> p.info().command().map(c -> c.endsWith("postgres") || c.endsWith("postmaster")).orElse(true))
                    .map(p -> pid);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** True when {@code path} is on another filesystem than its parent (a mount point cannot be renamed). */
    boolean isMountPoint() {
        try {
            Object dev = Files.getAttribute(path, "unix:dev");
            Object parentDev = Files.getAttribute(path.getParent(), "unix:dev");
            return !dev.equals(parentDev);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    /** Creates the directory (ABSENT) or hands the existing empty one to the OS user; mode 0700 either way. */
    void prepareEmpty(State state, OsUserFiles files) {
        try {
            if (state == State.ABSENT) {
                files.createDirectory(path);
            } else {
                Files.setPosixFilePermissions(path, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
                files.handOver(path);
            }
        } catch (IOException e) {
            throw new CloneException(ExitCode.ERR_BAD_CONFIG, "cannot prepare data directory " + path + ": " + e, e);
        }
    }

    /** Back to how {@link #prepareEmpty} found it: removed if it was absent, emptied if it was empty. */
    void restoreEmpty(State state) {
        if (state == State.ABSENT) {
            OsUserFiles.deleteRecursively(path);
        } else if (Files.isDirectory(path)) {
            OsUserFiles.deleteContents(path);
        }
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
