package org.pgsteward.supervisor.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgsteward.supervisor.policy.ClusterFixture.CONFIG;
import static org.pgsteward.supervisor.policy.ClusterFixture.NOW;
import static org.pgsteward.supervisor.policy.ClusterFixture.cluster;
import static org.pgsteward.supervisor.policy.ClusterFixture.sec;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.pgsteward.protocol.cluster.PgState;
import org.pgsteward.supervisor.policy.ChosenPrimaryWatch.Next;
import org.pgsteward.supervisor.policy.ChosenPrimaryWatch.Seen;
import org.pgsteward.supervisor.policy.ChosenPrimaryWatch.Watch;

/** The rules for a chosen primary that does not become writable: one row per situation, what to do and why. */
class ChosenPrimaryWatchTest {

    static final ChosenPrimaryWatch.Limits LIMITS = new ChosenPrimaryWatch.Limits(3, Duration.ofSeconds(5),
            Duration.ofSeconds(3));

    /** Node 3 chosen in epoch 2 and told to promote {@code sAgo} seconds ago, after {@code retries} retries. */
    static Watch promotedAgo(int retries, long sAgo) {
        Watch w = Watch.promoted(2, 3, NOW - sec(sAgo));
        return new Watch(w.epoch(), w.primaryId(), true, retries, w.lastAttemptNanos(), Optional.empty(), Optional.empty(),
                Optional.empty(), false);
    }

