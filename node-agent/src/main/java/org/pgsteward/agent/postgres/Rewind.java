package org.pgsteward.agent.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.pgsteward.agent.exec.CommandFailedException;
import org.pgsteward.agent.exec.CommandResult;
import org.pgsteward.agent.exec.CommandRunner;
import org.pgsteward.agent.exec.ExternalCommand;
import org.pgsteward.protocol.ExitCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a stopped former primary whose history diverged from the new primary a standby of it,
 * with {@code pg_rewind}, run as {@code postgres.os-user}.
 *
 * <p>Order, so a refusal costs nothing: first the local data directory is checked (a data
 * directory of the local major version, no server running on it, {@code pg_controldata} says
 * wal_log_hints or data checksums are on), then the source (reachable, a primary, same major
 * version, same cluster by system identifier). Only then does pg_rewind run.
 *
 * <p>Timelines: pg_rewind takes both timelines from the control files, and when they are equal it
 * says "no rewind required" without looking further. Two cases make that a lie, and both are
 * handled before pg_rewind runs: (1) a freshly promoted source whose end-of-recovery checkpoint
 * (spread, not immediate) has not completed still has the old timeline in pg_control; then a
 * CHECKPOINT is run on the source (Patroni does the same). (2) A former primary on the very
 * timeline the source writes on (two primaries without a promotion between them, e.g. a copy
 * started without standby configuration): refused, re-clone. After pg_rewind, a "same timeline"
 * verdict is cross-checked against the timelines seen here.
 *
 * <p>Unclean shutdown (crash, {@code -m immediate}): pg_rewind 13+ finishes crash recovery
 * itself by running the target once in single-user mode ({@code postgres --single -F -D ...
 * template1 < /dev/null}) unless told {@code --no-ensure-shutdown}; we rely on that. Single-user
 * mode is the safe way: no postmaster, no listener, no archiver, no client can connect and write
 * to a former primary (a start/stop with {@code listen_addresses=''} still takes Unix-socket
 * connections and runs archive_command). It happens after pg_rewind has connected to the source
 * and before pg_rewind's own sanity checks, which is why wal_log_hints/checksums are checked here
 * first. Binaries older than 13 cannot do it: such a directory is refused.
 *
 * <p>pg_rewind copies every configuration file in the data directory from the source.
 * {@code postgresql.conf}, {@code postgresql.auto.conf}, {@code pg_hba.conf} and
 * {@code pg_ident.conf} are this node's (its port, listen address, socket directory), so they are
 * saved before and put back after, as Patroni and repmgr ({@code --config-files}) do. Then the
 * standby configuration is written with {@link RecoveryConfig}. Starting the server is the caller's.
 *
 * <p>A failure before pg_rewind leaves the directory untouched. If pg_rewind itself fails after it
 * began copying, the directory is not usable and must be cloned again.
 */
public final class Rewind {

    private static final Logger log = LoggerFactory.getLogger(Rewind.class);

    /** The configuration files that stay this node's across a rewind. */
    static final List<String> LOCAL_CONFIG_FILES =
            List.of("postgresql.conf", RecoveryConfig.AUTO_CONF, "pg_hba.conf", "pg_ident.conf");

    /** pg_rewind's message when the target's history is a prefix of the source's. */
    static final String NO_REWIND_REQUIRED = "no rewind required";
    /** pg_rewind's message when both control files name one timeline; it then never rewinds. */
    static final String SAME_TIMELINE = "source and target cluster are on the same timeline";

    private static final Duration QUICK = Duration.ofSeconds(15);
    /** libpq waits forever for an unreachable host unless told; a conninfo connect_timeout wins over this. */
    private static final String DEFAULT_CONNECT_TIMEOUT_SECONDS = "10";
    private static final int MAX_OUTPUT_LINES = 1000;
    /** The first major version whose pg_rewind recovers an uncleanly shut down target itself. */
    private static final int ENSURE_SHUTDOWN_SINCE = 13;

    private final PgBinaries binaries;
    private final CommandRunner runner;
    private final Optional<String> osUser;
    private final Duration timeout;
    private Optional<Path> configFile = Optional.empty();

    /**
     * @param osUser  the PostgreSQL OS user; pg_controldata and pg_rewind run as it when we are root
     * @param timeout pg_rewind running longer is killed (ERR_TIMEOUT)
     */
    public Rewind(PgBinaries binaries, CommandRunner runner, Optional<String> osUser, Duration timeout) {
        this.binaries = binaries;
        this.runner = runner;
        this.osUser = osUser;
        this.timeout = timeout;
    }

