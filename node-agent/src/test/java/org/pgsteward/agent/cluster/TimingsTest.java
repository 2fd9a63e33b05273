package org.pgsteward.agent.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pgsteward.agent.config.NodeConfig;

/** The inequalities the safety core's timings keep (see {@link Timings}), for the defaults and across the valid range. */
class TimingsTest {

    private static final Timings DEFAULTS = Timings.of(NodeConfig.Failover.DEFAULT_LEASE, Duration.ofSeconds(1),
            NodeConfig.Failover.DEFAULT_TIMEOUT);

    @Test
    void givenTheProductDefaults_whenDerived_thenTheValuesAreTheDocumentedOnes() {
        assertEquals(Duration.ofSeconds(3), DEFAULTS.lease());
        assertEquals(Duration.ofMillis(230), DEFAULTS.leaseMargin());
        assertEquals(Duration.ofMillis(500), DEFAULTS.fenceLead());
        assertEquals(Duration.ofMillis(166), DEFAULTS.fenceKillAfter());
        assertEquals(Duration.ofMillis(500), DEFAULTS.renewInterval());
        assertEquals(Duration.ofMillis(1500), DEFAULTS.reportStaleAfter());
        assertEquals(Duration.ofMillis(100), DEFAULTS.checkInterval());
        assertEquals(Duration.ofSeconds(10), DEFAULTS.resumeLeaseWait());
        assertEquals(Duration.ofSeconds(4), DEFAULTS.restartBudget());
        assertEquals(Duration.ofMillis(1500), DEFAULTS.freshLease());
    }

    @Test
    void givenAnyValidLeaseAndMonitorInterval_whenThePrimaryFences_thenItIsDoneBeforeAnyVoterMayVoteAgainstIt() {
        for (Duration lease : List.of(Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(3),
                Duration.ofSeconds(10), Duration.ofMinutes(5))) {
            for (Duration monitor : List.of(Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(30))) {
                Timings t = Timings.of(lease, monitor, NodeConfig.Failover.DEFAULT_TIMEOUT);
                String at = "lease " + lease + ", monitor " + monitor + ": ";
                // the primary counts a promise from when it sent the request, a voter from when it got it (later), and
                // a voter waits the margin on top: a fence decided at the next check and escalated to SIGKILL ends
                // before the voter's side of the lease can have run out
                assertTrue(t.checkInterval().plus(t.fenceKillAfter()).compareTo(t.fenceLead().plus(t.leaseMargin())) < 0,
                        at + "check + kill-after within fence lead + margin");
                assertTrue(t.fenceLead().compareTo(t.lease()) < 0, at + "fence lead shorter than the lease");
                assertTrue(t.leaseMargin().compareTo(t.lease().dividedBy(100)) >= 0, at + "margin covers 1% clock drift");
                // a renewal's promises arrive before the fence threshold of the last ones
                assertTrue(t.lease().minus(t.renewInterval()).compareTo(t.fenceLead()) > 0, at + "renewal before the fence");
                assertTrue(t.freshLease().compareTo(t.fenceLead()) > 0, at + "a fresh lease is beyond the fence threshold");
                assertTrue(t.fenceKillAfter().compareTo(Duration.ZERO) > 0 && t.checkInterval().compareTo(t.fenceLead()
                        .plus(t.leaseMargin())) < 0, at + "positive");
            }
        }
    }

    @Test
    void givenTheProductDefaults_whenALinkBlipIsShorterThanFailoverTimeout_thenNeitherAFailoverNorAFenceFollows() {
        Duration blip = NodeConfig.Failover.DEFAULT_TIMEOUT.minusMillis(1);
        // the primary fences only once its renewals have failed for lease - renew - fence lead (2 s)
        assertTrue(DEFAULTS.earliestFenceAfterSilence().compareTo(blip) > 0, "no fence: " + DEFAULTS.earliestFenceAfterSilence());
        // the supervisor counts failover.timeout only once the report is stale (both halves of the evidence)
        assertTrue(DEFAULTS.reportStaleAfter().plus(DEFAULTS.failoverTimeout()).compareTo(blip) > 0, "no failover");
        // a primary's server that stalls for as long is slow, not hung: hung needs failover.timeout, giving up the budget on top
        assertTrue(DEFAULTS.failoverTimeout().plus(DEFAULTS.restartBudget()).compareTo(blip) > 0, "not given up");
    }
}
