package org.pgsteward.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgsteward.agent.cluster.EpochStore;

class StateDirectoryTest {

    @TempDir
    Path tmp;

    private static final long SYSID = 0xF234_5678_9ABC_DEF0L; // above Long.MAX_VALUE: printed unsigned

    @Test
    void givenNoDirectory_whenOpened_thenCreated0700_andClusterIdWritten0600() throws IOException {
        Path dir = tmp.resolve("test-node1");
        StateDirectory.open(dir, "test", 1, Optional.empty());

        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        Path file = dir.resolve(StateDirectory.FILE_NAME);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(Optional.of(new StateDirectory.Identity("test", 1, Optional.empty())), StateDirectory.read(file));
        assertEquals(List.of(StateDirectory.FILE_NAME), names(dir));
    }

    @Test
    void givenItsOwnDirectory_whenOpenedAgain_thenAccepted_andTheSystemIdentifierRecordedAtFirstSight() {
        Path dir = tmp.resolve("s");
        StateDirectory.open(dir, "test", 1, Optional.empty());
        StateDirectory again = StateDirectory.open(dir, "test", 1, Optional.of(SYSID));

        assertEquals(Optional.of(SYSID), again.identity().systemIdentifier());
        assertTrue(again.systemIdentifierKnown());
        assertTrue(text(dir).contains("system-identifier=" + Long.toUnsignedString(SYSID)), text(dir));
        assertEquals(Optional.of(SYSID), StateDirectory.open(dir, "test", 1, Optional.of(SYSID)).identity().systemIdentifier());
        // a data directory not there (yet: a node to be re-cloned) does not refuse
        StateDirectory.open(dir, "test", 1, Optional.empty());
    }

    @Test
    void givenRecordedSystemIdentifier_whenRecordedAgainWithAnother_thenNothingChanges() {
        Path dir = tmp.resolve("s");
        StateDirectory s = StateDirectory.open(dir, "test", 1, Optional.of(SYSID));
        assertFalse(s.recordSystemIdentifier(42));
        assertTrue(s.recordSystemIdentifier(SYSID));
        assertEquals(Optional.of(SYSID), StateDirectory.read(dir.resolve(StateDirectory.FILE_NAME)).get().systemIdentifier());
    }

    @Test
    void givenAnotherClustersDirectory_whenOpened_thenRefusedNamingDirectoryContentsAndReset_andNothingChanged()
            throws IOException {
        Path dir = tmp.resolve("test-node1");
        StateDirectory.open(dir, "old", 1, Optional.of(SYSID));
        new EpochStore(dir).accept(7, 2);
        Map<String, String> before = contents(dir);

        var refused = assertThrows(StateDirectory.Refused.class, () -> StateDirectory.open(dir, "test", 1, Optional.empty()));

        String m = refused.getMessage();
        assertTrue(m.contains(dir.toString()), m);
        assertTrue(m.contains("cluster old"), m);
        assertTrue(m.contains("node id 1"), m);
        assertTrue(m.contains(Long.toUnsignedString(SYSID)), m);
        assertTrue(m.contains("epoch 7"), m);
        assertTrue(m.contains("this agent is of cluster test"), m);
        assertTrue(m.contains("move the directory away") && m.contains("agent.state-dir"), m);
        assertEquals(before, contents(dir));
    }

    @Test
    void givenAnotherNodesDirectory_whenOpened_thenRefused() {
        Path dir = tmp.resolve("s");
        StateDirectory.open(dir, "test", 1, Optional.empty());
        var refused = assertThrows(StateDirectory.Refused.class, () -> StateDirectory.open(dir, "test", 2, Optional.empty()));
        assertTrue(refused.getMessage().contains("this agent is node id 2"), refused.getMessage());
    }

    @Test
    void givenADataDirectoryOfAnotherCluster_whenOpened_thenRefused() throws IOException {
        Path dir = tmp.resolve("s");
        StateDirectory.open(dir, "test", 1, Optional.of(SYSID));
        Map<String, String> before = contents(dir);
        var refused = assertThrows(StateDirectory.Refused.class, () -> StateDirectory.open(dir, "test", 1, Optional.of(42L)));
        assertTrue(refused.getMessage().contains("system identifier 42"), refused.getMessage());
        assertEquals(before, contents(dir));
    }

    @Test
    void givenAnEarlierVersionsDirectory_withAnEpochFileButNoClusterId_whenOpened_thenAdopted() throws IOException {
        Path dir = tmp.resolve("s");
        Files.createDirectories(dir);
        new EpochStore(dir).accept(3, 1);

        StateDirectory s = StateDirectory.open(dir, "test", 1, Optional.empty());

        assertEquals(new StateDirectory.Identity("test", 1, Optional.empty()), s.identity());
        assertEquals(3, new EpochStore(dir).current());
        assertEquals(List.of(StateDirectory.FILE_NAME, EpochStore.FILE_NAME), names(dir));
    }

    @Test
    void givenMalformedClusterId_whenOpened_thenAnErrorNamingTheFile() throws IOException {
        Path dir = tmp.resolve("s");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(StateDirectory.FILE_NAME), "node-id=1\n");
        var e = assertThrows(IllegalStateException.class, () -> StateDirectory.open(dir, "test", 1, Optional.empty()));
        assertTrue(e.getMessage().contains(dir.resolve(StateDirectory.FILE_NAME).toString()), e.getMessage());
    }

    @Test
    void givenPgControl_thenTheSystemIdentifierIsItsFirstEightBytes_andNoneWithoutADataDirectory() throws IOException {
        Path data = tmp.resolve("data");
        Files.createDirectories(data.resolve("global"));
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putLong(SYSID).putLong(99);
        Files.write(data.resolve("global").resolve("pg_control"), b.array());

        assertEquals(Optional.of(SYSID), StateDirectory.systemIdentifierOf(data));
        assertEquals(Optional.empty(), StateDirectory.systemIdentifierOf(tmp.resolve("none")));
    }

    private static String text(Path dir) {
        try {
            return Files.readString(dir.resolve(StateDirectory.FILE_NAME));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static Map<String, String> contents(Path dir) throws IOException {
        Map<String, String> m = new TreeMap<>();
        for (String n : names(dir)) {
            Path p = dir.resolve(n);
            m.put(n, Files.readString(p) + " " + Files.getLastModifiedTime(p) + " "
                    + PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
        }
        return m;
    }
}
