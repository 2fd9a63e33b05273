package org.pgsteward.supervisor.policy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.pgsteward.protocol.Lsn;
import org.pgsteward.protocol.cluster.LocalRecovery;
import org.pgsteward.protocol.cluster.NodeReport;
import org.pgsteward.protocol.cluster.PgState;

/**
 * Decides whether to fail over: state in, decision out. No actors, no I/O, no clock (the caller passes
 * {@code nowNanos} from the same monotonic clock as every time in the snapshot), so every rule of the
 * DESIGN safety model (3: evidence, 4: best candidate, 2: lease) is testable as a table.
 *
 * <p>Order of checks in {@link #decide}: state known and a primary registered → the primary's own state
 * (evidence a) → nobody sees its PostgreSQL alive and a standby confirms (evidence b) → continuous for
 * the failover timeout (c) → paused → manual mode → a hung primary fenced by its agent → lease surely expired (d)
 * → best candidate.
 *
 * <p>A primary whose agent reports its PostgreSQL hung (not answering, its postmaster not running) is failed
 * evidence (a) from that report on, so the failover timeout runs while its agent gives it failover.timeout plus
 * its restart budget; it is promoted over only once its agent has given up and fenced it (FENCED): the fence is
 * complete before the promotion. A slow one (not answering in time, its postmaster running) is never failed.
 */
public final class FailoverPolicy {

    private FailoverPolicy() {}

    /** The decision for this snapshot at {@code nowNanos}. */
    public static Decision decide(PolicyConfig config, ClusterSnapshot snapshot, long nowNanos) {
        // Until a majority has reported, this incarnation may not know the real primary or epoch.
        // The failure clock is dropped too: evidence must be seen for a whole timeout by a supervisor that knows.
        if (!snapshot.stateKnown()) {
            return new Decision.NotReady("cluster state not yet known from a majority of agents", Optional.empty());
        }
        if (snapshot.primaryId().isEmpty()) {
            return new Decision.NotReady("no primary registered", Optional.empty());
        }
        int primaryId = snapshot.primaryId().get();
        Optional<NodeView> primaryView = snapshot.primary();
        if (primaryView.isEmpty()) {
            return new Decision.NotReady("primary node " + primaryId + " is not a registered node", Optional.empty());
        }
        NodeView primary = primaryView.get();
        String who = label(primary);

        PrimaryCondition condition = primaryCondition(config, primary, nowNanos);
        if (condition instanceof PrimaryCondition.Fine fine) {
            return new Decision.Healthy("primary " + who + " " + fine.why(), Optional.empty());
        }
        if (condition instanceof PrimaryCondition.NotYet notYet) {
            return new Decision.WaitForEvidence("primary " + who + " " + notYet.why(), Optional.empty());
        }
        String failure = ((PrimaryCondition.Failed) condition).why();
        boolean awaitsFence = ((PrimaryCondition.Failed) condition).awaitsFence();

        Optional<String> seenAlive = primaryPostgresSeenAliveBecause(config, snapshot, nowNanos);
        if (seenAlive.isPresent()) {
            return new Decision.WaitForEvidence("primary " + who + ": " + failure + ", but " + seenAlive.get()
                    + " (a dead agent with a live PostgreSQL is not a database failure)", Optional.empty());
        }
        List<String> confirming = confirmingStandbys(config, snapshot, nowNanos);
        if (confirming.isEmpty()) {
            return new Decision.WaitForEvidence("primary " + who + ": " + failure
                    + ", but no reachable standby has confirmed that it cannot reach the primary's PostgreSQL",
                    Optional.empty());
        }
        String evidence = "primary " + who + ": " + failure + "; " + String.join(", ", confirming)
                + (confirming.size() == 1 ? " confirms" : " confirm") + " its PostgreSQL unreachable";

        long since = snapshot.primaryLooksFailedSinceNanos().orElse(nowNanos);
        Optional<Long> keep = Optional.of(since);
        long failedFor = nowNanos - since;
        long timeout = config.failoverTimeout().toNanos();
        if (failedFor < timeout) {
            return new Decision.WaitForEvidence(evidence + "; failed for " + fmt(Math.max(0, failedFor)) + " of "
                    + fmt(timeout) + " failover timeout, " + fmt(timeout - Math.max(0, failedFor)) + " left", keep);
        }
        evidence += "; failed for " + fmt(failedFor);

        if (snapshot.paused()) {
            return new Decision.Paused(evidence + "; failover needed but the cluster is paused", keep);
        }
        List<CandidateAssessment> ranking = rankCandidates(config, snapshot, nowNanos);
        Optional<CandidateAssessment> best = ranking.stream().filter(CandidateAssessment::eligible).findFirst();
        long leaseUntil = leaseSurelyExpiredAfterNanos(config, snapshot);
        boolean leaseExpired = nowNanos - leaseUntil > 0; // difference, not comparison: nanoTime may wrap

        if (config.mode() == PolicyConfig.Mode.MANUAL) {
            String lease = leaseExpired ? "the lease has expired"
                    : "the lease may be held for another " + fmt(leaseUntil - nowNanos);
            return new Decision.ReportOnly(best.map(CandidateAssessment::nodeId),
                    ranking, evidence + "; manual mode: failover needed, "
                    + best.map(b -> "best candidate " + label(b)).orElse("no eligible candidate") + "; " + lease,
                    keep);
        }
        if (awaitsFence) {
            return new Decision.WaitForEvidence(evidence + "; waiting for its agent to fence it (a hung primary is "
                    + "replaced only once it is fenced)", keep);
        }
        if (!leaseExpired) {
            return new Decision.WaitForLease(leaseUntil, evidence + "; waiting " + fmt(leaseUntil - nowNanos)
                    + " until the primary's lease has surely expired", keep);
        }
        if (best.isEmpty()) {
            return new Decision.NoCandidate(ranking, evidence + "; no eligible candidate: " + ranking.stream()
                    .filter(a -> !a.eligible()).map(a -> a.name() + ": " + a.why())
                    .collect(Collectors.joining(" | ")), keep);
        }
        CandidateAssessment winner = best.get();
        if (config.synchronous()) {
            Optional<String> notCovered = synchronousSetNotCovered(config, snapshot, winner, nowNanos);
            if (notCovered.isPresent()) {
                return new Decision.NoCandidate(ranking, evidence + "; no candidate holds every acknowledged commit for "
                        + "sure: " + notCovered.get(), keep);
            }
        }
        long newEpoch = snapshot.epoch() + 1;
        return new Decision.Promote(winner.nodeId(), ranking, newEpoch, evidence + "; lease expired; promoting "
                + label(winner) + winner.receivedLsn().map(l -> " at " + l).orElse("") + " in epoch " + newEpoch,
                keep);
    }

