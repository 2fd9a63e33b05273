package org.pgsteward.agent.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.pgsteward.agent.postgres.PgSnapshot;
import org.pgsteward.agent.postgres.StandbyInfo;
import org.pgsteward.protocol.Lsn;

/**
 * The agent's Prometheus metrics (units in the names, as Prometheus names them): this node's role, reachability, WAL
 * position and lag, the epoch it accepted, failovers seen; on a primary each standby's lag as pg_stat_replication
 * shows it; the lease, the paused flag, the agents' cluster membership and the supervisor's reachability; operations
 * by command and outcome, event command runs, failover and switchover durations; the JVM's own (Micrometer binders).
 * Updated from each probe and operation; read at scrape time.
 */
public final class AgentMetrics {

    /** Histogram buckets of failover and switchover durations, in seconds. */
    private static final double[] DURATION_BUCKETS_SECONDS = {0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 60, 120, 300};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Tags tags;
    private final AtomicReference<Optional<PgSnapshot>> latest = new AtomicReference<>(Optional.empty());
    private final AtomicLong epoch = new AtomicLong();
    private final Counter failovers;
    private final SlotMetrics slots;
    private final Timer failoverDuration;
    private final Timer switchoverDuration;
    /** Per standby (application_name) on this primary: the meters registered for it. */
    private final Map<String, List<Meter>> standbyMeters = new ConcurrentHashMap<>();
    private volatile Supplier<ClusterView> cluster = () -> ClusterView.UNKNOWN;
    private volatile Supplier<Optional<Duration>> leaseRemaining = Optional::empty;
    private volatile Supplier<Optional<Boolean>> paused = Optional::empty;

    /** The agents' cluster membership as this agent sees it (read at scrape time). */
    public record ClusterView(int up, int unreachable, boolean supervisorReachable) {
        static final ClusterView UNKNOWN = new ClusterView(0, 0, false);
    }

    public AgentMetrics(String cluster, int nodeId, String nodeName) {
        tags = Tags.of("cluster", cluster, "node_id", Integer.toString(nodeId), "node", nodeName);
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

        Gauge.builder("pgsteward_lease_remaining_seconds", this, m -> m.leaseRemaining.get()
                        .map(d -> Math.max(0, d.toNanos()) / 1e9).orElse(0.0))
                .description("on the primary of its epoch: how long the lease it holds still runs (it fences its "
                        + "PostgreSQL a sixth of a lease before the end); 0 on other nodes").tags(tags).register(registry);
        Gauge.builder("pgsteward_failover_paused", this, m -> m.paused.get().map(p -> p ? 1.0 : 0.0).orElse(Double.NaN))
                .description("1 while automatic failover is paused (cluster pause), from this agent's copy of the "
                        + "cluster record").tags(tags).register(registry);
        Gauge.builder("pgsteward_cluster_members_up", this, m -> m.cluster.get().up())
                .description("agents that are Up members of the cluster and reachable, as this agent sees it")
                .tags(tags).register(registry);
        Gauge.builder("pgsteward_cluster_members_unreachable", this, m -> m.cluster.get().unreachable())
                .description("members of the agents' cluster this agent cannot reach").tags(tags).register(registry);
        Gauge.builder("pgsteward_supervisor_reachable", this, m -> m.cluster.get().supervisorReachable() ? 1.0 : 0.0)
                .description("1 when the member hosting the supervisor (the oldest Up member) is reachable from this "
                        + "agent").tags(tags).register(registry);
        failoverDuration = durationTimer("pgsteward_failover_duration", "failovers decided by the supervisor while on"
                + " this agent: from the primary's failure first seen to the new primary promoted");
        switchoverDuration = durationTimer("pgsteward_switchover_duration", "switchovers run by the supervisor while on"
                + " this agent: from their start to the new primary promoted");

        slots = new SlotMetrics(registry, tags);
        new JvmMemoryMetrics(tags).bindTo(registry);
        new JvmGcMetrics(tags).bindTo(registry);
        new JvmThreadMetrics(tags).bindTo(registry);
        new ClassLoaderMetrics(tags).bindTo(registry);
        new ProcessorMetrics(tags).bindTo(registry);
        new UptimeMetrics(tags).bindTo(registry);
        new FileDescriptorMetrics(tags).bindTo(registry);
    }

