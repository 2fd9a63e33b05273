package org.pgsteward.agent.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.pgsteward.agent.postgres.PgSnapshot;
import org.pgsteward.protocol.Lsn;

/**
 * The agent's Prometheus metrics: this node's role, reachability, WAL position and lag, the
 * epoch it accepted, and failovers seen. Updated from each probe; read at scrape time.
 */
public final class AgentMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicReference<Optional<PgSnapshot>> latest = new AtomicReference<>(Optional.empty());
    private final AtomicLong epoch = new AtomicLong();
    private final Counter failovers;
    private final SlotMetrics slots;

    public AgentMetrics(String cluster, int nodeId, String nodeName) {
        Tags tags = Tags.of("cluster", cluster, "node_id", Integer.toString(nodeId), "node", nodeName);
        Gauge.builder("pgsteward_node_up", this, m -> m.snapshot().map(s -> s.isReachable() ? 1.0 : 0.0).orElse(0.0))
                .description("1 when this node's PostgreSQL answers the probe").tags(tags).register(registry);
        Gauge.builder("pgsteward_node_is_primary", this,
                        m -> m.snapshot().map(s -> s.isReachable() && !s.inRecovery() ? 1.0 : 0.0).orElse(0.0))
                .description("1 when this node is a writable primary").tags(tags).register(registry);
        Gauge.builder("pgsteward_node_is_streaming_standby", this,
                        m -> m.snapshot().map(s -> s.isReachable() && s.inRecovery() && s.isStreaming() ? 1.0 : 0.0).orElse(0.0))
                .description("1 when this node is a standby streaming from its upstream").tags(tags).register(registry);
        Gauge.builder("pgsteward_wal_position_bytes", this,
                        m -> m.snapshot().flatMap(PgSnapshot::bestLsn).map(l -> (double) l.value()).orElse(Double.NaN))
                .description("this node's WAL position (current on a primary, received on a standby)").tags(tags)
                .register(registry);
        Gauge.builder("pgsteward_apply_lag_bytes", this, m -> m.snapshot().flatMap(AgentMetrics::applyLag).orElse(Double.NaN))
                .description("received but not yet replayed WAL on a standby").tags(tags).register(registry);
        Gauge.builder("pgsteward_timeline", this, m -> m.snapshot().filter(PgSnapshot::isReachable)
                        .map(s -> (double) s.timeline()).orElse(Double.NaN))
                .description("this node's timeline").tags(tags).register(registry);
        Gauge.builder("pgsteward_epoch", epoch, AtomicLong::doubleValue)
                .description("the highest epoch this agent has accepted").tags(tags).register(registry);
        failovers = Counter.builder("pgsteward_failovers")
                .description("promotions of this node to primary (failover, switchover or by hand)")
                .tags(tags).register(registry);
        slots = new SlotMetrics(registry, tags);
    }

    /** The replication slot series (their own file: SlotMetrics). */
    public SlotMetrics slots() {
        return slots;
    }

    private Optional<PgSnapshot> snapshot() {
        return latest.get();
    }

    private static Optional<Double> applyLag(PgSnapshot s) {
        return s.applyLagBytes().map(Long::doubleValue);
    }

    public void update(PgSnapshot snapshot) {
        latest.set(Optional.of(snapshot));
    }

    public void epoch(long value) {
        epoch.set(value);
    }

    public void failover() {
        failovers.increment();
    }

    public String scrape() {
        return registry.scrape();
    }
}
