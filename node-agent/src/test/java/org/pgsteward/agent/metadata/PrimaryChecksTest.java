package org.pgsteward.agent.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.pgsteward.agent.postgres.Conninfo;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.PostgresExtension;
import org.pgsteward.protocol.ExitCode;

class PrimaryChecksTest {

    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    /** A PostgreSQL 15 primary that passes everything with the default -w 5000. */
    private static Map<String, String> good() {
        Map<String, String> s = new HashMap<>();
        s.put("server_version_num", "150004");
        s.put("wal_level", "replica");
        s.put("max_wal_senders", "10");
        s.put("hot_standby", "on");
        s.put("wal_keep_size", "80000");
        s.put("wal_segment_size", "16777216");
        s.put("listen_addresses", "*");
        s.put("wal_log_hints", "on");
        s.put("data_checksums", "off");
        s.put("pg_is_in_recovery", "false");
        return s;
    }

    /** Like {@link #good()} but PostgreSQL 12: wal_keep_segments, no wal_keep_size. */
    private static Map<String, String> goodPg12() {
        Map<String, String> s = good();
        s.remove("wal_keep_size");
        s.put("server_version_num", "120010");
        s.put("wal_keep_segments", "5000");
        return s;
    }

    private static Map<String, String> with(Map<String, String> base, String... kv) {
        Map<String, String> s = new HashMap<>(base);
        for (int i = 0; i < kv.length; i += 2) {
            if (kv[i + 1] == null) {
                s.remove(kv[i]);
            } else {
                s.put(kv[i], kv[i + 1]);
            }
        }
        return s;
    }

    @Test
    void givenGoodSettings_whenChecked_thenPassesWithoutWarnings() {
        PrimaryCheckReport r = PrimaryChecks.check(good(), PrimaryChecks.DEFAULT_WAL_KEEP_SEGMENTS, "10.0.0.5");
        assertTrue(r.passed(), r.failureText());
        assertEquals(List.of(), r.warnings());
        assertEquals(r, r.orThrow());
    }

