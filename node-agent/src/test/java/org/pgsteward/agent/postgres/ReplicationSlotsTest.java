package org.pgsteward.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.PostgresExtension;
import org.pgsteward.agent.testing.Standbys;

/** The slot SQL against a real primary and a real standby streaming through its slot. */
class ReplicationSlotsTest {

    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    @Test
    void slotNamesAreDerivedFromTheNodeIdAndOnlyThoseAreOurs() {
        assertEquals("pgsteward_node2", ReplicationSlots.nameFor(2));
        assertEquals(Optional.of(2), ReplicationSlots.nodeOf("pgsteward_node2"));
        assertEquals(Optional.of(Integer.MAX_VALUE), ReplicationSlots.nodeOf(ReplicationSlots.nameFor(Integer.MAX_VALUE)));
        for (String other : List.of("pgsteward_node", "pgsteward_node02", "pgsteward_nodex", "node2", "pgsteward_node99999999999")) {
            assertEquals(Optional.empty(), ReplicationSlots.nodeOf(other), other);
        }
        assertThrows(IllegalArgumentException.class, () -> ReplicationSlots.nameFor(0));
        // a valid primary_slot_name for RecoverySettings
        RecoverySettings.of(Conninfo.parse("host=h")).withSlot(ReplicationSlots.nameFor(63));
    }

    @Test
    void givenAStandbyStreamingThroughItsSlot_thenTheSlotIsActiveHoldsWalAndOnlyStaleInactiveOnesAreDropped()
            throws Exception {
        PgTestInstance primary = pg.primary("slots1");
        try (Connection c = primary.connect()) {
            assertTrue(ReplicationSlots.capacity(c) > 0);
            assertTrue(ReplicationSlots.ensure(c, "pgsteward_node2"), "created");
            assertFalse(ReplicationSlots.ensure(c, "pgsteward_node2"), "exists: nothing done");
            assertEquals(List.of("pgsteward_node3", "pgsteward_node4"), ReplicationSlots.ensureAll(c, List.of(2, 3, 4)));
            primary.execute("SELECT pg_create_physical_replication_slot('users_own_slot', true)");
        }
        PgTestInstance standby = PgTestInstance.cloneOf(primary, "slots2", org.pgsteward.agent.testing.PgTestEnvironment.binaries());
        pg.track(standby);
        standby.appendConf("postgresql.auto.conf", "\nprimary_slot_name = 'pgsteward_node2'\n");
        Standbys.startAsStandby(standby, primary);
        primary.execute("CREATE TABLE t AS SELECT generate_series(1, 10000) AS x");
        Standbys.await("the standby streams through its slot", Duration.ofSeconds(60), List.of("t"),
                Standbys.rows(primary, "SELECT active FROM pg_replication_slots WHERE slot_name = 'pgsteward_node2'"));
        try (Connection c = primary.connect()) {
            List<ReplicationSlots.Slot> slots = ReplicationSlots.list(c);
            assertEquals(List.of("pgsteward_node2", "pgsteward_node3", "pgsteward_node4"),
                    slots.stream().map(ReplicationSlots.Slot::name).toList(), "the user's slot is not listed");
            ReplicationSlots.Slot node3 = slots.get(1);
            assertFalse(node3.active());
            assertTrue(node3.retainedBytes().orElseThrow() > 0, "an absent standby's slot holds the WAL written since: " + node3);
            assertEquals("reserved", node3.walStatus());
            assertTrue(slots.get(0).active());

            assertEquals(ReplicationSlots.Dropped.ACTIVE, ReplicationSlots.drop(c, "pgsteward_node2"));
            assertEquals(List.of("pgsteward_node4"), ReplicationSlots.dropStale(c, Set.of(3)),
                    "active and kept slots stay");
            assertEquals(ReplicationSlots.Dropped.DROPPED, ReplicationSlots.drop(c, "pgsteward_node3"));
            assertEquals(ReplicationSlots.Dropped.ABSENT, ReplicationSlots.drop(c, "pgsteward_node3"));
            assertEquals(List.of("pgsteward_node2", "users_own_slot"),
                    primary.query("SELECT slot_name FROM pg_replication_slots ORDER BY 1"));

            assertTrue(ReplicationSlots.limitRetainedWal(c, 3L * 1024 * 1024 * 1024));
            assertFalse(ReplicationSlots.limitRetainedWal(c, 3L * 1024 * 1024 * 1024), "already so");
            assertEquals("3072", primary.queryOne("SELECT setting FROM pg_settings WHERE name = 'max_slot_wal_keep_size'"));
        }
        // on a standby too (a cascading upstream, or a former primary's slots after its rewind)
        try (Connection c = standby.connect()) {
            assertTrue(ReplicationSlots.ensure(c, "pgsteward_node7"));
            assertEquals(List.of("pgsteward_node7"), ReplicationSlots.dropStale(c, Set.of()));
        }
    }

    @Test
    void givenPostgres11WithoutWalStatus_thenSlotsAreListedAndDroppedToo() throws Exception {
        PgTestInstance old = pg.track(PgTestInstance.primary("slots11", org.pgsteward.agent.testing.OlderPostgres.pg11()));
        try (Connection c = old.connect()) {
            assertTrue(ReplicationSlots.ensure(c, "pgsteward_node5"));
            List<ReplicationSlots.Slot> slots = ReplicationSlots.list(c);
            assertEquals(List.of("pgsteward_node5"), slots.stream().map(ReplicationSlots.Slot::name).toList());
            assertEquals("", slots.get(0).walStatus(), "no wal_status before 13");
            assertEquals(List.of("pgsteward_node5"), ReplicationSlots.dropStale(c, Set.of()));
        }
    }
}
