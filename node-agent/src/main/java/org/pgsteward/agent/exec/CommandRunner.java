package org.pgsteward.agent.exec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs external programs from argument lists, with a timeout after which the whole
 * process tree is killed. Never through a shell. When this JVM runs as root and the
 * command names an OS user, the command runs as that user through {@code runuser}.
 */
public final class CommandRunner {

    private static final Logger log = LoggerFactory.getLogger(CommandRunner.class);
    private static final int STDERR_TAIL_CHARS = 8 * 1024;
    private static final int STDOUT_MAX_CHARS = 4 * 1024 * 1024;
    private static final Duration KILL_GRACE = Duration.ofSeconds(5);

    private final boolean root;
    private final String runuser;

    public CommandRunner() {
        this(currentUserIsRoot(), "runuser");
    }

    CommandRunner(boolean root, String runuser) {
        this.root = root;
        this.runuser = runuser;
    }

    public boolean isRoot() {
        return root;
    }

    /** Runs the command; throws {@link CommandFailedException} unless it exits 0. */
    public CommandResult run(ExternalCommand command) {
        CommandResult r = execute(command);
        if (!r.succeeded()) {
            throw new CommandFailedException(command.display(), r.exitCode(), r.stderrTail(), false, Optional.empty(), null);
        }
        return r;
    }

    /**
     * Runs the command and returns its result whatever the exit code; throws
     * {@link CommandFailedException} only when it cannot start or runs past its timeout.
     */
    public CommandResult execute(ExternalCommand command) {
        List<String> argv = effectiveArgv(command);
        var pb = new ProcessBuilder(argv);
        command.workDir().ifPresent(d -> pb.directory(d.toFile()));
        pb.environment().putAll(command.env());
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        long start = System.nanoTime();
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new CommandFailedException(command.display(), -1, e.getMessage(), false, Optional.empty(), e);
        }
        log.debug("started pid {}: {}", p.pid(), command.display());
        var stderr = new OutputTail(STDERR_TAIL_CHARS);
        var stdout = new StringBuilder();
        Thread errReader = pump(p.getErrorStream(), "stderr-" + p.pid(), line -> {
            stderr.add(line);
            command.onStderrLine().ifPresent(l -> l.accept(line));
        });
        Thread outReader = pump(p.getInputStream(), "stdout-" + p.pid(), line -> {
            synchronized (stdout) {
                if (stdout.length() < STDOUT_MAX_CHARS) {
                    stdout.append(line).append('\n');
                }
            }
        });
        boolean finished;
        try {
            finished = p.waitFor(command.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            killTree(p);
            Thread.currentThread().interrupt();
            throw new CommandFailedException(command.display(), -1, stderr.text(), false,
                    Optional.of("interrupted while waiting"), e);
        }
        if (!finished) {
            killTree(p);
            join(errReader);
            join(outReader);
            throw new CommandFailedException(command.display(), -1, stderr.text(), true,
                    Optional.of("timeout: " + command.timeout().toMillis() + " ms"), null);
        }
        join(errReader);
        join(outReader);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        String out;
        synchronized (stdout) {
            out = stdout.toString();
        }
        log.debug("pid {} exited {} after {} ms", p.pid(), p.exitValue(), elapsed.toMillis());
        return new CommandResult(command, p.exitValue(), out, stderr.text(), elapsed);
    }

    List<String> effectiveArgv(ExternalCommand command) {
        Optional<String> user = command.runAs().filter(u -> root && !u.equals("root"));
        if (user.isEmpty()) {
            return command.argv();
        }
        var argv = new ArrayList<String>();
        argv.add(runuser);
        argv.add("-u");
        argv.add(user.get());
        argv.add("--");
        argv.addAll(command.argv());
        return argv;
    }

    /** Kills the process and every descendant: children first so none is re-parented and left running. */
    static void killTree(Process p) {
        List<ProcessHandle> descendants = p.descendants().toList();
        for (ProcessHandle d : descendants) {
            d.destroyForcibly();
        }
        p.destroyForcibly();
        awaitExit(p.toHandle());
        descendants.forEach(CommandRunner::awaitExit);
    }

    private static void awaitExit(ProcessHandle h) {
        try {
            h.onExit().get(KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("process {} did not exit after SIGKILL within {}", h.pid(), KILL_GRACE);
        }
    }

    private static Thread pump(InputStream in, String name, java.util.function.Consumer<String> sink) {
        Thread t = new Thread(() -> {
            try (var r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = readLine(r)) != null) {
                    sink.accept(line);
                }
            } catch (IOException e) {
                // stream closed when the process was killed; what we have is what we report
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Reads a line ending in \n or \r (pg_basebackup redraws its progress with \r). */
    private static String readLine(BufferedReader r) throws IOException {
        var sb = new StringBuilder();
        int c;
        while ((c = r.read()) >= 0) {
            if (c == '\n' || c == '\r') {
                return sb.toString();
            }
            sb.append((char) c);
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    private static void join(Thread t) {
        try {
            // a grandchild that inherited our pipe could hold it open; do not wait forever
            t.join(KILL_GRACE.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean currentUserIsRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    String[] f = line.substring(4).trim().split("\\s+");
                    return f.length > 1 && f[1].equals("0");
                }
            }
        } catch (IOException e) {
            // not Linux /proc: fall back to the name
        }
        return "root".equals(System.getProperty("user.name"));
    }
}
