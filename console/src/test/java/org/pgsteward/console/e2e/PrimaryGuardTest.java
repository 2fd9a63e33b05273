package org.pgsteward.console.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgsteward.console.e2e.E2eSupport.exits;
import static org.pgsteward.console.e2e.E2eSupport.ok;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.testing.DirSnapshot;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.PostgresExtension;
import org.pgsteward.protocol.ExitCode;

/**
 * The destructive commands (`standby clone -F`, `node rejoin`, `standby follow -F`) refuse on the primary, and a
 * registered node's password goes only to its cluster's members.
 */
class PrimaryGuardTest {

    /** What a clone or rewind would replace; a running server changes its WAL and statistics by itself. */
    private static final Set<String> CLONE_REPLACES = Set.of("postgresql.conf", "postgresql.auto.conf", "pg_hba.conf",
            "postmaster.pid", "PG_VERSION", "precious.txt", "standby.signal", "recovery.signal");

    @RegisterExtension
    final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    final AgentFixture agents = new AgentFixture();

    @Test
    void givenRunningRegisteredPrimary_whenForcedCloneRejoinOrFollow_thenExit1AndPrimaryUntouched() throws Exception {
        PgTestInstance primary = pg.primary("prim");
        PgTestInstance other = pg.primary("other");
        TestNode n = agents.node("test", 1, primary, List.of());
        n.agent().start();
        ok(n.console("-w", "8", "primary", "register"));
        primary.execute("CREATE TABLE keep (id int)");
        primary.execute("INSERT INTO keep VALUES (1)");
        Files.writeString(primary.dataDir().resolve("precious.txt"), "keep me");
        String system = primary.queryOne("SELECT system_identifier FROM pg_control_system()");
        String started = primary.queryOne("SELECT pg_postmaster_start_time()::text");
        Map<String, String> before = cloneTargets(primary.dataDir());

        ConsoleRun clone = exits(ExitCode.ERR_BAD_CONFIG.code(), n.console("-F", "-p", Integer.toString(other.port()),
                "-U", "postgres", "standby", "clone", "127.0.0.1"));
        assertTrue(clone.stderr().contains("primary"), clone.describe());
        ConsoleRun rejoin = exits(ExitCode.ERR_BAD_CONFIG.code(), n.console("-F", "-p", Integer.toString(other.port()),
                "-U", "postgres", "node", "rejoin", "127.0.0.1"));
        assertTrue(rejoin.stderr().contains("primary"), rejoin.describe());
        ConsoleRun follow = exits(ExitCode.ERR_BAD_CONFIG.code(), n.console("-F", "-p", Integer.toString(other.port()),
                "-U", "postgres", "standby", "follow", "127.0.0.1"));
        assertTrue(follow.stderr().contains("primary"), follow.describe());

        assertEquals(system, primary.queryOne("SELECT system_identifier FROM pg_control_system()"), "the same cluster");
        assertEquals("f", primary.queryOne("SELECT pg_is_in_recovery()"), "still a primary");
        assertEquals(started, primary.queryOne("SELECT pg_postmaster_start_time()::text"), "never restarted");
        assertEquals("1", primary.queryOne("SELECT count(*) FROM keep"));
        assertEquals(before, cloneTargets(primary.dataDir()), "the data directory's identity and configuration");
    }

    @Test
    void givenRegisteredStandby_whenClonedFromAHostOutsideTheCluster_thenRefusedAndNothingSentThere() throws Exception {
        PgTestInstance pg1 = pg.primary("node1");
        PgTestInstance pg2 = pg.empty("node2");
        agents.cluster(2, "manual", "");
        TestNode node1 = agents.node("test", 1, pg1, List.of());
        TestNode node2 = agents.node("test", 2, pg2, List.of());
        AgentProcess.startAll(List.of(node1.agent(), node2.agent()));
        ok(node1.console("-w", "8", "primary", "register"));
        // the first clone, before node2 is registered: the command says where the password goes (here: to the
        // primary the supervisor announced)
        ConsoleRun first = ok(node2.console("-p", Integer.toString(node1.port()), "-U", "postgres", "--verbose",
                "standby", "clone", "127.0.0.1"));
        assertTrue(first.stdout().contains("upstream 127.0.0.1:" + node1.port() + " is the primary of the current epoch"),
                first.describe());
        ok(node2.console("standby", "register"));
        Files.writeString(pg2.dataDir().resolve("precious.txt"), "keep me");
        Map<String, String> before = cloneTargets(pg2.dataDir());

        try (ServerSocket stranger = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new CopyOnWriteArrayList<>();
            CompletableFuture.runAsync(() -> {
                try {
                    while (!stranger.isClosed()) {
                        accepted.add(stranger.accept());
                    }
                } catch (IOException e) {
                    // closed: test over
                }
            });
            ConsoleRun run = exits(ExitCode.ERR_BAD_CONFIG.code(), node2.console("-F", "-p",
                    Integer.toString(stranger.getLocalPort()), "-U", "postgres", "standby", "clone", "127.0.0.1"));
            assertTrue(run.stderr().contains("not a registered node"), run.describe());
            ConsoleRun follow = exits(ExitCode.ERR_BAD_CONFIG.code(), node2.console("-p",
                    Integer.toString(stranger.getLocalPort()), "-U", "postgres", "standby", "follow", "127.0.0.1"));
            assertTrue(follow.stderr().contains("not a registered node"), follow.describe());
            assertEquals(List.of(), accepted, "no connection to the stranger");
        }
        assertEquals("t", pg2.queryOne("SELECT pg_is_in_recovery()"), "still a running standby");
        assertEquals(before, cloneTargets(pg2.dataDir()));
    }

    private static Map<String, String> cloneTargets(Path dataDir) {
        return DirSnapshot.of(dataDir).entries().entrySet().stream().filter(e -> CLONE_REPLACES.contains(e.getKey()))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }
}
