package org.pgsteward.agent.cluster;

import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.pgsteward.protocol.cluster.LocalRecovery;

/**
 * What the agent does to its local PostgreSQL on its own: fence it, restart it, give up on it, rejoin it as a standby
 * or start it again as primary. State, observation, lease view, timings and the monotonic time in, an {@link Action}
 * out: no actor, no clock, no I/O (the observation's two suppliers read files only when a rule gets to them, as the
 * checks did before). Votes and promises are the {@link Voter}'s. The rules, in the order they are checked:
 *
 * <p>At each lease check ({@link #onCheck}, every {@link Timings#checkInterval}):
 * <ol>
 *   <li>a node that is not the primary of the accepted epoch and whose server may serve writes is fenced (not while
 *       an operation that starts, stops or rewinds the server runs: a promotion, a follow or a rejoin does so on
 *       purpose; one that leaves the server alone, a registration, does not hold the fence back);
 *   <li>the primary of the epoch (automatic mode) is fenced when its lease does not hold a fence lead from now, except
 *       before the deadline the previous agent incarnation gave the fence guard (the promises it held run at least
 *       that long: nobody else can be promoted before), and within a lease less the fence lead of becoming the
 *       primary of an epoch while already serving (its registration: its first promises are on their way). An old
 *       primary found serving at agent start with neither is fenced at once, until it holds a lease (no grace per
 *       incarnation: a primary on the minority side of a partition must not write again because its agent restarted);
 *   <li>a primary whose server has been hung for failover.timeout plus the restart budget is given up on and fenced
 *       (its lease then released), so that a standby replaces it; never while an operation works on the server.
 * </ol>
 *
 * <p>At each fresh probe ({@link #onProbe}, automatic mode only; never while an operation runs, a fence runs, before
 * the cluster confirmed the epoch, or with an empty data directory):
 * <ol>
 *   <li>a fenced primary of the epoch that holds its lease with time to spare again is started (unfence);
 *   <li>a fenced former primary rejoins the epoch's primary as a standby (auto-rejoin, once a rejoin backoff);
 *   <li>a server found down twice in a row in a primary's data directory, while another node is primary, stays fenced;
 *   <li>a server found down twice in a row is restarted (a primary only with a fresh lease), a restart backoff apart,
 *       until the restart attempts are spent: then the agent gives up, so the supervisor may fail over.
 * </ol>
 */
final class LocalRules {

    private LocalRules() {}

    /** What the agent does next. */
    sealed interface Action {
        record None() implements Action {}

        /** Fence the local server now. */
        record Fence(String reason) implements Action {}

        /** Give up on a hung primary: fence it, then release the lease so that a standby replaces it. */
        record GiveUpHung(String reason) implements Action {}

        /** Start the fenced primary again: it holds its lease. */
        record Unfence(String reason) implements Action {}

        /** Rejoin the epoch's primary as a standby. */
        record Rejoin(String reason) implements Action {}

        /** Count the down server as fenced without touching it (a former primary's data directory). */
        record StayFenced(String reason) implements Action {}

        /** Restart the crashed server: attempt {@code attempt} of the budget. */
        record Restart(int attempt, String reason) implements Action {}

        /** The restarts are spent. */
        record GiveUp(String reason) implements Action {}

        /**
         * Attempt {@code attempt} of the restart budget passes without a start: the primary's server is down and the
         * lease to start it is not held. It counts, so that a primary that cannot get promises (its voters voted in
         * a later election) gives up after the budget instead of holding the failover back for good.
         */
        record CannotRestart(int attempt, String reason) implements Action {}
    }

    private static final Action NONE = new Action.None();

    /**
     * The lease as the primary counts it: until when each member's promise runs (this host's monotonic clock).
     *
     * @param members the members a majority is counted of
     */
    record LeaseView(int members, List<Long> promisedUntil) {

        int validAt(long atNanos) {
            return (int) promisedUntil.stream().filter(until -> until - atNanos > 0).count(); // System.nanoTime may wrap
        }

        /** Held at {@code atNanos}: promises from a majority of the members. */
        boolean heldAt(long atNanos) {
            return validAt(atNanos) >= members / 2 + 1;
        }
    }