    /**
     * Rewinds {@code dataDir} to the history of {@code source} and configures it as a streaming
     * standby of {@code source} (with {@code application_name = applicationName}, following the
     * latest timeline).
     *
     * @param source          the new primary; the same credentials are used by pg_rewind and written
     *                        into {@code primary_conninfo}
     * @param applicationName this standby's name on the primary (pg_stat_replication, synchronous_standby_names)
     * @param progress        receives human-readable lines, including pg_rewind's (from its stderr thread)
     * @throws RewindException ERR_BAD_CONFIG (not a data directory, server running, no wal_log_hints nor
     *     checksums, unclean shutdown with binaries older than 13, source is a standby / another major
     *     version / another cluster), ERR_DB_CON, ERR_BAD_PASSWORD, ERR_DB_QUERY (inspecting the source),
     *     ERR_TIMEOUT, ERR_OPERATION_FAILED (pg_rewind or a file operation failed)
     */
    /** pg_rewind's single-user recovery of the target reads {@code file} (postgresql.conf outside the data directory). */
    public Rewind withConfigFile(Optional<Path> file) {
        this.configFile = file;
        return this;
    }

    public RewindResult rewind(Path dataDir, Conninfo source, String applicationName, Consumer<String> progress) {
        return rewind(dataDir, source, applicationName, Optional.empty(), progress);
    }

    /** As {@link #rewind(Path, Conninfo, String, Consumer)}, streaming through {@code slot} on the source where given. */
    public RewindResult rewind(Path dataDir, Conninfo source, String applicationName, Optional<String> slot,
                               Consumer<String> progress) {
        if (applicationName.isBlank()) {
            throw new IllegalArgumentException("application name must not be blank");
        }
        long t0 = System.nanoTime();
        int major = checkDataDirectory(dataDir);
        ControlData local = checkControlData(dataDir, major);
        progress.accept("local data directory " + dataDir + ": " + local.clusterState()
                + (local.cleanlyShutDown() ? "" : " (pg_rewind will finish crash recovery in single-user mode)")
                + ", " + (local.checksumVersion() != 0 ? "data checksums on" : "wal_log_hints on"));
        RewindSource src = checkSource(source, major, local, progress);
        progress.accept("source " + source + " is a primary of the same cluster on timeline " + src.timeline()
                + ", PostgreSQL " + major + "; local timeline " + local.timeline());

        Map<Path, byte[]> config = saveLocalConfig(dataDir);
        List<String> output;
        try {
            output = runPgRewind(dataDir, source, progress);
        } catch (RuntimeException e) {
            try {
                restoreLocalConfig(config);
            } catch (RuntimeException restore) {
                e.addSuppressed(restore);
            }
            throw e;
        }
        restoreLocalConfig(config);
        boolean rewound = output.stream().noneMatch(l -> l.contains(NO_REWIND_REQUIRED));
        if (!rewound && src.timeline() != local.timeline() && output.stream().anyMatch(l -> l.contains(SAME_TIMELINE))) {
            // pg_rewind compared control files, and the source's lagged again: its verdict is worthless
            throw new RewindException(ExitCode.ERR_OPERATION_FAILED, "pg_rewind saw the source on the local timeline "
                    + local.timeline() + " although it is on timeline " + src.timeline() + "; nothing was rewound"
                    + " and no standby configuration written; run the rewind again");
        }
        progress.accept(rewound ? "rewound; kept local " + String.join(", ", LOCAL_CONFIG_FILES)
                : "no rewind required: the local history is part of the source's");

        Conninfo primary = source.with("application_name", applicationName);
        try {
            RecoverySettings settings = RecoverySettings.of(primary);
            RecoveryConfig.write(dataDir, major, slot.map(settings::withSlot).orElse(settings));
        } catch (RuntimeException e) {
            throw new RewindException(ExitCode.ERR_OPERATION_FAILED, "rewound, but cannot write the standby"
                    + " configuration into " + dataDir + "; do not start it as it is: " + e.getMessage(), e);
        }
        progress.accept("standby configuration written: primary_conninfo = " + primary
                + slot.map(n -> ", primary_slot_name = " + n).orElse(""));
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        log.info("rewind of {} from {} done in {} ms (rewound: {})", dataDir, source, took.toMillis(), rewound);
        return new RewindResult(rewound, took, output);
    }

