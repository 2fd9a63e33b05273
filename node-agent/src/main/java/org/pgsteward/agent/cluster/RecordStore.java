package org.pgsteward.agent.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import org.pgsteward.protocol.Json;
import org.pgsteward.protocol.cluster.StoredRecord;

/**
 * This agent's copy of the cluster record (DESIGN, safety model 7) and the highest supervisor term it promised,
 * kept durably in the file {@value #FILE_NAME} of the state directory (JSON; atomic write, fsync, 0600).
 *
 * <p>The supervisor's side of the protocol is single-decree Paxos with a stable leader: a new incarnation
 * <em>prepares</em> a term above every term a majority promised and adopts the newest record among that majority's
 * answers; it then <em>stores</em> each change with its term and a rising sequence number, and a change takes effect
 * once a majority stored it. An agent refuses a store of a term below its promise, so an older incarnation's late
 * writes never overwrite a newer one's. One store per state directory; thread-safe.
 */
public final class RecordStore {

    public static final String FILE_NAME = "cluster-record";

    private record Persisted(long promisedTerm, Optional<StoredRecord> stored) {}

    private final Path file;
    private final ObjectMapper json = Json.mapper();
    private long promisedTerm;
    private Optional<StoredRecord> stored;

    /**
     * Loads {@code stateDir/cluster-record}; missing means term 0 and no record.
     *
     * @throws IllegalStateException when the file is unreadable or malformed (named: guessing could lose a decision)
     */
    public RecordStore(Path stateDir) {
        this.file = stateDir.resolve(FILE_NAME);
        Persisted p;
        try {
            p = json.readValue(Files.readString(file), Persisted.class);
        } catch (NoSuchFileException e) {
            p = new Persisted(0, Optional.empty());
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the cluster record " + file + ": " + e.getMessage()
                    + "; fix or move it away (this agent then holds no copy of the record)", e);
        }
        this.promisedTerm = p.promisedTerm();
        this.stored = p.stored() == null ? Optional.empty() : p.stored();
    }

    public Path file() {
        return file;
    }

    public synchronized long promisedTerm() {
        return promisedTerm;
    }

    public synchronized Optional<StoredRecord> stored() {
        return stored;
    }

    /**
     * Promises {@code term} (persisted) when it is not below the current promise.
     *
     * @return whether promised
     * @throws UncheckedIOException when the file cannot be written; nothing changed
     */
    public synchronized boolean prepare(long term) {
        if (term < promisedTerm) {
            return false;
        }
        if (term > promisedTerm) {
            write(new Persisted(term, stored));
            promisedTerm = term;
        }
        return true;
    }

    /**
     * Stores {@code next} (persisted) unless its term is below the promise; an older or equal version is
     * acknowledged without a write (a repeat).
     *
     * @return whether this agent now holds {@code next} or a newer version of the same term
     * @throws UncheckedIOException when the file cannot be written; nothing changed
     */
    public synchronized boolean store(StoredRecord next) {
        if (next.term() < promisedTerm) {
            return false;
        }
        if (stored.isPresent() && !next.newerThan(stored.get())) {
            return stored.get().term() == next.term();
        }
        long promise = Math.max(promisedTerm, next.term());
        write(new Persisted(promise, Optional.of(next)));
        promisedTerm = promise;
        stored = Optional.of(next);
        return true;
    }

    private void write(Persisted p) {
        try {
            StateFiles.writeDurably(file, json.writeValueAsBytes(p));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the cluster record " + file + ": " + e, e);
        }
    }
}
