package org.pgsteward.console.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgsteward.console.e2e.E2eSupport.ok;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.testing.PostgresExtension;

/** Real faults on real agent processes and real PostgreSQL, with automatic failover. */
class AutomaticFailoverTest {

    @RegisterExtension
    final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    final AgentFixture agents = new AgentFixture();

    @Test
    void givenSynchronousMode_whenPrimaryPostgresAndAgentKilled_thenStandbyPromotedOtherFollowsNoAckedRowLostAndOldPrimaryRejoins()
            throws Exception {
        HaCluster c = HaCluster.start(pg, agents, false, "replication { synchronous = \"on\" }\n", 1);
        TestNode node1 = c.node(1);
        Wait.until("a synchronous standby", Duration.ofSeconds(60), () ->
                !node1.pg().query("SELECT application_name FROM pg_stat_replication WHERE sync_state = 'sync'").isEmpty());
        try (Writer writer = new Writer(c.nodes, 1_000_000).start()) {
            TestNode primary = loseThePrimaryUnderTheWriter(c, node1, writer);
            writer.close();
            Set<Long> onPrimary = new HashSet<>();
            primary.pg().query("SELECT id FROM ha").forEach(id -> onPrimary.add(Long.parseLong(id)));
            Set<Long> lost = new HashSet<>(writer.acknowledged());
            lost.removeAll(onPrimary);
            assertTrue(lost.isEmpty(), lost.size() + " acknowledged rows lost, e.g. " + lost.stream().limit(5).toList());

            // the old primary's agent comes back: it rejoins as a standby (pg_rewind), never as a primary
            node1.agent().start();
            Wait.until("node1 streams from the new primary", Duration.ofSeconds(120), () -> HaCluster.streamsFrom(node1, primary));
            assertEquals(List.of(primary), c.writable());
            Wait.until("/primary answers 200 on the new primary only", Duration.ofSeconds(30), () ->
                    primary.agent().httpStatus("/primary") == 200 && node1.agent().httpStatus("/primary") == 503);
            String events = ok(primary.console("cluster", "event")).stdout();
            assertTrue(events.contains("promote"), events);
        }
    }

    /**
     * Issue 7: the product default (a journal per host), the supervisor on the primary's host (its agent started
     * first: the oldest member), asynchronous mode: that host is lost under a writer; a standby takes over and the
     * new supervisor still has the history. Issue 10 points 4 and 6 on the same cluster: every agent runs an
     * events.command that records its arguments (register, clone, the failover's promote and follow each run it on
     * their node), and the survivors' /metrics show the new primary's standby, lease, membership and the failover.
     */
    @Test
    void givenSupervisorOnThePrimarysHost_whenThatHostIsLostUnderAWriter_thenAStandbyTakesOverAndHistoryIsKept()
            throws Exception {
        var recorder = new EventRecorder(agents.workDir());
        HaCluster c = HaCluster.start(pg, agents, false, recorder.hocon(), 1);
        TestNode node1 = c.node(1);
        try (Writer writer = new Writer(c.nodes, 1_000_000).start()) {
            TestNode primary = loseThePrimaryUnderTheWriter(c, node1, writer);
            String events = ok(primary.console("cluster", "event")).stdout();
            assertTrue(events.contains("primary in epoch 1") && events.contains("promote"),
                    "the registration (decided on the lost host) and the failover: " + events);
            String show = ok(primary.console("cluster", "show")).stdout();
            assertTrue(show.lines().anyMatch(l -> l.contains("node1") && l.contains("former primary")),
                    "the lost primary is a former primary, not a second primary row: " + show);

            int p = primary.id();
            int other = c.nodes.stream().filter(n -> n != node1 && n != primary).findFirst().orElseThrow().id();
            assertTrue(recorder.recorded(1, "primary_register", true), recorder.lines(1).toString());
            for (int id : List.of(2, 3)) {
                assertTrue(recorder.recorded(id, "standby_clone", true) && recorder.recorded(id, "standby_register", true),
                        "node " + id + ": " + recorder.lines(id));
            }
            Wait.until("the event command ran for the promotion and the follow", Duration.ofSeconds(30), () ->
                    recorder.recorded(p, "failover_promote", true) && recorder.recorded(other, "failover_follow", true));
            String promoted = recorder.lines(p).stream().filter(l -> l.contains(" | failover_promote | ")).findFirst()
                    .orElseThrow();
            String[] f = promoted.split(" \\| ", 5);
            java.time.Instant.parse(f[3]); // %t: an ISO-8601 timestamp
            assertTrue(f[4].startsWith("promoted in "), "%d, the operation's outcome: " + promoted);

            Wait.until("the primary's metrics show its standby, its lease and two members up", Duration.ofSeconds(30),
                    () -> {
                        var m = new MetricsScrape(primary.agent().httpGet("/metrics"));
                        return m.value("pgsteward_standby_replication_lag_bytes", "standby=\"node" + other + "\"")
                                .filter(v -> v >= 0).isPresent()
                                && m.value("pgsteward_standby_replication_lag_seconds", "standby=\"node" + other + "\"")
                                .filter(v -> v >= 0).isPresent()
                                && m.value("pgsteward_lease_remaining_seconds").filter(v -> v > 0 && v <= 3).isPresent()
                                && m.value("pgsteward_cluster_members_up").equals(java.util.Optional.of(2.0));
                    });
            var m = new MetricsScrape(primary.agent().httpGet("/metrics"));
            assertEquals(java.util.Optional.of(0.0), m.value("pgsteward_failover_paused"), m.text());
            assertEquals(java.util.Optional.of(1.0), m.value("pgsteward_supervisor_reachable"), m.text());
            assertEquals(java.util.Optional.of(0.0), m.value("pgsteward_standby_synchronous"), "asynchronous mode");
            assertEquals(java.util.Optional.of(1.0), m.value("pgsteward_operations_total", "command=\"cluster promote\"",
                    "outcome=\"success\""), m.text());
            assertEquals(java.util.Optional.of(1.0), m.value("pgsteward_node_is_primary"), "an existing series kept");
            assertTrue(m.value("pgsteward_event_commands_total", "outcome=\"ok\"").filter(v -> v >= 2).isPresent(), m.text());
            assertTrue(m.value("jvm_memory_used_bytes", "area=\"heap\"").filter(v -> v > 0).isPresent(), m.text());
            assertTrue(m.has("pgsteward_switchover_duration_seconds_count"), m.text());
            // the failover was decided by the supervisor that took over on one of the survivors
            double failovers = 0;
            for (TestNode n : List.of(primary, c.node(other))) {
                var s = new MetricsScrape(n.agent().httpGet("/metrics"));
                failovers += s.value("pgsteward_failover_duration_seconds_count").orElse(0.0);
                assertTrue(s.value("pgsteward_failover_duration_seconds_sum").filter(v -> v >= 0 && v < 120).isPresent());
            }
            assertEquals(1.0, failovers, "one failover timed, on the agent hosting the supervisor");
            // the dashboard shipped in conf/ reads only series the agents expose
            String dashboard = java.nio.file.Files.readString(java.nio.file.Path.of("../conf/grafana-dashboard.json"));
            var names = java.util.regex.Pattern.compile("(pgsteward|jvm|process|system)_[a-z_]+").matcher(dashboard);
            while (names.find()) {
                String series = names.group();
                assertTrue(m.text().contains("\n" + series + "{"), "the dashboard's " + series + " is not in /metrics");
            }
        }
    }

