package org.pgsteward.console.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.StateDirectory;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.PostgresExtension;
import org.pgsteward.protocol.ExitCode;

/** A state directory belongs to one cluster: an agent of another refuses to start on it and changes nothing. */
class StateDirectoryOwnershipTest {

    @RegisterExtension
    final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    final AgentFixture agents = new AgentFixture();

    @Test
    void givenStateDirectoryOfAnotherCluster_whenTheAgentStarts_thenItExits1NamingTheDirectory_andNothingChanged()
            throws IOException {
        PgTestInstance p = pg.primary("solo");
        TestNode n = agents.node("test", 1, p, List.of());
        Path dir = n.stateDir();
        Files.writeString(dir.resolve("cluster-id"), "cluster=old\nnode-id=1\n");
        Files.writeString(dir.resolve("epoch"), "epoch=7\nprimary=2\n");
        Map<String, String> before = contents(dir);

        int exit = n.agent().runToExit(Duration.ofSeconds(60));

        String log = n.agent().logTail();
        assertEquals(ExitCode.ERR_BAD_CONFIG.code(), exit, log);
        assertTrue(log.contains("state directory " + dir + " holds another cluster's state"), log);
        assertTrue(log.contains("cluster old") && log.contains("epoch 7"), log);
        assertTrue(log.contains("move the directory away"), log);
        assertEquals(before, contents(dir));
    }

    @Test
    void givenFreshStateDirectory_whenTheAgentSeesItsPostgres_thenClusterIdRecordsItsSystemIdentifier() {
        PgTestInstance p = pg.primary("solo");
        TestNode n = agents.node("test", 1, p, List.of());
        long sysid = StateDirectory.systemIdentifierOf(p.dataDir()).orElseThrow();

        n.agent().start();

        Path file = n.stateDir().resolve(StateDirectory.FILE_NAME);
        Wait.until("cluster-id records the system identifier", Duration.ofSeconds(30),
                () -> Files.readString(file).contains("system-identifier=" + Long.toUnsignedString(sysid)));
        assertTrue(Files.isReadable(file));
        n.agent().stop();
    }

    /** The case: a cluster rebuilt under the same names (a new initdb: a new system identifier). */
    @Test
    void givenStateDirectoryOfAnEarlierClusterOfTheSameName_whenTheAgentStarts_thenItExits1NamingBothIdentifiers()
            throws IOException {
        PgTestInstance p = pg.primary("solo");
        TestNode n = agents.node("test", 1, p, List.of());
        Path dir = n.stateDir();
        Files.writeString(dir.resolve("cluster-id"), "cluster=test\nnode-id=1\nsystem-identifier=12345\n");
        Files.writeString(dir.resolve("epoch"), "epoch=9\nprimary=3\n");
        Map<String, String> before = contents(dir);

        int exit = n.agent().runToExit(Duration.ofSeconds(60));

        String log = n.agent().logTail();
        assertEquals(ExitCode.ERR_BAD_CONFIG.code(), exit, log);
        assertTrue(log.contains("state directory " + dir + " holds another cluster's state"), log);
        assertTrue(log.contains("system identifier 12345") && log.contains("epoch 9"), log);
        assertTrue(log.contains("the data directory's PostgreSQL has system identifier"), log);
        assertEquals(before, contents(dir));
    }

    private static Map<String, String> contents(Path dir) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                m.put(f.getFileName().toString(), Files.readString(f) + " " + Files.getLastModifiedTime(f));
            }
        }
        return m;
    }
}
