package org.pgsteward.console.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgsteward.console.e2e.E2eSupport.exits;
import static org.pgsteward.console.e2e.E2eSupport.ok;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.pgsteward.agent.testing.DirSnapshot;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.PostgresExtension;
import org.pgsteward.agent.testing.SshTestServer;
import org.pgsteward.agent.testing.TestPorts;
import org.pgsteward.protocol.ExitCode;

/** Bad input gets a clear error naming what is wrong, the documented exit code, and changes nothing. */
class BadInputTest {

    @RegisterExtension
    final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    final AgentFixture agents = new AgentFixture();

    @Test
    void givenMissingConfig_whenConsoleRuns_thenExit1NamingTheFile(@TempDir Path tmp) {
        Path missing = tmp.resolve("nope.conf");
        ConsoleRun run = exits(1, ConsoleRun.of("-f", missing.toString(), "cluster", "show"));
        assertTrue(run.stderr().contains(missing.toString()), run.describe());
    }

    @Test
    void givenUnparsableConfig_whenConsoleAndAgentRun_thenExit1(@TempDir Path tmp) throws IOException {
        Path bad = tmp.resolve("bad.conf");
        Files.writeString(bad, "pgsteward { cluster = \"test\"\n node { id = 1 \n");
        ConsoleRun run = exits(1, ConsoleRun.of("-f", bad.toString(), "node", "status"));
        assertTrue(run.stderr().contains(bad.toString()), run.describe());
        AgentRun agent = AgentRun.of("-f", bad.toString());
        assertEquals(1, agent.exitCode(), agent.output());
        assertTrue(agent.output().contains(bad.toString()), agent.output());
    }

    @Test
    void givenUnknownKey_whenAgentStarts_thenExit1NamingKeyAndFile(@TempDir Path tmp) throws IOException {
        Path conf = tmp.resolve("node.conf");
        Files.writeString(conf, "pgsteward {\n cluster = test\n node { id = 1, conninfo = \"host=127.0.0.1\", "
                + "data-dir = \"/tmp/x\", prioritty = 5 }\n}\n");
        AgentRun agent = AgentRun.of("-f", conf.toString());
        assertEquals(1, agent.exitCode(), agent.output());
        assertTrue(agent.output().contains("pgsteward.node.prioritty"), agent.output());
        assertTrue(agent.output().contains(conf.toString()), agent.output());
    }

    @Test
    void givenMalformedConninfo_whenConsoleRuns_thenExit1WithoutThePassword(@TempDir Path tmp) throws IOException {
        Path conf = tmp.resolve("repmgr.conf");
        Files.writeString(conf, "cluster=test\nnode=2\nconninfo='host=127.0.0.1 password=hunter2 port=fivefourthreetwo'\n");
        ConsoleRun run = exits(1, ConsoleRun.of("-f", conf.toString(), "node", "status"));
        assertTrue(run.stderr().contains("conninfo"), run.describe());
        assertFalse(run.stderr().contains("hunter2"), run.describe());
    }

    @Test
    void givenUnknownCommandOrBadPort_whenConsoleRuns_thenExit1() {
        exits(1, ConsoleRun.of("standby", "frobnicate"));
        ConsoleRun run = exits(1, ConsoleRun.of("-p", "70000", "-f", "/nonexistent", "standby", "clone", "x"));
        assertTrue(run.stderr().contains("70000") || run.stderr().contains("nonexistent"), run.describe());
    }

    @Test
    void givenHelpAndVersion_whenAsked_thenCommandsOptionsAndExitCodesListed() {
        String help = ok(ConsoleRun.of("--help")).stdout();
        for (String word : List.of("master", "standby", "cluster", "node", "--config-file", "--data-dir", "--dbname", "--host",
                "--port", "--username", "--remote-user", "--wal-keep-segments", "--ignore-rsync-warning", "--force",
                "--verbose", "ERR_BAD_CONFIG", "ERR_BAD_PASSWORD", "ERR_BUSY")) {
            assertTrue(help.contains(word), "help lists " + word + ":\n" + help);
        }
        assertTrue(ok(ConsoleRun.of("--version")).stdout().contains("pgsteward"));
    }

    @Test
    void givenStoppedAgent_whenConsoleRuns_thenAgentUnreachable() {
        PgTestInstance p = pg.primary("lonely");
        TestNode n = agents.node("test", 1, p, List.of());
        ConsoleRun run = exits(ExitCode.ERR_AGENT_UNREACHABLE.code(), n.console("node", "status"));
        assertTrue(run.stderr().contains(n.agent().httpAddress()), run.describe());
    }

