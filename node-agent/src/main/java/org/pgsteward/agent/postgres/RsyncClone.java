package org.pgsteward.agent.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.pgsteward.agent.exec.CommandRunner;
import org.pgsteward.protocol.ExitCode;

/**
 * The seed's clone: a non-exclusive base backup on the upstream primary, its data directory
 * copied with rsync over ssh, then the WAL the copy needs. Forced ({@code -F}) over an existing
 * data directory, rsync only transfers what differs (compared by checksum) and deletes extra
 * files: this is how a failed old primary is resynchronised cheaply.
 *
 * <p>Order, so a mistake costs nothing: the target is checked, the upstream is verified over
 * JDBC (reachable, a primary, same major version) and ssh is probed; only then is anything local
 * created, changed or deleted. During the copy the local directory cannot be started:
 * backup_label and global/pg_control are put in place last.
 *
 * <p>Writing the recovery configuration and starting the standby are the caller's.
 */
public final class RsyncClone {

    private static final Pattern REMOTE_USER = Pattern.compile("[A-Za-z0-9._][A-Za-z0-9._-]*");
    private static final String STAGED = ".pgsteward-new";

    private final PgBinaries binaries;
    private final Rsync rsync;
    private final OsUserFiles files;

    /**
     * @param osUser     the PostgreSQL OS user; rsync and ssh run as it when we are root (its key is used)
     * @param sshOptions extra ssh arguments (e.g. "-p", "2222", "-i", "/path/key"), one word each
     * @param timeout    each rsync running longer is killed (ERR_TIMEOUT)
     * @throws IllegalArgumentException when an ssh option contains whitespace or quotes (rsync's -e
     *     is split at whitespace, so it could not be passed through intact)
     */
    public RsyncClone(PgBinaries binaries, CommandRunner runner, Optional<String> osUser, List<String> sshOptions,
                      Duration timeout) {
        this.binaries = binaries;
        this.rsync = new Rsync(runner, osUser, sshOptions, timeout);
        this.files = new OsUserFiles(osUser, runner.isRoot());
    }

    /**
     * Clones {@code request.upstream()} into {@code request.dataDir()}.
     *
     * @param remoteUser         the OS user on the upstream host that ssh logs in as (-R)
     * @param ignoreRsyncWarning the seed's -I: accept rsync's exit 24 (source files vanished)
     * @param progress           receives one line per phase
     * @throws CloneException ERR_BAD_CONFIG (target not empty without force, not a data directory, server
     *     running on it, upstream is a standby / other major version / has tablespaces / no TCP host),
     *     ERR_DB_CON, ERR_BAD_PASSWORD, ERR_DB_QUERY (inspecting or starting the backup), ERR_BAD_RSYNC
     *     (ssh probe or data copy), ERR_STOP_BACKUP, ERR_NEEDS_XLOG (WAL fetch), ERR_TIMEOUT,
     *     ERR_OPERATION_FAILED (local file system)
     */
    public RsyncCloneResult clone(CloneRequest request, String remoteUser, boolean ignoreRsyncWarning,
                                  Consumer<String> progress) {
        if (!REMOTE_USER.matcher(remoteUser).matches()) {
            throw new CloneException(ExitCode.ERR_BAD_CONFIG, "invalid remote user name '" + remoteUser + "'");
        }
        String host = sshHost(request.upstream());
        CloneTarget target = CloneTarget.of(request.dataDir());
        CloneTarget.State state = target.state();
        if (state == CloneTarget.State.NON_EMPTY) {
            target.checkMayOverwrite(request.force());
        }
        try (UpstreamBackupSession session = UpstreamBackupSession.connect(request.upstream())) {
            UpstreamInfo upstream = session.inspect();
            verify(upstream, request.upstream());
            progress.accept("upstream " + request.upstream() + " is a primary running PostgreSQL "
                    + upstream.majorVersion() + ", data directory " + upstream.dataDirectory());
            String remoteDir = remoteUser + "@" + host + ":" + upstream.dataDirectory();
            rsync.probe(remoteDir + "/PG_VERSION");
            progress.accept("rsync over ssh to " + remoteUser + "@" + host + " works");

            String startLsn = session.startBackup("pgsteward clone " + Instant.now());
            progress.accept("backup started at LSN " + startLsn);
            try {
                // verified and the backup runs: from here on the local directory is changed
                prepare(target, state);
                return copy(session, remoteDir, target.path(), startLsn, ignoreRsyncWarning, progress);
            } catch (RuntimeException e) {
                if (session.backupInProgress()) {
                    try {
                        session.stopBackup();
                    } catch (RuntimeException stop) {
                        e.addSuppressed(stop);
                    }
                }
                throw afterChange(e, target, state);
            }
        }
    }