    /**
     * What the agent knows now.
     *
     * @param automatic          failover.mode = automatic
     * @param autoRejoin         failover.auto-rejoin
     * @param epoch              the accepted epoch
     * @param epochPrimary       its primary, if known
     * @param self               this node's id
     * @param epochConfirmed     the cluster told this agent the current epoch since it started
     * @param operationRunning   an operation runs in the NodeAgent (as its last observation says)
     * @param submitted          the link submitted an operation of its own that has not finished
     * @param disturbingRunning  an operation that stops, starts or rewinds the server runs
     * @param probed             the server has been probed at least once
     * @param downProbes         consecutive probes that found it down with no operation running
     * @param mayServeWrites     a postmaster that may serve writes runs in the data directory (files and processes)
     * @param runningAsPrimary   the last probe reached it out of recovery
     * @param primaryConninfoKnown the supervisor told this agent how to reach the epoch's primary
     * @param hung               the verdict, when it is hung
     * @param restartAttempts    local restarts since the server last answered
     * @param lastRestartNanos   when the last one started
     * @param lastRejoinNanos    when the last automatic rejoin started
     * @param startedNanos       when this link started
     * @param inheritedUntil     the deadline the previous agent incarnation gave the fence guard as primary (this host's
     *                           monotonic clock; empty when none is known: first start, no guard ran, an earlier boot)
     * @param becamePrimaryNanos when this node last became the primary of an epoch in this incarnation (the grace
     *                           matters only to one that already served then, at its registration: a promoted one
     *                           starts serving only once leased, and its promises outlast the grace)
     * @param pgError            why the last probe failed, for the log
     * @param standbyDataDir     whether the data directory is a standby's (read when a rule needs it)
     * @param hasData            whether the data directory holds a cluster (read when a rule needs it)
     */
    record Observation(boolean automatic, boolean autoRejoin, long epoch, Optional<Integer> epochPrimary, int self,
                       boolean epochConfirmed, boolean operationRunning, boolean submitted, boolean disturbingRunning, boolean probed,
                       int downProbes, boolean mayServeWrites, boolean runningAsPrimary, boolean primaryConninfoKnown,
                       Optional<ServerLiveness.Verdict.Hung> hung, int restartAttempts, long lastRestartNanos,
                       long lastRejoinNanos, long startedNanos, Optional<Long> inheritedUntil, long becamePrimaryNanos,
                       String pgError, BooleanSupplier standbyDataDir, BooleanSupplier hasData) {

        boolean primaryOfEpoch() {
            return epochPrimary.equals(Optional.of(self));
        }
    }

    // ------------------------------------------------------------------ the lease check

    static Action onCheck(LinkState s, Observation o, LeaseView lease, Timings t, long now) {
        boolean fencing = s instanceof LinkState.Fencing;
        // a node that is not the primary of the accepted epoch never serves writes
        if (o.mayServeWrites() && o.epochPrimary().isPresent() && !o.primaryOfEpoch() && !fencing
                && !o.disturbingRunning()) {
            return new Action.Fence("node " + o.epochPrimary().get() + " is primary in epoch " + o.epoch());
        }
        if (o.automatic() && o.primaryOfEpoch() && o.mayServeWrites() && !fencing) {
            boolean grace = now - o.becamePrimaryNanos() < t.lease().minus(t.fenceLead()).toNanos()
                    || o.inheritedUntil().map(until -> now - until < 0).orElse(false);
            long lead = t.fenceLead().toNanos();
            if (!grace && !lease.heldAt(now + lead)) {
                return new Action.Fence("lease expiring: " + lease.validAt(now + lead) + " of " + lease.members()
                        + " members promise beyond the next " + t.fenceLead().toMillis() + " ms (a majority is needed)");
            }
        }
        if (o.hung().isPresent() && o.hung().get().spent() && o.automatic() && o.primaryOfEpoch() && !fencing
                && !s.fenced() && !o.disturbingRunning()) {
            return new Action.GiveUpHung("PostgreSQL hung: " + o.hung().get().why() + "; giving up after failover.timeout "
                    + t.failoverTimeout().toMillis() + " ms + restart budget " + t.restartBudget().toMillis()
                    + " ms so that a standby replaces it");
        }
        return NONE;
    }

    // ------------------------------------------------------------------ after a probe

