package org.pgsteward.agent.cluster;

import java.time.Duration;

/**
 * Every timing of this agent's safety core in one place, derived from failover.lease, agent.monitor-interval and
 * failover.timeout (the supervisor's report staleness and lease margin come from here too). The inequalities they
 * must keep are asserted by {@code TimingsTest}: the primary fences before its lease expires on any voter's clock, and
 * a blip shorter than failover.timeout neither fails it over nor fences it.
 *
 * @param lease            the primary lease (failover.lease, 3 s by default)
 * @param leaseMargin      clock-rate drift (1% of the lease) plus delivery of one message on a LAN, added by a voter
 *                         before it votes against the primary it promised
 * @param fenceLead        the primary fences this long before its lease would run out: a sixth of the lease, at most
 *                         1 s (500 ms by default: the lease check runs every {@code checkInterval}, an immediate stop
 *                         takes ~0.1 s and escalates to SIGKILL after {@code fenceKillAfter})
 * @param fenceKillAfter   the fence's immediate stop escalates to SIGKILL of the postmaster and its children after
 *                         this: a third of the fence lead, at least 150 ms
 * @param renewInterval    reports and lease renewals: every monitor interval, and at least six times a lease (500 ms
 *                         by default). With the fence lead, a primary whose link goes down fences at the earliest
 *                         after lease - renew - lead (2 s by default): a blip shorter than failover.timeout (1.5 s)
 *                         neither fails it over nor stops it, allowing for the TCP retransmission that delivers the
 *                         renewals once the link is back (up to ~1.4 s after the first lost segment; measured:
 *                         renewing four times a lease with a 750 ms lead, a 1.3 s link blip made the primary fence
 *                         itself and start again)
 * @param reportStaleAfter a report counts as missing after three renew intervals (1.5 s by default, 600 ms at least);
 *                         failover.timeout counts only from then (both halves of the evidence), so a blip shorter than
 *                         it plus failover.timeout never causes a failover; a standby counts the primary's agent as
 *                         silent this long after its last lease request
 * @param failoverTimeout  failover.timeout: a local server that stalls for less is not hung; a hung primary is fenced
 *                         after this plus the restart budget
 * @param checkInterval    the lease check (fence decision, /primary status, the guard's deadline)
 * @param resumeLeaseWait  a rolled-back switchover's old primary waits this long for a fresh lease before it starts
 * @param restartAttempts  local restarts of a crashed PostgreSQL before the agent gives up
 * @param restartBackoff   between two local restarts
 * @param rejoinBackoff    between two automatic rejoins of a fenced former primary
 */
public record Timings(Duration lease, Duration leaseMargin, Duration fenceLead, Duration fenceKillAfter,
                      Duration renewInterval, Duration reportStaleAfter, Duration failoverTimeout, Duration checkInterval,
                      Duration resumeLeaseWait, int restartAttempts, Duration restartBackoff,
                      Duration rejoinBackoff) {

    public static Timings of(Duration lease, Duration monitorInterval, Duration failoverTimeout) {
        Duration fenceLead = Duration.ofMillis(Math.min(1000, lease.toMillis() / 6));
        Duration renew = Duration.ofMillis(Math.max(100, Math.min(monitorInterval.toMillis(), lease.toMillis() / 6)));
        return new Timings(lease, Duration.ofMillis(lease.toMillis() / 100 + 200), fenceLead,
                Duration.ofMillis(Math.max(150, fenceLead.toMillis() / 3)), renew,
                Duration.ofMillis(Math.max(600, renew.toMillis() * 3)), failoverTimeout, Duration.ofMillis(100),
                Duration.ofSeconds(10), 3, Duration.ofSeconds(2), Duration.ofSeconds(20));
    }

    /**
     * How much longer than failover.timeout a hung server is given before its agent gives up and fences it: the span
     * of its restart attempts (the first at once, the others restartBackoff apart: 4 s by default), as a crashed
     * server would get. A hung server is not restarted in place (it cannot be stopped without killing it).
     */
    public Duration restartBudget() {
        return restartBackoff.multipliedBy(Math.max(0, restartAttempts - 1));
    }

    /**
     * How long the lease must still hold to (re)start PostgreSQL as primary: at least half a lease, well beyond the
     * fence threshold, so a lease that is running out is not taken up again between the fence and its expiry (fresh
     * promises give a full lease).
     */
    public Duration freshLease() {
        return Duration.ofNanos(Math.max(2 * fenceLead.toNanos(), lease.toNanos() / 2));
    }

    /** The earliest a primary whose renewals stop getting through fences: its last promises ran to the fence lead. */
    public Duration earliestFenceAfterSilence() {
        return lease.minus(renewInterval).minus(fenceLead);
    }
}