    static Stream<Arguments> failingCases() {
        return Stream.of(
                Arguments.of("wal_level minimal", with(good(), "wal_level", "minimal"), 5000, "10.0.0.5",
                        "wal_level", "wal_level is minimal; needs replica or logical"),
                Arguments.of("wal_level archive (pre-9.6: no hot standby)", with(good(), "wal_level", "archive"), 5000, "10.0.0.5",
                        "wal_level", "wal_level is archive; needs replica or logical"),
                Arguments.of("wal_level missing", with(good(), "wal_level", null), 5000, "10.0.0.5",
                        "wal_level", "wal_level is (not set)"),
                Arguments.of("no wal senders", with(good(), "max_wal_senders", "0"), 5000, "10.0.0.5",
                        "max_wal_senders", "max_wal_senders is 0; needs at least 1"),
                Arguments.of("hot_standby off", with(good(), "hot_standby", "off"), 5000, "10.0.0.5",
                        "hot_standby", "hot_standby is off; needs on"),
                Arguments.of("wal_keep_size 0", with(good(), "wal_keep_size", "0"), 5000, "10.0.0.5",
                        "wal_keep_size",
                        "wal_keep_size is 0 (0 segments); needs at least 5000 segments (80000 MB) — set wal_keep_size or pass -w"),
                Arguments.of("wal_keep_size one MB short", with(good(), "wal_keep_size", "79999"), 5000, "10.0.0.5",
                        "wal_keep_size", "wal_keep_size is 79999 (4999 segments); needs at least 5000 segments (80000 MB)"),
                Arguments.of("wal_keep_size with 64MB segments", with(good(), "wal_keep_size", "80000",
                                "wal_segment_size", Long.toString(64L << 20)), 5000, "10.0.0.5",
                        "wal_keep_size", "wal_keep_size is 80000 (1250 segments); needs at least 5000 segments (320000 MB)"),
                Arguments.of("pg12 wal_keep_segments low", with(goodPg12(), "wal_keep_segments", "32"), 5000, "10.0.0.5",
                        "wal_keep_segments", "wal_keep_segments is 32; needs at least 5000 — set wal_keep_segments or pass -w"),
                Arguments.of("listen localhost, remote host", with(good(), "listen_addresses", "localhost"), 5000, "db1.example.com",
                        "listen_addresses", "listen_addresses is 'localhost'; needs an address other nodes can reach"),
                Arguments.of("listen loopback list, remote host", with(good(), "listen_addresses", "localhost, 127.0.0.1,::1"), 5000,
                        "10.0.0.5", "listen_addresses", "because this node's conninfo host is 10.0.0.5"),
                Arguments.of("listen empty, remote host", with(good(), "listen_addresses", ""), 5000, "10.0.0.5",
                        "listen_addresses", "listen_addresses is empty"),
                Arguments.of("in recovery", with(good(), "pg_is_in_recovery", "true"), 5000, "10.0.0.5",
                        "pg_is_in_recovery", "pg_is_in_recovery() is true; needs false"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failingCases")
    void givenOneBadSetting_whenChecked_thenExactlyThatFailureNamed(String title, Map<String, String> settings, int required,
                                                                     String host, String setting, String messagePart) {
        PrimaryCheckReport r = PrimaryChecks.check(settings, required, host);

        assertEquals(1, r.failures().size(), title + ": " + r.failures());
        CheckFinding f = r.failures().get(0);
        assertEquals(setting, f.setting());
        assertEquals(Optional.ofNullable(settings.get(setting)).orElse("(not set)"), f.currentValue());
        assertTrue(f.message().contains(messagePart), "message: " + f.message());
        var e = assertThrows(MetadataException.class, r::orThrow);
        assertEquals(ExitCode.ERR_BAD_CONFIG, e.exitCode());
        assertTrue(e.getMessage().contains(f.message()), e.getMessage());
    }

    @ParameterizedTest(name = "wal_level {0} accepted")
    @CsvSource({"replica", "logical", "hot_standby", "REPLICA"})
    void givenStreamingWalLevel_whenChecked_thenAccepted(String level) {
        assertTrue(PrimaryChecks.check(with(good(), "wal_level", level), 5000, "10.0.0.5").passed());
    }

    @ParameterizedTest(name = "listen_addresses ''{0}'' with host {1}: passes={2}")
    @CsvSource(delimiter = '|', value = {
            "localhost        | 127.0.0.1          | true",   // loopback conninfo: local-only is fine
            "''               | localhost          | true",
            "''               | /var/run/postgresql | true",  // Unix socket: no TCP at all
            "127.0.0.1        | ::1                | true",
            "127.0.0.1        | 127.0.0.1,10.0.0.7 | false",  // one remote host in a list is enough to need it
            "*                | 10.0.0.5           | true",
            "0.0.0.0          | 10.0.0.5           | true",
            "10.0.0.5         | 10.0.0.5           | true",
            "localhost,10.0.0.5 | node1            | true",
            "127.0.0.1        | node1              | false"})
    void givenListenAddresses_whenCheckedAgainstHost_thenOnlyLoopbackOnlyForRemoteHostFails(String listen, String host, boolean passes) {
        assertEquals(passes, PrimaryChecks.check(with(good(), "listen_addresses", listen), 5000, host).passed());
    }

    @Test
    void givenEverythingWrong_whenChecked_thenEveryFailureListed() {
        Map<String, String> bad = with(good(), "wal_level", "minimal", "max_wal_senders", "0", "hot_standby", "off",
                "wal_keep_size", "0", "listen_addresses", "localhost", "pg_is_in_recovery", "true");
        PrimaryCheckReport r = PrimaryChecks.check(bad, 5000, "10.0.0.5");
        assertEquals(List.of("wal_level", "max_wal_senders", "hot_standby", "wal_keep_size", "listen_addresses", "pg_is_in_recovery"),
                r.failures().stream().map(CheckFinding::setting).toList());
    }

    @Test
    void givenWalKeepExactlyRequired_whenChecked_thenPasses() {
        assertTrue(PrimaryChecks.check(with(good(), "wal_keep_size", "128"), 8, "10.0.0.5").passed());
        assertFalse(PrimaryChecks.check(with(good(), "wal_keep_size", "128"), 9, "10.0.0.5").passed());
        assertTrue(PrimaryChecks.check(with(goodPg12(), "wal_keep_segments", "8"), 8, "10.0.0.5").passed());
        assertTrue(PrimaryChecks.check(with(good(), "wal_keep_size", "0"), 0, "10.0.0.5").passed(), "-w 0 requires nothing");
    }

    @Test
    void givenNegativeRequirement_whenChecked_thenRejected() {
        assertThrows(IllegalArgumentException.class, () -> PrimaryChecks.check(good(), -1, "x"));
    }

    @ParameterizedTest(name = "wal_log_hints={0} data_checksums={1}: warns={2}")
    @CsvSource({"on, off, false", "off, on, false", "on, on, false", "off, off, true"})
    void givenRewindSettings_whenChecked_thenWarnsOnlyWhenNeitherIsOn(String hints, String checksums, boolean warns) {
        PrimaryCheckReport r = PrimaryChecks.check(with(good(), "wal_log_hints", hints, "data_checksums", checksums), 5000, "10.0.0.5");
        assertTrue(r.passed(), "a warning is not a failure");
        assertEquals(warns ? 1 : 0, r.warnings().size());
        if (warns) {
            assertTrue(r.warnings().get(0).message().contains("pg_rewind will not be possible"), r.warnings().get(0).message());
        }
    }

    @ParameterizedTest(name = "{0} {1}{2} -> {3}")
    @CsvSource({
            "wal_segment_size, 16777216, B,    16777216",
            "wal_segment_size, 2048,     8kB,  16777216",   // PostgreSQL 10 reports 8kB blocks
            "wal_keep_size,    128,      MB,   128",
            "wal_keep_size,    1,        GB,   1024",
            "max_wal_senders,  10,       '',   10",
            "wal_keep_segments, 32,      '',   32"})
    void givenUnits_whenNormalised_thenBytesOrMegabytes(String name, String setting, String unit, String expected) {
        Optional<String> u = unit == null || unit.isEmpty() ? Optional.empty() : Optional.of(unit);
        assertEquals(expected, ServerSettingsReader.normalise(name, setting, u));
    }

    @Test
    void givenHarnessPrimary_whenCheckedForReal_thenPassesWithSmallRequirementAndNamesWalKeepSizeWithDefault() throws Exception {
        PgTestInstance node = pg.primary("checks");
        String host = Conninfo.parse(node.conninfo()).host();
        try (Connection c = node.connect()) {
            Map<String, String> settings = ServerSettingsReader.read(c);
            assertEquals("128", settings.get("wal_keep_size"), "MB: " + settings);
            assertEquals("16777216", settings.get("wal_segment_size"), "bytes: " + settings);
            assertEquals("false", settings.get(ServerSettingsReader.IN_RECOVERY));

            PrimaryCheckReport small = PrimaryChecks.run(c, 8, host);
            assertTrue(small.passed(), small.failureText());
            assertEquals(List.of(), small.warnings(), "the harness sets wal_log_hints = on");

            PrimaryCheckReport big = PrimaryChecks.run(c, PrimaryChecks.DEFAULT_WAL_KEEP_SEGMENTS, host);
            assertEquals(List.of("wal_keep_size"), big.failures().stream().map(CheckFinding::setting).toList());
            assertEquals("wal_keep_size is 128 (8 segments); needs at least 5000 segments (80000 MB) — set wal_keep_size or pass -w",
                    big.failures().get(0).message());

            // The harness listens on 127.0.0.1 only: a node reached by a remote host name must fail.
            PrimaryCheckReport remote = PrimaryChecks.run(c, 8, "db1.example.com");
            assertEquals(List.of("listen_addresses"), remote.failures().stream().map(CheckFinding::setting).toList());
        }
    }
}
