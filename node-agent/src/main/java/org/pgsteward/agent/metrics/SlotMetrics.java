package org.pgsteward.agent.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.List;
import org.pgsteward.agent.postgres.ReplicationSlots;

/**
 * {@code pgsteward_slot_retained_bytes{slot=...}}: the WAL each pgsteward replication slot on this node holds back,
 * and {@code pgsteward_slot_active{slot=...}}: whether its standby streams through it. Rows of slots that are gone
 * disappear; a node without slots (a standby) has none.
 */
public final class SlotMetrics {

    private final MultiGauge retained;
    private final MultiGauge active;
    private final Tags tags;

    SlotMetrics(MeterRegistry registry, Tags tags) {
        this.tags = tags;
        this.retained = MultiGauge.builder("pgsteward_slot_retained_bytes")
                .description("WAL a replication slot of a standby holds back on this node (restart_lsn to now)")
                .baseUnit("bytes").register(registry);
        this.active = MultiGauge.builder("pgsteward_slot_active")
                .description("1 when the standby of the replication slot streams through it").register(registry);
    }

    /** The slots as last read from this node's server. */
    public void update(List<ReplicationSlots.Slot> slots) {
        retained.register(slots.stream().filter(s -> s.retainedBytes().isPresent())
                .map(s -> MultiGauge.Row.of(tags.and("slot", s.name()), s.retainedBytes().get())).toList(), true);
        active.register(slots.stream().map(s -> MultiGauge.Row.of(tags.and("slot", s.name()), s.active() ? 1 : 0))
                .toList(), true);
    }
}
