package org.pgsteward.supervisor.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgsteward.supervisor.policy.ClusterFixture.CONFIG;
import static org.pgsteward.supervisor.policy.ClusterFixture.NOW;
import static org.pgsteward.supervisor.policy.ClusterFixture.cluster;
import static org.pgsteward.supervisor.policy.ClusterFixture.sec;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.pgsteward.protocol.cluster.LocalRecovery;
import org.pgsteward.protocol.cluster.PgState;
import org.pgsteward.supervisor.policy.Decision.Healthy;
import org.pgsteward.supervisor.policy.Decision.NoCandidate;
import org.pgsteward.supervisor.policy.Decision.NotReady;
import org.pgsteward.supervisor.policy.Decision.Paused;
import org.pgsteward.supervisor.policy.Decision.Promote;
import org.pgsteward.supervisor.policy.Decision.ReportOnly;
import org.pgsteward.supervisor.policy.Decision.WaitForEvidence;
import org.pgsteward.supervisor.policy.Decision.WaitForLease;

/** The decision table: one row per scenario, the expected decision, its candidate and key phrases. */
class FailoverPolicyDecisionTest {

    /**
     * @param candidate the promoted node (Promote) or the named best candidate (ReportOnly); empty = none
     * @param phrases   must all appear in the reason or the candidate assessments (case-insensitive)
     */
    record Row(String name, PolicyConfig config, ClusterFixture cluster, Class<? extends Decision> type,
               Optional<Integer> candidate, List<String> phrases) {

        Row candidate(int id) {
            return new Row(name, config, cluster, type, Optional.of(id), phrases);
        }

        Row config(PolicyConfig c) {
            return new Row(name, c, cluster, type, candidate, phrases);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Row row(String name, ClusterFixture cluster, Class<? extends Decision> type, String... phrases) {
        return new Row(name, CONFIG, cluster, type, Optional.empty(), List.of(phrases));
    }

    static final PolicyConfig SYNC = CONFIG.withSynchronous(true);
    static final PolicyConfig MAX_LAG_1000 = CONFIG.withMaxLagBytes(Optional.of(1000L));

    static Stream<Row> scenarios() {
        return Stream.of(
                // --- the primary is fine, or nothing may be decided
                row("healthy primary", cluster(), Healthy.class, "is running"),
                row("healthy primary clears an old failed-since", cluster().failedFor(10_000), Healthy.class),
                row("healthy primary although standbys cannot reach it (agent is the authority)",
                        cluster().standbysConfirm().failedFor(10_000), Healthy.class),
                row("state not known from a majority", stateUnknown(cluster().primaryGone()), NotReady.class,
                        "majority"),
                row("no primary registered", noPrimary(cluster()), NotReady.class, "no primary"),
                row("primary id is no registered node", cluster().primaryGone().remove(1), NotReady.class,
                        "not a registered node"),

                // --- evidence (a): the primary's own state
                row("PG down, agent restarting it", cluster().primaryPg(PgState.DOWN, LocalRecovery.RESTARTING)
                        .standbysConfirm().failedFor(60_000), WaitForEvidence.class, "restarting"),
                row("PG down, agent not done yet (NONE)", cluster().primaryPg(PgState.DOWN, LocalRecovery.NONE)
                        .standbysConfirm().failedFor(60_000), WaitForEvidence.class, "giving it time"),
                row("PG busy", cluster().primaryPg(PgState.BUSY, LocalRecovery.NONE).standbysConfirm(),
                        WaitForEvidence.class, "busy"),
                row("primary reports STANDBY: no failure by the rule",
                        cluster().primaryPg(PgState.STANDBY, LocalRecovery.NONE).standbysConfirm()
                                .failedFor(60_000), WaitForEvidence.class, "operator"),
                row("PG down GAVE_UP, standbys confirm, after timeout and lease", cluster()
                        .primaryPg(PgState.DOWN, LocalRecovery.GAVE_UP).standbysConfirm().failedFor(5_000),
                        Promote.class, "gave up").candidate(2),
                row("PG down GAVE_UP, standbys confirm, before timeout", cluster()
                        .primaryPg(PgState.DOWN, LocalRecovery.GAVE_UP).standbysConfirm().failedFor(1_000),
                        WaitForEvidence.class, "gave up", "2.0 s left"),
                row("FENCED primary, standbys confirm", cluster().primaryPg(PgState.FENCED, LocalRecovery.NONE)
                        .standbysConfirm().failedFor(5_000), Promote.class, "fenced").candidate(2),
                row("stale primary report counts as unreachable although the member is reachable",
                        cluster().with(1, n -> n.receivedAtNanos = NOW - sec(6)).standbysConfirm()
                                .failedFor(5_000), Promote.class, "6.0 s old > 5.0 s").candidate(2),
                row("primary report exactly reportStaleAfter old is still fresh",
                        cluster().with(1, n -> n.receivedAtNanos = NOW - sec(5)).standbysConfirm()
                                .failedFor(5_000), Healthy.class),
                row("primary never reported in this incarnation", cluster().with(1, n -> n.reported = false)
                        .standbysConfirm().failedFor(5_000), Promote.class, "no report").candidate(2),

                // --- evidence (a), issue 8.5: a hung primary (its agent alive) is failed; a slow one is not
                row("PG hung, its agent still gives it time: the timeout runs, no promotion before the fence",
                        hung(LocalRecovery.NONE).standbysConfirm().failedFor(60_000), WaitForEvidence.class,
                        "PostgreSQL hung (hung: does not answer", "fences it once that has lasted",
                        "waiting for its agent to fence it"),
                row("PG hung, before the timeout: counting down like any failure",
                        hung(LocalRecovery.NONE).standbysConfirm().failedFor(1_000), WaitForEvidence.class,
                        "PostgreSQL hung", "2.0 s left"),
                row("PG hung, its agent gave up and is fencing it: still no promotion",
                        hung(LocalRecovery.GAVE_UP).standbysConfirm().failedFor(60_000), WaitForEvidence.class,
                        "gave up and is fencing it", "waiting for its agent to fence it"),
                row("hung primary fenced by its agent, which gave up: promoted (the fence was complete first)",
                        cluster().primaryPg(PgState.FENCED, LocalRecovery.GAVE_UP)
                                .with(1, n -> n.detail = "fenced (killed (SIGKILL) postmaster 4242): PostgreSQL hung")
                                .standbysConfirm().failedFor(5_000),
                        Promote.class, "fenced by its agent, which gave up on it", "PostgreSQL hung").candidate(2),
                row("PG hung, but a standby still reaches it: no failure", hung(LocalRecovery.NONE).standbysConfirm()
                        .with(3, n -> n.primaryReachable = Optional.of(true)).failedFor(60_000),
                        WaitForEvidence.class, "pg3 (node 3) still reaches"),
                row("PG hung, paused: paused", hung(LocalRecovery.GAVE_UP).standbysConfirm().failedFor(60_000).paused(),
                        Paused.class, "hung"),
                row("PG hung, manual mode: reported (in manual mode its agent fences nothing)",
                        hung(LocalRecovery.NONE).standbysConfirm().failedFor(60_000), ReportOnly.class, "hung",
                        "best candidate pg2").config(CONFIG.withMode(PolicyConfig.Mode.MANUAL)).candidate(2),
                row("PG slow (not answering in time, its postmaster runs): never a failure, however long",
                        cluster().primaryPg(PgState.SLOW, LocalRecovery.NONE)
                                .with(1, n -> n.detail = "slow: does not answer in time, but its postmaster ran")
                                .standbysConfirm().failedFor(600_000),
                        WaitForEvidence.class, "reports PostgreSQL slow", "a loaded primary is no failure"),

                // --- evidence (b): a dead agent with a live PostgreSQL is no failure
                row("agent killed, PG alive: standbys stream from it", cluster().with(1, ClusterFixture.Node::agentDead)
                        .failedFor(60_000), WaitForEvidence.class, "still reaches", "dead agent with a live"),
                row("standby's WAL receiver still says streaming, but its ping cannot reach the primary (a cut link)",
                        cluster().primaryGone().with(2, n -> n.streamingFrom = Optional.of("10.0.0.1:5432")),
                        Promote.class, "confirm its PostgreSQL unreachable").candidate(2),
                row("a standby with no ping answer yet that streams from the primary",
                        cluster().primaryGone().with(2, n -> {
                            n.primaryReachable = Optional.empty();
                            n.streamingFrom = Optional.of("10.0.0.1:5432");
                        }),
                        WaitForEvidence.class, "pg2 (node 2) still streams from the primary (10.0.0.1:5432)"),
                row("one standby still sees the primary, the other does not",
                        cluster().primaryGone().with(3, n -> n.primaryReachable = Optional.of(true)),
                        WaitForEvidence.class, "pg3 (node 3) still reaches"),
                row("a witness still reaches the primary",
                        cluster().primaryGone().with(4, n -> n.primaryReachable = Optional.of(true)),
                        WaitForEvidence.class, "w (node 4) still reaches"),
                row("streaming via localhost matches conninfo 127.0.0.1",
                        cluster().primaryGone()
                                .with(1, n -> n.conninfo = "host=127.0.0.1 port=5433")
                                .with(2, n -> {
                                    n.primaryReachable = Optional.empty();
                                    n.streamingFrom = Optional.of("localhost:5433");
                                }),
                        WaitForEvidence.class, "streams from the primary"),
                row("streaming from another standby (cascade) is no sign of the primary",
                        cluster().primaryGone().with(3, n -> n.streamingFrom = Optional.of("10.0.0.2:5432")),
                        Promote.class).candidate(2),
                row("streaming from an address no node has: may be the primary",
                        cluster().primaryGone().with(3, n -> {
                            n.primaryReachable = Optional.empty();
                            n.streamingFrom = Optional.of("db1.example:5432");
                        }),
                        WaitForEvidence.class, "no other node's address"),
                row("streaming while the primary's address is unknown",
                        cluster().primaryGone().with(1, n -> n.reported = false)
                                .with(3, n -> {
                                    n.primaryReachable = Optional.empty();
                                    n.streamingFrom = Optional.of("10.0.0.2:5432");
                                }),
                        WaitForEvidence.class, "address is unknown"),
                row("an unreachable standby's old 'I see it' is no evidence",
                        cluster().primaryGone().with(3, n -> {
                            n.agentDead();
                            n.primaryReachable = Optional.of(true);
                            n.streamingFrom = Optional.of("10.0.0.1:5432");
                        }), Promote.class).candidate(2),
                row("no standby has confirmed (they did not look)",
                        cluster().primaryGone().with(2, n -> n.primaryReachable = Optional.empty())
                                .with(3, n -> n.primaryReachable = Optional.empty()),
                        WaitForEvidence.class, "no reachable standby has confirmed"),
                row("no standby reachable to confirm",
                        cluster().primaryGone().with(2, ClusterFixture.Node::agentDead)
                                .with(3, ClusterFixture.Node::agentDead),
                        WaitForEvidence.class, "no reachable standby has confirmed"),
                row("a witness alone cannot confirm",
                        cluster().primaryGone().with(2, n -> n.primaryReachable = Optional.empty())
                                .with(3, n -> n.primaryReachable = Optional.empty())
                                .with(4, n -> n.primaryReachable = Optional.of(false)),
                        WaitForEvidence.class, "no reachable standby has confirmed"),
                row("one standby confirms, the other did not look", cluster().primaryGone()
                        .with(3, n -> n.primaryReachable = Optional.empty()), Promote.class, "pg2 (node 2) confirms")
                        .candidate(2),

                // --- evidence (c): continuous for the failover timeout
                row("failure first seen now", cluster().primaryGone().failedSinceNow(), WaitForEvidence.class,
                        "3.0 s left"),
                row("failure 2.9 s old", cluster().primaryGone(2_900), WaitForEvidence.class, "100 ms left"),
                row("failure exactly the timeout old", cluster().primaryGone(3_000), Promote.class).candidate(2),

                // --- (d) the lease
                row("after timeout, lease not expired", cluster().primaryGone().leaseExpiresIn(0),
                        WaitForLease.class, "2.0 s until the primary's lease"),
                row("lease expired but margin not passed", cluster().primaryGone().leaseExpiresIn(-1_500),
                        WaitForLease.class, "500 ms"),
                row("now exactly lease + margin: not yet", cluster().primaryGone().leaseExpiresIn(-2_000),
                        WaitForLease.class),
                row("lease + margin passed", cluster().primaryGone().leaseExpiresIn(-2_001), Promote.class,
                        "lease expired", "epoch 8").candidate(2),
                row("new incarnation without lease knowledge waits the incarnation bound",
                        incarnation(cluster().primaryGone(), sec(5), Optional.empty()), WaitForLease.class,
                        "7.0 s"),
                row("new incarnation, bound passed", incarnation(cluster().primaryGone(), sec(13), Optional.empty()),
                        Promote.class).candidate(2),
                row("incarnation bound also holds when an older lease is known",
                        incarnation(cluster().primaryGone(), sec(5), Optional.of(NOW - sec(30))),
                        WaitForLease.class),

                // --- paused / manual
                row("paused", cluster().primaryGone().paused(), Paused.class, "paused"),
                row("paused, before the timeout: still just waiting", cluster().primaryGone(1_000).paused(),
                        WaitForEvidence.class),
                row("manual mode names the best candidate", cluster().primaryGone(), ReportOnly.class,
                        "manual", "best candidate pg2 (node 2)", "lease has expired")
                        .config(CONFIG.withMode(PolicyConfig.Mode.MANUAL)).candidate(2),
                row("manual mode while the lease may be held", cluster().primaryGone().leaseExpiresIn(0),
                        ReportOnly.class, "may be held").config(CONFIG.withMode(PolicyConfig.Mode.MANUAL))
                        .candidate(2),
                row("manual mode, nobody eligible", cluster().primaryGone()
                        .with(2, n -> n.priority = 0).with(3, n -> n.priority = 0), ReportOnly.class,
                        "no eligible candidate").config(CONFIG.withMode(PolicyConfig.Mode.MANUAL)),

                // --- candidates
                row("best LSN wins", cluster().primaryGone(), Promote.class, "at 0/5000000").candidate(2),
                row("best LSN wins even with lower priority", cluster().primaryGone()
                        .with(3, n -> n.priority = 500), Promote.class).candidate(2),
                row("replayed ahead of received counts", cluster().primaryGone()
                        .with(3, n -> n.replayedLsn = Optional.of("0/6000000")), Promote.class).candidate(3),
                row("LSN tie: higher priority", cluster().primaryGone().with(3, n -> {
                    n.received("0/5000000");
                    n.priority = 150;
                }), Promote.class).candidate(3),
                row("LSN and priority tie: lower id", reversed(cluster().primaryGone()
                        .with(3, n -> n.received("0/5000000"))), Promote.class).candidate(2),
                row("priority 0 never chosen, even if most advanced", cluster().primaryGone()
                        .with(2, n -> n.priority = 0), Promote.class, "priority 0").candidate(3),
                row("priority 0 everywhere: no candidate", cluster().primaryGone()
                        .with(2, n -> n.priority = 0).with(3, n -> n.priority = 0), NoCandidate.class,
                        "pg2: priority 0", "pg3: priority 0"),
                row("no-failover tag", cluster().primaryGone().with(2, n -> n.noFailover = true), Promote.class,
                        "tagged no-failover").candidate(3),
                row("witness never, even with the most WAL", cluster().primaryGone().with(4, n -> {
                    n.pg = PgState.STANDBY;
                    n.priority = 900;
                    n.received("1/0");
                }), Promote.class, "w (node 4): not eligible: witness").candidate(2),
                row("only a witness left", cluster().primaryGone().remove(3)
                        .with(2, n -> n.noFailover = true), NoCandidate.class, "w: witness"),
                row("max-lag exceeded is excluded", cluster().primaryGone(), Promote.class,
                        "lag 1048576 bytes > max-lag 1000").config(MAX_LAG_1000).candidate(2),
                row("max-lag measured from the primary's last current LSN",
                        cluster().primaryGone().with(1, n -> n.currentLsn = Optional.of("0/5001000")),
                        NoCandidate.class, "lag 4096 bytes > max-lag 1000").config(MAX_LAG_1000),
                row("max-lag exactly met is within", cluster().primaryGone()
                        .with(2, n -> n.received("0/4FFFC18")), Promote.class, "lag 1000 bytes")
                        .config(MAX_LAG_1000).candidate(2),
                row("synchronous mode: only the sync standby, even if an async one is ahead",
                        cluster().primaryGone().with(1, n -> n.syncStandbys = List.of("pg3")), Promote.class,
                        "pg2 (node 2): not eligible: not in the synchronous set [pg3]").config(SYNC).candidate(3),
                // safety-2026-12 F6: with FIRST 1 (pg2, pg3) the acknowledged commits may be on either; the primary's
                // last report (sync = pg2) is no guide once the role moved: the most advanced member of the set wins
                row("synchronous mode: the most advanced member of the recorded set, whatever the primary last reported",
                        cluster().primaryGone().recordedSyncSet("pg2", "pg3")
                                .with(1, n -> n.syncStandbys = List.of("pg2")).with(3, n -> n.received("0/5100000")),
                        Promote.class, "promoting pg3")
                        .config(SYNC).candidate(3),
                row("synchronous mode: a member of the set that may hold newer commits is unreachable: wait",
                        cluster().primaryGone().recordedSyncSet("pg2", "pg3").with(3, ClusterFixture.Node::agentDead),
                        NoCandidate.class, "pg3 (node 3) of the synchronous set is unreachable").config(SYNC),
                row("synchronous mode: a new incarnation that never heard the primary uses the recorded set",
                        cluster().primaryGone().recordedSyncSet("pg2", "pg3").with(1, n -> n.reported = false)
                                .with(3, n -> n.received("0/5100000")),
                        Promote.class, "promoting pg3").config(SYNC).candidate(3),
                row("synchronous mode without a sync standby", cluster().primaryGone(), NoCandidate.class,
                        "not a synchronous standby").config(SYNC),
                row("synchronous mode, the primary never reported", cluster().primaryGone()
                        .with(1, n -> n.reported = false), NoCandidate.class, "synchronous standbys are unknown")
                        .config(SYNC),
                row("asynchronous mode ignores the sync list", cluster().primaryGone()
                        .with(1, n -> n.syncStandbys = List.of("pg3")), Promote.class).candidate(2),
                row("unreachable standby excluded", cluster().primaryGone().with(2, n -> n.memberReachable = false),
                        Promote.class, "unreachable (cluster member unreachable)").candidate(3),
                row("candidate's report stale excluded", cluster().primaryGone()
                        .with(2, n -> n.receivedAtNanos = NOW - sec(6)), Promote.class,
                        "unreachable (last report 6.0 s old").candidate(3),
                row("candidate's PostgreSQL down", cluster().primaryGone().with(2, n -> n.pg = PgState.DOWN),
                        Promote.class, "not a standby: DOWN").candidate(3),
                row("candidate without LSN", cluster().primaryGone().with(2, n -> {
                    n.receivedLsn = Optional.empty();
                    n.replayedLsn = Optional.empty();
                }), Promote.class, "no received LSN").candidate(3),
                row("garbage LSN text counts as unknown", cluster().primaryGone()
                        .with(2, n -> n.received("not-an-lsn")), Promote.class, "no received LSN").candidate(3),
                row("every standby unusable: all reasons listed", cluster().primaryGone()
                        .with(2, n -> n.pg = PgState.BUSY).with(3, n -> n.noFailover = true), NoCandidate.class,
                        "pg2: not a standby: BUSY", "pg3: tagged no-failover", "w: witness"),
                row("several reasons for one node", cluster().primaryGone().with(3, n -> {
                    n.priority = 0;
                    n.noFailover = true;
                }), Promote.class, "priority 0; tagged no-failover; lag 1048576 bytes > max-lag 1000")
                        .config(MAX_LAG_1000).candidate(2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void givenScenario_whenDecided_thenExpectedDecision(Row row) {
        ClusterSnapshot snapshot = row.cluster().snapshot();

        Decision d = FailoverPolicy.decide(row.config(), snapshot, NOW);

        assertInstanceOf(row.type(), d, () -> "got " + d);
        Optional<Integer> candidate = d instanceof Promote p ? Optional.of(p.candidateId())
                : d instanceof ReportOnly r ? r.bestCandidateId()
                : Optional.empty();
        assertEquals(row.candidate(), candidate, () -> "candidate in " + d);
        String text = describe(d).toLowerCase(Locale.ROOT);
        for (String phrase : row.phrases()) {
            assertTrue(text.contains(phrase.toLowerCase(Locale.ROOT)), () -> "'" + phrase + "' not in: " + describe(d));
        }
        assertFailedSinceInvariant(row, snapshot, d);
    }

    /** Failed-since is kept exactly while the evidence holds and cleared when it is absent. */
    private static void assertFailedSinceInvariant(Row row, ClusterSnapshot in, Decision d) {
        // WaitForEvidence keeps the clock only while counting down the failover timeout
        // (or, for a hung primary, while waiting for its agent's fence: the timeout has passed by then)
        boolean evidenceHolds = d instanceof WaitForEvidence w
                ? w.reason().contains(" left") || w.reason().contains("waiting for its agent to fence it")
                : !(d instanceof Healthy || d instanceof NotReady);
        if (evidenceHolds) {
            assertEquals(Optional.of(in.primaryLooksFailedSinceNanos().orElse(NOW)), d.primaryLooksFailedSinceNanos());
        } else {
            assertEquals(Optional.empty(), d.primaryLooksFailedSinceNanos(), () -> "not cleared: " + d);
        }
        if (d instanceof Promote p) {
            assertEquals(in.epoch() + 1, p.newEpoch());
            assertEquals(row.cluster().snapshot().nodes().size(), p.assessments().size(), "every node assessed");
        }
    }

    private static String describe(Decision d) {
        List<CandidateAssessment> assessments = d instanceof Promote p ? p.assessments()
                : d instanceof NoCandidate n ? n.assessments()
                : d instanceof ReportOnly r ? r.assessments()
                : List.of();
        return d.reason() + "\n" + assessments.stream().map(CandidateAssessment::toString)
                .collect(Collectors.joining("\n"));
    }

    /** The primary's agent reports its PostgreSQL hung (the agent itself alive and reporting). */
    private static ClusterFixture hung(LocalRecovery recovery) {
        return cluster().primaryPg(PgState.HUNG, recovery).with(1, n -> n.detail = "hung: does not answer and its "
                + "postmaster (pid 4242, state T (stopped)) has not run for 3.2 s while a connection waits for it");
    }

    private static ClusterFixture stateUnknown(ClusterFixture c) {
        c.stateKnown = false;
        return c;
    }

    private static ClusterFixture noPrimary(ClusterFixture c) {
        c.primaryId = Optional.empty();
        return c;
    }

    private static ClusterFixture incarnation(ClusterFixture c, long startedAgo, Optional<Long> leaseExpiresAt) {
        c.incarnationStartedAtNanos = NOW - startedAgo;
        c.leaseExpiresAtNanos = leaseExpiresAt;
        return c;
    }

    /** Same cluster, nodes registered in reverse order: ranking must not depend on list order. */
    private static ClusterFixture reversed(ClusterFixture c) {
        c.reverseOrder = true;
        return c;
    }
}
