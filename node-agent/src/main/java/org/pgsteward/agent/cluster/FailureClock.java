package org.pgsteward.agent.cluster;

import java.util.Optional;

/**
 * A standby's stopwatch of the two halves of the failure evidence (DESIGN 3), on the monotonic clock: its own
 * ping of the primary's PostgreSQL fails, and the primary's agent is silent (no lease request for longer than the
 * supervisor waits for a report). It reports how long <em>both</em> have held without a break, so a supervisor
 * that uses it to weigh old evidence (a new incarnation) never counts time when only one half held
 * (safety-2026-12 F10: in c71a984 the ping half alone was reported, and a hiccup of a healthy primary's agent
 * after long-failing pings failed it over at once, without failover.timeout).
 */
final class FailureClock {

    private final long silentAfterNanos;
    private long pingFailedSince = -1;
    private boolean pingFailing;
    private long lastPrimaryRequest;

    /** @param startedNanos the primary counts as heard at start (a restarted standby knows nothing older) */
    FailureClock(long silentAfterNanos, long startedNanos) {
        this.silentAfterNanos = silentAfterNanos;
        this.lastPrimaryRequest = startedNanos;
    }

    /** The primary of the accepted epoch asked for a promise: its agent is alive and reaches us. */
    void primaryRequest(long nowNanos) {
        if (nowNanos - lastPrimaryRequest > 0) {
            lastPrimaryRequest = nowNanos;
        }
    }

    /**
     * This agent became an Up member of the cluster: the primary's agent can reach it only from now on, so its silence
     * before this moment is no evidence (every agent restarted: a standby that joined first must not count the time
     * the primary's agent was still joining). Never moves the clock back.
     */
    void joined(long nowNanos) {
        if (nowNanos - lastPrimaryRequest > 0) {
            lastPrimaryRequest = nowNanos;
        }
    }

    /** This standby's latest ping of the primary's PostgreSQL (empty: not pinged). */
    void ping(Optional<Boolean> reachable, long nowNanos) {
        boolean failing = reachable.equals(Optional.of(false));
        if (failing && !pingFailing) {
            pingFailedSince = nowNanos;
        }
        pingFailing = failing;
    }

    /** How long both halves have held, in ms; 0 when either does not. */
    long bothHeldMillis(long nowNanos) {
        if (!pingFailing) {
            return 0;
        }
        long silentSince = lastPrimaryRequest + silentAfterNanos;
        long since = silentSince - pingFailedSince > 0 ? silentSince : pingFailedSince;
        return Math.max(0, (nowNanos - since) / 1_000_000);
    }
}