    /**
     * Checks, without changing anything, that {@code upstream} is a valid source and that rsync
     * over ssh as {@code remoteUser} reaches its data directory. Lets a caller verify the source
     * before it stops a local server for a forced clone.
     *
     * @throws CloneException as {@link #clone} does for the same checks
     */
    public void verifyAccess(Conninfo upstreamConninfo, String remoteUser) {
        if (!REMOTE_USER.matcher(remoteUser).matches()) {
            throw new CloneException(ExitCode.ERR_BAD_CONFIG, "invalid remote user name '" + remoteUser + "'");
        }
        String host = sshHost(upstreamConninfo);
        try (UpstreamBackupSession session = UpstreamBackupSession.connect(upstreamConninfo)) {
            UpstreamInfo upstream = session.inspect();
            verify(upstream, upstreamConninfo);
            rsync.probe(remoteUser + "@" + host + ":" + upstream.dataDirectory() + "/PG_VERSION");
        }
    }

    /** Everything between start and stop of the backup, then the WAL and the final files. */
    private RsyncCloneResult copy(UpstreamBackupSession session, String remoteDir, Path dataDir, String startLsn,
                                  boolean ignoreRsyncWarning, Consumer<String> progress) {
        RsyncStats data = rsync.copyDataDirectory(remoteDir, dataDir, ignoreRsyncWarning);
        progress.accept("rsync of data directory done: " + data.summary());
        Path pgControl = dataDir.resolve("global").resolve("pg_control");
        Path stagedControl = pgControl.resolveSibling("pg_control" + STAGED);
        rsync.copyFile(remoteDir + "/global/pg_control", stagedControl); // within the backup, like every file
        // replication slots are server-local state: the old server's must not survive (pg_basebackup skips them too)
        Path slots = dataDir.resolve("pg_replslot");
        if (Files.isDirectory(slots)) {
            OsUserFiles.deleteContents(slots);
        }

        BackupEnd end = session.stopBackup();
        progress.accept("backup stopped at LSN " + end.stopLsn());
        try {
            files.writeFile(dataDir.resolve("backup_label"), end.labelFile());
            if (end.tablespaceMap().isPresent()) {
                files.writeFile(dataDir.resolve("tablespace_map"), end.tablespaceMap().get());
            }
        } catch (IOException e) {
            throw new CloneException(ExitCode.ERR_OPERATION_FAILED, "cannot write backup_label/tablespace_map in "
                    + dataDir + ": " + e, e);
        }

        Path walDir = dataDir.resolve("pg_wal");
        ensureWalDirectories(walDir);
        RsyncStats wal = rsync.copyWal(remoteDir + "/pg_wal", walDir, ignoreRsyncWarning);
        String startFile = end.startWalFile().orElseThrow(() -> new CloneException(ExitCode.ERR_STOP_BACKUP,
                "backup label without a START WAL LOCATION file: " + end.labelFile()));
        for (String segment : List.of(startFile, end.stopWalFile())) {
            if (!Files.isRegularFile(walDir.resolve(segment))) {
                throw new CloneException(ExitCode.ERR_NEEDS_XLOG, "WAL segment " + segment + " (needed from "
                        + startLsn + " to " + end.stopLsn() + ") is no longer on the upstream; raise wal_keep_size"
                        + " there and clone again");
            }
        }
        progress.accept("WAL fetched: segments " + startFile + " to " + end.stopWalFile() + " present; " + wal.summary());

        try {
            // last: until now the directory could not be started by mistake
            Files.move(stagedControl, pgControl, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new CloneException(ExitCode.ERR_OPERATION_FAILED, "cannot put " + pgControl + " in place: " + e, e);
        }
        return new RsyncCloneResult(startLsn, end.stopLsn(), data, wal);
    }

    private void verify(UpstreamInfo upstream, Conninfo conninfo) {
        if (upstream.serverVersionNum() < UpstreamBackupSession.MIN_VERSION_NUM) {
            throw new CloneException(ExitCode.ERR_BAD_CONFIG, "upstream " + conninfo + " runs server_version_num "
                    + upstream.serverVersionNum() + "; the rsync clone needs 9.6 or later (non-exclusive backup)");
        }
        if (upstream.inRecovery()) {
            // the seed clones from the primary; a backup taken on a standby needs extra care we do not take
            throw new CloneException(ExitCode.ERR_BAD_CONFIG, "upstream " + conninfo + " is a standby (in recovery);"
                    + " the rsync clone copies from the primary, or use pg_basebackup");
        }
        int local = binaries.majorVersion();
        if (upstream.majorVersion() != local) {
            throw new CloneException(ExitCode.ERR_BAD_CONFIG, "upstream " + conninfo + " runs PostgreSQL "
                    + upstream.majorVersion() + " but the local binaries in " + binaries.binDir() + " are " + local);
        }
        if (upstream.userTablespaces() > 0) {
            // pg_tblspc holds symlinks to directories elsewhere that this copy would not follow
            throw new CloneException(ExitCode.ERR_BAD_CONFIG, "upstream " + conninfo + " has "
                    + upstream.userTablespaces() + " tablespace(s); the rsync clone does not copy tablespaces,"
                    + " use pg_basebackup");
        }
    }

    /**
     * An absent or empty target is created/handed to the OS user. An existing one loses
     * backup_label, tablespace_map and pg_control first, so a half-copied directory cannot
     * be started by mistake (it would start from a stale checkpoint and silently mix old and new).
     */
    private void prepare(CloneTarget target, CloneTarget.State state) {
        if (state != CloneTarget.State.NON_EMPTY) {
            target.prepareEmpty(state, files);
            return;
        }
        try {
            for (String f : List.of("backup_label", "tablespace_map", "global/pg_control")) {
                Files.deleteIfExists(target.path().resolve(f));
            }
        } catch (IOException e) {
            throw new CloneException(ExitCode.ERR_OPERATION_FAILED, "cannot prepare " + target + ": " + e, e);
        }
    }

    private void ensureWalDirectories(Path walDir) {
        try {
            for (Path d : List.of(walDir, walDir.resolve("archive_status"))) {
                if (!Files.isDirectory(d)) {
                    files.createDirectory(d);
                }
            }
        } catch (IOException e) {
            throw new CloneException(ExitCode.ERR_NEEDS_XLOG, "cannot create " + walDir + ": " + e, e);
        }
    }

    /**
     * The failure to report once the local directory was changed: a fresh clone is removed again;
     * a forced one stays as far as it got (the next forced run copies only the rest), unusable.
     */
    private static CloneException afterChange(RuntimeException e, CloneTarget target, CloneTarget.State state) {
        if (state != CloneTarget.State.NON_EMPTY) {
            try {
                target.restoreEmpty(state);
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            return e instanceof CloneException ce ? ce
                    : new CloneException(ExitCode.ERR_OPERATION_FAILED, "clone into " + target + " failed: " + e, e);
        }
        ExitCode code = e instanceof CloneException ce ? ce.exitCode() : ExitCode.ERR_OPERATION_FAILED;
        return new CloneException(code, e.getMessage() + "\n" + target + " was partly overwritten and will not"
                + " start until a clone into it succeeds (run the forced clone again)", e);
    }

    /** rsync needs one TCP host name: the conninfo's host (or hostaddr). */
    private static String sshHost(Conninfo upstream) {
        String host = upstream.host();
        if (host.isEmpty() || host.contains(",") || host.startsWith("/") || host.startsWith("@")) {
            throw new CloneException(ExitCode.ERR_BAD_CONFIG, "upstream conninfo " + upstream
                    + " must name one TCP host for rsync over ssh, not '" + host + "'");
        }
        return host.contains(":") ? "[" + host + "]" : host; // IPv6 literal
    }
}
