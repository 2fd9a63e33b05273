package org.pgsteward.agent.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EpochStoreTest {

    @TempDir
    Path dir;

    @Test
    void givenNoFile_whenLoaded_thenEpochZeroAndNoPrimary() {
        var store = new EpochStore(dir.resolve("state"));
        assertEquals(0, store.current());
        assertEquals(Optional.empty(), store.primaryOfCurrentEpoch());
        assertFalse(Files.exists(dir.resolve("state")), "loading creates nothing");
    }

    @Test
    void givenAcceptedEpoch_whenLoadedAgain_thenPersisted() throws IOException {
        Path state = dir.resolve("state");
        assertTrue(new EpochStore(state).accept(7, 2));

        assertEquals("epoch=7\nprimary=2\n", Files.readString(state.resolve(EpochStore.FILE_NAME)));
        var reloaded = new EpochStore(state);
        assertEquals(7, reloaded.current());
        assertEquals(Optional.of(2), reloaded.primaryOfCurrentEpoch());
        assertFalse(Files.exists(state.resolve("epoch.tmp")), "no temp file left");
    }

    @Test
    void givenEpoch_whenLowerOffered_thenRefusedAndNothingChanges() throws IOException {
        var store = new EpochStore(dir);
        store.accept(5, 1);
        String before = Files.readString(store.file());

        assertFalse(store.accept(4, 3));

        assertEquals(5, store.current());
        assertEquals(Optional.of(1), store.primaryOfCurrentEpoch());
        assertEquals(before, Files.readString(store.file()));
    }

    @Test
    void givenEpoch_whenSameOfferedAgain_thenAcceptedIdempotently() throws IOException {
        var store = new EpochStore(dir);
        assertTrue(store.accept(5, 1));
        var modified = Files.getLastModifiedTime(store.file());

        assertTrue(store.accept(5, 1));

        assertEquals(5, store.current());
        assertEquals(modified, Files.getLastModifiedTime(store.file()), "nothing rewritten");
    }

    @Test
    void givenEpoch_whenSameEpochWithAnotherPrimary_thenRefused() {
        var store = new EpochStore(dir);
        store.accept(5, 1);

        assertFalse(store.accept(5, 2), "one epoch has one primary");

        assertEquals(Optional.of(1), new EpochStore(dir).primaryOfCurrentEpoch());
    }

    @Test
    void givenEpoch_whenHigherOffered_thenAcceptedAndPersisted() {
        var store = new EpochStore(dir);
        store.accept(5, 1);

        assertTrue(store.accept(6, 3));

        var reloaded = new EpochStore(dir);
        assertEquals(6, reloaded.current());
        assertEquals(Optional.of(3), reloaded.primaryOfCurrentEpoch());
    }

    @Test
    void givenCorruptFile_whenLoaded_thenErrorNamesTheFile() throws IOException {
        for (String content : List.of("", "epoch=seven\n", "primary=2\n", "epoch=3\nprimary=2\nleader=1\n",
                "epoch=-1\n", "epoch=3\nprimary=0\n")) {
            Files.writeString(dir.resolve(EpochStore.FILE_NAME), content);
            var e = assertThrows(IllegalStateException.class, () -> new EpochStore(dir), content);
            assertTrue(e.getMessage().contains(dir.resolve(EpochStore.FILE_NAME).toString()), e.getMessage());
        }
    }

    @Test
    void givenFileWithoutPrimary_whenLoaded_thenEpochOnly() throws IOException {
        Files.writeString(dir.resolve(EpochStore.FILE_NAME), "epoch=4\n");
        var store = new EpochStore(dir);
        assertEquals(4, store.current());
        assertEquals(Optional.empty(), store.primaryOfCurrentEpoch());
    }

    @Test
    void givenInvalidArguments_whenAccepted_thenRejected() {
        var store = new EpochStore(dir);
        assertThrows(IllegalArgumentException.class, () -> store.accept(-1, 1));
        assertThrows(IllegalArgumentException.class, () -> store.accept(1, 0));
    }

    @Test
    void givenConcurrentAccepts_whenAllDone_thenTheMaximumIsKeptInMemoryAndOnDisk() throws Exception {
        var store = new EpochStore(dir);
        int threads = 8;
        int perThread = 200;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        var start = new CountDownLatch(1);
        var results = new ArrayList<Future<Boolean>>();
        try {
            for (int t = 0; t < threads; t++) {
                int offset = t;
                results.add(pool.submit(() -> {
                    start.await();
                    boolean monotonic = true;
                    for (int i = 0; i < perThread; i++) {
                        long epoch = (long) i * threads + offset + 1; // 1 .. threads * perThread, interleaved
                        boolean accepted = store.accept(epoch, (int) (epoch % 5) + 1);
                        long now = store.current();
                        monotonic &= now >= epoch || !accepted;
                    }
                    return monotonic;
                }));
            }
            start.countDown();
            for (Future<Boolean> f : results) {
                assertTrue(f.get(60, TimeUnit.SECONDS), "an accepted epoch is never followed by a lower current");
            }
        } finally {
            pool.shutdownNow();
        }
        long max = (long) threads * perThread;
        assertEquals(max, store.current());
        assertEquals(Optional.of((int) (max % 5) + 1), store.primaryOfCurrentEpoch());
        var reloaded = new EpochStore(dir);
        assertEquals(max, reloaded.current());
        assertEquals(Optional.of((int) (max % 5) + 1), reloaded.primaryOfCurrentEpoch());
    }

    @Test
    void givenVote_whenLoadedAgain_thenVoteKeptAndAcceptedEpochUnchanged() throws IOException {
        var store = new EpochStore(dir);
        store.accept(3, 1);

        assertTrue(store.vote(4, 2));

        assertEquals("epoch=3\nprimary=1\nvoted=4:2\n", Files.readString(store.file()));
        var reloaded = new EpochStore(dir);
        assertEquals(3, reloaded.current());
        assertEquals(Optional.of(1), reloaded.primaryOfCurrentEpoch());
        assertEquals(Optional.of(new EpochStore.Vote(4, 2)), reloaded.vote());
        assertEquals(4, reloaded.highestSeen());
    }

    @Test
    void givenVote_whenItsEpochIsDecided_thenTheVoteIsDroppedFromTheFile() throws IOException {
        var store = new EpochStore(dir);
        store.accept(3, 1);
        store.vote(4, 2);

        assertTrue(store.accept(4, 2));

        assertEquals("epoch=4\nprimary=2\n", Files.readString(store.file()));
        assertEquals(Optional.empty(), store.vote());
    }

    @Test
    void givenVote_thenOneVoteAnEpochAndNoneInAnOlderOne() {
        var store = new EpochStore(dir);
        store.accept(3, 1);
        assertTrue(store.vote(5, 2));

        assertFalse(store.vote(5, 3), "another candidate in the same election");
        assertFalse(store.vote(4, 3), "an older election");
        assertFalse(store.vote(3, 2), "the accepted epoch with another primary");
        assertTrue(store.vote(5, 2), "the same vote again");
        assertTrue(store.vote(3, 1), "the decided epoch and its primary");
    }

    @Test
    void givenWrittenFile_thenOnlyItsOwnerMayReadIt() throws IOException {
        var store = new EpochStore(dir);
        store.accept(1, 1);

        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(store.file())));
    }
}