    /**
     * Every registered node judged as a candidate to replace the primary: the eligible ones first, best
     * first (most advanced received LSN, then higher priority, then lower node id), then the others by
     * node id, each with why.
     */
    public static List<CandidateAssessment> rankCandidates(PolicyConfig config, ClusterSnapshot snapshot,
                                                           long nowNanos) {
        Optional<Lsn> top = highestKnownPosition(snapshot);
        Optional<NodeReport> primaryReport = snapshot.primary().flatMap(NodeView::latestReport)
                .map(ObservedReport::report);
        List<CandidateAssessment> eligible = new ArrayList<>();
        List<CandidateAssessment> others = new ArrayList<>();
        for (NodeView node : snapshot.nodes()) {
            CandidateAssessment a = assess(config, snapshot, node, primaryReport, top, nowNanos);
            (a.eligible() ? eligible : others).add(a);
        }
        eligible.sort(BEST_FIRST);
        others.sort(Comparator.comparingInt(CandidateAssessment::nodeId));
        List<CandidateAssessment> all = new ArrayList<>(eligible);
        all.addAll(others);
        return List.copyOf(all);
    }

    /** Most advanced WAL first, then higher priority, then lower node id. */
    static final Comparator<CandidateAssessment> BEST_FIRST = Comparator
            .comparing((CandidateAssessment a) -> a.receivedLsn().orElse(Lsn.ZERO), Comparator.reverseOrder())
            .thenComparing(CandidateAssessment::priority, Comparator.reverseOrder())
            .thenComparingInt(CandidateAssessment::nodeId);

    /**
     * True when some reachable agent other than the primary's still sees the primary's PostgreSQL: it says
     * so ({@code primaryReachable}), or, having no answer of its own yet, it streams from the primary's address
     * (an agent's own "cannot reach" wins over its WAL receiver's stale "streaming"). Streaming from an address
     * that cannot be attributed to another node also counts (the primary's conninfo may name it
     * differently), as does streaming at all when the primary's address is unknown.
     */
    public static boolean primaryPostgresSeenAlive(PolicyConfig config, ClusterSnapshot snapshot, long nowNanos) {
        return primaryPostgresSeenAliveBecause(config, snapshot, nowNanos).isPresent();
    }

