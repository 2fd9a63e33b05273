package org.pgsteward.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgsteward.protocol.ExitCode;

/** The console's command line, in process (no agent needed). */
class MainTest {

    private record Result(int code, String out, String err) {}

    private static Result run(String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void givenHelp_thenEveryCommandOptionAndExitCodeListed() {
        Result r = run("--help");
        assertEquals(0, r.code(), r.err());
        for (ExitCode c : ExitCode.values()) {
            assertTrue(r.out().contains(c.name()), "exit code " + c + " in help:\n" + r.out());
        }
        for (String s : new String[] {"-f", "-D", "-d", "-h", "-p", "-U", "-R", "-w", "-I", "-F", "--verbose", "--version",
                "master", "primary", "standby", "node", "cluster"}) {
            assertTrue(r.out().contains(s), s + " in help:\n" + r.out());
        }
    }

    @Test
    void givenSubcommandHelp_thenItsCommandsListed() {
        Result r = run("standby", "--help");
        assertEquals(0, r.code(), r.err());
        for (String s : new String[] {"register", "clone", "promote", "follow"}) {
            assertTrue(r.out().contains(s), s + ":\n" + r.out());
        }
    }

    @Test
    void givenVersion_thenPrinted() {
        Result r = run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("pgsteward "), r.out());
    }

    @Test
    void givenUnknownCommand_thenExit1() {
        Result r = run("standby", "frobnicate");
        assertEquals(ExitCode.ERR_BAD_CONFIG.code(), r.code());
        assertTrue(r.err().contains("frobnicate"), r.err());
    }

    @Test
    void givenSeedOptionsBeforeAndAfterCommand_thenParsed(@TempDir Path tmp) throws Exception {
        // no agent runs on that port: parsing succeeded when the failure is about reaching the agent
        Path conf = tmp.resolve("repmgr.conf");
        Files.writeString(conf, "cluster=test\nnode=2\nconninfo='host=127.0.0.1 dbname=testdb'\nagent_http=127.0.0.1:1\n");
        Result before = run("-f", conf.toString(), "-D", "/data", "-p", "5433", "-U", "prime", "-R", "prime", "--verbose",
                "standby", "clone", "localhost");
        assertEquals(ExitCode.ERR_AGENT_UNREACHABLE.code(), before.code(), before.err());
        Result after = run("standby", "clone", "--force", "-h", "node2", "-p", "5432", "-U", "postgres", "-R", "postgres",
                "--verbose", "-f", conf.toString());
        assertEquals(ExitCode.ERR_AGENT_UNREACHABLE.code(), after.code(), after.err());
    }

    @Test
    void givenBadMethod_thenExit1() {
        Result r = run("-f", "/nonexistent.conf", "standby", "clone", "--method", "scp", "x");
        assertEquals(ExitCode.ERR_BAD_CONFIG.code(), r.code());
    }
}
