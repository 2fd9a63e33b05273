package org.pgsteward.agent.cluster;

import java.util.Locale;
import java.util.Optional;
import org.pgsteward.agent.postgres.ProcessSample;
import org.pgsteward.agent.postgres.Reachability;

/**
 * Tells a hung local PostgreSQL from a slow one, and when a hung one has had its time (issue 8 point 5). Evidence
 * in, verdict out: no I/O and no clock of its own (the cluster link passes monotonic nanos).
 *
 * <p>The evidence:
 * <ul>
 *   <li>the agent's probe of its own server, every monitor interval: it reached the server; or the server answered
 *       with an error (too many clients, a rejected password, "starting up", a statement timeout: it is up); or
 *       nothing answered (refused, or the connect, the login or a query timed out);
 *   <li>a look at the postmaster in /proc at every lease check (100 ms): alive or not, and whether it ran (CPU time
 *       or a context switch) since the look before; its state (T: stopped) explains a verdict.
 * </ul>
 *
 * <p>The rule. A postmaster that works accepts a connection within milliseconds, however loaded the server: it
 * runs (accept, fork) even when the backend it starts is too slow to answer the probe in time. So:
 * <ul>
 *   <li>{@link Verdict.Answers}: the last probe reached the server or got an answer from it;
 *   <li>{@link Verdict.Down}: no answer and no live postmaster (crashed or stopped): the agent restarts it;
 *   <li>{@link Verdict.Slow}: no answer, but its postmaster ran after the probe began to wait (it accepted; its
 *       backends are slow): a loaded server, never fenced or replaced for not answering. A stall shorter than
 *       failover.timeout is reported as slow too (a blip);
 *   <li>{@link Verdict.Hung}: no answer, and its postmaster has not run at all since a probe began to wait for it
 *       or, when it is stopped (state T or t: SIGSTOP, a tracer), since it was first seen stopped (a stopped
 *       postmaster is no loaded one, even if it accepted the probe just before), for failover.timeout or longer.
 *       Once that has lasted failover.timeout plus the restart budget the verdict is {@code spent}: a primary's
 *       agent fences the server and gives up, so that a standby replaces it. A hung server is not restarted in
 *       place: it cannot be stopped without being killed, and killing it is the fence.
 * </ul>
 * Not told apart (left to an operator rather than replace a primary that may only be loaded): a postmaster that
 * runs while every backend is stuck (storage that never answers), and one that spins without accepting.
 */
final class ServerLiveness {

    private ServerLiveness() {}

    /**
     * @param stallNanos  failover.timeout: a shorter stall is a blip
     * @param budgetNanos the restart budget: how much longer a hung server is given before its agent gives up
     */
    record Limits(long stallNanos, long budgetNanos) {}

    /**
     * What the agent has seen of its server.
     *
     * @param lastProbe    how the latest probe went (empty: none yet)
     * @param probedAt     when its result came (empty: none yet): the next probe began after it
     * @param postmaster   the latest look at the postmaster (empty: none alive)
     * @param sampledAt    when that look was taken (empty: not looked yet)
     * @param ranAt        the latest look that found the postmaster had run (or appeared, or gone), or when the
     *                     agent started: nothing before it is known
     * @param waitingSince when the earliest unanswered probe began to wait that the postmaster has not run since
     *                     (empty: it answered, or its postmaster ran after the probe began)
     * @param stoppedSince the first look of the current run of looks that found the postmaster stopped (state T or
     *                     t) and not run since (empty: not stopped)
     */
    record Evidence(Optional<Reachability> lastProbe, Optional<Long> probedAt, Optional<ProcessSample> postmaster,
                    Optional<Long> sampledAt, long ranAt, Optional<Long> waitingSince, Optional<Long> stoppedSince) {

        static Evidence start(long nowNanos) {
            return new Evidence(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), nowNanos,
                    Optional.empty(), Optional.empty());
        }

