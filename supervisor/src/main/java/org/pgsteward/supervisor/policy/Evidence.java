package org.pgsteward.supervisor.policy;

import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;
import org.pgsteward.protocol.cluster.NodeReport;

/**
 * The two facts the supervisor learns from the agents rather than decides: since when the primary looks failed (the
 * clock {@link FailoverPolicy} counts the failover timeout on), and which epoch a new incarnation adopts from a
 * majority. Pure: reports and times in, values out.
 */
public final class Evidence {

    private Evidence() {}

    /**
     * Since when the primary looks failed, on the supervisor's clock. A clock already running is kept; otherwise (a new
     * incarnation, or a fresh failure) the standbys say how long both halves of the evidence have held for them, as of
     * when each report arrived (not now: a report can be half a renew interval old, and one the singleton proxy
     * buffered while the supervisor moved older still): the latest start among them counts, and arrival is after
     * sending, so the clock never predates the evidence. Never before {@code notBefore} (a rolled-back switchover's
     * planned stop is no evidence).
     *
     * @param running the clock as the last decision returned it
     * @param reports the reports of this incarnation (witnesses and standbys that reach the primary do not count)
     */
    public static Optional<Long> failedSince(Optional<Long> running, Collection<ObservedReport> reports,
                                             Optional<Long> notBefore, long nowNanos) {
        if (running.isPresent()) {
            return running;
        }
        var confirming = reports.stream().filter(o -> o.report().primaryReachable().equals(Optional.of(false))
                && !o.report().witness()).toList();
        if (confirming.isEmpty() || confirming.stream().anyMatch(o -> o.report().primaryUnreachableMillis() <= 0)) {
            return Optional.empty();
        }
        long since = confirming.stream()
                .mapToLong(o -> o.receivedAtNanos() - Duration.ofMillis(o.report().primaryUnreachableMillis()).toNanos())
                .reduce((a, b) -> a - b > 0 ? a : b).getAsLong(); // the later, by difference: nanoTime may wrap
        if (notBefore.isPresent() && since - notBefore.get() < 0) {
            since = notBefore.get();
        }
        return Optional.of(since);
    }

    /** An epoch a new incarnation adopts: the highest a fresh majority accepted, with the primary they name. */
    public record Learned(long epoch, Optional<Integer> primaryId) {}

    /**
     * The epoch to adopt from the fresh reports of a majority, or empty when the journal's is current: a higher epoch,
     * or the same one when the journal knows no primary for it.
     */
    public static Optional<Learned> fromMajority(long journalEpoch, boolean journalKnowsPrimary,
                                                 Collection<NodeReport> fresh) {
        Optional<NodeReport> highest = fresh.stream().max(Comparator.comparingLong(NodeReport::acceptedEpoch));
        long agentsEpoch = highest.map(NodeReport::acceptedEpoch).orElse(0L);
        if (agentsEpoch > journalEpoch || (agentsEpoch == journalEpoch && !journalKnowsPrimary && agentsEpoch > 0)) {
            return Optional.of(new Learned(agentsEpoch, highest.map(NodeReport::epochPrimaryId).filter(id -> id > 0)));
        }
        return Optional.empty();
    }
}
