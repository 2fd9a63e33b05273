package org.pgsteward.agent.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandRunnerTest {

    private final CommandRunner runner = new CommandRunner();

    @Test
    void givenArgumentsWithShellCharacters_whenRun_thenPassedVerbatim() {
        String nasty = "a b; echo pwned $(id) 'q' \"dq\" `x` *";
        CommandResult r = runner.run(ExternalCommand.of(Duration.ofSeconds(10), List.of("printf", "%s", nasty)));
        assertEquals(nasty + "\n", r.stdout());
    }

    @Test
    void givenHungCommand_whenTimeoutPasses_thenProcessTreeKilled(@TempDir Path tmp) throws Exception {
        Path pidFile = tmp.resolve("child.pid");
        // a child that would outlive its parent if only the parent were killed
        var cmd = ExternalCommand.of(Duration.ofMillis(700),
                List.of("sh", "-c", "sleep 300 & echo $! > \"$0\"; wait", pidFile.toString()));

        var e = assertThrows(CommandFailedException.class, () -> runner.run(cmd));

        assertTrue(e.timedOut());
        assertTrue(e.getMessage().contains("timed out"), e.getMessage());
        long childPid = Long.parseLong(Files.readString(pidFile).strip());
        Optional<ProcessHandle> child = ProcessHandle.of(childPid);
        assertFalse(child.map(ProcessHandle::isAlive).orElse(false), "child process killed too");
    }

    @Test
    void givenFailingCommand_whenRun_thenErrorCarriesExitCodeAndStderr() {
        var cmd = ExternalCommand.of(Duration.ofSeconds(10),
                List.of("sh", "-c", "echo 'FATAL: something precise went wrong' >&2; exit 3"));

        var e = assertThrows(CommandFailedException.class, () -> runner.run(cmd));

        assertEquals(3, e.exitCode());
        assertTrue(e.getMessage().contains("exit code 3"), e.getMessage());
        assertTrue(e.getMessage().contains("FATAL: something precise went wrong"), e.getMessage());
    }

    @Test
    void givenMissingProgram_whenRun_thenCouldNotStart() {
        var e = assertThrows(CommandFailedException.class,
                () -> runner.run(ExternalCommand.of(Duration.ofSeconds(5), List.of("/nonexistent/pg_ctl", "status"))));
        assertEquals(-1, e.exitCode());
        assertTrue(e.getMessage().contains("could not be started"), e.getMessage());
    }

    @Test
    void givenStderrListener_whenProgressPrinted_thenEachLineSeen() {
        var lines = new ArrayList<String>();
        var cmd = ExternalCommand.of(Duration.ofSeconds(10), List.of("sh", "-c", "printf '1/3\\r2/3\\r3/3\\n' >&2"))
                .withStderrListener(lines::add);
        runner.run(cmd);
        assertEquals(List.of("1/3", "2/3", "3/3"), lines);
    }

    @Test
    void givenRootAndOsUser_whenRun_thenRunuserPrefixed() {
        var asRoot = new CommandRunner(true, "runuser");
        var cmd = ExternalCommand.of(Duration.ofSeconds(1), List.of("pg_ctl", "status")).runningAs(Optional.of("postgres"));
        assertEquals(List.of("runuser", "-u", "postgres", "--", "pg_ctl", "status"), asRoot.effectiveArgv(cmd));
        var notRoot = new CommandRunner(false, "runuser");
        assertEquals(List.of("pg_ctl", "status"), notRoot.effectiveArgv(cmd));
    }
}
