package org.pgsteward.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.exec.ExternalCommand;
import org.pgsteward.agent.testing.DirSnapshot;
import org.pgsteward.agent.testing.PgTestEnvironment;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.PostgresExtension;
import org.pgsteward.agent.testing.Standbys;
import org.pgsteward.agent.testing.TestPorts;
import org.pgsteward.protocol.ExitCode;

class BaseBackupTest {

    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final Duration CLONE_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration REPLICATION_WAIT = Duration.ofSeconds(60);

    private static PgTestInstance primary;

    @BeforeAll
    static void startPrimary() {
        primary = pg.primary("bb-primary");
    }

    private static BaseBackup baseBackup() {
        return new BaseBackup(PgTestEnvironment.binaries(), PgTestEnvironment.runner(), PgTestEnvironment.osUser(),
                CLONE_TIMEOUT);
    }

    private static Conninfo upstream() {
        return Conninfo.parse(primary.conninfo());
    }

    /** A target that is already a (stopped) PostgreSQL data directory of another cluster. */
    private static PgTestInstance existingDataDir(String name) {
        PgTestInstance node = pg.empty(name);
        node.pgCtl().initdb(InitdbOptions.defaults());
        return node;
    }

    private static void assertStreamsFromPrimary(PgTestInstance standby, String table) {
        assertEquals("t", standby.queryOne("SELECT pg_is_in_recovery()"));
        primary.execute("CREATE TABLE " + table + " (v text)");
        primary.execute("INSERT INTO " + table + " VALUES ('hello from the primary')");
        Standbys.await("row replicated to " + standby, REPLICATION_WAIT, List.of("hello from the primary"),
                Standbys.rows(standby, "SELECT v FROM " + table));
        assertEquals(primary.queryOne("SELECT system_identifier::text FROM pg_control_system()"),
                standby.queryOne("SELECT system_identifier::text FROM pg_control_system()"));
    }

    @Test
    void givenAbsentTarget_whenCloned_thenStandbyStreamsAndProgressIsReported() {
        PgTestInstance standby = pg.empty("bb-standby");
        var lines = new CopyOnWriteArrayList<String>();

        baseBackup().clone(new CloneRequest(upstream(), standby.dataDir(), false), line -> {
            System.out.println("[clone bb-standby] " + line);
            lines.add(line);
        });

        List<String> copied = lines.stream().filter(l -> l.matches("copied \\d+ of \\d+ kB \\(\\d+%\\)")).toList();
        assertFalse(copied.isEmpty(), "progress lines: " + lines);
        assertTrue(lines.stream().anyMatch(l -> l.contains("base backup completed")), "verbose lines pass: " + lines);
        Standbys.startAsStandby(standby, primary);
        assertStreamsFromPrimary(standby, "bb_absent");
    }

    @Test
    void givenNonEmptyTarget_whenClonedWithoutForce_thenRefusedUntouched_andWithForceReplaced() throws IOException {
        PgTestInstance standby = existingDataDir("bb-existing");
        Path target = standby.dataDir();
        // a crashed earlier forced run left its partial copy behind
        Path leftover = target.resolveSibling("data" + BaseBackup.NEW_SUFFIX);
        Files.createDirectory(leftover);
        Files.writeString(leftover.resolve("PG_VERSION"), "partial");
        DirSnapshot before = DirSnapshot.of(target);

        var refused = assertThrows(CloneException.class,
                () -> baseBackup().clone(new CloneRequest(upstream(), target, false), l -> {}));

        assertEquals(ExitCode.ERR_BAD_CONFIG, refused.exitCode(), refused.getMessage());
        assertTrue(refused.getMessage().contains("not empty"), refused.getMessage());
        DirSnapshot after = DirSnapshot.of(target);
        assertEquals(before, after, before.diff(after));

        var lines = new CopyOnWriteArrayList<String>();
        baseBackup().clone(new CloneRequest(upstream(), target, true), line -> {
            System.out.println("[clone bb-existing] " + line);
            lines.add(line);
        });

        assertTrue(lines.stream().anyMatch(l -> l.contains("left by an interrupted clone")), lines.toString());
        assertFalse(Files.exists(leftover), "leftover new dir removed");
        assertFalse(Files.exists(target.resolveSibling("data" + BaseBackup.OLD_SUFFIX)), "old dir removed");
        Standbys.startAsStandby(standby, primary);
        assertStreamsFromPrimary(standby, "bb_forced");
    }