    record Row(String name, Watch watch, Seen seen, Class<? extends Next> type, String phrase) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Row> rows() {
        Watch unreachable4s = new Watch(2, 3, true, 0, NOW - sec(10), Optional.of(NOW - sec(4)), Optional.empty(),
                Optional.empty(), false);
        Watch unreachable1s = new Watch(2, 3, true, 0, NOW - sec(10), Optional.of(NOW - sec(1)), Optional.empty(),
                Optional.empty(), false);
        return Stream.of(
                new Row("runs as primary: done", promotedAgo(0, 1), Seen.RUNS_AS_PRIMARY, Next.Done.class, ""),
                new Row("standby, promote sent 1 s ago: wait", promotedAgo(0, 1), Seen.STANDBY, Next.Wait.class, ""),
                new Row("standby, promote sent 6 s ago: retry 1", promotedAgo(0, 6), Seen.STANDBY, Next.Retry.class,
                        "telling it to promote again (attempt 1 of 3)"),
                new Row("standby after 2 retries: retry 3", promotedAgo(2, 6), Seen.STANDBY, Next.Retry.class,
                        "attempt 3 of 3"),
                new Row("standby after 3 retries, the last 1 s ago: wait", promotedAgo(3, 1), Seen.STANDBY,
                        Next.Wait.class, ""),
                new Row("standby after 3 retries: replace", promotedAgo(3, 6), Seen.STANDBY, Next.Replace.class,
                        "pg3 (node 3) did not become primary in epoch 2 after 4 promote attempts"),
                new Row("it cannot promote: replace at once", promotedAgo(0, 1).cannotPromote("its PostgreSQL is not a "
                        + "standby"), Seen.STANDBY, Next.Replace.class, "it cannot promote (its PostgreSQL is not a standby)"),
                new Row("down or fenced: the failover policy's to judge", promotedAgo(3, 6), Seen.OTHER, Next.Wait.class, ""),
                new Row("agent unreachable for 1 s: wait", unreachable1s, Seen.UNREACHABLE, Next.Wait.class, ""),
                new Row("agent unreachable for 4 s without running as primary: replace", unreachable4s, Seen.UNREACHABLE,
                        Next.Replace.class, "its agent has been unreachable for 4.0 s without running as primary"),
                new Row("its agent said it promoted, then unreachable for 4 s: the evidence rule's to judge, not replaced",
                        unreachable4s.promoteSucceeded(), Seen.UNREACHABLE, Next.Wait.class, ""),
                new Row("its agent said it promoted, a report still says standby: not told again", promotedAgo(0, 6)
                        .promoteSucceeded(), Seen.STANDBY, Next.Wait.class, ""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void eachSituationGetsItsNextStep(Row row) {
        Next next = ChosenPrimaryWatch.next(row.watch(), row.seen(), "pg3", NOW, LIMITS);
        assertInstanceOf(row.type(), next, row.name());
        String why = next instanceof Next.Retry r ? r.why() : next instanceof Next.Replace r ? r.why() : "";
        assertTrue(why.contains(row.phrase()), why);
    }

    @Test
    void givenAReplacementWasDecided_thenTheOldPrimaryIsNeverToldToPromoteAgainInItsEpoch() {
        Next replace = ChosenPrimaryWatch.next(promotedAgo(3, 6), Seen.STANDBY, "pg3", NOW, LIMITS);
        Watch given = ((Next.Replace) replace).watch();
        for (long later : List.of(sec(1), sec(6), sec(60))) {
            Next again = ChosenPrimaryWatch.next(given, Seen.STANDBY, "pg3", NOW + later, LIMITS);
            assertInstanceOf(Next.Replace.class, again, "no retry once given up");
        }
        assertInstanceOf(Next.Done.class, ChosenPrimaryWatch.next(given, Seen.RUNS_AS_PRIMARY, "pg3", NOW, LIMITS));
    }

    @Test
    void givenAWatchFoundByANewIncarnation_thenTheFirstRetryIsAtOnce() {
        Next next = ChosenPrimaryWatch.next(Watch.found(2, 3, NOW), Seen.STANDBY, "pg3", NOW, LIMITS);
        assertInstanceOf(Next.Retry.class, next);
    }

    // ---- the replacement

    /** pg1 (node 1) is the chosen primary of epoch 7 but runs as a standby at 0/5000000; pg2 there too, pg3 behind. */
    static ClusterFixture chosenPrimaryAsStandby() {
        return cluster().with(1, n -> {
            n.pg = PgState.STANDBY;
            n.currentLsn = Optional.empty();
            n.received("0/5000000");
        });
    }

    @Test
    void givenAsynchronousMode_thenTheBestOtherStandbyIsChosenInTheNextEpoch() {
        Decision d = ChosenPrimaryWatch.replacement(CONFIG, chosenPrimaryAsStandby().snapshot(), 1, "pg1 gave up", NOW, false);
        Decision.Promote p = assertInstanceOf(Decision.Promote.class, d);
        assertEquals(2, p.candidateId());
        assertEquals(8, p.newEpoch());
        assertTrue(p.reason().contains("pg1 gave up: choosing another candidate, pg2 (node 2) at 0/5000000"), p.reason());
        assertTrue(p.assessments().stream().anyMatch(a -> a.nodeId() == 1 && !a.eligible()
                && a.why().contains("did not become primary in epoch 7")), p.assessments().toString());
    }

    @Test
    void givenSynchronousMode_whenTheFailedPrimaryIsAheadOfEveryOtherMember_thenNoneIsChosen() {
        ClusterFixture c = chosenPrimaryAsStandby().with(2, n -> n.received("0/4F00000")).recordedSyncSet("pg1", "pg2", "pg3");
        Decision d = ChosenPrimaryWatch.replacement(CONFIG.withSynchronous(true), c.snapshot(), 1, "pg1 gave up", NOW, false);
        Decision.NoCandidate n = assertInstanceOf(Decision.NoCandidate.class, d);
        assertTrue(n.reason().contains("pg1 (node 1) of the synchronous set is ahead"), n.reason());
    }

    @Test
    void givenSynchronousMode_whenAnotherMemberIsAsAdvanced_thenItIsChosen() {
        ClusterFixture c = chosenPrimaryAsStandby().recordedSyncSet("pg1", "pg2", "pg3");
        Decision d = ChosenPrimaryWatch.replacement(CONFIG.withSynchronous(true), c.snapshot(), 1, "pg1 gave up", NOW, false);
        assertEquals(2, assertInstanceOf(Decision.Promote.class, d).candidateId());
    }

    @Test
    void givenSynchronousMode_whenTheFailedPrimaryIsUnreachable_thenTheReplacementWaitsForIt() {
        ClusterFixture c = chosenPrimaryAsStandby().with(1, ClusterFixture.Node::agentDead).recordedSyncSet("pg1", "pg2");
        Decision d = ChosenPrimaryWatch.replacement(CONFIG.withSynchronous(true), c.snapshot(), 1, "pg1 gave up", NOW, false);
        assertTrue(assertInstanceOf(Decision.NoCandidate.class, d).reason().contains("waiting for it"), d.reason());
    }

    @Test
    void givenThePausedCluster_thenNoReplacement() {
        Decision d = ChosenPrimaryWatch.replacement(CONFIG, chosenPrimaryAsStandby().paused().snapshot(), 1, "pg1 gave up",
                NOW, false);
        assertInstanceOf(Decision.Paused.class, d);
    }

    @Test
    void givenSynchronousMode_whenTheFailedPrimaryIsAheadOfEveryOtherMember_thenItIsChosenAgainInANewEpochOnceAllowed() {
        // two data nodes and a witness: the chosen primary that could not promote holds the newest acknowledged
        // commit; choosing nobody stalls the cluster for good, choosing it again (through a new vote) does not
        ClusterFixture c = chosenPrimaryAsStandby().with(2, n -> n.received("0/4F00000")).recordedSyncSet("pg1", "pg2", "pg3");
        Decision d = ChosenPrimaryWatch.replacement(CONFIG.withSynchronous(true), c.snapshot(), 1, "pg1 gave up", NOW, true);
        Decision.Promote p = assertInstanceOf(Decision.Promote.class, d);
        assertEquals(1, p.candidateId());
        assertEquals(8, p.newEpoch());
        assertTrue(p.reason().contains("no other candidate: choosing pg1 (node 1) again in a new epoch"), p.reason());
    }

    @Test
    void givenNoOtherStandbyReachable_whenTheFailedPrimaryRunsAsAStandby_thenItIsChosenAgainOnlyOnceAllowed() {
        ClusterFixture c = chosenPrimaryAsStandby().with(2, ClusterFixture.Node::agentDead).with(3, ClusterFixture.Node::agentDead);
        assertInstanceOf(Decision.NoCandidate.class,
                ChosenPrimaryWatch.replacement(CONFIG, c.snapshot(), 1, "pg1 gave up", NOW, false));
        Decision.Promote p = assertInstanceOf(Decision.Promote.class,
                ChosenPrimaryWatch.replacement(CONFIG, c.snapshot(), 1, "pg1 gave up", NOW, true));
        assertEquals(1, p.candidateId());
    }
}
