package org.pgsteward.agent.postgres;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.pgsteward.agent.exec.CommandFailedException;
import org.pgsteward.agent.exec.CommandResult;
import org.pgsteward.agent.exec.CommandRunner;
import org.pgsteward.agent.exec.ExternalCommand;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one PostgreSQL data directory through {@code pg_ctl} (always {@code -w} with a
 * timeout), as {@code postgres.os-user} when the agent runs as root. Failures carry the
 * command, its exit code, its stderr and the tail of the server log.
 */
public final class PgCtl {

    private static final Logger log = LoggerFactory.getLogger(PgCtl.class);
    private static final int LOG_TAIL_CHARS = 4096;

    private final PgBinaries binaries;
    private final Path dataDir;
    private final int port;
    private final Path logFile;
    private final Optional<String> osUser;
    private final CommandRunner runner;
    private final PgTimeouts timeouts;
    /** postgresql.conf outside the data directory (Debian's /etc/postgresql/...); empty: in it. */
    private Optional<Path> configFile = Optional.empty();
    /** pg_ctl hands -o to /bin/sh: a config file path must be free of shell syntax. */
    static final java.util.regex.Pattern SHELL_SAFE_PATH = java.util.regex.Pattern.compile("/[A-Za-z0-9_./@%+=:,-]*");

    /**
     * @param port    the port the server listens on (the node's conninfo port); passed to the postmaster
     * @param logFile where the postmaster's stderr goes ({@code pg_ctl -l}); must be writable by the OS user
     */
    public PgCtl(PgBinaries binaries, Path dataDir, int port, Path logFile, Optional<String> osUser,
                 CommandRunner runner, PgTimeouts timeouts) {
        this.binaries = binaries;
        this.dataDir = dataDir;
        this.port = port;
        this.logFile = logFile;
        this.osUser = osUser;
        this.runner = runner;
        this.timeouts = timeouts;
    }

    public Path dataDir() {
        return dataDir;
    }

    /**
     * This server reads {@code file} as its postgresql.conf ({@code -c config_file=...} at start), as a cluster made
     * by Debian's pg_createcluster does.
     *
     * @throws IllegalArgumentException when the path is not absolute or holds characters outside
     *     {@code [A-Za-z0-9_./@%+=:,-]} (pg_ctl passes it through a shell)
     */
    public PgCtl withConfigFile(Optional<Path> file) {
        file.ifPresent(f -> {
            if (!SHELL_SAFE_PATH.matcher(f.toString()).matches()) {
                throw new IllegalArgumentException("the configuration file path " + f + " must be absolute and consist"
                        + " of [A-Za-z0-9_./@%+=:,-] only (pg_ctl passes it through a shell)");
            }
        });
        PgCtl copy = new PgCtl(binaries, dataDir, port, logFile, osUser, runner, timeouts);
        copy.configFile = file;
        return copy;
    }

    /** The postgresql.conf this server reads: the configured one, else the data directory's. */
    public Path configFile() {
        return configFile.orElse(dataDir.resolve("postgresql.conf"));
    }

    public int port() {
        return port;
    }

    public Path logFile() {
        return logFile;
    }

    public Optional<String> osUser() {
        return osUser;
    }

    /** Creates a new cluster in the (empty or absent) data directory. */
    public void initdb(InitdbOptions options) {
        var argv = new ArrayList<>(List.of(binaries.tool("initdb").toString(),
                "-D", dataDir.toString(),
                "-U", options.superuser(),
                "-E", options.encoding(),
                "--locale=" + options.locale(),
                "--auth-local=" + options.authLocal(),
                "--auth-host=" + options.authHost()));
        if (binaries.majorVersion() >= 14) {
            argv.add("--no-instructions"); // new in 14; older initdb refuses unknown options
        }
        if (options.dataChecksums()) {
            argv.add("--data-checksums");
        }
        run(argv, timeouts.initdb(), "initdb");
    }

    public void start() {
        awaitDeadPostmasterReaped();
        run(List.of(pgCtl(), "start", "-D", dataDir.toString(), "-w", "-t", PgTimeouts.seconds(timeouts.start()),
                "-l", logFile.toString(), "-o", "-p " + port + configFile.map(f -> " -c config_file=" + f).orElse("")),
                timeouts.start().plusSeconds(10), "start");
    }

    /** Stops the server; a server that is not running counts as stopped. */
    public void stop(StopMode mode) {
        if (status() != ServerStatus.RUNNING) {
            return;
        }
        run(List.of(pgCtl(), "stop", "-D", dataDir.toString(), "-m", mode.pgCtlName(), "-w",
                "-t", PgTimeouts.seconds(timeouts.stop())), timeouts.stop().plusSeconds(10), "stop -m " + mode.pgCtlName());
    }

    public void restart(StopMode mode) {
        stop(mode);
        start();
    }

    /** Re-reads the configuration files (SIGHUP). */
    public void reload() {
        run(List.of(pgCtl(), "reload", "-D", dataDir.toString()), timeouts.quick(), "reload");
    }

    /** Ends recovery and waits until the server accepts writes. */
    public void promote() {
        run(List.of(pgCtl(), "promote", "-D", dataDir.toString(), "-w", "-t", PgTimeouts.seconds(timeouts.promote())),
                timeouts.promote().plusSeconds(10), "promote");
    }

