package org.pgsteward.agent.cluster;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The primary lease as this agent sees it, on its monotonic clock. Pure bookkeeping (no actor,
 * no clock of its own): the cluster link feeds it and asks it.
 *
 * <p>As primary, the lease is held while a majority of promises is unexpired, each counted from
 * when this agent sent the request. As voter, it remembers the
 * promise it gave and until when.
 */
final class LeaseState {

    private static final int MAX_PENDING = 64;

    private final long leaseNanos;
    private final long marginNanos;
    /** request seq -> when it was sent */
    private final Map<Long, Long> sent = new LinkedHashMap<>();
    /** node id -> until when its promise counts (our clock) */
    private final Map<Integer, Long> promises = new HashMap<>();

    private Optional<Integer> promisedTo = Optional.empty();
    private long promisedEpoch;
    private long promisedUntil = Long.MIN_VALUE;

    LeaseState(long leaseNanos, long marginNanos) {
        this.leaseNanos = leaseNanos;
        this.marginNanos = marginNanos;
    }

    long leaseNanos() {
        return leaseNanos;
    }

    // ---- as primary

    void requestSent(long seq, long nowNanos) {
        sent.put(seq, nowNanos);
        while (sent.size() > MAX_PENDING) {
            sent.remove(sent.keySet().iterator().next());
        }
    }

    Optional<Long> sentAt(long seq) {
        return Optional.ofNullable(sent.get(seq));
    }

    /**
     * A promise arrived for request {@code seq}: it counts from when that request was sent, for the shorter of this
     * agent's lease and what the voter granted (a voter on another configuration never stretches our view).
     */
    void promised(int nodeId, long seq, long grantedNanos) {
        long counted = Math.min(leaseNanos, grantedNanos);
        sentAt(seq).ifPresent(t -> promises.merge(nodeId, t + counted, Math::max));
    }

    /** Held at {@code atNanos}: promises from a majority of {@code members} (counted by {@link LocalRules.LeaseView}). */
    boolean held(long atNanos, int members) {
        return view(members).heldAt(atNanos);
    }

    /** The promises held now, for the pure {@link LocalRules}. */
    LocalRules.LeaseView view(int members) {
        return new LocalRules.LeaseView(members, java.util.List.copyOf(promises.values()));
    }

    /** The latest moment the lease is surely held, for logs. */
    long heldUntil(int members) {
        long byPromises = promises.values().stream().sorted(java.util.Comparator.reverseOrder())
                .skip(Math.max(0, members / 2)).findFirst().orElse(Long.MIN_VALUE);
        return byPromises;
    }

    void dropAll() {
        promises.clear();
    }

    // ---- as voter

    /** Promises {@code primaryId} not to vote for anyone else for {@code forNanos} from now. */
    void promise(int primaryId, long epoch, long nowNanos, long forNanos) {
        promisedTo = Optional.of(primaryId);
        promisedEpoch = epoch;
        promisedUntil = nowNanos + forNanos;
    }

    /** The node this agent promised, while that promise has not run out at {@code nowNanos}. */
    Optional<Integer> promisedTo(long nowNanos) {
        return promisedUntil - nowNanos > 0 ? promisedTo : Optional.empty();
    }

    /** How long (ns) the running promise lasts from {@code nowNanos}; 0 when none. */
    long promiseLeft(long nowNanos) {
        return promisedTo.isPresent() ? Math.max(0, promisedUntil - nowNanos) : 0;
    }

    /** How long (ns) until this agent may vote against {@code candidate}'s rival; 0 = now. */
    long voteBlockedFor(int candidateId, long nowNanos) {
        if (promisedTo.isEmpty() || promisedTo.get() == candidateId) {
            return 0;
        }
        long free = promisedUntil + marginNanos;
        return Math.max(0, free - nowNanos);
    }

    /** A primary released its lease (clean stop for a switchover): no promise to it holds any more. */
    void released(int primaryId) {
        if (promisedTo.equals(Optional.of(primaryId))) {
            clearPromise();
        }
    }

    void clearPromise() {
        promisedTo = Optional.empty();
        promisedUntil = Long.MIN_VALUE;
    }

    long promisedEpoch() {
        return promisedEpoch;
    }
}
