package org.pgsteward.agent.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pgsteward.agent.postgres.Conninfo;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.PostgresExtension;
import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.api.EventRow;

/** One server for the class; every test works in its own cluster (schema). */
class ClusterMetadataTest {

    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final AtomicInteger clusters = new AtomicInteger();
    private static PgTestInstance server;
    private static Connection conn;

    private ClusterMetadata meta;

    @BeforeAll
    static void startServer() throws SQLException {
        server = pg.primary("meta");
        conn = server.connect();
    }

    @AfterAll
    static void closeConnection() throws SQLException {
        conn.close();
    }

    @BeforeEach
    void newCluster() {
        meta = new ClusterMetadata("c" + clusters.incrementAndGet());
        meta.ensureSchema(conn);
    }

    private static Conninfo ci(String host, int port) {
        return Conninfo.parse("host=" + host + " port=" + port + " user=repmgr dbname=testdb");
    }

    private static NodeRegistration primaryReg(int id, String name) {
        return NodeRegistration.primary(id, name, ci("10.0.0." + id, 5432), 100, Optional.of("10.0.0." + id + ":8701"));
    }

    private static NodeRegistration standbyReg(int id, String name) {
        return NodeRegistration.standby(id, name, ci("10.0.0." + id, 5432), 100, Optional.empty());
    }

    // ------------------------------------------------------------------ schema

    @Test
    void givenSchema_whenEnsuredTwice_thenSameObjectsAndDataKept() {
        meta.registerPrimary(conn, primaryReg(1, "node1"), false);
        meta.ensureSchema(conn);
        meta.ensureSchema(conn);

        assertEquals(List.of("events", "monitoring", "nodes", "repl_status"), server.query(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                        + "WHERE n.nspname = '" + meta.schema() + "' AND c.relkind IN ('r', 'v') ORDER BY 1"));
        assertEquals(1, meta.nodes(conn).size(), "data survives a second ensureSchema");
        assertTrue(connAutoCommit(), "autocommit restored");
    }

