package org.pgsteward.supervisor.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgsteward.supervisor.policy.ClusterFixture.CONFIG;
import static org.pgsteward.supervisor.policy.ClusterFixture.NOW;
import static org.pgsteward.supervisor.policy.ClusterFixture.cluster;
import static org.pgsteward.supervisor.policy.ClusterFixture.sec;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.pgsteward.protocol.cluster.PgState;

/**
 * Standbys left away from the primary are told to follow it. Seen in the chaos run of 51ec8b3: the supervisor's host
 * was lost right after it chose node2; the next supervisor retried the promote, whose step failed although the server
 * came up as primary, and node1 stayed a standby of the dead node3 for good (no follow was ever sent again).
 */
class StrayStandbysTest {

    private static final Duration AFTER = Duration.ofSeconds(10);

    private static List<Integer> told(StrayStandbys.Result r) {
        return r.follow().stream().map(StrayStandbys.Stray::nodeId).toList();
    }

    @Test
    void givenEveryStandbyStreamingFromThePrimary_thenNobodyIsTold() {
        var r = StrayStandbys.check(CONFIG, cluster().snapshot(), Map.of(), NOW, AFTER);
        assertEquals(List.of(), r.follow());
        assertEquals(Map.of(), r.awaySince());
    }

    @Test
    void givenAStandbyNotStreaming_thenItIsToldToFollowOnlyOnceAwayForTheBound() {
        var c = cluster().with(3, n -> n.streamingFrom = Optional.empty());
        var first = StrayStandbys.check(CONFIG, c.snapshot(), Map.of(), NOW, AFTER);
        assertEquals(List.of(), first.follow(), "just seen away: a follow or a restart may be under way");
        assertEquals(Map.of(3, NOW), first.awaySince());

        // (the reports stay fresh: the clock that moves is when it was first seen away)
        var later = StrayStandbys.check(CONFIG, c.snapshot(), Map.of(3, NOW - sec(10)), NOW, AFTER);
        assertEquals(List.of(3), told(later));
        assertTrue(later.follow().get(0).why().contains("pg3 (node 3) does not stream for 10.0 s: telling it to follow "
                + "the primary pg1 (node 1) of epoch 7"), later.follow().toString());
        assertEquals(Map.of(3, NOW), later.awaySince(), "told again only after another bound");
    }

    @Test
    void givenAStandbyStreamingFromAFormerPrimary_thenItIsTold() {
        var c = cluster().with(2, n -> n.streamingFrom = Optional.of("10.0.0.3:5432"));
        var r = StrayStandbys.check(CONFIG, c.snapshot(), Map.of(2, NOW - sec(11)), NOW, AFTER);
        assertEquals(List.of(2), told(r));
        assertTrue(r.follow().get(0).why().contains("streams from 10.0.0.3:5432, not from the primary"), r.toString());
    }

    @Test
    void givenAStandbyBackOnThePrimary_thenItsClockStops() {
        var r = StrayStandbys.check(CONFIG, cluster().snapshot(), Map.of(2, NOW - sec(60)), NOW, AFTER);
        assertEquals(List.of(), r.follow());
        assertEquals(Map.of(), r.awaySince());
    }

    @Test
    void givenNoRunningPrimaryOrAPausedClusterOrManualMode_thenNobodyIsTold() {
        Map<Integer, Long> away = Map.of(3, NOW - sec(60));
        assertEquals(List.of(), StrayStandbys.check(CONFIG, cluster().with(3, n -> n.streamingFrom = Optional.empty()).primaryPg(PgState.DOWN,
                org.pgsteward.protocol.cluster.LocalRecovery.NONE).snapshot(), away, NOW, AFTER).follow());
        assertEquals(List.of(), StrayStandbys.check(CONFIG, cluster().with(3, n -> n.streamingFrom = Optional.empty())
                .paused().snapshot(), away, NOW, AFTER).follow());
        var notStreaming = cluster().with(3, n -> n.streamingFrom = Optional.empty());
        assertEquals(List.of(3), told(StrayStandbys.check(CONFIG, notStreaming.snapshot(), away, NOW, AFTER)));
        assertEquals(List.of(), StrayStandbys.check(CONFIG.withMode(PolicyConfig.Mode.MANUAL), notStreaming.snapshot(), away,
                NOW, AFTER).follow());
    }

    @Test
    void givenTheWitnessOrAStandbyWhoseAgentIsGone_thenNotCounted() {
        var c = cluster().with(3, n -> {
            n.streamingFrom = Optional.empty();
            n.agentDead();
        });
        assertEquals(List.of(), StrayStandbys.check(CONFIG, c.snapshot(), Map.of(3, NOW - sec(60)), NOW, AFTER).follow());
    }
}
