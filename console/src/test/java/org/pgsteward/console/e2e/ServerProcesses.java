package org.pgsteward.console.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.pgsteward.agent.exec.ExternalCommand;
import org.pgsteward.agent.testing.PgTestEnvironment;

/**
 * The processes of one node's PostgreSQL as they were when captured (the postmaster named in postmaster.pid and
 * every descendant), to freeze and thaw them with signals and to see whether they are gone. Handles, not bare pids:
 * a pid reused after the server died is never signalled.
 */
final class ServerProcesses {

    private final List<ProcessHandle> processes;

    private ServerProcesses(List<ProcessHandle> processes) {
        this.processes = List.copyOf(processes);
    }

    static ServerProcesses none() {
        return new ServerProcesses(List.of());
    }

    /**
     * SIGSTOPs {@code n}'s postmaster, then every descendant it has: once the postmaster is stopped it forks no
     * other (a backend forked between a look at the descendants and the signals would keep serving its session).
     */
    static ServerProcesses freeze(TestNode n) {
        long pid = n.pg().pgCtl().postmasterPid().orElseThrow();
        ProcessHandle pm = ProcessHandle.of(pid).orElseThrow();
        ServerProcesses postmaster = new ServerProcesses(List.of(pm));
        postmaster.signal("STOP");
        List<ProcessHandle> all = new ArrayList<>();
        all.add(pm);
        pm.descendants().forEach(all::add);
        ServerProcesses server = new ServerProcesses(all);
        server.signal("STOP");
        return server;
    }

    int size() {
        return processes.size();
    }

    /** {@code kill -SIG} to every captured process still running (an argument list with a timeout, no shell). */
    void signal(String sig) {
        List<String> argv = new ArrayList<>(List.of("kill", "-" + sig));
        processes.stream().filter(p -> !gone(p)).forEach(p -> argv.add(Long.toString(p.pid())));
        if (argv.size() > 2) {
            // a process that died in between makes kill exit 1: nothing to signal there
            PgTestEnvironment.runner().execute(ExternalCommand.of(Duration.ofSeconds(5), argv));
        }
    }

    /** Every captured process has exited (a zombie counts as exited: it runs no code, only waits to be reaped). */
    boolean allGone() {
        return processes.stream().allMatch(ServerProcesses::gone);
    }

    /** The captured processes still running. */
    List<Long> running() {
        return processes.stream().filter(p -> !gone(p)).map(ProcessHandle::pid).toList();
    }

    private static boolean gone(ProcessHandle p) {
        if (!p.isAlive()) {
            return true;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
            int close = stat.lastIndexOf(')');
            return close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) == 'Z';
        } catch (IOException e) {
            return true; // no /proc entry: gone
        }
    }
}