    public ServerStatus status() {
        if (postmasterPid().map(PgCtl::isZombie).orElse(false)) {
            return ServerStatus.STOPPED; // killed, not yet reaped: pg_ctl would call it running
        }
        CommandResult r = runner.execute(command(List.of(pgCtl(), "status", "-D", dataDir.toString()), timeouts.quick()));
        return switch (r.exitCode()) {
            case 0 -> ServerStatus.RUNNING;
            case 3 -> ServerStatus.STOPPED;
            case 4 -> ServerStatus.NO_DATA_DIRECTORY;
            default -> throw new CommandFailedException(r.command().display(), r.exitCode(), r.stderrTail(), false,
                    Optional.empty(), null);
        };
    }

    /**
     * Fencing: stop the server by any means. Tries {@code mode} within {@code wait}, then an
     * immediate stop, then SIGKILL of the postmaster and all its children (a frozen postmaster
     * ignores pg_ctl but not SIGKILL). Returns how it was stopped.
     */
    public String stopOrKill(StopMode mode, Duration wait) {
        try {
            run(List.of(pgCtl(), "stop", "-D", dataDir.toString(), "-m", mode.pgCtlName(), "-w",
                    "-t", PgTimeouts.seconds(wait)), wait.plusSeconds(2), "stop -m " + mode.pgCtlName());
            return "stopped (" + mode.pgCtlName() + ")";
        } catch (CommandFailedException e) {
            if (postmasterPid().isEmpty()) {
                return "not running";
            }
            log.warn("fencing: pg_ctl stop -m {} did not complete ({}); killing the postmaster", mode.pgCtlName(),
                    firstLine(e.getMessage()));
        }
        return killPostmaster() ? "killed (SIGKILL)" : "not running";
    }

    /**
     * SIGKILLs the postmaster named in postmaster.pid and all its descendants. Returns false
     * when no such postgres process is running.
     */
    public boolean killPostmaster() {
        Optional<ProcessHandle> pm = postmasterPid().flatMap(ProcessHandle::of).filter(ProcessHandle::isAlive)
                .filter(Postmaster::looksLikePostgres);
        if (pm.isEmpty()) {
            return false;
        }
        ProcessHandle p = pm.get();
        List<ProcessHandle> children = p.descendants().toList();
        p.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        try {
            p.onExit().get(timeouts.quick().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new PgException("postmaster " + p.pid() + " still alive after SIGKILL", e);
        }
        for (ProcessHandle c : children) {
            try {
                c.onExit().get(timeouts.quick().toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                log.warn("postgres child {} still alive after SIGKILL", c.pid());
            }
        }
        log.warn("killed postmaster {} and {} children of {}", p.pid(), children.size(), dataDir);
        return true;
    }

    /**
     * A killed postmaster stays a zombie until its parent (init, after pg_ctl daemonized it) reaps it;
     * while it does, PostgreSQL refuses to start ("lock file already exists"). Waits for that.
     */
    private void awaitDeadPostmasterReaped() {
        Optional<Long> pid = postmasterPid();
        if (pid.isEmpty() || !isZombie(pid.get())) {
            return;
        }
        long deadline = System.nanoTime() + timeouts.quick().toNanos();
        log.info("postmaster {} of {} was killed and is not reaped yet: waiting", pid.get(), dataDir);
        while (isZombie(pid.get()) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Linux: the process state in /proc/PID/stat is Z. */
    static boolean isZombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            return close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) == 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    /** The postmaster's pid from postmaster.pid, when the file exists. */
    public Optional<Long> postmasterPid() {
        try {
            List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"));
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The last few KB of the server log, for error messages. */
    public String serverLogTail() {
        return tail(logFile, LOG_TAIL_CHARS);
    }

    private String pgCtl() {
        return binaries.tool("pg_ctl").toString();
    }

    private ExternalCommand command(List<String> argv, Duration timeout) {
        // LC_ALL=C keeps messages parseable; PGPORT is irrelevant here, -o -p sets the port
        return ExternalCommand.of(timeout, argv).runningAs(osUser).withEnv(java.util.Map.of("LC_ALL", "C"));
    }

    private CommandResult run(List<String> argv, Duration timeout, String what) {
        long t0 = System.nanoTime();
        try {
            CommandResult r = runner.run(command(argv, timeout));
            log.info("pg_ctl {} on {} took {} ms", what, dataDir, (System.nanoTime() - t0) / 1_000_000);
            return r;
        } catch (CommandFailedException e) {
            String logTail = serverLogTail();
            throw logTail.isBlank() ? e : e.withContext("--- server log " + logFile + " (tail) ---\n" + logTail);
        }
    }

    static String tail(Path file, int maxChars) {
        try (var raf = new RandomAccessFile(file.toFile(), "r")) {
            long len = raf.length();
            long from = Math.max(0, len - maxChars);
            raf.seek(from);
            byte[] buf = new byte[(int) (len - from)];
            raf.readFully(buf);
            String s = new String(buf, StandardCharsets.UTF_8);
            if (from > 0) {
                int nl = s.indexOf('\n');
                s = nl >= 0 ? s.substring(nl + 1) : s;
            }
            return s;
        } catch (IOException e) {
            return "";
        }
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