    /**
     * Safety rule 8: a primary whose agent is dead stops taking writes before its lease ends. The agent's fence guard
     * (a process of its own) outlives it and fences its PostgreSQL once the lease it last wrote runs out; the dead
     * agent in front of a stopped PostgreSQL is then a failure like any other (until the guard, the primary of a dead
     * agent kept serving indefinitely, which a later partition turned into a split brain: review finding F1).
     */
    @Test
    void givenPrimaryAgentKilled_whenPostgresStaysUp_thenTheGuardFencesItAndAStandbyIsPromoted() {
        HaCluster c = HaCluster.start(pg, agents, false, "", 1);
        TestNode node1 = c.node(1);
        var node1Postmaster = org.pgsteward.agent.postgres.Postmaster.of(node1.pg().dataDir(),
                new org.pgsteward.agent.exec.CommandRunner());
        AtomicInteger maxWritable = new AtomicInteger();

        node1.agent().kill9();

        Wait.until("the guard fenced node1's PostgreSQL", Duration.ofSeconds(60), () -> {
            maxWritable.accumulateAndGet(c.writable().size(), Math::max);
            return !node1Postmaster.running();
        });
        Wait.until("a new primary and the other standby following it", Duration.ofSeconds(60), () -> {
            List<TestNode> w = c.writable();
            maxWritable.accumulateAndGet(w.size(), Math::max);
            return w.size() == 1 && w.get(0) != node1 && c.nodes.stream().filter(n -> n != node1 && n != w.get(0))
                    .allMatch(n -> HaCluster.streamsFrom(n, w.get(0)));
        });
        assertEquals(1, maxWritable.get(), "never two writable primaries");
        TestNode primary = c.onlyWritable().orElseThrow();

        // the old primary's agent comes back: it rejoins as a standby, never as a primary
        node1.agent().start();
        Wait.until("node1 streams from the new primary", Duration.ofSeconds(120), () -> HaCluster.streamsFrom(node1, primary));
        assertEquals(List.of(primary), c.writable());
    }