        /** A look at the postmaster at {@code nowNanos} (empty: none alive). */
        Evidence sampled(Optional<ProcessSample> now, long nowNanos) {
            boolean ran = sampledAt.isEmpty() || postmaster.isPresent() != now.isPresent()
                    || now.isPresent() && now.get().ranSince(postmaster.get());
            boolean stopped = now.isPresent() && now.get().stopped();
            Optional<Long> stoppedFrom = !stopped ? Optional.empty()
                    : ran || stoppedSince.isEmpty() ? Optional.of(nowNanos) : stoppedSince;
            return new Evidence(lastProbe, probedAt, now, Optional.of(nowNanos), ran ? nowNanos : ranAt,
                    ran ? Optional.empty() : waitingSince, stoppedFrom);
        }

        /**
         * A probe that began at {@code startedNanos} (converted from its wall-clock start: taken no earlier than the
         * previous result, no later than now) went as {@code r}; its result came at {@code nowNanos}.
         */
        Evidence probed(Reachability r, long startedNanos, long nowNanos) {
            long started = startedNanos - nowNanos > 0 ? nowNanos : startedNanos;
            if (probedAt.isPresent() && probedAt.get() - started > 0) {
                started = probedAt.get();
            }
            Optional<Long> waiting = Optional.empty();
            if (r == Reachability.UNREACHABLE) {
                // a run seen at or after the probe's start may have been the accept of this very probe: slow, not hung
                waiting = waitingSince.isPresent() ? waitingSince
                        : started - ranAt > 0 ? Optional.of(started) : Optional.empty();
            }
            return new Evidence(Optional.of(r), Optional.of(nowNanos), postmaster, sampledAt, ranAt, waiting,
                    stoppedSince);
        }
    }

    sealed interface Verdict {
        /** The server answers (or nothing is known against it yet). */
        record Answers() implements Verdict {}

        /** Not reached and no postmaster alive. */
        record Down() implements Verdict {}

        /** Not answering in time, but not hung (its postmaster runs, or has stalled for less than failover.timeout). */
        record Slow(String why) implements Verdict {}

        /**
         * @param sinceNanos since when it has neither answered nor run
         * @param forNanos   how long that is proven by the looks at its postmaster
         * @param spent      for failover.timeout plus the restart budget or longer: its agent gives up
         */
        record Hung(long sinceNanos, long forNanos, boolean spent, String why) implements Verdict {}
    }

    static Verdict judge(Evidence e, Limits limits) {
        if (e.lastProbe().isEmpty() || e.lastProbe().get() == Reachability.REACHABLE) {
            return new Verdict.Answers();
        }
        Reachability r = e.lastProbe().get();
        if (e.sampledAt().isEmpty() || e.postmaster().isEmpty()) {
            // a rejected password is an answer from some server: not a reason to start one
            return r == Reachability.AUTH_FAILED ? new Verdict.Answers() : new Verdict.Down();
        }
        if (r != Reachability.UNREACHABLE) {
            return new Verdict.Answers(); // an error from the server (too many clients, starting up...): it is up
        }
        ProcessSample pm = e.postmaster().get();
        // stopped while a probe it had accepted was still logging in: hung from the stop, not from the next probe;
        // of the two proofs (a probe waited, it has been stopped) the earlier counts
        Optional<Long> stalled = e.waitingSince().isEmpty() ? e.stoppedSince() : e.stoppedSince().isEmpty()
                ? e.waitingSince() : Optional.of(e.stoppedSince().get() - e.waitingSince().get() < 0
                ? e.stoppedSince().get() : e.waitingSince().get());
        if (stalled.isEmpty()) {
            return new Verdict.Slow("does not answer in time, but its postmaster (pid " + pm.pid()
                    + ") ran since the probe began to wait: it accepts connections, slowly (loaded, not hung)");
        }
        long since = stalled.get();
        long forNanos = Math.max(0, e.sampledAt().get() - since);
        String stall = "does not answer and its postmaster (pid " + pm.pid() + ", " + pm.describeState()
                + ") has not run for " + fmt(forNanos) + " while a connection waits for it";
        if (forNanos < limits.stallNanos()) {
            return new Verdict.Slow(stall + " (less than failover.timeout " + fmt(limits.stallNanos()) + " so far)");
        }
        return new Verdict.Hung(since, forNanos, forNanos >= limits.stallNanos() + limits.budgetNanos(), stall);
    }

    /** "250 ms" below a second, else "1.5 s". */
    static String fmt(long nanos) {
        return nanos < 1_000_000_000L ? nanos / 1_000_000 + " ms" : String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }
}
