package org.pgsteward.agent.exec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One external program to run: an argument list (never a shell string), a timeout,
 * and optionally the OS user to run it as (used only when this process is root).
 *
 * @param argv      program and arguments; {@code argv.get(0)} is the program path
 * @param timeout   the process tree is killed when it runs longer
 * @param runAs     OS user to switch to with {@code runuser} when we are root
 * @param workDir   working directory, or the current one
 * @param env       extra environment variables (e.g. PGPASSWORD, PGCONNECT_TIMEOUT)
 * @param onStderrLine receives each stderr line as it arrives (progress reporting)
 */
public record ExternalCommand(
        List<String> argv,
        Duration timeout,
        Optional<String> runAs,
        Optional<Path> workDir,
        Map<String, String> env,
        Optional<Consumer<String>> onStderrLine) {

    public ExternalCommand {
        argv = List.copyOf(argv);
        env = Map.copyOf(env);
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("empty argument list");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
    }

    public static ExternalCommand of(Duration timeout, List<String> argv) {
        return new ExternalCommand(argv, timeout, Optional.empty(), Optional.empty(), Map.of(), Optional.empty());
    }

    public ExternalCommand runningAs(Optional<String> user) {
        return new ExternalCommand(argv, timeout, user, workDir, env, onStderrLine);
    }

    public ExternalCommand inDirectory(Path dir) {
        return new ExternalCommand(argv, timeout, runAs, Optional.of(dir), env, onStderrLine);
    }

    public ExternalCommand withEnv(Map<String, String> extra) {
        var merged = new java.util.HashMap<>(env);
        merged.putAll(extra);
        return new ExternalCommand(argv, timeout, runAs, workDir, merged, onStderrLine);
    }

    public ExternalCommand withStderrListener(Consumer<String> listener) {
        return new ExternalCommand(argv, timeout, runAs, workDir, env, Optional.of(listener));
    }

    /** The command as a user would read it in an error message; arguments are shown, never interpreted. */
    public String display() {
        var sb = new StringBuilder();
        for (String a : argv) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            boolean plain = !a.isEmpty() && a.chars().allMatch(c -> Character.isLetterOrDigit(c) || "-_./=:,@%+".indexOf(c) >= 0);
            sb.append(plain ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return sb.toString();
    }
}
