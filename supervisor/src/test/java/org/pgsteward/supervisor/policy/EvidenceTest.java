package org.pgsteward.supervisor.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.pgsteward.supervisor.policy.ClusterFixture.NOW;
import static org.pgsteward.supervisor.policy.ClusterFixture.ms;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.pgsteward.protocol.cluster.LocalRecovery;
import org.pgsteward.protocol.cluster.NodeReport;
import org.pgsteward.protocol.cluster.PgState;

/** The failed-since clock and the epoch a new incarnation learns from a majority. */
class EvidenceTest {

    static NodeReport standby(int id, Optional<Boolean> reachesPrimary, long unreachableMillis, long accepted, int primary) {
        return new NodeReport(id, "node" + id, 1, "inc", accepted, primary, false, 100, "", PgState.STANDBY,
                LocalRecovery.NONE, Optional.of(1L), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                reachesPrimary, unreachableMillis, List.of(), false, "", accepted, 0);
    }

    static NodeReport witness(long unreachableMillis) {
        return new NodeReport(4, "w", 1, "inc", 3, 1, true, 0, "", PgState.NONE, LocalRecovery.NONE, Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(false), unreachableMillis,
                List.of(), false, "", 3, 0);
    }

    /** Reports as they arrived {@code agoMillis} before NOW. */
    static List<ObservedReport> arrived(long agoMillis, NodeReport... reports) {
        return java.util.Arrays.stream(reports).map(r -> new ObservedReport(r, NOW - ms(agoMillis))).toList();
    }

    static List<ObservedReport> arrived(List<NodeReport> reports) {
        return arrived(0, reports.toArray(NodeReport[]::new));
    }

    @Test
    void givenAReportThatArrivedEarlier_thenItsConfirmationCountsFromItsArrival() {
        assertEquals(Optional.of(NOW - ms(1_900)), Evidence.failedSince(Optional.empty(),
                arrived(400, standby(2, Optional.of(false), 1_500, 3, 1)), Optional.empty(), NOW));
    }

    @Test
    void givenARunningClock_thenItIsKept() {
        assertEquals(Optional.of(NOW - ms(10)), Evidence.failedSince(Optional.of(NOW - ms(10)),
                arrived(List.of(standby(2, Optional.of(false), 5_000, 3, 1))), Optional.empty(), NOW));
    }

    @Test
    void givenStandbysConfirm_thenTheShortestConfirmationCounts_andWitnessesDoNot() {
        var reports = List.of(standby(2, Optional.of(false), 2_000, 3, 1), standby(3, Optional.of(false), 1_500, 3, 1),
                witness(60_000));
        assertEquals(Optional.of(NOW - ms(1_500)), Evidence.failedSince(Optional.empty(), arrived(reports), Optional.empty(), NOW));
    }

    @Test
    void givenNoStandbyConfirms_thenNoClock() {
        var reports = List.of(standby(2, Optional.of(true), 0, 3, 1), standby(3, Optional.empty(), 0, 3, 1));
        assertEquals(Optional.empty(), Evidence.failedSince(Optional.empty(), arrived(reports), Optional.empty(), NOW));
    }

    @Test
    void givenARolledBackSwitchover_thenTheClockStartsNoEarlierThanItsEnd() {
        var reports = List.of(standby(2, Optional.of(false), 5_000, 3, 1));
        assertEquals(Optional.of(NOW - ms(300)), Evidence.failedSince(Optional.empty(), arrived(reports),
                Optional.of(NOW - ms(300)), NOW));
    }

    @Test
    void givenAMajorityAcceptedAHigherEpoch_thenItIsLearnedWithItsPrimary() {
        var fresh = List.of(standby(2, Optional.empty(), 0, 5, 3), standby(3, Optional.empty(), 0, 4, 1));
        assertEquals(Optional.of(new Evidence.Learned(5, Optional.of(3))), Evidence.fromMajority(4, true, fresh));
    }

    @Test
    void givenTheJournalIsCurrent_thenNothingIsLearned() {
        var fresh = List.of(standby(2, Optional.empty(), 0, 4, 1));
        assertEquals(Optional.empty(), Evidence.fromMajority(4, true, fresh));
        assertEquals(Optional.empty(), Evidence.fromMajority(0, false, List.of(standby(2, Optional.empty(), 0, 0, 0))));
    }

    @Test
    void givenTheSameEpochWithoutAKnownPrimary_thenThePrimaryIsLearned() {
        var fresh = List.of(standby(2, Optional.empty(), 0, 4, 1));
        assertEquals(Optional.of(new Evidence.Learned(4, Optional.of(1))), Evidence.fromMajority(4, false, fresh));
    }
}
