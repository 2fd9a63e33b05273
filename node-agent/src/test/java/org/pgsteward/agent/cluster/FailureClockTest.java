package org.pgsteward.agent.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class FailureClockTest {

    private static final long MS = 1_000_000L;
    private static final Optional<Boolean> DOWN = Optional.of(false);
    private static final Optional<Boolean> UP = Optional.of(true);

    @Test
    void givenPingsFailingForLongWhileThePrimarysAgentKeepsAsking_whenItsAgentGoesSilent_thenCountedFromTheSilence() {
        var clock = new FailureClock(1_500 * MS, 0);
        clock.ping(DOWN, 1_000 * MS);           // a loaded primary misses the standby's pings for a long time ...
        for (long t = 1_000; t <= 60_000; t += 500) {
            clock.primaryRequest(t * MS);       // ... while its agent is healthy and renews its lease
            clock.ping(DOWN, t * MS);
        }
        assertEquals(0, clock.bothHeldMillis(60_000 * MS), "only one half held");

        // its agent hiccups: no request after 60 s; the silence counts from 61.5 s
        assertEquals(0, clock.bothHeldMillis(61_400 * MS));
        assertEquals(500, clock.bothHeldMillis(62_000 * MS), "not the 61 s since the first failed ping");
    }

    @Test
    void givenPrimaryHostLost_thenCountedFromTheLaterOfTheTwoHalves() {
        var clock = new FailureClock(1_500 * MS, 0);
        clock.primaryRequest(10_000 * MS);
        clock.ping(DOWN, 10_900 * MS);

        assertEquals(1_000, clock.bothHeldMillis(12_500 * MS));
    }

    @Test
    void givenPingAnsweredAgain_thenZeroAndARestartedCount() {
        var clock = new FailureClock(1_500 * MS, 0);
        clock.ping(DOWN, 5_000 * MS);
        clock.ping(UP, 6_000 * MS);
        assertEquals(0, clock.bothHeldMillis(7_000 * MS));

        clock.ping(DOWN, 8_000 * MS);
        assertEquals(1_000, clock.bothHeldMillis(9_000 * MS));
    }

    @Test
    void givenStandbyJustStarted_thenThePrimaryCountsAsHeardAtStart() {
        var clock = new FailureClock(1_500 * MS, 100_000 * MS);
        clock.ping(DOWN, 100_000 * MS);

        assertEquals(500, clock.bothHeldMillis(102_000 * MS));
    }

    @Test
    void givenStandbyNotYetAMember_whenItJoinsLate_thenThePrimarysSilenceCountsFromTheJoin() {
        // every agent restarted: this standby's process ran from 100 s but joined the cluster only at 106 s; the
        // primary's agent could not have reached it before then, so its silence is no evidence until then
        var clock = new FailureClock(1_500 * MS, 100_000 * MS);
        clock.ping(DOWN, 100_500 * MS);
        clock.joined(106_000 * MS);

        assertEquals(0, clock.bothHeldMillis(107_000 * MS), "silent only 1 s as a member, within the 1.5 s");
        assertEquals(500, clock.bothHeldMillis(108_000 * MS));
    }

    @Test
    void givenPrimaryHeardAfterTheJoin_thenAJoinNeverMovesTheClockBack() {
        var clock = new FailureClock(1_500 * MS, 0);
        clock.joined(1_000 * MS);
        clock.primaryRequest(5_000 * MS);
        clock.joined(2_000 * MS); // a late event of an earlier moment
        clock.ping(DOWN, 5_000 * MS);

        assertEquals(500, clock.bothHeldMillis(7_000 * MS));
    }
}
