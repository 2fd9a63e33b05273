package org.pgsteward.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PgConfFileTest {

    @TempDir
    Path dir;

    private static final String SAMPLE = """
            # PostgreSQL configuration
            listen_addresses = '*'
            port = 5432\t\t# (change requires restart)

            #port = 5999
            max_connections = 100
            Port = 5433 # overrides the first one
            work_mem = 4MB
            """;

    private Path write(String name, String content) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, content, StandardCharsets.UTF_8);
        return f;
    }

    private List<Path> dirListing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void getReturnsTheLastOccurrenceCaseInsensitively() throws IOException {
        Path f = write("postgresql.conf", SAMPLE);
        assertEquals(Optional.of("5433"), PgConfFile.getSetting(f, "port"));
        assertEquals(Optional.of("5433"), PgConfFile.getSetting(f, "PORT"));
        assertEquals(Optional.of("*"), PgConfFile.getSetting(f, "listen_addresses"));
        assertEquals(Optional.empty(), PgConfFile.getSetting(f, "shared_buffers"));
        assertEquals(Optional.empty(), PgConfFile.getSetting(dir.resolve("missing.conf"), "port"));
    }

    @Test
    void setReplacesTheActiveLineInPlaceAndKeepsEverythingElse() throws IOException {
        Path f = write("postgresql.conf", SAMPLE);
        PgConfFile.setSetting(f, "port", "6543");
        String expected = SAMPLE.replace("Port = 5433 # overrides the first one", "port = '6543' # overrides the first one");
        assertEquals(expected, Files.readString(f));
        assertEquals(Optional.of("6543"), PgConfFile.getSetting(f, "port"));
    }

    @Test
    void setAppendsAnAbsentSetting() throws IOException {
        Path f = write("postgresql.conf", SAMPLE);
        PgConfFile.setSetting(f, "shared_buffers", "256MB");
        assertEquals(SAMPLE + "shared_buffers = '256MB'\n", Files.readString(f));
    }

    @Test
    void setAddsMissingFinalNewlineBeforeAppending() throws IOException {
        Path f = write("postgresql.conf", "port = 5432");
        PgConfFile.setSetting(f, "work_mem", "8MB");
        assertEquals("port = 5432\nwork_mem = '8MB'\n", Files.readString(f));
        PgConfFile.setSetting(f, "work_mem", "it's");
        assertEquals("port = 5432\nwork_mem = 'it''s'\n", Files.readString(f));
    }

    @Test
    void setCreatesAMissingFile() {
        Path f = dir.resolve("postgresql.auto.conf");
        PgConfFile.setSetting(f, "port", "5433");
        assertEquals(Optional.of("5433"), PgConfFile.getSetting(f, "port"));
    }

    @Test
    void crlfLineEndingsArePreserved() throws IOException {
        Path f = write("postgresql.conf", "# c\r\nport = 5432\r\nwork_mem = 4MB\r\n");
        PgConfFile.setSetting(f, "port", "5433");
        assertEquals("# c\r\nport = '5433'\r\nwork_mem = 4MB\r\n", Files.readString(f));
    }

    @Test
    void removeDeletesEveryOccurrenceButKeepsComments() throws IOException {
        Path f = write("postgresql.conf", SAMPLE);
        PgConfFile.removeSetting(f, "port");
        assertEquals("""
                # PostgreSQL configuration
                listen_addresses = '*'

                #port = 5999
                max_connections = 100
                work_mem = 4MB
                """, Files.readString(f));
        PgConfFile.removeSetting(f, "port"); // no-op
        assertEquals(Optional.empty(), PgConfFile.getSetting(f, "port"));
    }

    @Test
    void inMemoryEditsAreImmutableAndRenderUntouchedContentExactly() {
        PgConfFile conf = PgConfFile.parse(SAMPLE, "mem");
        assertEquals(SAMPLE, conf.render());
        PgConfFile changed = conf.set("work_mem", "8MB").remove("max_connections");
        assertEquals(SAMPLE, conf.render(), "original unchanged");
        assertEquals(Optional.of("8MB"), changed.get("work_mem"));
        assertEquals(Optional.empty(), changed.get("max_connections"));
        assertThrows(IllegalArgumentException.class, () -> conf.set("bad name", "x"));
    }

    @Test
    void writesAtomicallyWithoutLeavingTempFilesAndKeepsPermissions() throws IOException {
        Path f = write("postgresql.conf", SAMPLE);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
        PgConfFile.setSetting(f, "port", "5433");
        assertEquals(List.of(f), dirListing());
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
    }

    @Test
    void malformedLineNamesFileAndLineWithoutEchoingIt() throws IOException {
        Path f = write("postgresql.auto.conf", "# ok\nport = 5432\nprimary_conninfo = 'password=hunter2\n");
        MalformedConfigException e = assertThrows(MalformedConfigException.class, () -> PgConfFile.getSetting(f, "port"));
        assertEquals(f + ":3: unterminated quoted value of parameter \"primary_conninfo\" at column 20", e.getMessage());
        assertEquals(3, e.lineNumber());
        assertEquals(f.toString(), e.file());
        assertFalse(e.getMessage().contains("hunter2"));
        // and a failed read never rewrites the file
        assertThrows(MalformedConfigException.class, () -> PgConfFile.setSetting(f, "port", "1"));
        assertTrue(Files.readString(f).contains("port = 5432"));
    }

    @Test
    void invalidUtf8IsRejectedNamingTheFile() throws IOException {
        Path f = dir.resolve("postgresql.conf");
        Files.write(f, new byte[] {'#', ' ', (byte) 0xE9, '\n'});
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> PgConfFile.getSetting(f, "port"));
        assertTrue(e.getMessage().contains(f.toString()), e::getMessage);
    }

    @Test
    void ioErrorsNameThePath() {
        Path f = dir.resolve("no-such-dir").resolve("postgresql.conf");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> PgConfFile.setSetting(f, "port", "5433"));
        assertTrue(e.getMessage().contains(f.toString()), e::getMessage);
    }
}
