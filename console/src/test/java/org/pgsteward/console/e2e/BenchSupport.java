package org.pgsteward.console.e2e;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.pgsteward.agent.testing.PostgresExtension;

/** One measured failover, for scripts/bench-failover. */
public final class BenchSupport {

    private BenchSupport() {}

    public record Result(double tWriteSeconds, double tFollowSeconds, long lostRows) {}

    /** What happens to the primary at T0. */
    public enum Fault {
        /** its PostgreSQL and its agent are SIGKILLed (a lost host) */
        KILL,
        /** its postmaster and every child are SIGSTOPped, its agent runs on (a hung server, issue 8 point 5) */
        SIGSTOP
    }

    /** A 3-node cluster with default settings, registered and healthy: the agents' process ids, node1's first. */
    public static List<Long> idleCluster(PostgresExtension pg, AgentFixture agents) {
        HaCluster c = HaCluster.start(pg, agents, false, "", 0);
        return c.nodes.stream().map(n -> n.agent().pid()).toList();
    }

    /**
     * Sets up 3 nodes (default settings but {@code extraHocon}), runs a writer, SIGKILLs the primary's
     * PostgreSQL and agent at T0, and measures.
     */
    public static Result failoverOnce(PostgresExtension pg, AgentFixture agents, boolean supervisorOnPrimary,
                                      boolean synchronous, String extraHocon) {
        return failoverOnce(pg, agents, supervisorOnPrimary, synchronous, extraHocon, Fault.KILL);
    }

    /** As {@link #failoverOnce(PostgresExtension, AgentFixture, boolean, boolean, String)}, with {@code fault} at T0. */
    public static Result failoverOnce(PostgresExtension pg, AgentFixture agents, boolean supervisorOnPrimary,
                                      boolean synchronous, String extraHocon, Fault fault) {
        String hocon = "agent { monitor-interval = 1s }\n" + (synchronous ? "replication { synchronous = \"on\" }\n" : "")
                + extraHocon;
        HaCluster c = HaCluster.start(pg, agents, false, hocon, supervisorOnPrimary ? 0 : 1);
        TestNode old = c.node(1);
        if (synchronous) {
            Wait.until("a synchronous standby", Duration.ofSeconds(60), () ->
                    !old.pg().query("SELECT 1 FROM pg_stat_replication WHERE sync_state = 'sync'").isEmpty());
        }
        ServerProcesses frozen = ServerProcesses.none();
        try (Writer writer = new Writer(c.nodes, 10_000_000).start()) {
            Wait.until("writes on node1", Duration.ofSeconds(30), () -> writer.acknowledgedCount() > 100);
            long t0 = System.nanoTime();
            if (fault == Fault.SIGSTOP) {
                frozen = ServerProcesses.freeze(old);
            } else {
                old.agent().kill9();
                HaCluster.killPostgres(old);
            }
            long[] followAt = new long[1];
            TestNode[] primary = new TestNode[1];
            Wait.until("new primary followed", Duration.ofSeconds(120), () -> {
                List<TestNode> w = c.writable();
                if (w.size() != 1) {
                    return false;
                }
                primary[0] = w.get(0);
                TestNode other = c.nodes.stream().filter(n -> n != old && n != primary[0]).findFirst().orElseThrow();
                if (HaCluster.streamsFrom(other, primary[0])) {
                    followAt[0] = System.nanoTime();
                    return true;
                }
                return false;
            });
            Wait.until("a write on the new primary", Duration.ofSeconds(60),
                    () -> writer.firstWriteNanos(primary[0].name()).isPresent());
            long writeAt = writer.firstWriteNanos(primary[0].name()).get();
            writer.close();
            Set<Long> on = new HashSet<>();
            primary[0].pg().query("SELECT id FROM ha").forEach(id -> on.add(Long.parseLong(id)));
            Set<Long> lost = new HashSet<>(writer.acknowledged());
            lost.removeAll(on);
            return new Result((writeAt - t0) / 1e9, (followAt[0] - t0) / 1e9, lost.size());
        } finally {
            frozen.signal("CONT"); // whatever the fence left (nothing, when it worked)
        }
    }

    public record SwitchoverResult(double tWriteSeconds, double tRejoinSeconds, long lostRows) {}

    /** One cluster, {@code runs} switchovers back and forth under a writer, each requested over the agent's HTTP API. */
    public static List<SwitchoverResult> switchovers(PostgresExtension pg, AgentFixture agents, int runs) {
        HaCluster c = HaCluster.start(pg, agents, false, "agent { monitor-interval = 1s }\n", 2);
        List<SwitchoverResult> out = new java.util.ArrayList<>();
        try (Writer writer = new Writer(c.nodes, 10_000_000).start()) {
            Wait.until("writes", Duration.ofSeconds(30), () -> writer.acknowledgedCount() > 100);
            TestNode primary = c.node(1);
            for (int run = 0; run < runs; run++) {
                TestNode target = run % 2 == 0 ? c.node(2) : c.node(1);
                TestNode old = primary;
                Wait.until("target streams", Duration.ofSeconds(60), () -> HaCluster.streamsFrom(target, old));
                Wait.until("the supervisor sees a healthy cluster", Duration.ofSeconds(60), () ->
                        c.nodes.get(2).agent().httpGet("/api/v1/cluster").contains("\"warnings\":[]"));
                writer.forget(target.name());
                long t0 = System.nanoTime();
                String body;
                try {
                    body = org.pgsteward.protocol.Json.mapper().writeValueAsString(new org.pgsteward.protocol.api.CommandRequest(
                            org.pgsteward.protocol.api.Commands.STANDBY_SWITCHOVER, org.pgsteward.protocol.api.CommandArgs.none()));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalStateException(e);
                }
                target.agent().httpPost("/api/v1/operations", body);
                Wait.until("a write on " + target.name(), Duration.ofSeconds(60),
                        () -> writer.firstWriteNanos(target.name()).isPresent());
                long writeAt = writer.firstWriteNanos(target.name()).get();
                Wait.until(old.name() + " streams from " + target.name(), Duration.ofSeconds(60),
                        () -> HaCluster.streamsFrom(old, target));
                long rejoinAt = System.nanoTime();
                // the writer goes on: take what was acknowledged so far before reading the new primary
                Set<Long> lost = new HashSet<>(writer.acknowledged());
                Set<Long> on = new HashSet<>();
                target.pg().query("SELECT id FROM ha").forEach(id -> on.add(Long.parseLong(id)));
                lost.removeAll(on);
                out.add(new SwitchoverResult((writeAt - t0) / 1e9, (rejoinAt - t0) / 1e9, lost.size()));
                primary = target;
            }
        }
        return out;
    }
}