    @Test
    void givenNewCluster_whenEnsuredConcurrently_thenNoRaceErrors() throws Exception {
        ClusterMetadata fresh = new ClusterMetadata("concurrent_" + clusters.incrementAndGet());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Object>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(pool.submit((Callable<Object>) () -> {
                    try (Connection c = server.connect()) {
                        fresh.ensureSchema(c);
                    }
                    return null;
                }));
            }
            for (Future<Object> f : results) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        try (Connection c = server.connect()) {
            assertEquals(List.of(), fresh.nodes(c), "one schema, made once");
        }
    }

    @Test
    void givenMissingSchema_whenRead_thenDbQueryErrorWithHint() {
        ClusterMetadata absent = new ClusterMetadata("never_created");
        var e = assertThrows(MetadataException.class, () -> absent.nodes(conn));
        assertEquals(ExitCode.ERR_DB_QUERY, e.exitCode());
        assertTrue(e.getMessage().startsWith("reading the registered nodes of cluster never_created: "), e.getMessage());
        assertTrue(e.getMessage().contains("primary register"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"Weird_Cluster_9", "0", "_", "UPPER", "Longest_56_chars_x12345678901234567890123456789012345678"})
    void givenWeirdButValidName_whenUsed_thenSchemaKeepsExactName(String name) {
        ClusterMetadata weird = new ClusterMetadata(name);
        weird.ensureSchema(conn);
        weird.registerPrimary(conn, primaryReg(1, "node1"), false);

        assertEquals("repmgr_" + name, weird.schema());
        assertEquals("1", server.queryOne("SELECT count(*) FROM pg_namespace WHERE nspname = 'repmgr_" + name + "'"));
        assertEquals(Optional.of(1), weird.primary(conn).map(RegisteredNode::id));
        assertEquals("0", server.queryOne("SELECT count(*) FROM \"repmgr_" + name + "\".repl_status"));
    }

    @Test
    void givenNamesDifferingInCase_whenUsed_thenSeparateClusters() {
        ClusterMetadata upper = new ClusterMetadata("CaseTest");
        ClusterMetadata lower = new ClusterMetadata("casetest");
        upper.ensureSchema(conn);
        lower.ensureSchema(conn);
        upper.registerPrimary(conn, primaryReg(1, "node1"), false);
        assertEquals(1, upper.nodes(conn).size());
        assertEquals(0, lower.nodes(conn).size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a-b", "a b", "test\"; DROP SCHEMA public; --", "caf\u00e9", "a.b",
            "Too_long_57_chars_x12345678901234567890123456789012345678"})
    void givenInvalidName_whenBound_thenRejectedAsBadConfig(String name) {
        var e = assertThrows(MetadataException.class, () -> new ClusterMetadata(name));
        assertEquals(ExitCode.ERR_BAD_CONFIG, e.exitCode());
        assertTrue(e.getMessage().contains("invalid cluster name"), e.getMessage());
    }

    // ------------------------------------------------------------------ primary registration

    @Test
    void givenRegisteredPrimary_whenAnotherRegistersWithoutForce_thenRefusedNamingTheFirst() {
        RegisteredNode first = meta.registerPrimary(conn, primaryReg(1, "node1"), false);
        assertTrue(first.isActivePrimary());

        var e = assertThrows(MetadataException.class, () -> meta.registerPrimary(conn, primaryReg(2, "node2"), false));

        assertEquals(ExitCode.ERR_BAD_CONFIG, e.exitCode());
        assertTrue(e.getMessage().contains("node 1 (node1)"), e.getMessage());
        assertTrue(e.getMessage().contains("--force"), e.getMessage());
        assertEquals(List.of(1), meta.nodes(conn).stream().map(RegisteredNode::id).toList(), "nothing written");
        assertTrue(connAutoCommit());
    }

    @Test
    void givenRegisteredPrimary_whenAnotherRegistersWithForce_thenOldBecomesInactivePrimary() {
        meta.registerPrimary(conn, primaryReg(1, "node1"), false);

        RegisteredNode second = meta.registerPrimary(conn, primaryReg(2, "node2"), true);

        assertTrue(second.isActivePrimary());
        assertEquals(Optional.of(2), meta.primary(conn).map(RegisteredNode::id));
        RegisteredNode old = meta.node(conn, 1).orElseThrow();
        assertEquals("primary", old.type());
        assertFalse(old.active());
    }

    @Test
    void givenRegisteredPrimary_whenRegisteredAgain_thenIdempotentUpdateWithoutPassword() {
        meta.registerPrimary(conn, primaryReg(1, "node1"), false);
        Conninfo withPassword = Conninfo.parse("host=10.0.0.9 port=5433 user=repmgr password=topsecret sslpassword=alsosecret dbname=testdb");

        RegisteredNode again = meta.registerPrimary(conn,
                NodeRegistration.primary(1, "node1", withPassword, 50, Optional.empty()), false);

        assertEquals(Conninfo.parse("host=10.0.0.9 port=5433 user=repmgr dbname=testdb"), again.conninfo());
        assertEquals(50, again.priority());
        assertEquals(Optional.empty(), again.agentHttp());
        assertTrue(again.updatedAt().isPresent());
        assertEquals(1, meta.nodes(conn).size());
        assertEquals("0", server.queryOne("SELECT count(*) FROM " + meta.quotedSchema() + ".nodes WHERE conninfo LIKE '%secret%'"));
    }

    @Test
    void givenStandbyNode_whenRegisteredAsPrimary_thenNeedsForce() {
        meta.registerPrimary(conn, primaryReg(1, "node1"), false);
        meta.registerStandby(conn, standbyReg(2, "node2"), 1, false);

        var e = assertThrows(MetadataException.class, () -> meta.registerPrimary(conn, primaryReg(2, "node2"), false));
        assertEquals(ExitCode.ERR_BAD_CONFIG, e.exitCode());
        assertTrue(e.getMessage().contains("node 2 (node2) is registered as a standby"), e.getMessage());
    }

    @Test
    void givenNameOfAnotherNode_whenRegistered_thenRefusedEvenWithForce() {
        meta.registerPrimary(conn, primaryReg(1, "node1"), false);
        var e = assertThrows(MetadataException.class, () -> meta.registerStandby(conn, standbyReg(2, "node1"), 1, true));
        assertEquals(ExitCode.ERR_BAD_CONFIG, e.exitCode());
        assertTrue(e.getMessage().contains("\"node1\" is already used by node 1"), e.getMessage());
    }

    @Test
    void givenWrongTypeForMethod_whenRegistered_thenIllegalArgument() {
        assertThrows(IllegalArgumentException.class, () -> meta.registerPrimary(conn, standbyReg(1, "node1"), false));
        assertThrows(IllegalArgumentException.class, () -> new NodeRegistration(1, "n", "master", ci("h", 1), 1, Optional.empty()));
    }

    // ------------------------------------------------------------------ standbys and witnesses

    @Test
    void givenPrimary_whenStandbysRegistered_thenListedWithUpstreams() {
        meta.registerPrimary(conn, primaryReg(1, "node1"), false);
        meta.registerStandby(conn, standbyReg(2, "node2"), 1, false);
        RegisteredNode cascaded = meta.registerStandby(conn, standbyReg(3, "node3"), 2, false);
        meta.registerWitness(conn, NodeRegistration.witness(4, "witness", ci("10.0.0.4", 5432), Optional.of("10.0.0.4:8701")), false);

        assertEquals(Optional.of(2), cascaded.upstreamNodeId());
        List<RegisteredNode> nodes = meta.nodes(conn);
        assertEquals(List.of("node1:primary:-", "node2:standby:1", "node3:standby:2", "witness:witness:-"), nodes.stream()
                .map(n -> n.name() + ":" + n.type() + ":" + n.upstreamNodeId().map(String::valueOf).orElse("-")).toList());
        assertTrue(nodes.stream().allMatch(RegisteredNode::active));
        assertEquals(Optional.of("node1"), meta.primary(conn).map(RegisteredNode::name));

        // re-registering is idempotent and may change the upstream
        meta.registerStandby(conn, standbyReg(3, "node3"), 1, false);
        assertEquals(Optional.of(1), meta.node(conn, 3).orElseThrow().upstreamNodeId());
        assertEquals(4, meta.nodes(conn).size());
    }

    @Test
    void givenStandby_whenUpstreamUnknownOrWitnessOrSelf_thenRefused() {
        meta.registerPrimary(conn, primaryReg(1, "node1"), false);
        meta.registerWitness(conn, NodeRegistration.witness(9, "w", ci("10.0.0.9", 5432), Optional.empty()), false);

        var unknown = assertThrows(MetadataException.class, () -> meta.registerStandby(conn, standbyReg(2, "node2"), 7, false));
        assertTrue(unknown.getMessage().contains("upstream node 7"), unknown.getMessage());
        var witness = assertThrows(MetadataException.class, () -> meta.registerStandby(conn, standbyReg(2, "node2"), 9, false));
        assertTrue(witness.getMessage().contains("is a witness"), witness.getMessage());
        var self = assertThrows(MetadataException.class, () -> meta.registerStandby(conn, standbyReg(2, "node2"), 2, false));
        assertEquals(ExitCode.ERR_BAD_CONFIG, self.exitCode());
    }

    @Test
    void givenActivePrimary_whenRegisteredAsStandby_thenNeedsForce() {
        meta.registerPrimary(conn, primaryReg(1, "node1"), false);
        meta.registerStandby(conn, standbyReg(2, "node2"), 1, false);

        var e = assertThrows(MetadataException.class, () -> meta.registerStandby(conn, standbyReg(1, "node1"), 2, false));
        assertEquals(ExitCode.ERR_BAD_CONFIG, e.exitCode());
        assertTrue(e.getMessage().contains("node 1 (node1) is registered as the active primary"), e.getMessage());

        meta.registerStandby(conn, standbyReg(1, "node1"), 2, true);
        assertEquals(Optional.empty(), meta.primary(conn));
    }

    @Test
    void givenFormerPrimary_whenRegisteredAsStandby_thenAllowedWithoutForce() {
        meta.registerPrimary(conn, primaryReg(1, "node1"), false);
        meta.registerStandby(conn, standbyReg(2, "node2"), 1, false);
        meta.promote(conn, 2, 1);

        RegisteredNode rejoined = meta.registerStandby(conn, standbyReg(1, "node1"), 2, false);

        assertEquals("standby", rejoined.type());
        assertTrue(rejoined.active());
        assertEquals(Optional.of(2), rejoined.upstreamNodeId());
    }

    // ------------------------------------------------------------------ promotion, upstream, epoch, pause

    @Test
    void givenFailover_whenPromoted_thenNewPrimaryOldInactiveMonitoringDropped() {
        meta.registerPrimary(conn, primaryReg(1, "node1"), false);
        meta.registerStandby(conn, standbyReg(2, "node2"), 1, false);
        meta.registerStandby(conn, standbyReg(3, "node3"), 1, false);
        meta.upsertMonitoring(conn, sample(2, "0/3000000", "0/3000000", "0/3000000"));
        meta.upsertMonitoring(conn, sample(3, "0/3000000", "0/3000000", "0/3000000"));

        meta.promote(conn, 2, 1);

        RegisteredNode newPrimary = meta.primary(conn).orElseThrow();
        assertEquals(2, newPrimary.id());
        assertEquals(Optional.empty(), newPrimary.upstreamNodeId());
        RegisteredNode old = meta.node(conn, 1).orElseThrow();
        assertEquals("primary", old.type());
        assertFalse(old.active());
        assertEquals(List.of("3"), server.query("SELECT standby_node FROM " + meta.quotedSchema() + ".repl_status"));

        meta.setUpstream(conn, 3, 2);
        assertEquals(Optional.of(2), meta.node(conn, 3).orElseThrow().upstreamNodeId());
        meta.promote(conn, 3);
        assertEquals(Optional.of(3), meta.primary(conn).map(RegisteredNode::id));
        assertFalse(meta.node(conn, 2).orElseThrow().active());
    }

    @Test
    void givenBadTargets_whenPromotedOrRepointed_thenRefused() {
        meta.registerPrimary(conn, primaryReg(1, "node1"), false);
        meta.registerWitness(conn, NodeRegistration.witness(9, "w", ci("10.0.0.9", 5432), Optional.empty()), false);

        assertEquals(ExitCode.ERR_BAD_CONFIG, assertThrows(MetadataException.class, () -> meta.promote(conn, 5, 1)).exitCode());
        assertEquals(ExitCode.ERR_BAD_CONFIG, assertThrows(MetadataException.class, () -> meta.promote(conn, 9, 1)).exitCode());
        assertEquals(ExitCode.ERR_BAD_CONFIG, assertThrows(MetadataException.class, () -> meta.setUpstream(conn, 1, 9)).exitCode());
        assertEquals(ExitCode.ERR_BAD_CONFIG, assertThrows(MetadataException.class, () -> meta.setUpstream(conn, 5, 1)).exitCode());
        assertEquals(Optional.of(1), meta.primary(conn).map(RegisteredNode::id));
    }

    /** Issue 7.1: no second epoch or pause flag in SQL; a schema of an earlier version loses its copy. */
    @Test
    void givenSchemaOfAnEarlierVersionWithClusterState_whenEnsured_thenThatTableIsDroppedAndTheRestKept() {
        meta.registerPrimary(conn, primaryReg(1, "node1"), false);
        server.execute("CREATE TABLE " + meta.quotedSchema() + ".cluster_state (singleton boolean PRIMARY KEY, "
                + "epoch bigint NOT NULL DEFAULT 7, paused boolean NOT NULL DEFAULT true)");

        meta.ensureSchema(conn);

        assertEquals("0", server.queryOne("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = '" + meta.schema() + "' AND c.relname = 'cluster_state'"));
        assertEquals(List.of(1), meta.nodes(conn).stream().map(RegisteredNode::id).toList());
    }

    @Test
    void givenCallerTransaction_whenRegisteredAndRolledBack_thenNothingStored() throws SQLException {
        try (Connection c = server.connect()) {
            c.setAutoCommit(false);
            meta.registerPrimary(c, primaryReg(1, "node1"), false);
            assertEquals(1, meta.nodes(c).size(), "visible inside the caller's transaction");
            c.rollback();
            assertFalse(c.getAutoCommit(), "the caller's mode is left alone");
        }
        assertEquals(List.of(), meta.nodes(conn));
    }

    // ------------------------------------------------------------------ events

    @Test
    void givenEvents_whenRead_thenNewestFirstAndLimited() {
        Instant before = Instant.now().minusSeconds(60);
        long a = meta.recordEvent(conn, 1, "primary_register", true, "");
        long b = meta.recordEvent(conn, 2, "standby_register", true, "upstream 1");
        long c = meta.recordEvent(conn, 2, "standby_promote", false, "pg_promote timed out");

        List<EventRow> all = meta.events(conn, 10);
        assertEquals(List.of(c, b, a), all.stream().map(EventRow::id).toList());
        EventRow newest = all.get(0);
        assertEquals(2, newest.nodeId());
        assertEquals("standby_promote", newest.event());
        assertFalse(newest.successful());
        assertEquals("pg_promote timed out", newest.details());
        assertTrue(newest.timestamp().isAfter(before));
        assertFalse(newest.timestamp().isBefore(all.get(2).timestamp()));
        assertEquals(List.of(c, b), meta.events(conn, 2).stream().map(EventRow::id).toList());
        assertThrows(IllegalArgumentException.class, () -> meta.events(conn, 0));
    }

    // ------------------------------------------------------------------ monitoring and repl_status

    private static MonitoringSample sample(int standby, String primaryLsn, String received, String replayed) {
        return new MonitoringSample(standby, 1, primaryLsn, Optional.of(received), replayed, Optional.of(Instant.now()));
    }

    @Test
    void givenSamples_whenReplStatusRead_thenSeedColumnsWithExactTypesAndByteLags() throws SQLException {
        meta.registerPrimary(conn, primaryReg(1, "node1"), false);
        meta.registerStandby(conn, standbyReg(2, "node2"), 1, false);
        meta.registerStandby(conn, standbyReg(3, "node3"), 1, false);
        meta.upsertMonitoring(conn, sample(2, "0/3000060", "0/3000000", "0/2FFFF00"));
        meta.upsertMonitoring(conn, sample(3, "1/00000010", "0/FFFFFFF0", "0/FFFFFFF0")); // across the 4 GB boundary

        Map<String, String> expectedColumns = new LinkedHashMap<>();
        expectedColumns.put("primary_node", "int4");
        expectedColumns.put("standby_node", "int4");
        expectedColumns.put("last_monitor_time", "timestamptz");
        expectedColumns.put("last_wal_primary_location", "pg_lsn");
        expectedColumns.put("last_wal_standby_location", "pg_lsn");
        expectedColumns.put("replication_lag", "int8");
        expectedColumns.put("apply_lag", "int8");
        expectedColumns.put("time_lag", "interval");

        try (Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT * FROM " + meta.quotedSchema() + ".repl_status ORDER BY standby_node")) {
            ResultSetMetaData md = rs.getMetaData();
            Map<String, String> actual = new LinkedHashMap<>();
            for (int i = 1; i <= md.getColumnCount(); i++) {
                actual.put(md.getColumnName(i), md.getColumnTypeName(i));
            }
            assertEquals(expectedColumns, actual);

            assertTrue(rs.next());
            assertEquals(1, rs.getInt("primary_node"));
            assertEquals(2, rs.getInt("standby_node"));
            assertEquals("0/3000060", rs.getString("last_wal_primary_location"));
            assertEquals("0/3000000", rs.getString("last_wal_standby_location"));
            assertEquals(0x60, rs.getLong("replication_lag"));
            assertEquals(0x100, rs.getLong("apply_lag"));
            assertTrue(rs.next());
            assertEquals(3, rs.getInt("standby_node"));
            assertEquals(0x20, rs.getLong("replication_lag"));
            assertEquals(0, rs.getLong("apply_lag"));
            assertFalse(rs.next(), "one row per standby");
        }
    }

    @Test
    void givenRepeatedSamples_whenUpserted_thenOnlyLatestKept() {
        meta.registerPrimary(conn, primaryReg(1, "node1"), false);
        meta.registerStandby(conn, standbyReg(2, "node2"), 1, false);
        meta.upsertMonitoring(conn, sample(2, "0/3000000", "0/2000000", "0/2000000"));
        meta.upsertMonitoring(conn, sample(2, "0/4000000", "0/4000000", "0/3FFFFFF"));

        assertEquals(List.of("0|1"), server.query("SELECT replication_lag || '|' || apply_lag FROM "
                + meta.quotedSchema() + ".repl_status"));
        assertEquals("1", server.queryOne("SELECT count(*) FROM " + meta.quotedSchema() + ".monitoring"));
    }

    @Test
    void givenNoReplaySinceAnHour_whenReplStatusRead_thenTimeLagIsThatHourAndGrows() throws Exception {
        meta.registerPrimary(conn, primaryReg(1, "node1"), false);
        meta.registerStandby(conn, standbyReg(2, "node2"), 1, false);
        meta.registerStandby(conn, standbyReg(3, "node3"), 1, false);
        Instant hourAgo = Instant.now().minus(Duration.ofHours(1));
        meta.upsertMonitoring(conn, new MonitoringSample(2, 1, "0/5000000", Optional.of("0/5000000"), "0/4000000", Optional.of(hourAgo)));
        // node3 has replayed everything: on an idle primary its last replay may be old, yet it is not behind
        meta.upsertMonitoring(conn, new MonitoringSample(3, 1, "0/5000000", Optional.of("0/5000000"), "0/5000000", Optional.of(hourAgo)));

        double behind1 = timeLagSeconds(2);
        assertTrue(behind1 >= 3599 && behind1 < 3660, "time_lag ~ 1 h: " + behind1);
        double caughtUp1 = timeLagSeconds(3);
        assertTrue(caughtUp1 >= 0 && caughtUp1 < 30, "caught-up standby: age of its sample only: " + caughtUp1);

        // no new samples (primary gone / no replay): the lag grows with the clock
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!(timeLagSeconds(2) > behind1 + 1 && timeLagSeconds(3) > caughtUp1 + 1)) {
            assertTrue(System.nanoTime() < deadline, "time_lag did not grow");
            Thread.onSpinWait();
        }
    }

    @Test
    void givenUnknownReceiveAndReplayTime_whenStored_thenNullLags() {
        meta.registerPrimary(conn, primaryReg(1, "node1"), false);
        meta.registerStandby(conn, standbyReg(2, "node2"), 1, false);
        meta.upsertMonitoring(conn, new MonitoringSample(2, 1, "0/5000000", Optional.empty(), "0/4000000", Optional.empty()));

        assertEquals(List.of("null|null|null"), server.query("SELECT coalesce(replication_lag::text, 'null') || '|' || "
                + "coalesce(apply_lag::text, 'null') || '|' || coalesce(time_lag::text, 'null') FROM " + meta.quotedSchema() + ".repl_status"));
    }

    @Test
    void givenUnregisteredStandby_whenSampleUpserted_thenBadConfigNamingNode() {
        meta.registerPrimary(conn, primaryReg(1, "node1"), false);
        var e = assertThrows(MetadataException.class, () -> meta.upsertMonitoring(conn, sample(7, "0/1", "0/1", "0/1")));
        assertEquals(ExitCode.ERR_BAD_CONFIG, e.exitCode());
        assertTrue(e.getMessage().contains("node 7 is not registered"), e.getMessage());
    }

    @Test
    void givenMalformedLsn_whenSampleBuilt_thenRejected() {
        assertThrows(IllegalArgumentException.class, () -> sample(2, "3000060", "0/1", "0/1"));
        assertThrows(IllegalArgumentException.class, () -> sample(2, "0/1", "0/1'; --", "0/1"));
    }

    private double timeLagSeconds(int standby) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT EXTRACT(EPOCH FROM time_lag) FROM " + meta.quotedSchema() + ".repl_status WHERE standby_node = ?")) {
            ps.setInt(1, standby);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next());
                return rs.getDouble(1);
            }
        }
    }

    private static boolean connAutoCommit() {
        try {
            return conn.getAutoCommit();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
