package org.pgsteward.supervisor.policy;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A primary chosen for an epoch that does not become writable (issue 7.6, safety-2026-12 F9): its promote failed,
 * its agent was busy, or the Promote was lost when the supervisor moved. Pure, like {@link FailoverPolicy}: the
 * supervisor passes what it saw of the chosen primary and the time, and gets back what to do.
 *
 * <p>The rules, in order: a chosen primary that runs as primary of its epoch, or whose agent answered that it
 * promoted, is done (from then on only {@link FailoverPolicy}'s evidence may replace it); one that runs as a standby
 * of its epoch is told to promote again every {@code retryAfter}, up to {@code retries} times; then, or as soon
 * as it answers that it cannot promote, or once its agent has been unreachable for {@code unreachableFor} without
 * this supervisor ever seeing it run as primary, another candidate is chosen in a new epoch (through the vote, so
 * the leases keep two primaries apart). The old epoch's primary is never told to promote again once that is
 * decided: once {@link #next} has answered {@link Next.Replace} it answers it again on every call (another
 * replacement attempt, if one failed) until the epoch changes or the primary runs.
 *
 * <p>The replacement is chosen by {@link #replacement}: the ranking of {@link FailoverPolicy#rankCandidates}
 * without the chosen primary, and in synchronous mode only a member of the recorded set that is at least as
 * advanced as every member, the chosen primary included (it may hold the newest acknowledged commit).
 */
public final class ChosenPrimaryWatch {

    private ChosenPrimaryWatch() {}

    /**
     * @param retries        how often a chosen primary running as a standby is told to promote again
     * @param retryAfter     between two promote attempts
     * @param unreachableFor an agent unreachable this long before it ran as primary is given up on
     */
    public record Limits(int retries, Duration retryAfter, Duration unreachableFor) {}

    /** What the supervisor saw of the chosen primary now. */
    public enum Seen {
        /** Its report says PostgreSQL runs as primary in the epoch. */
        RUNS_AS_PRIMARY,
        /** Its fresh report says PostgreSQL runs as a standby in the epoch. */
        STANDBY,
        /** No fresh report, or its cluster member is unreachable. */
        UNREACHABLE,
        /** Anything else (down, fenced, hung, another epoch): {@link FailoverPolicy}'s to judge. */
        OTHER
    }

    /**
     * What this supervisor incarnation did about the chosen primary of one epoch.
     *
     * @param originalPromote  this incarnation sent the Promote of the election itself
     * @param retries          promote attempts made since
     * @param lastAttemptNanos when the last Promote was sent
     * @param unreachableSince since when its agent is unreachable, without a break
     * @param cannotPromote    the agent answered that it cannot promote: why
     * @param gaveUp           why another candidate is to be chosen: nothing more is asked of this one
     * @param promoted         its agent answered that the promotion succeeded: the watch ends its part (from now only
     *                         {@link FailoverPolicy}'s evidence may replace it, even before a report says "primary")
     */
    public record Watch(long epoch, int primaryId, boolean originalPromote, int retries, long lastAttemptNanos,
                        Optional<Long> unreachableSince, Optional<String> cannotPromote, Optional<String> gaveUp,
                        boolean promoted) {

        /** The supervisor just sent the elected primary its Promote. */
        public static Watch promoted(long epoch, int primaryId, long nowNanos) {
            return new Watch(epoch, primaryId, true, 0, nowNanos, Optional.empty(), Optional.empty(), Optional.empty(), false);
        }

        /** A chosen primary this incarnation did not promote itself (it learned the epoch, or it asked to be primary). */
        public static Watch found(long epoch, int primaryId, long nowNanos) {
            return new Watch(epoch, primaryId, false, 0, nowNanos - Duration.ofDays(1).toNanos(), Optional.empty(),
                    Optional.empty(), Optional.empty(), false);
        }

        public int attempts() {
            return retries + (originalPromote ? 1 : 0);
        }

        public Watch cannotPromote(String why) {
            return new Watch(epoch, primaryId, originalPromote, retries, lastAttemptNanos, unreachableSince,
                    Optional.of(why), gaveUp, promoted);
        }

        Watch retried(long nowNanos) {
            return new Watch(epoch, primaryId, originalPromote, retries + 1, nowNanos, Optional.empty(), cannotPromote,
                    gaveUp, promoted);
        }

        Watch unreachable(Optional<Long> since) {
            return new Watch(epoch, primaryId, originalPromote, retries, lastAttemptNanos, since, cannotPromote, gaveUp,
                    promoted);
        }

        Watch gaveUp(String why) {
            return new Watch(epoch, primaryId, originalPromote, retries, lastAttemptNanos, unreachableSince, cannotPromote,
                    Optional.of(why), promoted);
        }

        /** Its agent answered that it promoted: nothing more is asked of it, nothing replaces it but the evidence rule. */
        public Watch promoteSucceeded() {
            return new Watch(epoch, primaryId, originalPromote, retries, lastAttemptNanos, unreachableSince, cannotPromote,
                    gaveUp, true);
        }
    }

    public sealed interface Next {
        /** Nothing to do now; {@code watch} is the state to keep. */
        record Wait(Watch watch) implements Next {}

        /** Tell it to promote again: attempt {@code attempt} of the retries. */
        record Retry(Watch watch, int attempt, String why) implements Next {}

        /** Give up on it: choose another candidate in a new epoch. */
        record Replace(Watch watch, String why) implements Next {}

        /** It runs as primary: the watch ends. */
        record Done() implements Next {}
    }

    /** What to do about the watched primary, seen as {@code seen} at {@code nowNanos}. */
    public static Next next(Watch w, Seen seen, String name, long nowNanos, Limits limits) {
        if (seen == Seen.RUNS_AS_PRIMARY) {
            return new Next.Done();
        }
        if (w.promoted()) {
            return new Next.Wait(w); // a report saying "standby" may still be on its way; its agent may die now
        }
        if (w.gaveUp().isPresent()) {
            return new Next.Replace(w, w.gaveUp().get());
        }
        String who = name + " (node " + w.primaryId() + ")";
        if (w.cannotPromote().isPresent()) {
            return replace(w, who + " did not become primary in epoch " + w.epoch() + ": it cannot promote ("
                    + w.cannotPromote().get() + ")");
        }
        if (seen == Seen.UNREACHABLE) {
            Watch u = w.unreachableSince().isPresent() ? w : w.unreachable(Optional.of(nowNanos));
            long down = nowNanos - u.unreachableSince().get();
            if (down >= limits.unreachableFor().toNanos()) {
                return replace(u, who + " did not become primary in epoch " + w.epoch() + ": its agent has been "
                        + "unreachable for " + FailoverPolicy.fmt(down) + " without running as primary");
            }
            return new Next.Wait(u);
        }
        Watch reachable = w.unreachable(Optional.empty());
        if (seen != Seen.STANDBY || nowNanos - w.lastAttemptNanos() < limits.retryAfter().toNanos()) {
            return new Next.Wait(reachable);
        }
        if (w.retries() < limits.retries()) {
            Watch r = reachable.retried(nowNanos);
            return new Next.Retry(r, r.retries(), "node " + w.primaryId() + " is primary in epoch " + w.epoch()
                    + " but runs as a standby: telling it to promote again (attempt " + r.retries() + " of "
                    + limits.retries() + ")");
        }
        return replace(reachable, who + " did not become primary in epoch " + w.epoch() + " after "
                + w.attempts() + " promote attempts");
    }

    private static Next replace(Watch w, String why) {
        return new Next.Replace(w.gaveUp(why), why);
    }

    /**
     * The candidate to replace {@code failedId}, the chosen primary of {@code snapshot}'s epoch that never ran as
     * primary: a {@link Decision.Promote} in the next epoch, or a {@link Decision.NoCandidate} / {@link Decision.Paused}
     * saying why not. When no other member qualifies and {@code mayChooseItAgain} (the supervisor allows it once a
     * retry interval passed since its last promote attempt), the failed one itself is chosen again in the next epoch,
     * through a new vote, if it qualifies: with two data nodes, or in synchronous mode where it alone may hold the
     * newest acknowledged commit, choosing nobody would leave the cluster without a primary for good.
     */
    public static Decision replacement(PolicyConfig config, ClusterSnapshot snapshot, int failedId, String why,
                                       long nowNanos, boolean mayChooseItAgain) {
        if (snapshot.paused()) {
            return new Decision.Paused(why + "; another candidate is needed but the cluster is paused", Optional.empty());
        }
        // judged as if no primary ran: the failed one is a standby like the others, and may hold the newest WAL
        ClusterSnapshot withoutPrimary = new ClusterSnapshot(snapshot.epoch(), Optional.empty(), snapshot.paused(),
                snapshot.nodes(), snapshot.leaseExpiresAtNanos(), snapshot.incarnationStartedAtNanos(), Optional.empty(),
                snapshot.stateKnown(), snapshot.knownSyncStandbys());
        List<CandidateAssessment> all = FailoverPolicy.rankCandidates(config, withoutPrimary, nowNanos);
        List<CandidateAssessment> ranking = all.stream()
                .map(a -> a.nodeId() == failedId ? new CandidateAssessment(a.nodeId(), a.name(), false, a.receivedLsn(),
                        a.priority(), "did not become primary in epoch " + snapshot.epoch()) : a)
                .sorted((a, b) -> a.eligible() == b.eligible() ? 0 : a.eligible() ? -1 : 1)
                .toList();
        Optional<String> none = whyNone(config, withoutPrimary, ranking, nowNanos);
        if (none.isEmpty()) {
            CandidateAssessment winner = ranking.stream().filter(CandidateAssessment::eligible).findFirst().orElseThrow();
            return promote(snapshot, ranking, winner, why + ": choosing another candidate, ", "");
        }
        Optional<CandidateAssessment> failed = all.stream().filter(a -> a.nodeId() == failedId && a.eligible()).findFirst();
        if (mayChooseItAgain && failed.isPresent() && whyNone(config, withoutPrimary, all.stream()
                .filter(a -> a.nodeId() == failedId).toList(), nowNanos).isEmpty()) {
            return promote(snapshot, ranking, failed.get(), why + "; no other candidate: choosing ", " again in a new epoch");
        }
        return new Decision.NoCandidate(ranking, why + none.get(), Optional.empty());
    }

    /** Why none of {@code ranking} may be chosen (its first eligible one is the choice), or empty when one may. */
    private static Optional<String> whyNone(PolicyConfig config, ClusterSnapshot withoutPrimary,
                                            List<CandidateAssessment> ranking, long nowNanos) {
        Optional<CandidateAssessment> best = ranking.stream().filter(CandidateAssessment::eligible).findFirst();
        if (best.isEmpty()) {
            return Optional.of("; no other eligible candidate: " + ranking.stream().filter(a -> !a.eligible())
                    .map(a -> a.name() + ": " + a.why()).collect(Collectors.joining(" | ")));
        }
        if (config.synchronous()) {
            Optional<String> notCovered = FailoverPolicy.synchronousSetNotCovered(config, withoutPrimary, best.get(), nowNanos);
            if (notCovered.isPresent()) {
                return Optional.of("; no other candidate holds every acknowledged commit for sure: " + notCovered.get());
            }
        }
        return Optional.empty();
    }

    private static Decision promote(ClusterSnapshot snapshot, List<CandidateAssessment> ranking, CandidateAssessment winner,
                                    String before, String after) {
        return new Decision.Promote(winner.nodeId(), ranking, snapshot.epoch() + 1, before + winner.name() + " (node "
                + winner.nodeId() + ")" + after + winner.receivedLsn().map(l -> " at " + l).orElse(""), Optional.empty());
    }
}