    private Timer durationTimer(String name, String description) {
        Duration[] slo = new Duration[DURATION_BUCKETS_SECONDS.length];
        for (int i = 0; i < slo.length; i++) {
            slo[i] = Duration.ofMillis((long) (DURATION_BUCKETS_SECONDS[i] * 1000));
        }
        return Timer.builder(name).description(description).tags(tags).serviceLevelObjectives(slo)
                .minimumExpectedValue(slo[0]).maximumExpectedValue(slo[slo.length - 1]).register(registry);
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
        updateStandbys(snapshot);
    }

    /**
     * One set of series per standby this primary has a WAL sender for (label {@code standby}, its application_name);
     * a standby no longer connected loses its series, so a lag alert does not fire on a stale value.
     */
    private void updateStandbys(PgSnapshot s) {
        List<String> names = new ArrayList<>();
        if (s.isReachable() && !s.inRecovery()) {
            s.standbys().stream().map(StandbyInfo::applicationName).filter(n -> !n.isEmpty()).forEach(names::add);
        }
        standbyMeters.keySet().removeIf(name -> {
            if (names.contains(name)) {
                return false;
            }
            standbyMeters.get(name).forEach(registry::remove);
            return true;
        });
        for (String name : names) {
            standbyMeters.computeIfAbsent(name, this::registerStandby);
        }
    }

    private List<Meter> registerStandby(String name) {
        Tags t = tags.and("standby", name);
        List<Meter> meters = new ArrayList<>();
        meters.add(Gauge.builder("pgsteward_standby_replication_lag_bytes", this, m -> m.standby(name)
                        .flatMap(sb -> m.snapshot().flatMap(s -> StandbyLag.bytes(s, sb))).orElse(Double.NaN))
                .description("on the primary: WAL written here but not yet replayed by the standby (pg_current_wal_lsn -"
                        + " replay_lsn of pg_stat_replication)").tags(t).register(registry));
        meters.add(Gauge.builder("pgsteward_standby_replication_lag_seconds", this, m -> m.standby(name)
                        .flatMap(sb -> m.snapshot().flatMap(s -> StandbyLag.seconds(s, sb))).orElse(Double.NaN))
                .description("on the primary: replay_lag of pg_stat_replication (0 once the standby has replayed all, "
                        + "when PostgreSQL shows no lag)").tags(t).register(registry));
        meters.add(Gauge.builder("pgsteward_standby_streaming", this, m -> m.standby(name)
                        .map(sb -> sb.isStreaming() ? 1.0 : 0.0).orElse(0.0))
                .description("on the primary: 1 when the standby's WAL sender is streaming").tags(t).register(registry));
        meters.add(Gauge.builder("pgsteward_standby_synchronous", this, m -> m.standby(name)
                        .map(sb -> sb.syncState().filter("sync"::equals).isPresent() ? 1.0 : 0.0).orElse(0.0))
                .description("on the primary: 1 when the standby is synchronous (sync_state = sync)").tags(t)
                .register(registry));
        return meters;
    }

    private Optional<StandbyInfo> standby(String name) {
        return snapshot().flatMap(s -> s.standbys().stream().filter(sb -> sb.applicationName().equals(name)).findFirst());
    }

    public void epoch(long value) {
        epoch.set(value);
    }

    public void failover() {
        failovers.increment();
    }

    /** An operation of this node ended ({@code command} as the console or the supervisor named it). */
    public void operation(String command, boolean succeeded) {
        Counter.builder("pgsteward_operations").description("operations run on this node, by command and outcome")
                .tags(tags.and("command", command, "outcome", succeeded ? "success" : "failure")).register(registry)
                .increment();
    }

    /** A run of the event command ended ({@code ok}, {@code failed}, {@code timeout}) or an event was dropped. */
    public void eventCommand(String outcome) {
        Counter.builder("pgsteward_event_commands").description("runs of events.command by outcome (dropped: the "
                        + "queue was full)").tags(tags.and("outcome", outcome)).register(registry).increment();
    }

    public void failoverTook(Duration d) {
        failoverDuration.record(d);
    }

    public void switchoverTook(Duration d) {
        switchoverDuration.record(d);
    }

    /** Where the membership figures come from (each cluster incarnation sets its own). */
    public void clusterView(Supplier<ClusterView> source) {
        cluster = source;
    }

    public void leaseRemaining(Supplier<Optional<Duration>> source) {
        leaseRemaining = source;
    }

    /** On the primary of its epoch: how long its lease still runs, as the gauge shows it. */
    public Optional<Duration> leaseRemaining() {
        return leaseRemaining.get();
    }

    public void paused(Supplier<Optional<Boolean>> source) {
        paused = source;
    }

    public String scrape() {
        return registry.scrape();
    }
}
