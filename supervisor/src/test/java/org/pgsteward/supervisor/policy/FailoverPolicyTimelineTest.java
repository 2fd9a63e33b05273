package org.pgsteward.supervisor.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.pgsteward.supervisor.policy.ClusterFixture.CONFIG;
import static org.pgsteward.supervisor.policy.ClusterFixture.NOW;
import static org.pgsteward.supervisor.policy.ClusterFixture.cluster;
import static org.pgsteward.supervisor.policy.ClusterFixture.ms;
import static org.pgsteward.supervisor.policy.ClusterFixture.sec;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The policy over successive calls, the caller feeding back primaryLooksFailedSinceNanos; and the lease bound. */
class FailoverPolicyTimelineTest {

    /** Calls decide at {@code now} with the given failed-since, like the supervisor actor does. */
    private static Decision at(ClusterFixture c, long now, Optional<Long> failedSince) {
        c.failedSince = failedSince;
        // the fixture's reports are stamped relative to NOW; keep them equally fresh at 'now'
        c.standbys().forEach(n -> n.receivedAtNanos = now - ms(200));
        return FailoverPolicy.decide(CONFIG, c.snapshot(), now);
    }

    @Test
    void givenBlipShorterThanTimeout_whenEvidenceDisappears_thenClockRestartsAndNoFailover() {
        ClusterFixture failed = cluster().primaryGone();
        Decision first = at(failed, NOW, Optional.empty());
        assertInstanceOf(Decision.WaitForEvidence.class, first);
        assertEquals(Optional.of(NOW), first.primaryLooksFailedSinceNanos(), "set when evidence first appears");

        Decision later = at(failed, NOW + ms(2_000), first.primaryLooksFailedSinceNanos());
        assertInstanceOf(Decision.WaitForEvidence.class, later);
        assertEquals(Optional.of(NOW), later.primaryLooksFailedSinceNanos(), "kept while evidence holds");

        Decision back = at(cluster(), NOW + ms(2_500), later.primaryLooksFailedSinceNanos());
        assertInstanceOf(Decision.Healthy.class, back);
        assertEquals(Optional.empty(), back.primaryLooksFailedSinceNanos(), "cleared when evidence disappears");

        Decision again = at(failed, NOW + ms(3_500), back.primaryLooksFailedSinceNanos());
        assertInstanceOf(Decision.WaitForEvidence.class, again, "3.5 s after the first sighting, but not continuous");
        assertEquals(Optional.of(NOW + ms(3_500)), again.primaryLooksFailedSinceNanos());
        assertEquals(true, again.reason().contains("3.0 s left"), again.reason());
    }

    @Test
    void givenContinuousFailure_whenTimeoutPasses_thenPromote() {
        ClusterFixture failed = cluster().primaryGone();
        Decision d = at(failed, NOW, Optional.empty());
        for (long t = 500; t < 3_000; t += 500) {
            d = at(failed, NOW + ms(t), d.primaryLooksFailedSinceNanos());
            assertInstanceOf(Decision.WaitForEvidence.class, d, "at " + t + " ms");
        }
        d = at(failed, NOW + ms(3_000), d.primaryLooksFailedSinceNanos());

        Decision.Promote p = assertInstanceOf(Decision.Promote.class, d);
        assertEquals(2, p.candidateId());
        assertEquals(8, p.newEpoch());
        assertEquals(Optional.of(NOW), p.primaryLooksFailedSinceNanos());
    }

    @Test
    void givenDeadAgentWithLivePostgres_whenDecided_thenFailedSinceCleared() {
        Decision d = at(cluster().with(1, ClusterFixture.Node::agentDead), NOW, Optional.of(NOW - sec(60)));

        assertInstanceOf(Decision.WaitForEvidence.class, d);
        assertEquals(Optional.empty(), d.primaryLooksFailedSinceNanos());
    }

    @Test
    void givenLeaseStates_whenBounded_thenLaterOfGrantAndIncarnationPlusMargin() {
        ClusterFixture c = cluster();
        c.incarnationStartedAtNanos = NOW - sec(3600);
        c.leaseExpiresAtNanos = Optional.of(NOW + sec(4));
        assertEquals(NOW + sec(6), FailoverPolicy.leaseSurelyExpiredAfterNanos(CONFIG, c.snapshot()));

        c.leaseExpiresAtNanos = Optional.empty();
        c.incarnationStartedAtNanos = NOW - sec(1);
        assertEquals(NOW + sec(11), FailoverPolicy.leaseSurelyExpiredAfterNanos(CONFIG, c.snapshot()),
                "never granted here: one lease from before the start may be outstanding");

        c.leaseExpiresAtNanos = Optional.of(NOW - sec(20));
        assertEquals(NOW + sec(11), FailoverPolicy.leaseSurelyExpiredAfterNanos(CONFIG, c.snapshot()));
    }

    @Test
    void givenLeaseNotExpired_whenDecided_thenWaitUntilLeasePlusMargin() {
        ClusterFixture c = cluster().primaryGone().leaseExpiresIn(1_000);

        Decision.WaitForLease w = assertInstanceOf(Decision.WaitForLease.class, FailoverPolicy.decide(CONFIG,
                c.snapshot(), NOW));

        assertEquals(NOW + sec(3), w.untilNanos());
        assertInstanceOf(Decision.WaitForLease.class, FailoverPolicy.decide(CONFIG, c.snapshot(), w.untilNanos()));
        assertInstanceOf(Decision.Promote.class, FailoverPolicy.decide(CONFIG, c.snapshot(), w.untilNanos() + 1));
    }

    @Test
    void givenNanoTimeNearOverflow_whenDecided_thenDifferencesStillRight() {
        // System.nanoTime may be anywhere, including near Long.MAX_VALUE; only differences are meaningful
        long shift = Long.MAX_VALUE - NOW - ms(500);
        ClusterFixture c = cluster().primaryGone();
        c.nodesShift(shift);
        c.failedSince = Optional.of(NOW - sec(5) + shift);
        c.leaseExpiresAtNanos = Optional.of(NOW + sec(1) + shift); // surely expired at NOW + 3 s, past MAX_VALUE
        c.incarnationStartedAtNanos = NOW - sec(3600) + shift;
        long now = NOW + shift;

        Decision.WaitForLease w = assertInstanceOf(Decision.WaitForLease.class,
                FailoverPolicy.decide(CONFIG, c.snapshot(), now));
        assertEquals(now + sec(3), w.untilNanos());
        assertInstanceOf(Decision.Promote.class, FailoverPolicy.decide(CONFIG, c.snapshot(), now + sec(4)));
    }
}