    @Test
    void givenUnreachableUpstream_whenForcedClone_thenDbConAndOldDirectoryUntouched() {
        PgTestInstance standby = existingDataDir("bb-unreachable");
        Path target = standby.dataDir();
        DirSnapshot before = DirSnapshot.of(target);
        Conninfo nowhere = Conninfo.parse("host=127.0.0.1 port=" + TestPorts.freePort()
                + " user=postgres dbname=postgres connect_timeout=5");

        var e = assertThrows(CloneException.class,
                () -> baseBackup().clone(new CloneRequest(nowhere, target, true), l -> {}));

        assertEquals(ExitCode.ERR_DB_CON, e.exitCode(), e.getMessage());
        assertTrue(e.getMessage().contains("pg_basebackup") && e.getMessage().contains("Connection refused"),
                "message carries the command and its stderr: " + e.getMessage());
        DirSnapshot after = DirSnapshot.of(target);
        assertEquals(before, after, before.diff(after));
        assertFalse(Files.exists(target.resolveSibling("data" + BaseBackup.NEW_SUFFIX)), "partial copy removed");
    }

    @Test
    void givenRunningServerOnTarget_whenForcedClone_thenRefused() {
        PgTestInstance running = pg.primary("bb-running");

        var e = assertThrows(CloneException.class,
                () -> baseBackup().clone(new CloneRequest(upstream(), running.dataDir(), true), l -> {}));

        assertEquals(ExitCode.ERR_BAD_CONFIG, e.exitCode());
        assertTrue(e.getMessage().contains("is running"), e.getMessage());
        assertEquals("1", running.queryOne("SELECT 1"));
    }

    @Test
    void givenPassword_whenCommandBuilt_thenPasswordOnlyInEnvironment() {
        Conninfo withPassword = Conninfo.parse("host=db1 port=5433 user=repl password=t0p-s3cret dbname=postgres");

        ExternalCommand cmd = baseBackup().command(withPassword, Path.of("/data/x"));

        assertFalse(cmd.argv().stream().anyMatch(a -> a.contains("t0p-s3cret")), cmd.display());
        assertEquals("t0p-s3cret", cmd.env().get("PGPASSWORD"));
        assertTrue(cmd.argv().containsAll(List.of("-X", "stream", "-c", "fast", "-P", "-v", "--no-password")));
        assertEquals(PgTestEnvironment.osUser(), cmd.runAs());
    }

    @Test
    void givenProgressLines_whenFasterThanOnePerSecond_thenThrottledButLastOneKept() {
        var clock = new AtomicLong();
        var out = new ArrayList<String>();
        var progress = new BaseBackupProgress(out::add, Duration.ofSeconds(1), clock::get);

        progress.accept("  100/1000 kB (10%), 0/1 tablespace (data/base/1/1259)");
        clock.addAndGet(Duration.ofMillis(300).toNanos());
        progress.accept("200/1000 kB (20%), 0/1 tablespace");
        clock.addAndGet(Duration.ofMillis(300).toNanos());
        progress.accept("300/1000 kB (30%), 0/1 tablespace");
        clock.addAndGet(Duration.ofMillis(500).toNanos());
        progress.accept("400/1000 kB (40%), 0/1 tablespace");
        progress.accept("1000/1000 kB (100%), 1/1 tablespace");
        progress.accept("pg_basebackup: write-ahead log end point: 0/2000100");
        progress.accept("1000/1000 kB (100%), 1/1 tablespace");
        progress.accept("pg_basebackup: base backup completed");
        progress.finish();

        assertEquals(List.of("copied 100 of 1000 kB (10%)", "copied 400 of 1000 kB (40%)",
                "copied 1000 of 1000 kB (100%)", "write-ahead log end point: 0/2000100", "base backup completed"), out);
    }

    @Test
    void givenLibpqErrors_whenClassified_thenPasswordAndConnectionTold() {
        assertEquals(ExitCode.ERR_BAD_PASSWORD, ConnectionFailures.fromText("pg_basebackup: error: connection to"
                + " server at \"127.0.0.1\", port 5432 failed: FATAL:  password authentication failed for user \"x\"")
                .orElseThrow());
        assertEquals(ExitCode.ERR_BAD_PASSWORD, ConnectionFailures.fromText("fe_sendauth: no password supplied")
                .orElseThrow());
        assertEquals(ExitCode.ERR_DB_CON, ConnectionFailures.fromText("connection to server at \"10.0.0.9\", port"
                + " 5432 failed: No route to host").orElseThrow());
        assertTrue(ConnectionFailures.fromText("could not write to file: No space left on device").isEmpty());
    }
}
