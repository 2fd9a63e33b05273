package org.pgsteward.agent.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgsteward.protocol.cluster.ClusterRecord;
import org.pgsteward.protocol.cluster.StoredRecord;

class RecordStoreTest {

    @TempDir
    Path dir;

    private static ClusterRecord record(long epoch, boolean paused) {
        return new ClusterRecord(epoch, 1, paused, List.of(new ClusterRecord.Member(1, "node1", 100, false,
                "host=10.0.0.1 port=5432")), List.of("node2", "node3"), Optional.empty());
    }

    @Test
    void givenStoredRecord_whenLoadedAgain_thenThePromiseAndTheRecordAreKept_privately() throws IOException {
        var store = new RecordStore(dir);
        assertTrue(store.prepare(3));
        assertTrue(store.store(new StoredRecord(3, 1, record(2, true))));

        var reloaded = new RecordStore(dir);
        assertEquals(3, reloaded.promisedTerm());
        assertEquals(Optional.of(new StoredRecord(3, 1, record(2, true))), reloaded.stored());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(store.file())));
    }

    @Test
    void givenPromiseOfATerm_whenAnOlderIncarnationWrites_thenRefusedAndNothingChanges() throws IOException {
        var store = new RecordStore(dir);
        store.prepare(2);
        store.store(new StoredRecord(2, 5, record(4, false)));
        assertTrue(store.prepare(3), "a newer incarnation");
        String before = Files.readString(store.file());

        assertFalse(store.store(new StoredRecord(2, 6, record(4, true))), "the older incarnation's late write");
        assertFalse(store.prepare(2));

        assertEquals(before, Files.readString(store.file()));
        assertTrue(store.store(new StoredRecord(3, 1, record(4, true))));
        assertEquals(3, store.stored().orElseThrow().term());
    }

    @Test
    void givenNewerVersion_whenAnOlderOfTheSameTermArrivesLate_thenAcknowledgedButNotStored() {
        var store = new RecordStore(dir);
        store.store(new StoredRecord(1, 2, record(1, true)));

        assertTrue(store.store(new StoredRecord(1, 1, record(1, false))), "a repeat of the same term is acknowledged");
        assertTrue(store.stored().orElseThrow().record().paused(), "the newer version stays");
    }

    @Test
    void givenMalformedFile_whenLoaded_thenAnErrorNamingIt() throws IOException {
        Files.writeString(dir.resolve(RecordStore.FILE_NAME), "{not json");

        var e = assertThrows(IllegalStateException.class, () -> new RecordStore(dir));
        assertTrue(e.getMessage().contains(RecordStore.FILE_NAME), e.getMessage());
    }
}