    /**
     * After this instant (supervisor clock) no lease granted by this or an earlier incarnation can still
     * be held: the later of the lease this incarnation granted and the longest one an earlier incarnation
     * could have granted before this one started, plus the margin.
     */
    public static long leaseSurelyExpiredAfterNanos(PolicyConfig config, ClusterSnapshot snapshot) {
        long incarnationBound = snapshot.incarnationStartedAtNanos() + config.leaseDuration().toNanos();
        long granted = snapshot.leaseExpiresAtNanos().orElse(incarnationBound);
        // max by difference (nanoTime may wrap); the incarnation bound also covers a lease from before the start
        long later = granted - incarnationBound > 0 ? granted : incarnationBound;
        return later + config.leaseMargin().toNanos();
    }

    /** The node's report if its agent counts as reachable now: cluster member reachable and report fresh. */
    static Optional<NodeReport> freshReport(PolicyConfig config, NodeView node, long nowNanos) {
        return unreachableBecause(config, node, nowNanos).isPresent()
                ? Optional.empty()
                : node.latestReport().map(ObservedReport::report);
    }

    /** Why the node's agent counts as unreachable, or empty when it is reachable. */
    static Optional<String> unreachableBecause(PolicyConfig config, NodeView node, long nowNanos) {
        if (!node.memberReachable()) {
            return Optional.of("cluster member unreachable");
        }
        if (node.latestReport().isEmpty()) {
            return Optional.of("no report");
        }
        long age = nowNanos - node.latestReport().get().receivedAtNanos();
        long staleAfter = config.reportStaleAfter().toNanos();
        if (age > staleAfter) {
            return Optional.of("last report " + fmt(age) + " old > " + fmt(staleAfter));
        }
        return Optional.empty();
    }

    /** Highest WAL position anyone reported: the primary's currentLsn and every standby's received/replayed. */
    static Optional<Lsn> highestKnownPosition(ClusterSnapshot snapshot) {
        Optional<Lsn> top = snapshot.primary().flatMap(NodeView::latestReport)
                .flatMap(r -> lsn(r.report().currentLsn()));
        for (NodeView node : snapshot.nodes()) {
            if (snapshot.primaryId().equals(Optional.of(node.id())) || node.member().witness()) {
                continue;
            }
            Optional<Lsn> pos = node.latestReport().flatMap(r -> position(r.report()));
            top = max(top, pos);
        }
        return top;
    }

    /** How far a standby has WAL: max(received, replayed) (replayed can lead after a restart of the receiver). */
    static Optional<Lsn> position(NodeReport report) {
        return max(lsn(report.receivedLsn()), lsn(report.replayedLsn()));
    }

