package org.pgsteward.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RecoveryConfigTest {

    /** Values with a quote, a backslash, a space and '=' exercise both quoting layers. */
    private static final String NASTY = "pa'ss\\word =x";

    /** No password: a password goes to a password file of its own (see the passfile tests below). */
    private static final Conninfo PRIMARY = Conninfo.parse("host=pg-primary.example port=5433 user=replicator")
            .with("options", NASTY)
            .with("application_name", "node 2")
            .with("sslmode", "prefer");

    private static final RecoverySettings WITH_SLOT = RecoverySettings.of(PRIMARY).withSlot("node_2");
    private static final RecoverySettings NO_SLOT = RecoverySettings.of(PRIMARY);

    @TempDir
    Path dataDir;

    private static byte[] golden(String name) throws IOException {
        try (InputStream in = RecoveryConfigTest.class.getResourceAsStream("/golden/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing golden file " + name);
            }
            return in.readAllBytes();
        }
    }

    private static void assertBytes(byte[] expected, Path actual) throws IOException {
        byte[] bytes = Files.readAllBytes(actual);
        assertArrayEquals(expected, bytes, () -> "content of " + actual + " was:\n" + new String(bytes, StandardCharsets.UTF_8));
    }

    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dataDir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    // ------------------------------------------------------------------ PostgreSQL <= 11

    @Test
    void writesRecoveryConfForPg11MatchingGoldenFileAndReadsItBack() throws IOException {
        RecoveryConfig.write(dataDir, 11, WITH_SLOT);
        assertBytes(golden("recovery-11.conf"), dataDir.resolve("recovery.conf"));
        assertEquals(List.of("recovery.conf"), listing(), "no standby.signal, no temp files");
        assertEquals(Optional.of(WITH_SLOT), RecoveryConfig.read(dataDir, 11));
        assertEquals(Optional.of(NASTY), RecoveryConfig.read(dataDir, 11).orElseThrow().primaryConninfo().get("options"));
    }

    @Test
    void overwritesAnExistingRecoveryConfAsAWhole() throws IOException {
        Files.writeString(dataDir.resolve("recovery.conf"), "restore_command = 'cp /arch/%f %p'\nprimary_slot_name = 'old'\n");
        RecoveryConfig.write(dataDir, 10, WITH_SLOT);
        assertBytes(golden("recovery-11.conf"), dataDir.resolve("recovery.conf"));
        RecoveryConfig.write(dataDir, 10, NO_SLOT);
        String content = Files.readString(dataDir.resolve("recovery.conf"));
        assertFalse(content.contains("primary_slot_name"), content);
        assertEquals(Optional.of(NO_SLOT), RecoveryConfig.read(dataDir, 10));
    }

    @Test
    void pg11ReadRequiresStandbyModeOn() throws IOException {
        assertEquals(Optional.empty(), RecoveryConfig.read(dataDir, 11), "no recovery.conf");
        Path rc = dataDir.resolve("recovery.conf");
        Files.writeString(rc, "primary_conninfo = 'host=h'\n");
        assertEquals(Optional.empty(), RecoveryConfig.read(dataDir, 11), "standby_mode missing");
        Files.writeString(rc, "standby_mode = off\nprimary_conninfo = 'host=h'\n");
        assertEquals(Optional.empty(), RecoveryConfig.read(dataDir, 11), "standby_mode off");
        Files.writeString(rc, "standby_mode = true\nprimary_conninfo = 'host=h'\n");
        assertEquals(Optional.of(new RecoverySettings(Conninfo.parse("host=h"), Optional.empty(), "current")),
                RecoveryConfig.read(dataDir, 11), "pre-12 default timeline is 'current'");
        Files.writeString(rc, "standby_mode = on\nrestore_command = 'cp /arch/%f %p'\n");
        assertEquals(Optional.empty(), RecoveryConfig.read(dataDir, 11), "archive-only standby: no primary");
    }

    // ------------------------------------------------------------------ PostgreSQL >= 12

    @Test
    void writesAutoConfForPg15PreservingOtherLinesMatchingGoldenFile() throws IOException {
        Path autoConf = dataDir.resolve("postgresql.auto.conf");
        Files.write(autoConf, golden("postgresql.auto-15.input.conf"));
        RecoveryConfig.write(dataDir, 15, WITH_SLOT);
        assertBytes(golden("postgresql.auto-15.conf"), autoConf);
        assertEquals(0, Files.size(dataDir.resolve("standby.signal")));
        assertEquals(List.of("postgresql.auto.conf", "standby.signal"), listing(), "no recovery.conf, no temp files");
        assertFalse(Files.readString(autoConf).contains("standby_mode"));
        assertEquals(Optional.of(WITH_SLOT), RecoveryConfig.read(dataDir, 15));
    }

    @Test
    void pg15WithoutSlotRemovesAStaleSlotName() throws IOException {
        Path autoConf = dataDir.resolve("postgresql.auto.conf");
        Files.write(autoConf, golden("postgresql.auto-15.input.conf"));
        RecoveryConfig.write(dataDir, 15, NO_SLOT);
        assertBytes(golden("postgresql.auto-15-noslot.conf"), autoConf);
        assertEquals(Optional.of(NO_SLOT), RecoveryConfig.read(dataDir, 15));
    }

    @Test
    void pg15WriteIsIdempotentAndSwitchingSlotsRoundTrips() throws IOException {
        Path autoConf = dataDir.resolve("postgresql.auto.conf");
        Files.write(autoConf, golden("postgresql.auto-15.input.conf"));
        RecoveryConfig.write(dataDir, 15, WITH_SLOT);
        RecoveryConfig.write(dataDir, 15, WITH_SLOT);
        assertBytes(golden("postgresql.auto-15.conf"), autoConf);
        RecoveryConfig.write(dataDir, 15, NO_SLOT);
        assertBytes(golden("postgresql.auto-15-noslot.conf"), autoConf);
        RecoverySettings other = new RecoverySettings(PRIMARY.with("host", "pg-3"), Optional.of("s3"), "7");
        RecoveryConfig.write(dataDir, 16, other);
        assertEquals(Optional.of(other), RecoveryConfig.read(dataDir, 16));
    }

    @Test
    void pg12CreatesAutoConfWhenMissing() throws IOException {
        RecoveryConfig.write(dataDir, 12, WITH_SLOT);
        String expected = "primary_conninfo = 'host=pg-primary.example port=5433 user=replicator "
                + "options=''pa\\\\''ss\\\\\\\\word =x'' application_name=''node 2'' sslmode=prefer'\n"
                + "recovery_target_timeline = 'latest'\n"
                + "primary_slot_name = 'node_2'\n";
        assertEquals(expected, Files.readString(dataDir.resolve("postgresql.auto.conf")));
        assertEquals(Optional.of(WITH_SLOT), RecoveryConfig.read(dataDir, 12));
    }

    @Test
    void pg15ReadNeedsStandbySignalAndUsesLastOccurrence() throws IOException {
        Path autoConf = dataDir.resolve("postgresql.auto.conf");
        Files.writeString(autoConf, "primary_conninfo = 'host=a'\nprimary_conninfo = 'host=b user=u'\n");
        assertEquals(Optional.empty(), RecoveryConfig.read(dataDir, 15), "no standby.signal");
        Files.createFile(dataDir.resolve("standby.signal"));
        assertEquals(Optional.of(RecoverySettings.of(Conninfo.parse("host=b user=u"))), RecoveryConfig.read(dataDir, 15),
                "later line wins; 12+ default timeline is 'latest'");
        Files.writeString(autoConf, "primary_conninfo = ''\n");
        assertEquals(Optional.empty(), RecoveryConfig.read(dataDir, 15), "empty primary_conninfo");
        Files.delete(autoConf);
        assertEquals(Optional.empty(), RecoveryConfig.read(dataDir, 15), "no auto.conf");
    }

    // ------------------------------------------------------------------ round trip over nasty values

    @ParameterizedTest
    @ValueSource(ints = {9, 11, 12, 15, 17})
    void roundTripsNastyConninfoValues(int major) {
        for (String v : ConninfoTest.nastyValues()) {
            RecoverySettings s = RecoverySettings.of(PRIMARY.with("options", v).with("application_name", v)).withSlot("s");
            RecoveryConfig.write(dataDir, major, s);
            assertEquals(Optional.of(s), RecoveryConfig.read(dataDir, major), () -> "value [" + v + "]");
        }
    }

    // ------------------------------------------------------------------ the password in a password file

    /**
     * PostgreSQL logs a reloaded primary_conninfo whole ("parameter "primary_conninfo" changed to ..."): from 10 on the
     * password goes into the data directory's pgsteward.pgpass (0600), which libpq reads as it would ~/.pgpass.
     */
    @ParameterizedTest
    @ValueSource(ints = {10, 11, 12, 15, 17})
    void givenAPassword_whenWritten_thenItIsInThePassfileOnlyAndLibpqWouldReadItBack(int major) throws IOException {
        Path passfile = dataDir.resolve(RecoveryConfig.PASSFILE);
        for (String nasty : ConninfoTest.nastyValues()) {
            if (nasty.contains("\n") || nasty.contains("\r")) {
                continue;
            }
            String v = "S3CR3T" + nasty;
            RecoveryConfig.write(dataDir, major, RecoverySettings.of(PRIMARY.with("password", v)).withSlot("s"));
            Conninfo back = RecoveryConfig.read(dataDir, major).orElseThrow().primaryConninfo();
            assertEquals(PRIMARY.with("passfile", passfile.toString()), back, () -> "value [" + v + "]");
            assertEquals(Optional.of(v), PgPassFile.password(passfile, "pg-primary.example", 5433, "replication",
                    "replicator"), () -> "value [" + v + "]");
            String conf = Files.readString(dataDir.resolve(major <= 11 ? "recovery.conf" : "postgresql.auto.conf"));
            assertFalse(conf.contains("S3CR3T"), conf);
        }
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(passfile)));
        RecoveryConfig.write(dataDir, major, NO_SLOT);
        assertFalse(Files.exists(passfile), "no password any more: the file of the earlier upstream is gone");
    }

    @Test
    void givenAPasswordBefore10OrWithALineBreak_whenWritten_thenItStaysInline() {
        RecoveryConfig.write(dataDir, 9, RecoverySettings.of(PRIMARY.with("password", "pw")));
        assertEquals(Optional.of("pw"), RecoveryConfig.read(dataDir, 9).orElseThrow().primaryConninfo().password());
        RecoveryConfig.write(dataDir, 15, RecoverySettings.of(PRIMARY.with("password", "line\nbreak")));
        assertEquals(Optional.of("line\nbreak"), RecoveryConfig.read(dataDir, 15).orElseThrow().primaryConninfo().password());
        assertFalse(Files.exists(dataDir.resolve(RecoveryConfig.PASSFILE)));
    }

    // ------------------------------------------------------------------ remove

    @Test
    void removeTurnsPg11StandbyOff() {
        RecoveryConfig.write(dataDir, 11, WITH_SLOT);
        RecoveryConfig.remove(dataDir, 11);
        assertFalse(Files.exists(dataDir.resolve("recovery.conf")));
        assertEquals(Optional.empty(), RecoveryConfig.read(dataDir, 11));
        RecoveryConfig.remove(dataDir, 11); // idempotent
    }

    @Test
    void removeTurnsPg15StandbyOffButLeavesAutoConf() throws IOException {
        Files.write(dataDir.resolve("postgresql.auto.conf"), golden("postgresql.auto-15.input.conf"));
        RecoveryConfig.write(dataDir, 15, WITH_SLOT);
        RecoveryConfig.remove(dataDir, 15);
        assertFalse(Files.exists(dataDir.resolve("standby.signal")));
        assertBytes(golden("postgresql.auto-15.conf"), dataDir.resolve("postgresql.auto.conf"));
        assertEquals(Optional.empty(), RecoveryConfig.read(dataDir, 15));
        RecoveryConfig.remove(dataDir, 15); // idempotent
    }

    // ------------------------------------------------------------------ errors

    @Test
    void malformedConninfoInFileNamesFileAndLineWithoutPassword() throws IOException {
        Path autoConf = dataDir.resolve("postgresql.auto.conf");
        Files.writeString(autoConf, "# header\nwork_mem = '8MB'\nprimary_conninfo = 'host=h password=''hunter2'\n");
        Files.createFile(dataDir.resolve("standby.signal"));
        MalformedConfigException e = assertThrows(MalformedConfigException.class, () -> RecoveryConfig.read(dataDir, 15));
        assertTrue(e.getMessage().startsWith(autoConf + ":3: primary_conninfo: invalid conninfo: unterminated quoted value"),
                e::getMessage);
        assertFalse(e.getMessage().contains("hunter2"), e::getMessage);
    }

    @Test
    void malformedFileLineNamesFileAndLine() throws IOException {
        Path rc = dataDir.resolve("recovery.conf");
        Files.writeString(rc, "standby_mode = 'on'\nprimary_conninfo = 'host=h\n");
        MalformedConfigException e = assertThrows(MalformedConfigException.class, () -> RecoveryConfig.read(dataDir, 11));
        assertTrue(e.getMessage().startsWith(rc + ":2: "), e::getMessage);
        assertEquals(2, e.lineNumber());
    }

    @Test
    void ioErrorsNameTheFile() {
        Path missingDir = dataDir.resolve("nope");
        UncheckedIOException e11 = assertThrows(UncheckedIOException.class, () -> RecoveryConfig.write(missingDir, 11, NO_SLOT));
        assertTrue(e11.getMessage().contains(missingDir.resolve("recovery.conf").toString()), e11::getMessage);
        UncheckedIOException e15 = assertThrows(UncheckedIOException.class, () -> RecoveryConfig.write(missingDir, 15, NO_SLOT));
        assertTrue(e15.getMessage().contains(missingDir.resolve("postgresql.auto.conf").toString()), e15::getMessage);
    }

    @Test
    void rejectsUnsupportedVersions() {
        assertThrows(IllegalArgumentException.class, () -> RecoveryConfig.write(dataDir, 8, NO_SLOT));
        assertThrows(IllegalArgumentException.class, () -> RecoveryConfig.read(dataDir, 0));
    }

    @Test
    void settingsValidation() {
        assertThrows(IllegalArgumentException.class, () -> RecoverySettings.of(Conninfo.empty()));
        assertThrows(IllegalArgumentException.class, () -> NO_SLOT.withSlot("Bad-Slot"));
        assertThrows(IllegalArgumentException.class, () -> NO_SLOT.withSlot(""));
        assertThrows(IllegalArgumentException.class, () -> new RecoverySettings(PRIMARY, Optional.empty(), "newest"));
        assertEquals("latest", NO_SLOT.recoveryTargetTimeline());
        assertEquals("5", new RecoverySettings(PRIMARY, Optional.empty(), "5").recoveryTargetTimeline());
    }
}