    // ---------------------------------------------------------------- checks, nothing changed

    /** A data directory of the local binaries' major version with no server running; returns the version. */
    private int checkDataDirectory(Path dataDir) {
        Optional<Integer> dirMajor = PgBinaries.dataDirMajorVersion(dataDir);
        if (dirMajor.isEmpty()) {
            throw new RewindException(ExitCode.ERR_BAD_CONFIG, dataDir + " is not a PostgreSQL data directory"
                    + " (no readable PG_VERSION)");
        }
        int local = binaries.majorVersion();
        if (dirMajor.get() != local) {
            throw new RewindException(ExitCode.ERR_BAD_CONFIG, dataDir + " is a PostgreSQL " + dirMajor.get()
                    + " data directory but the binaries in " + binaries.binDir() + " are " + local);
        }
        Optional<Long> pid = CloneTarget.of(dataDir).runningPostmaster();
        if (pid.isPresent()) {
            throw new RewindException(ExitCode.ERR_BAD_CONFIG, "PostgreSQL (postmaster pid " + pid.get()
                    + ") is running on " + dataDir + "; pg_rewind needs it stopped");
        }
        return local;
    }

    private ControlData checkControlData(Path dataDir, int major) {
        ControlData c = controlData(dataDir);
        if (!c.rewindable()) {
            throw new RewindException(ExitCode.ERR_BAD_CONFIG, "pg_rewind needs wal_log_hints or data checksums;"
                    + " re-clone instead (" + dataDir + " has wal_log_hints off and data checksums off)");
        }
        if (!c.cleanlyShutDown() && major < ENSURE_SHUTDOWN_SINCE) {
            throw new RewindException(ExitCode.ERR_BAD_CONFIG, dataDir + " was not shut down cleanly (\""
                    + c.clusterState() + "\") and pg_rewind " + major + " cannot finish crash recovery itself"
                    + " (13 or later can); re-clone instead");
        }
        return c;
    }

    private static RewindSource checkSource(Conninfo source, int major, ControlData local, Consumer<String> progress) {
        RewindSource s = RewindSource.inspect(source);
        if (s.inRecovery()) {
            throw new RewindException(ExitCode.ERR_BAD_CONFIG, "rewind source " + source + " is a standby (in"
                    + " recovery); rewind from the primary");
        }
        if (s.majorVersion() != major) {
            throw new RewindException(ExitCode.ERR_BAD_CONFIG, "rewind source " + source + " runs PostgreSQL "
                    + s.majorVersion() + " but the local data directory is " + major);
        }
        if (s.systemIdentifier() != local.systemIdentifier()) {
            throw new RewindException(ExitCode.ERR_BAD_CONFIG, "rewind source " + source + " is another cluster"
                    + " (system identifier " + Long.toUnsignedString(s.systemIdentifier()) + ", local "
                    + Long.toUnsignedString(local.systemIdentifier()) + "); re-clone instead");
        }
        if (s.timeline() == local.timeline() && local.ranAsPrimary()) {
            // pg_rewind answers "no rewind required" for any two control files on one timeline, diverged or not
            throw new RewindException(ExitCode.ERR_BAD_CONFIG, "rewind source " + source + " and the former primary"
                    + " in the local data directory are both on timeline " + s.timeline() + ": two primaries without a"
                    + " promotion between them, whose divergence pg_rewind cannot see; re-clone instead");
        }
        if (s.controlFileLags()) {
            // right after a promotion the end-of-recovery checkpoint is still spread out, and until it
            // completes pg_control (all pg_rewind reads) names the old timeline
            progress.accept("source was promoted to timeline " + s.timeline() + " but its last checkpoint is on "
                    + s.checkpointTimeline() + ": running CHECKPOINT on it");
            RewindSource.checkpoint(source);
            s = RewindSource.inspect(source);
            if (s.controlFileLags()) {
                throw new RewindException(ExitCode.ERR_OPERATION_FAILED, "rewind source " + source + " still has its"
                        + " last checkpoint on timeline " + s.checkpointTimeline() + " after CHECKPOINT, not "
                        + s.timeline() + "; retry");
            }
        }
        return s;
    }

    // ---------------------------------------------------------------- external commands