    /** An LSN from report text; unparseable text counts as unknown rather than failing the decision. */
    static Optional<Lsn> lsn(Optional<String> text) {
        try {
            return text.map(Lsn::parse);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    // ---- evidence ----

    private sealed interface PrimaryCondition {
        record Fine(String why) implements PrimaryCondition {}

        record NotYet(String why) implements PrimaryCondition {}

        /** @param awaitsFence failed, but its agent has yet to fence it: no promotion before it has */
        record Failed(String why, boolean awaitsFence) implements PrimaryCondition {
            Failed(String why) {
                this(why, false);
            }
        }
    }

    /** Evidence (a): what the primary's own agent says, or that it cannot say anything. */
    private static PrimaryCondition primaryCondition(PolicyConfig config, NodeView primary, long nowNanos) {
        Optional<String> unreachable = unreachableBecause(config, primary, nowNanos);
        if (unreachable.isPresent()) {
            return new PrimaryCondition.Failed("agent unreachable (" + unreachable.get() + ")");
        }
        NodeReport r = primary.latestReport().orElseThrow().report();
        return switch (r.pg()) {
            case PRIMARY -> new PrimaryCondition.Fine("is running");
            case FENCED -> new PrimaryCondition.Failed(r.localRecovery() == LocalRecovery.GAVE_UP
                    ? "PostgreSQL fenced by its agent, which gave up on it (" + r.detail() + ")"
                    : "PostgreSQL fenced by its agent");
            case HUNG -> new PrimaryCondition.Failed("PostgreSQL hung (" + r.detail() + "); its agent "
                    + (r.localRecovery() == LocalRecovery.GAVE_UP ? "gave up and is fencing it"
                    : "fences it once that has lasted failover.timeout plus its restart budget"), true);
            case SLOW -> new PrimaryCondition.NotYet("reports PostgreSQL slow (" + r.detail()
                    + "): a loaded primary is no failure");
            case DOWN -> r.localRecovery() == LocalRecovery.GAVE_UP
                    ? new PrimaryCondition.Failed("PostgreSQL down and its agent gave up restarting it")
                    : new PrimaryCondition.NotYet("reports PostgreSQL down; its agent is "
                    + (r.localRecovery() == LocalRecovery.RESTARTING ? "restarting it" : "not done with it yet")
                    + ": giving it time");
            case BUSY -> new PrimaryCondition.NotYet("reports PostgreSQL busy (its agent is working on it)");
            case STANDBY, NONE -> new PrimaryCondition.NotYet("reports PostgreSQL " + r.pg()
                    + ", which is no failure by the evidence rule; an operator should look");
        };
    }

    /** Evidence (b), first half: the reason some reachable agent still sees the primary's PostgreSQL. */
    private static Optional<String> primaryPostgresSeenAliveBecause(PolicyConfig config, ClusterSnapshot snapshot,
                                                                    long nowNanos) {
        Optional<Integer> primaryId = snapshot.primaryId();
        List<PgEndpoint> primaryEndpoints = snapshot.primary().flatMap(NodeView::latestReport)
                .map(r -> PgEndpoint.fromConninfo(r.report().conninfo())).orElse(List.of());
        // addresses of the other nodes: streaming from one of them is cascading, not a sign of the primary
        Set<PgEndpoint> otherEndpoints = new HashSet<>();
        for (NodeView node : snapshot.nodes()) {
            if (!primaryId.equals(Optional.of(node.id()))) {
                node.latestReport().ifPresent(r -> otherEndpoints.addAll(PgEndpoint.fromConninfo(r.report().conninfo())));
            }
        }
        otherEndpoints.removeAll(primaryEndpoints);

        for (NodeView node : snapshot.nodes()) {
            if (primaryId.equals(Optional.of(node.id()))) {
                continue;
            }
            Optional<NodeReport> fresh = freshReport(config, node, nowNanos);
            if (fresh.isEmpty()) {
                continue; // an unreachable agent's old view is no evidence either way
            }
            NodeReport r = fresh.get();
            if (r.primaryReachable().equals(Optional.of(true))) {
                return Optional.of(label(node) + " still reaches the primary's PostgreSQL");
            }
            // a standby that looked and could not reach the primary is believed over its WAL receiver, which behind a
            // cut network link says "streaming" until wal_receiver_timeout
            if (r.primaryReachable().isEmpty() && r.streamingFrom().isPresent()) {
                String from = r.streamingFrom().get();
                Optional<PgEndpoint> upstream = PgEndpoint.fromHostPort(from);
                if (upstream.isEmpty()) {
                    return Optional.of(label(node) + " streams from '" + from
                            + "', which cannot be ruled out as the primary");
                }
                if (primaryEndpoints.contains(upstream.get())) {
                    return Optional.of(label(node) + " still streams from the primary (" + from + ")");
                }
                if (primaryEndpoints.isEmpty()) {
                    return Optional.of(label(node) + " streams from " + from
                            + " and the primary's address is unknown");
                }
                if (!otherEndpoints.contains(upstream.get())) {
                    return Optional.of(label(node) + " streams from " + from
                            + ", which is no other node's address: it may be the primary");
                }
            }
        }
        return Optional.empty();
    }

    /** Evidence (b), second half: reachable standbys that looked and could not reach the primary. */
    private static List<String> confirmingStandbys(PolicyConfig config, ClusterSnapshot snapshot, long nowNanos) {
        List<String> out = new ArrayList<>();
        for (NodeView node : snapshot.nodes()) {
            if (snapshot.primaryId().equals(Optional.of(node.id())) || node.member().witness()) {
                continue;
            }
            freshReport(config, node, nowNanos)
                    .filter(r -> r.primaryReachable().equals(Optional.of(false)))
                    .ifPresent(r -> out.add(label(node)));
        }
        return out;
    }

    // ---- candidates ----

    private static CandidateAssessment assess(PolicyConfig config, ClusterSnapshot snapshot, NodeView node,
                                              Optional<NodeReport> primaryReport, Optional<Lsn> top,
                                              long nowNanos) {
        RegisteredMember m = node.member();
        Optional<Lsn> pos = node.latestReport().flatMap(r -> position(r.report()));
        if (snapshot.primaryId().equals(Optional.of(m.id()))) {
            return new CandidateAssessment(m.id(), m.name(), false, pos, m.priority(), "the current primary");
        }
        if (m.witness()) {
            // a witness has no PostgreSQL: nothing else about it matters
            return new CandidateAssessment(m.id(), m.name(), false, pos, m.priority(), "witness");
        }
        List<String> why = new ArrayList<>();
        if (m.priority() <= 0) {
            why.add("priority " + m.priority());
        }
        if (m.noFailover()) {
            why.add("tagged no-failover");
        }
        Optional<String> unreachable = unreachableBecause(config, node, nowNanos);
        if (unreachable.isPresent()) {
            // a stale report says nothing reliable about its PostgreSQL or WAL: do not judge those
            why.add("unreachable (" + unreachable.get() + ")");
            return new CandidateAssessment(m.id(), m.name(), false, pos, m.priority(), String.join("; ", why));
        }
        NodeReport r = node.latestReport().orElseThrow().report();
        if (r.pg() != PgState.STANDBY) {
            why.add("not a standby: " + r.pg());
        }
        long lag = 0;
        if (pos.isEmpty()) {
            why.add("no received LSN reported");
        } else {
            lag = Math.max(0, top.orElse(pos.get()).bytesSince(pos.get()));
            if (config.maxLagBytes().isPresent() && lag > config.maxLagBytes().get()) {
                why.add("lag " + lag + " bytes > max-lag " + config.maxLagBytes().get());
            }
        }
        if (config.synchronous()) {
            List<String> sync = synchronousSet(snapshot, primaryReport);
            if (sync.isEmpty()) {
                why.add("not a synchronous standby (the primary's synchronous standbys are unknown)");
            } else if (!sync.contains(m.name())) {
                why.add("not in the synchronous set " + sync);
            }
        }
        if (!why.isEmpty()) {
            return new CandidateAssessment(m.id(), m.name(), false, pos, m.priority(), String.join("; ", why));
        }
        return new CandidateAssessment(m.id(), m.name(), true, pos, m.priority(),
                "lag " + lag + " bytes" + (config.synchronous() ? ", synchronous" : ""));
    }

    /**
     * The standbys that may hold the newest acknowledged commit: the recorded synchronous set (every name the
     * primary's synchronous_standby_names may admit, held by a majority of agents), else, from a supervisor that
     * never recorded one, the standbys the primary last reported as synchronous.
     */
    static List<String> synchronousSet(ClusterSnapshot snapshot, Optional<NodeReport> primaryReport) {
        if (!snapshot.knownSyncStandbys().isEmpty()) {
            return snapshot.knownSyncStandbys();
        }
        return primaryReport.map(NodeReport::syncStandbys).orElse(List.of());
    }

    /**
     * Synchronous mode: why {@code winner} may lack an acknowledged commit, if it may. Any member of the synchronous
     * set may hold the newest one (FIRST 1 moves between them as they come and go), so the winner must be at least
     * as advanced as every member, and a member whose position is unknown (unreachable) must be waited for.
     */
    static Optional<String> synchronousSetNotCovered(PolicyConfig config, ClusterSnapshot snapshot,
                                                     CandidateAssessment winner, long nowNanos) {
        List<String> sync = synchronousSet(snapshot, snapshot.primary().flatMap(NodeView::latestReport)
                .map(ObservedReport::report));
        Lsn at = winner.receivedLsn().orElse(Lsn.ZERO);
        List<String> why = new ArrayList<>();
        for (NodeView node : snapshot.nodes()) {
            if (!sync.contains(node.name()) || node.id() == winner.nodeId()
                    || snapshot.primaryId().equals(Optional.of(node.id()))) {
                continue;
            }
            Optional<String> unreachable = unreachableBecause(config, node, nowNanos);
            Optional<Lsn> pos = node.latestReport().flatMap(r -> position(r.report()));
            if (unreachable.isPresent() || pos.isEmpty()) {
                why.add(label(node) + " of the synchronous set is " + unreachable.map(u -> "unreachable (" + u + ")")
                        .orElse("without a known position") + " and may hold newer acknowledged commits: waiting for it");
            } else if (pos.get().compareTo(at) > 0) {
                why.add(label(node) + " of the synchronous set is ahead (" + pos.get() + " > " + at
                        + ") but cannot be promoted");
            }
        }
        return why.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", why));
    }

    // ---- helpers ----

    private static Optional<Lsn> max(Optional<Lsn> a, Optional<Lsn> b) {
        if (a.isEmpty()) {
            return b;
        }
        return b.isEmpty() ? a : Optional.of(Lsn.max(a.get(), b.get()));
    }

    private static String label(NodeView node) {
        return node.name() + " (node " + node.id() + ")";
    }

    private static String label(CandidateAssessment a) {
        return a.name() + " (node " + a.nodeId() + ")";
    }

    /** "250 ms" below a second, else "1.5 s". */
    static String fmt(long nanos) {
        Duration d = Duration.ofNanos(nanos);
        if (Math.abs(nanos) < 1_000_000_000L) {
            return d.toMillis() + " ms";
        }
        return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }
}
