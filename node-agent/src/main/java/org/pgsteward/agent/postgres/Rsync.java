package org.pgsteward.agent.postgres;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.pgsteward.agent.exec.CommandFailedException;
import org.pgsteward.agent.exec.CommandResult;
import org.pgsteward.agent.exec.CommandRunner;
import org.pgsteward.agent.exec.ExternalCommand;
import org.pgsteward.protocol.ExitCode;

/**
 * Every rsync command of the rsync clone, run over ssh as the local PostgreSQL OS user (so
 * copied files belong to it). Remote paths are {@code user@host:path}; {@code --protect-args}
 * keeps the remote shell from interpreting them.
 */
final class Rsync {

    /** rsync's "some source files vanished before they could be transferred" (-I accepts it). */
    static final int EXIT_VANISHED = 24;

    /**
     * Never copied from the upstream, and protected from --delete locally: runtime state of the
     * upstream server, WAL (fetched separately after the backup stopped), files the clone or the
     * caller writes, and pg_control (fetched separately, put in place last). Anchored at the top
     * of the data directory.
     */
    static final List<String> DATA_EXCLUDES = List.of(
            "/postmaster.pid", "/postmaster.opts",
            "/pg_wal/*", "/pg_replslot/*", "/pg_stat_tmp/*", "/pg_dynshmem/*", "/pg_notify/*",
            "/pg_serial/*", "/pg_snapshots/*", "/pg_subtrans/*",
            "/backup_label", "/tablespace_map", "/recovery.conf", "/standby.signal", "/recovery.signal",
            "/log/*",
            "/global/pg_control");

    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(60);
    private static final String SSH_CONNECT_TIMEOUT_SECONDS = "10";

    private final CommandRunner runner;
    private final Optional<String> osUser;
    private final String remoteShell;
    private final Duration timeout;

    /** @throws IllegalArgumentException when an ssh option cannot be passed through rsync's -e (see {@link #remoteShell}) */
    Rsync(CommandRunner runner, Optional<String> osUser, List<String> sshOptions, Duration timeout) {
        this.runner = runner;
        this.osUser = osUser;
        this.remoteShell = remoteShell(sshOptions);
        this.timeout = timeout;
    }

    /**
     * rsync's {@code -e} value: {@code ssh <options> -o BatchMode=yes -o ConnectTimeout=10}. rsync
     * splits it at whitespace itself, so an option containing whitespace or quotes is rejected.
     * Ours come last: ssh takes the first value given, so configured options win, and BatchMode
     * makes a missing key fail instead of prompting.
     */
    static String remoteShell(List<String> sshOptions) {
        var parts = new ArrayList<String>();
        parts.add("ssh");
        for (String o : sshOptions) {
            if (o.isEmpty() || o.chars().anyMatch(c -> Character.isWhitespace(c) || c == '\'' || c == '"' || c == '\\')) {
                throw new IllegalArgumentException("ssh option '" + o + "' is empty or contains whitespace, quotes"
                        + " or a backslash; rsync's -e cannot pass it through (give \"-p 2222\" as \"-p\", \"2222\")");
            }
            parts.add(o);
        }
        parts.addAll(List.of("-o", "BatchMode=yes", "-o", "ConnectTimeout=" + SSH_CONNECT_TIMEOUT_SECONDS));
        return String.join(" ", parts);
    }

    /**
     * Lists one remote file: proves ssh login and rsync on the far side work, before anything
     * local is touched.
     *
     * @throws CloneException ERR_BAD_RSYNC naming the ssh/rsync problem
     */
    void probe(String remoteFile) {
        List<String> argv = List.of("rsync", "--protect-args", "-e", remoteShell, "--list-only", remoteFile);
        try {
            runner.run(command(argv, PROBE_TIMEOUT));
        } catch (CommandFailedException e) {
            throw new CloneException(e.timedOut() ? ExitCode.ERR_TIMEOUT : ExitCode.ERR_BAD_RSYNC,
                    "cannot reach " + remoteFile + " with rsync over ssh (check the ssh options, the key and the"
                            + " remote user): " + e.getMessage(), e);
        }
    }

    /**
     * Makes {@code localDir} a copy of the remote data directory, comparing contents by checksum
     * (a diverged old primary can have files of equal size and mtime) and deleting extra files.
     *
     * @throws CloneException ERR_BAD_RSYNC, ERR_TIMEOUT
     */
    RsyncStats copyDataDirectory(String remoteDir, Path localDir, boolean ignoreVanished) {
        var argv = new ArrayList<>(List.of("rsync", "--archive", "--protect-args", "--delete", "--checksum", "--stats"));
        DATA_EXCLUDES.forEach(x -> argv.add("--exclude=" + x));
        argv.addAll(List.of("-e", remoteShell, slash(remoteDir), slash(localDir.toString())));
        return transfer(argv, ignoreVanished, ExitCode.ERR_BAD_RSYNC, "copying the data directory");
    }

    /** Copies one remote file to {@code localFile} (used for pg_control). @throws CloneException ERR_BAD_RSYNC */
    void copyFile(String remoteFile, Path localFile) {
        List<String> argv = List.of("rsync", "--archive", "--protect-args", "-e", remoteShell, remoteFile,
                localFile.toString());
        transfer(argv, false, ExitCode.ERR_BAD_RSYNC, "copying " + remoteFile);
    }

    /**
     * Makes {@code localWalDir} a copy of the remote pg_wal: segments and history files; the
     * archive status of the upstream is not ours, so local archive_status is emptied.
     *
     * @throws CloneException ERR_NEEDS_XLOG, ERR_TIMEOUT
     */
    RsyncStats copyWal(String remoteWalDir, Path localWalDir, boolean ignoreVanished) {
        List<String> argv = List.of("rsync", "--archive", "--protect-args", "--delete", "--delete-excluded",
                "--checksum", "--stats", "--exclude=/archive_status/*",
                "-e", remoteShell, slash(remoteWalDir), slash(localWalDir.toString()));
        return transfer(argv, ignoreVanished, ExitCode.ERR_NEEDS_XLOG, "fetching the WAL");
    }

    private RsyncStats transfer(List<String> argv, boolean ignoreVanished, ExitCode onFailure, String what) {
        ExternalCommand command = command(argv, timeout);
        CommandResult r;
        try {
            r = runner.execute(command);
        } catch (CommandFailedException e) { // could not start, or timed out
            throw new CloneException(e.timedOut() ? ExitCode.ERR_TIMEOUT : onFailure, what + " failed: " + e.getMessage(), e);
        }
        boolean accepted = r.exitCode() == 0 || (r.exitCode() == EXIT_VANISHED && ignoreVanished);
        if (!accepted) {
            var e = new CommandFailedException(command.display(), r.exitCode(), r.stderrTail(), false,
                    r.exitCode() == EXIT_VANISHED
                            ? Optional.of("source files vanished during the copy; ignore this warning with -I")
                            : Optional.empty(), null);
            throw new CloneException(onFailure, what + " failed: " + e.getMessage(), e);
        }
        return RsyncStats.parse(r.stdout());
    }

    private ExternalCommand command(List<String> argv, Duration t) {
        // LC_ALL=C: --stats numbers with ',' separators, English messages
        return ExternalCommand.of(t, argv).runningAs(osUser).withEnv(Map.of("LC_ALL", "C"));
    }

    /** A trailing slash makes rsync copy a directory's contents rather than the directory itself. */
    private static String slash(String dir) {
        return dir.endsWith("/") ? dir : dir + "/";
    }
}