    /**
     * Issue 8 point 5, a hung primary: its postmaster and every child SIGSTOPped while its agent runs. Measured before
     * the fix: no writable primary for as long as it stayed stopped, and no failover (the agent's local "restart" found
     * pg_ctl status running and counted that as done, so it never gave up). Its agent must see a server that does not
     * answer and makes no progress, fence it (SIGKILL: a stopped process acts on no other signal) and give up, so that
     * a standby is promoted, the fence complete before the promotion; thawed, nothing of the old server runs again.
     */
    @Test
    void givenPrimaryPostgresFrozen_whenItsAgentIsAlive_thenItIsFencedAndAStandbyPromoted() {
        HaCluster c = HaCluster.start(pg, agents, false, "", 1);
        TestNode node1 = c.node(1);
        AtomicReference<ServerProcesses> thaw = new AtomicReference<>(ServerProcesses.none());
        AtomicInteger maxWritable = new AtomicInteger();
        AtomicBoolean promotedBeforeFenced = new AtomicBoolean();
        try (Writer writer = new Writer(c.nodes, 1_000_000).start()) {
            Wait.until("the writer commits on node1", Duration.ofSeconds(30), () -> writer.acknowledgedCount() > 50);

            ServerProcesses frozen = ServerProcesses.freeze(node1); // the writer's backend too
            thaw.set(frozen);

            Wait.until("a standby is promoted", Duration.ofSeconds(60), () -> {
                List<TestNode> w = c.writable();
                maxWritable.accumulateAndGet(w.size(), Math::max);
                boolean promoted = w.size() == 1 && w.get(0) != node1;
                // writable first, then the frozen processes: both seen means both held at once
                if (promoted && !frozen.allGone()) {
                    promotedBeforeFenced.set(true);
                }
                return promoted;
            });
            assertFalse(promotedBeforeFenced.get(), "a standby was writable while the frozen primary's processes lived");
            assertTrue(frozen.allGone(), "the frozen processes were killed while stopped; still running: " + frozen.running());
            frozen.signal("CONT"); // nothing is left to thaw
            TestNode primary = c.onlyWritable().orElseThrow();
            long before = writer.acknowledgedCount();
            Wait.until("the writer commits on the new primary", Duration.ofSeconds(30),
                    () -> writer.acknowledgedCount() > before + 20);

            // the old primary rejoins as a standby of the new one, never writable again
            Wait.until("node1 streams from the new primary", Duration.ofSeconds(120), () -> {
                maxWritable.accumulateAndGet(c.writable().size(), Math::max);
                return HaCluster.streamsFrom(node1, primary);
            });
            assertEquals(List.of(primary), c.writable());
            assertEquals(1, maxWritable.get(), "never two writable primaries");
            String events = ok(primary.console("cluster", "event")).stdout();
            assertTrue(events.contains("hung"), "the failover says why: " + events);
        } finally {
            thaw.get().signal("CONT");
        }
    }

    @Test
    void givenPrimaryPostgresKilled_whenAgentAlive_thenRestartedLocallyAndNoFailover() {
        HaCluster c = HaCluster.start(pg, agents, false, "", 1);
        TestNode node1 = c.node(1);
        long oldPid = node1.pg().pgCtl().postmasterPid().orElseThrow();
        HaCluster.killPostgres(node1);
        Wait.until("node1 restarted by its agent", Duration.ofSeconds(60), () ->
                node1.pg().pgCtl().postmasterPid().map(p -> p != oldPid).orElse(false) && c.writable().equals(List.of(node1)));
        Wait.until("both standbys stream from node1 again", Duration.ofSeconds(60), () ->
                HaCluster.streamsFrom(c.node(2), node1) && HaCluster.streamsFrom(c.node(3), node1));
        String events = ok(node1.console("cluster", "event")).stdout();
        assertTrue(!events.contains("epoch 2"), "no new epoch: " + events);
    }

    /**
     * The writer commits on {@code node1}; its agent and PostgreSQL are SIGKILLed; waits for a new primary that the
     * other standby follows and the writer commits on, never seeing two writable primaries; returns the new primary.
     */
    private static TestNode loseThePrimaryUnderTheWriter(HaCluster c, TestNode node1, Writer writer) {
        AtomicInteger maxWritable = new AtomicInteger();
        Wait.until("the writer commits on node1", Duration.ofSeconds(30), () -> writer.acknowledgedCount() > 50);
        node1.agent().kill9();
        HaCluster.killPostgres(node1);
        Wait.until("a new primary and the other standby following it", Duration.ofSeconds(60), () -> {
            List<TestNode> w = c.writable();
            maxWritable.accumulateAndGet(w.size(), Math::max);
            return w.size() == 1 && c.nodes.stream().filter(n -> n != node1 && n != w.get(0))
                    .allMatch(n -> HaCluster.streamsFrom(n, w.get(0)));
        });
        TestNode primary = c.onlyWritable().orElseThrow();
        long before = writer.acknowledgedCount();
        Wait.until("the writer commits on the new primary", Duration.ofSeconds(30),
                () -> writer.acknowledgedCount() > before + 20);
        assertEquals(1, maxWritable.get(), "never two writable primaries");
        return primary;
    }
}