    @Test
    void givenUpstreamProblems_whenCloning_thenSeedExitCodesAndNothingTouched() throws Exception {
        PgTestInstance primary = pg.primary("prim");
        PgTestInstance target = pg.empty("target");
        TestNode n = agents.node("test", 2, target, List.of());
        n.agent().start();

        // unreachable upstream: exit 6
        int nothing = TestPorts.freePort();
        ConsoleRun unreachable = exits(ExitCode.ERR_DB_CON.code(),
                n.console("-p", Integer.toString(nothing), "-U", "postgres", "standby", "clone", "127.0.0.1"));
        assertTrue(unreachable.stderr().contains(Integer.toString(nothing)), unreachable.describe());

        // wrong password (this node connects as pwuser with a wrong one): exit 9
        PgTestInstance target2 = pg.empty("target2");
        TestNode wrong = agents.node("test", 3, target2, List.of(), "user=" + PgTestInstance.PASSWORD_USER + " password=wrong");
        wrong.agent().start();
        ConsoleRun wrongPassword = exits(ExitCode.ERR_BAD_PASSWORD.code(),
                wrong.console("-p", Integer.toString(primary.port()), "standby", "clone", "127.0.0.1"));
        assertTrue(wrongPassword.stderr().contains("password"), wrongPassword.describe());
        assertFalse(wrongPassword.stderr().contains("password=wrong"), wrongPassword.describe());

        // no password for a user that needs one: exit 9 too
        ConsoleRun badPassword = exits(ExitCode.ERR_BAD_PASSWORD.code(),
                n.console("-p", Integer.toString(primary.port()), "-U", PgTestInstance.PASSWORD_USER, "standby", "clone",
                        "127.0.0.1"));
        assertTrue(badPassword.stderr().toLowerCase().contains("password"), badPassword.describe());

        // a non-empty data directory without -F: refused, untouched
        Files.createDirectories(target.dataDir());
        Files.writeString(target.dataDir().resolve("precious.txt"), "keep me");
        DirSnapshot before = DirSnapshot.of(target.dataDir());
        exits(ExitCode.ERR_BAD_CONFIG.code(), n.console("-p", Integer.toString(primary.port()), "-U", "postgres",
                "standby", "clone", "127.0.0.1"));
        assertEquals(before, DirSnapshot.of(target.dataDir()));

        // -D naming another directory: refused
        exits(ExitCode.ERR_BAD_CONFIG.code(), n.console("-D", "/tmp/elsewhere", "-p", Integer.toString(primary.port()),
                "standby", "clone", "127.0.0.1"));
        assertEquals(before, DirSnapshot.of(target.dataDir()));
    }

    @Test
    void givenNoSshAccess_whenForcedRsyncClone_thenExit2AndNothingDeleted() throws Exception {
        PgTestInstance primary = pg.primary("prim");
        PgTestInstance target = pg.primary("target");
        target.pgCtl().stop(org.pgsteward.agent.postgres.StopMode.FAST);
        try (SshTestServer sshd = SshTestServer.start()) {
            TestNode n = agents.node("test", 2, target, sshd.sshOptionsWithUnauthorizedKey());
            n.agent().start();
            Files.writeString(target.dataDir().resolve("precious.txt"), "keep me");
            DirSnapshot before = DirSnapshot.of(target.dataDir());

            ConsoleRun run = exits(ExitCode.ERR_BAD_RSYNC.code(), n.console("-p", Integer.toString(primary.port()),
                    "-U", "postgres", "-R", "postgres", "--force", "standby", "clone", "--method", "rsync", "127.0.0.1"));

            assertTrue(run.stderr().contains("ssh") || run.stderr().contains("rsync"), run.describe());
            assertEquals(before, DirSnapshot.of(target.dataDir()));
        }
    }

    @Test
    void givenOperationRunning_whenAnotherCommandSent_thenBusyNamingIt() throws Exception {
        PgTestInstance primary = pg.primary("prim");
        PgTestInstance target = pg.empty("target");
        // an "sshd" that accepts and never speaks: the rsync clone waits on it until we let go
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            List<Socket> held = new CopyOnWriteArrayList<>();
            CompletableFuture.runAsync(() -> {
                try {
                    while (!silent.isClosed()) {
                        held.add(silent.accept());
                    }
                } catch (IOException e) {
                    // closed: test over
                }
            });
            TestNode n = agents.node("test", 2, target, List.of("-p", Integer.toString(silent.getLocalPort()),
                    "-o", "ConnectTimeout=600", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"));
            n.agent().start();
            CompletableFuture<ConsoleRun> clone = CompletableFuture.supplyAsync(() -> n.console("-p",
                    Integer.toString(primary.port()), "-U", "postgres", "-R", "postgres", "standby", "clone",
                    "--method", "rsync", "127.0.0.1"));
            Wait.until("the clone reaches ssh", Duration.ofSeconds(60), () -> !held.isEmpty());

            ConsoleRun busy = exits(ExitCode.ERR_BUSY.code(), n.console("standby", "register"));
            assertTrue(busy.stderr().contains("busy: standby clone running since"), busy.describe());

            for (Socket s : held) {
                s.close();
            }
            silent.close();
            ConsoleRun cloneRun = clone.get();
            assertEquals(ExitCode.ERR_BAD_RSYNC.code(), cloneRun.exitCode(), cloneRun.describe());
        }
    }

    /** One run of the agent program that is expected to stop by itself (bad input). */
    record AgentRun(int exitCode, String output) {
        static AgentRun of(String... args) {
            List<String> argv = new ArrayList<>(AgentProcess.javaCommand());
            argv.add("org.pgsteward.agent.Main");
            argv.addAll(List.of(args));
            try {
                Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError("agent did not stop on bad input:\n" + out);
                }
                return new AgentRun(p.exitValue(), out);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
