package org.pgsteward.supervisor.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgsteward.supervisor.policy.ClusterFixture.CONFIG;
import static org.pgsteward.supervisor.policy.ClusterFixture.NOW;
import static org.pgsteward.supervisor.policy.ClusterFixture.cluster;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.pgsteward.protocol.Lsn;

/** The ranking helpers: order, positions, lag reference, and the full list of assessments. */
class FailoverPolicyRankingTest {

    static CandidateAssessment eligible(int id, String lsn, int priority) {
        return new CandidateAssessment(id, "n" + id, true, Optional.of(Lsn.parse(lsn)), priority, "");
    }

    static Stream<Arguments> orders() {
        return Stream.of(
                Arguments.of("most advanced first", List.of(eligible(1, "0/10", 100), eligible(2, "0/20", 1)),
                        List.of(2, 1)),
                Arguments.of("unsigned LSN order (high half)", List.of(eligible(1, "7FFFFFFF/0", 100),
                        eligible(2, "80000000/0", 100)), List.of(2, 1)),
                Arguments.of("LSN tie: higher priority", List.of(eligible(1, "0/20", 100), eligible(2, "0/20", 200)),
                        List.of(2, 1)),
                Arguments.of("LSN and priority tie: lower id", List.of(eligible(3, "0/20", 100),
                        eligible(2, "0/20", 100)), List.of(2, 3)),
                Arguments.of("all three keys", List.of(eligible(5, "0/20", 100), eligible(4, "0/30", 1),
                        eligible(3, "0/20", 300), eligible(2, "0/20", 100)), List.of(4, 3, 2, 5)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("orders")
    void givenCandidates_whenSorted_thenBestFirst(String name, List<CandidateAssessment> in, List<Integer> ids) {
        for (int shuffle = 0; shuffle < 5; shuffle++) {
            List<CandidateAssessment> list = new ArrayList<>(in);
            Collections.shuffle(list, new Random(shuffle));
            list.sort(FailoverPolicy.BEST_FIRST);
            assertEquals(ids, list.stream().map(CandidateAssessment::nodeId).toList());
        }
    }

    static Stream<Arguments> positions() {
        return Stream.of(
                Arguments.of(Optional.of("0/20"), Optional.of("0/10"), Optional.of("0/20")),
                Arguments.of(Optional.of("0/10"), Optional.of("0/20"), Optional.of("0/20")),
                Arguments.of(Optional.empty(), Optional.of("0/20"), Optional.of("0/20")),
                Arguments.of(Optional.of("0/20"), Optional.empty(), Optional.of("0/20")),
                Arguments.of(Optional.of("junk"), Optional.of("0/20"), Optional.of("0/20")),
                Arguments.of(Optional.empty(), Optional.empty(), Optional.empty()));
    }

    @ParameterizedTest(name = "received {0}, replayed {1} -> {2}")
    @MethodSource("positions")
    void givenReceivedAndReplayed_whenPositioned_thenTheLater(Optional<String> received, Optional<String> replayed,
                                                              Optional<String> expected) {
        ClusterFixture c = cluster().with(2, n -> {
            n.receivedLsn = received;
            n.replayedLsn = replayed;
        });
        NodeView view = c.snapshot().node(2).orElseThrow();

        assertEquals(expected.map(Lsn::parse),
                FailoverPolicy.position(view.latestReport().orElseThrow().report()));
    }

    @Test
    void givenReports_whenHighestKnown_thenPrimaryCurrentAndStandbysButNotWitness() {
        assertEquals(Optional.of(Lsn.parse("0/5000000")), FailoverPolicy.highestKnownPosition(cluster().snapshot()));
        assertEquals(Optional.of(Lsn.parse("0/6000000")), FailoverPolicy.highestKnownPosition(
                cluster().with(3, n -> n.replayedLsn = Optional.of("0/6000000")).snapshot()));
        assertEquals(Optional.of(Lsn.parse("0/5000000")), FailoverPolicy.highestKnownPosition(
                cluster().with(4, n -> n.received("9/0")).snapshot()), "a witness has no WAL");
        assertEquals(Optional.of(Lsn.parse("0/7000000")), FailoverPolicy.highestKnownPosition(
                cluster().primaryGone().with(1, n -> n.currentLsn = Optional.of("0/7000000")).snapshot()),
                "the dead primary's last report still counts");
    }

    @Test
    void givenCluster_whenRanked_thenEveryNodeOnceEligibleFirstThenById() {
        List<CandidateAssessment> ranking = FailoverPolicy.rankCandidates(CONFIG,
                cluster().primaryGone().with(3, n -> n.received("0/5000001")).snapshot(), NOW);

        assertEquals(List.of(3, 2, 1, 4), ranking.stream().map(CandidateAssessment::nodeId).toList());
        assertTrue(ranking.get(0).eligible() && ranking.get(1).eligible());
        assertEquals("the current primary", ranking.get(2).why());
        assertEquals("witness", ranking.get(3).why());
        assertEquals("lag 0 bytes", ranking.get(0).why());
        assertEquals("lag 1 bytes", ranking.get(1).why());
    }

    @Test
    void givenHealthyPrimary_whenRanked_thenStandbysStillRanked() {
        // switchover ranks against a live primary
        List<CandidateAssessment> ranking = FailoverPolicy.rankCandidates(CONFIG, cluster().snapshot(), NOW);

        assertEquals(2, ranking.get(0).nodeId());
        assertEquals(Optional.of(Lsn.parse("0/4F00000")), ranking.get(1).receivedLsn());
        assertEquals("lag 1048576 bytes", ranking.get(1).why());
        assertFalse(ranking.get(2).eligible());
    }

    @Test
    void givenLiveStreamingStandby_whenAsked_thenPrimaryPostgresSeenAlive() {
        assertTrue(FailoverPolicy.primaryPostgresSeenAlive(CONFIG, cluster().snapshot(), NOW));
        assertTrue(FailoverPolicy.primaryPostgresSeenAlive(CONFIG, cluster().with(1, ClusterFixture.Node::agentDead)
                .snapshot(), NOW));
        assertFalse(FailoverPolicy.primaryPostgresSeenAlive(CONFIG, cluster().primaryGone().snapshot(), NOW));
    }
}
