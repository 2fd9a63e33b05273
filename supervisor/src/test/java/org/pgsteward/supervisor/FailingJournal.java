package org.pgsteward.supervisor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.pekko.dispatch.Futures;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.japi.AsyncWriteJournal;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;

/**
 * An in-memory journal plugin a test can break: while {@link #failReads} is set, recovery fails (as a corrupt or
 * locked H2 file does); while {@link #failWrites} is set, every persist fails (as on a full disk).
 */
public final class FailingJournal extends AsyncWriteJournal {

    static volatile boolean failReads;
    static volatile boolean failWrites;
    static volatile String error = "journal broken by the test";

    private static final Map<String, List<PersistentRepr>> EVENTS = new ConcurrentHashMap<>();

    static void heal() {
        failReads = false;
        failWrites = false;
    }

    @Override
    public Future<Void> doAsyncReplayMessages(String persistenceId, long fromSequenceNr, long toSequenceNr, long max,
                                              Consumer<PersistentRepr> replayCallback) {
        if (failReads) {
            return Futures.failed(new IllegalStateException(error));
        }
        long n = 0;
        for (PersistentRepr p : List.copyOf(EVENTS.getOrDefault(persistenceId, List.of()))) {
            if (p.sequenceNr() >= fromSequenceNr && p.sequenceNr() <= toSequenceNr && n++ < max) {
                replayCallback.accept(p);
            }
        }
        return Futures.successful(null);
    }

    @Override
    public Future<Long> doAsyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
        if (failReads) {
            return Futures.failed(new IllegalStateException(error));
        }
        List<PersistentRepr> events = EVENTS.getOrDefault(persistenceId, List.of());
        return Futures.successful(events.isEmpty() ? 0L : events.get(events.size() - 1).sequenceNr());
    }

    @Override
    public Future<Iterable<Optional<Exception>>> doAsyncWriteMessages(Iterable<AtomicWrite> messages) {
        if (failWrites) {
            return Futures.failed(new IllegalStateException(error));
        }
        List<Optional<Exception>> results = new ArrayList<>();
        for (AtomicWrite w : messages) {
            EVENTS.computeIfAbsent(w.persistenceId(), k -> new java.util.concurrent.CopyOnWriteArrayList<>())
                    .addAll(CollectionConverters.asJava(w.payload()));
            results.add(Optional.empty());
        }
        return Futures.successful(results);
    }

    @Override
    public Future<Void> doAsyncDeleteMessagesTo(String persistenceId, long toSequenceNr) {
        EVENTS.computeIfPresent(persistenceId, (k, v) -> {
            v.removeIf(p -> p.sequenceNr() <= toSequenceNr);
            return v;
        });
        return Futures.successful(null);
    }
}