    static Action onProbe(LinkState s, Observation o, LeaseView lease, Timings t, long now) {
        if (!o.automatic() || o.operationRunning() || o.submitted() || s instanceof LinkState.Fencing || !o.probed()
                || !o.epochConfirmed() || !o.hasData().getAsBoolean()) {
            return NONE; // an empty data directory waits for `standby clone`
        }
        boolean fenced = s.fenced();
        boolean down = o.downProbes() >= 2;
        if (fenced && o.primaryOfEpoch() && leaseFresh(lease, t, now)) {
            return new Action.Unfence("lease held again as primary of epoch " + o.epoch() + ": starting PostgreSQL");
        }
        if (fenced && !o.primaryOfEpoch() && o.epochPrimary().isPresent() && o.primaryConninfoKnown() && o.autoRejoin()
                && now - o.lastRejoinNanos() > t.rejoinBackoff().toNanos()) {
            return new Action.Rejoin("fenced former primary: rejoining as a standby of node " + o.epochPrimary().get());
        }
        if (down && !fenced && !o.primaryOfEpoch() && o.epochPrimary().isPresent() && !o.standbyDataDir().getAsBoolean()) {
            return new Action.StayFenced("PostgreSQL is down and its data directory is a primary's, but node "
                    + o.epochPrimary().get() + " is primary in epoch " + o.epoch() + ": staying fenced");
        }
        if (down && !fenced) {
            boolean mayStart = !o.primaryOfEpoch() || leaseFresh(lease, t, now);
            if (o.restartAttempts() >= t.restartAttempts()) {
                return new Action.GiveUp("PostgreSQL is still down after " + o.restartAttempts() + " local restart attempts");
            }
            if (now - o.lastRestartNanos() > t.restartBackoff().toNanos()) {
                int attempt = o.restartAttempts() + 1;
                if (!mayStart) {
                    return new Action.CannotRestart(attempt, "PostgreSQL is down (" + o.pgError() + ") and the lease to "
                            + "start it as primary is not held (" + lease.validAt(now) + " of " + lease.members()
                            + " members promise): attempt " + attempt + " of " + t.restartAttempts() + " passes");
                }
                return new Action.Restart(attempt, "PostgreSQL is down (" + o.pgError() + "), " + t.restartAttempts()
                        + " attempts in all");
            }
        }
        return NONE;
    }

    // ------------------------------------------------------------------ the lease

    /**
     * Whether the primary asks for promises: while its PostgreSQL serves (or is being restarted, or the agent just
     * started). Automatic mode: while the agent may still restart a crashed primary it keeps the lease, so nobody is
     * promoted before the local restarts gave up (the evidence rule); manual mode: a primary that is down lets go.
     */
    static boolean wantsLease(LinkState s, Observation o, Timings t, long now) {
        return o.runningAsPrimary() || o.operationRunning()
                || (o.automatic() && s.recovery() != LocalRecovery.GAVE_UP && !s.fenced()
                && !(s instanceof LinkState.Fencing))
                || now - o.startedNanos() < t.lease().toNanos();
    }

    /** Whether the lease holds with time to spare ({@link Timings#freshLease}) to (re)start PostgreSQL as primary. */
    static boolean leaseFresh(LeaseView lease, Timings t, long now) {
        return lease.heldAt(now + t.freshLease().toNanos());
    }

    /** Whether a node told to serve as the primary of its epoch starts now, waits for its lease, or refuses. */
    sealed interface StartAsPrimary {
        record Start() implements StartAsPrimary {}

        record Wait() implements StartAsPrimary {}

        record Refuse(String why) implements StartAsPrimary {}
    }

    /**
     * A node starts serving writes as the primary of its epoch only with a fresh lease, waited for up to
     * {@link Timings#resumeLeaseWait}: a promoted standby (its voters promise it at its first request: a vote alone
     * promises nothing, so until then nothing keeps another election from winning), and a rolled-back switchover's
     * old primary (its promises were released at the clean stop). Manual mode counts no lease. Never when the
     * current epoch is another node's (a Resume that comes after this agent accepted a later epoch).
     */
    static StartAsPrimary onStartAsPrimary(boolean automatic, boolean primaryOfEpoch, LeaseView lease, Timings t, long firstNanos,
                           long now) {
        if (!primaryOfEpoch) {
            return new StartAsPrimary.Refuse("the current epoch is not this node's: another node is its primary");
        }
        if (!automatic || leaseFresh(lease, t, now)) {
            return new StartAsPrimary.Start();
        }
        if (now - firstNanos > t.resumeLeaseWait().toNanos()) {
            return new StartAsPrimary.Refuse("no lease within " + t.resumeLeaseWait().toMillis() + " ms: promises from "
                    + lease.validAt(now) + " of " + lease.members() + " members");
        }
        return new StartAsPrimary.Wait();
    }
}
