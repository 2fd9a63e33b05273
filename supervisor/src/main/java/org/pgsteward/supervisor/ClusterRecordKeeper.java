package org.pgsteward.supervisor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.pgsteward.protocol.cluster.ClusterRecord;
import org.pgsteward.protocol.cluster.RecordReply;
import org.pgsteward.protocol.cluster.StoredRecord;

/**
 * This supervisor incarnation's side of the majority-held cluster record (DESIGN, safety model 7): the term it
 * prepared, the answers to its prepare, the versions it wrote and which agents stored them. Pure bookkeeping: no
 * actor and no clock of its own; the supervisor sends the messages and passes {@code nowNanos}.
 *
 * <p>Reading: a prepare of a term above every term a majority promised; once a majority answered, the newest
 * record among their answers is the cluster's. Writing: every change is a new version (this term, seq + 1) sent to
 * every agent; it is in effect once a majority stored it ({@link #effectiveSeq()}). A store refused for a newer
 * term means another incarnation took over: this one must stop deciding.
 */
final class ClusterRecordKeeper {

    private static final long RETRY_NANOS = 1_000_000_000L;

    private long term;
    private boolean prepared;
    private long prepareSentNanos = Long.MIN_VALUE / 2;
    private boolean preparing;
    private long highestRefusedTerm;
    private final Map<Integer, RecordReply> prepareAnswers = new HashMap<>();

    private Optional<StoredRecord> written = Optional.empty();
    private long writtenNanos;
    private final Map<Integer, Long> storedSeq = new HashMap<>();
    private final Map<Long, List<Runnable>> whenEffective = new HashMap<>();
    private final Map<Integer, String> conninfo = new HashMap<>();

    long term() {
        return term;
    }

    boolean prepared() {
        return prepared;
    }

    /** Whether a prepare is in flight and younger than the retry interval. */
    boolean preparing(long nowNanos) {
        return preparing && nowNanos - prepareSentNanos < RETRY_NANOS;
    }

    /** Starts a prepare of a term above {@code promisedByReports}, every earlier term and every refusal; returns it. */
    long startPrepare(long promisedByReports, long nowNanos) {
        term = Math.max(Math.max(promisedByReports, highestRefusedTerm), term) + 1;
        preparing = true;
        prepared = false;
        prepareSentNanos = nowNanos;
        prepareAnswers.clear();
        return term;
    }

    /**
     * An answer to the prepare: once a majority promised this term, the newest record among their answers (empty
     * inside when none of them holds one); empty while fewer answered.
     */
    Optional<Optional<StoredRecord>> prepareAnswered(RecordReply r, int majority) {
        if (!preparing || r.term() != term) {
            return Optional.empty();
        }
        if (!r.ok()) {
            highestRefusedTerm = Math.max(highestRefusedTerm, r.promisedTerm());
            preparing = false; // the next attempt takes a higher term
            return Optional.empty();
        }
        prepareAnswers.put(r.nodeId(), r);
        if (prepareAnswers.size() < majority) {
            return Optional.empty();
        }
        preparing = false;
        prepared = true;
        Optional<StoredRecord> newest = Optional.empty();
        for (RecordReply a : prepareAnswers.values()) {
            if (a.stored().isPresent() && (newest.isEmpty() || a.stored().get().newerThan(newest.get()))) {
                newest = a.stored();
            }
        }
        newest.ifPresent(n -> written = Optional.of(new StoredRecord(term, 0, n.record())));
        storedSeq.clear();
        return Optional.of(newest);
    }

    /** This incarnation lost its term (a newer one exists) or has to learn again: it decides nothing until then. */
    void lost(long newerTerm) {
        highestRefusedTerm = Math.max(highestRefusedTerm, newerTerm);
        prepared = false;
        preparing = false;
        whenEffective.clear();
    }

    /**
     * The version to send when {@code desired} differs from what was last written (a new seq), or the last one again
     * when it is not yet in effect and a retry is due; empty when nothing is to be sent.
     */
    Optional<StoredRecord> toSend(ClusterRecord desired, long nowNanos, int majority) {
        if (!prepared) {
            return Optional.empty();
        }
        if (written.isEmpty() || !written.get().record().equals(desired) || written.get().term() != term) {
            long seq = written.filter(w -> w.term() == term).map(StoredRecord::seq).orElse(0L) + 1;
            written = Optional.of(new StoredRecord(term, seq, desired));
            writtenNanos = nowNanos;
            return written;
        }
        if (effectiveSeq(majority) < written.get().seq() && nowNanos - writtenNanos > RETRY_NANOS / 2) {
            writtenNanos = nowNanos;
            return written;
        }
        return Optional.empty();
    }

    /**
     * An answer to a store: the callbacks of every version now in effect, to run; a refusal for a newer term is
     * returned as {@code lostTo} by the caller checking {@link RecordReply#promisedTerm()}.
     */
    List<Runnable> storeAnswered(RecordReply r, int majority) {
        if (!r.ok() || r.term() != term) {
            return List.of();
        }
        storedSeq.merge(r.nodeId(), r.seq(), Math::max);
        long effective = effectiveSeq(majority);
        List<Runnable> run = new ArrayList<>();
        for (var it = whenEffective.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey() <= effective) {
                run.addAll(e.getValue());
                it.remove();
            }
        }
        return run;
    }

    /** The highest version a majority of agents stored in this term (0: none yet). */
    long effectiveSeq(int majority) {
        List<Long> seqs = new ArrayList<>(storedSeq.values());
        seqs.sort(java.util.Comparator.reverseOrder());
        return seqs.size() >= majority ? seqs.get(majority - 1) : 0;
    }

    /** How many agents stored the last written version. */
    int holders() {
        long seq = written.map(StoredRecord::seq).orElse(0L);
        return (int) storedSeq.values().stream().filter(s -> s >= seq).count();
    }

    /** The version last written (or adopted), if any. */
    Optional<StoredRecord> written() {
        return written;
    }

    /** Runs {@code action} once the last written version is in effect (now, when it already is). */
    void whenEffective(Runnable action, int majority) {
        long seq = written.map(StoredRecord::seq).orElse(0L);
        if (seq > 0 && effectiveSeq(majority) >= seq) {
            action.run();
            return;
        }
        whenEffective.computeIfAbsent(seq, k -> new ArrayList<>()).add(action);
    }

    /** Conninfos of members, from their reports: the record keeps them for a new incarnation. */
    void conninfo(int nodeId, String value) {
        if (!value.isBlank()) {
            conninfo.put(nodeId, value);
        }
    }

    Optional<String> conninfo(int nodeId) {
        return Optional.ofNullable(conninfo.get(nodeId))
                .or(() -> written.flatMap(w -> w.record().member(nodeId)).map(ClusterRecord.Member::conninfo)
                        .filter(c -> !c.isBlank()));
    }
}