    /** {@code pg_controldata -D dataDir}, parsed. */
    ControlData controlData(Path dataDir) {
        ExternalCommand command = ExternalCommand.of(QUICK,
                        List.of(binaries.tool("pg_controldata").toString(), "-D", dataDir.toString()))
                .runningAs(osUser).withEnv(Map.of("LC_ALL", "C"));
        try {
            CommandResult r = runner.run(command);
            return ControlData.parse(r.stdout());
        } catch (CommandFailedException | IllegalArgumentException e) {
            throw new RewindException(ExitCode.ERR_BAD_CONFIG, "cannot read the control file of " + dataDir + ": "
                    + e.getMessage(), e);
        }
    }

    /** Runs pg_rewind; returns its stderr lines. */
    private List<String> runPgRewind(Path dataDir, Conninfo source, Consumer<String> progress) {
        Deque<String> lines = new ArrayDeque<>();
        ExternalCommand command = command(dataDir, source).withStderrListener(line -> {
            if (line.isBlank()) {
                return;
            }
            synchronized (lines) {
                if (lines.size() == MAX_OUTPUT_LINES) {
                    lines.removeFirst();
                }
                lines.addLast(line);
            }
            progress.accept(line);
        });
        progress.accept("pg_rewind from " + source + " into " + dataDir);
        try {
            runner.run(command);
        } catch (CommandFailedException e) {
            throw failure(e);
        }
        synchronized (lines) {
            return new ArrayList<>(lines);
        }
    }

    /**
     * The pg_rewind command line: argv only, the password travels in PGPASSWORD. No
     * {@code --no-ensure-shutdown}: pg_rewind runs the single-user crash recovery when needed.
     */
    ExternalCommand command(Path dataDir, Conninfo source) {
        List<String> argv = new ArrayList<>(List.of(binaries.tool("pg_rewind").toString(),
                "--target-pgdata=" + dataDir,
                "--source-server=" + source.without("password").toConnString(),
                "--progress"));
        // from 15; before it pg_rewind's single-user recovery cannot start a server configured outside its data dir
        configFile.filter(f -> binaries.majorVersion() >= 15).ifPresent(f -> argv.add("--config-file=" + f));
        Map<String, String> env = new HashMap<>();
        env.put("LC_ALL", "C"); // English messages: ConnectionFailures and NO_REWIND_REQUIRED match them
        env.put("PGCONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT_SECONDS);
        source.password().ifPresent(p -> env.put("PGPASSWORD", p));
        return ExternalCommand.of(timeout, argv).runningAs(osUser).withEnv(env);
    }

    private static RewindException failure(CommandFailedException e) {
        if (e.timedOut()) {
            return new RewindException(ExitCode.ERR_TIMEOUT, "pg_rewind did not finish in time and was killed;"
                    + " the data directory is not usable, re-clone it: " + e.getMessage(), e);
        }
        ExitCode code = ConnectionFailures.fromText(e.stderrTail()).orElse(ExitCode.ERR_OPERATION_FAILED);
        return new RewindException(code, "pg_rewind failed (if it had begun copying, the data directory is not"
                + " usable and must be re-cloned): " + e.getMessage(), e);
    }

    // ---------------------------------------------------------------- local configuration files

    private static Map<Path, byte[]> saveLocalConfig(Path dataDir) {
        Map<Path, byte[]> saved = new LinkedHashMap<>();
        for (String name : LOCAL_CONFIG_FILES) {
            Path file = dataDir.resolve(name);
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                continue; // absent, or a link to a file outside, which pg_rewind does not follow
            }
            try {
                saved.put(file, Files.readAllBytes(file));
            } catch (IOException e) {
                throw new RewindException(ExitCode.ERR_OPERATION_FAILED, "cannot read " + file + ": " + e, e);
            }
        }
        return saved;
    }

    /** Puts back each saved file that pg_rewind changed or removed; an unchanged file is not rewritten. */
    private static void restoreLocalConfig(Map<Path, byte[]> saved) {
        saved.forEach((file, content) -> {
            try {
                if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                        && Arrays.equals(Files.readAllBytes(file), content)) {
                    return;
                }
                AtomicFiles.replace(file, content);
            } catch (IOException | RuntimeException e) {
                throw new RewindException(ExitCode.ERR_OPERATION_FAILED, "cannot restore the local " + file
                        + " after pg_rewind; it may now hold the source's settings: " + e, e);
            }
        });
    }
}
