package org.pgsteward.agent.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One look at a process in {@code /proc} (Linux): its scheduler state and how much it has run so far, so that two
 * looks tell whether it ran in between. Used to tell a hung PostgreSQL (its postmaster does not run while a
 * connection waits for it) from a slow one (it runs, its backends are slow); no SQL.
 *
 * @param pid            the process
 * @param startTicks     when it started (field 22 of /proc/PID/stat): a reused pid is another process
 * @param state          R, S, D, T (stopped), t (stopped by a tracer), Z...; '?' when unreadable
 * @param cpuTicks       user + system CPU time (fields 14 and 15), in clock ticks
 * @param contextSwitches voluntary + involuntary context switches (/proc/PID/status): each time it ran and gave
 *                       up the CPU again, however briefly (CPU time alone misses a burst shorter than a tick)
 * @param known          false when /proc could not be read: such a sample never proves that nothing ran
 */
public record ProcessSample(long pid, long startTicks, char state, long cpuTicks, long contextSwitches, boolean known) {

    private static final Path PROC = Path.of("/proc");

    /** The process as /proc shows it now; empty when it does not exist (any more). */
    public static Optional<ProcessSample> read(long pid) {
        return read(PROC, pid);
    }

    static Optional<ProcessSample> read(Path proc, long pid) {
        Path dir = proc.resolve(Long.toString(pid));
        String stat;
        String status;
        try {
            stat = Files.readString(dir.resolve("stat"));
            status = Files.readString(dir.resolve("status"));
        } catch (IOException e) {
            return Files.isDirectory(dir) ? Optional.of(unknown(pid)) : Optional.empty();
        }
        return Optional.of(parse(pid, stat, status));
    }

    /** A live process whose counters cannot be read (no /proc, no permission). */
    public static ProcessSample unknown(long pid) {
        return new ProcessSample(pid, 0, '?', 0, 0, false);
    }

    /** From the text of /proc/PID/stat and /proc/PID/status; unknown when either does not parse. */
    static ProcessSample parse(long pid, String stat, String status) {
        // the command (field 2) is in parentheses and may contain spaces and ')': the fields follow the last one
        int close = stat.lastIndexOf(')');
        if (close < 0 || close + 2 >= stat.length()) {
            return unknown(pid);
        }
        String[] f = stat.substring(close + 2).trim().split(" +");
        // f[0] is field 3 (state); field n is f[n - 3]
        if (f.length < 20 || f[0].isEmpty()) {
            return unknown(pid);
        }
        try {
            long cpu = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            long start = Long.parseLong(f[19]);
            long switches = counter(status, "voluntary_ctxt_switches:") + counter(status, "nonvoluntary_ctxt_switches:");
            return new ProcessSample(pid, start, f[0].charAt(0), cpu, switches, true);
        } catch (NumberFormatException e) {
            return unknown(pid);
        }
    }

    private static long counter(String status, String key) {
        for (String line : status.split("\n")) {
            if (line.startsWith(key)) {
                return Long.parseLong(line.substring(key.length()).strip());
            }
        }
        throw new NumberFormatException("no " + key);
    }

    /** Stopped by a signal (SIGSTOP, SIGTSTP) or by a tracer: it runs no code until it is continued. */
    public boolean stopped() {
        return state == 'T' || state == 't';
    }

    /**
     * Whether the process ran between {@code earlier} and this sample: another process (pid or start time), moved
     * counters, or counters that are not known (then nothing is proven).
     */
    public boolean ranSince(ProcessSample earlier) {
        return !known || !earlier.known || pid != earlier.pid || startTicks != earlier.startTicks
                || cpuTicks != earlier.cpuTicks || contextSwitches != earlier.contextSwitches;
    }

    /** "state T (stopped)", "state D (uninterruptible wait)", ... for logs and reports. */
    public String describeState() {
        String what = switch (state) {
            case 'T' -> "stopped";
            case 't' -> "stopped by a tracer";
            case 'D' -> "uninterruptible wait";
            case 'S' -> "sleeping";
            case 'R' -> "running";
            case 'Z' -> "zombie";
            default -> "unknown";
        };
        return "state " + state + " (" + what + ")";
    }
}
