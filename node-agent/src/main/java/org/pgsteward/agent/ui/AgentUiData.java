package org.pgsteward.agent.ui;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.pgsteward.agent.cluster.LeaseStatus;
import org.pgsteward.agent.cluster.RecordStore;
import org.pgsteward.agent.config.NodeConfig;
import org.pgsteward.protocol.cluster.ClusterRecord;

/** The web status page's data from one cluster incarnation of this agent: local state only, no network round trip. */
public final class AgentUiData implements UiData {

    private final ActorSystem<?> system;
    private final NodeConfig config;
    private final LeaseStatus lease;
    private final RecordStore records;
    private final LagHistory history;
    private final LagSampler sampler;

    public AgentUiData(ActorSystem<?> system, NodeConfig config, LeaseStatus lease, RecordStore records,
                       LagHistory history, LagSampler sampler) {
        this.system = system;
        this.config = config;
        this.lease = lease;
        this.records = records;
        this.history = history;
        this.sampler = sampler;
    }

    @Override
    public UiStatus status() {
        ClusterRecord r = records.stored().map(s -> s.record()).orElse(ClusterRecord.empty());
        var a = config.agent();
        return new UiStatus(config.cluster(), config.node().id(), config.node().name(),
                a.clusterAddress().host() + ":" + a.clusterAddress().port(), a.monitorInterval().toMillis(),
                config.failover().mode().name().toLowerCase(java.util.Locale.ROOT), config.failover().lease().toMillis(),
                config.failover().timeout().toMillis(), lease.mayWrite(), config.replication().synchronous(), r.epoch(),
                r.primaryId() > 0 ? Optional.of(r.primaryId()) : Optional.empty(), r.syncStandbys(), r.paused(),
                supervisorAddress(), Instant.now());
    }

    /** The cluster singleton runs on the oldest Up member. */
    private Optional<String> supervisorAddress() {
        Iterable<Member> members = Cluster.get(system).state().getMembers();
        return StreamSupport.stream(members.spliterator(), false).filter(m -> m.status() == MemberStatus.up())
                .reduce((x, y) -> y.isOlderThan(x) ? y : x)
                .map(m -> m.address().host().getOrElse(() -> "?") + ":" + m.address().port().getOrElse(() -> 0));
    }

    @Override
    public LagView lag() {
        long period = Math.max(1000, config.agent().monitorInterval().toMillis());
        List<LagHistory.NodeSeries> nodes = history.series(System.currentTimeMillis());
        return new LagView(period, LagHistory.WINDOW.toSeconds(), nodes, sampler.problem());
    }
}
