package org.pgsteward.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.testing.DirSnapshot;
import org.pgsteward.agent.testing.PgTestEnvironment;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.PostgresExtension;
import org.pgsteward.agent.testing.Standbys;
import org.pgsteward.agent.testing.TestPorts;
import org.pgsteward.protocol.ExitCode;

class RewindTest {

    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final Duration REWIND_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static Rewind rewind() {
        return new Rewind(PgTestEnvironment.binaries(), PgTestEnvironment.runner(), PgTestEnvironment.osUser(),
                REWIND_TIMEOUT);
    }

    private static Conninfo conninfo(PgTestInstance node) {
        return Conninfo.parse(node.conninfo());
    }

    private static String count(PgTestInstance node, String origin) {
        return node.queryOne("SELECT count(*) FROM t WHERE origin = '" + origin + "'");
    }

    private static void insert(PgTestInstance node, String origin, int from, int to) {
        node.execute("INSERT INTO t SELECT g, '" + origin + "' FROM generate_series(" + from + ", " + to + ") g");
    }

    private static void awaitStreamingFrom(PgTestInstance standby, PgTestInstance primary) {
        Standbys.await(standby + " streams from " + primary, WAIT, List.of("streaming " + primary.port()),
                Standbys.rows(standby, "SELECT status || ' ' || sender_port FROM pg_stat_wal_receiver"));
    }

    @Test
    void givenCrashedDivergedFormerPrimary_whenRewoundFromNewPrimary_thenItStreamsWithoutItsDivergedRows() throws IOException {
        PgTestInstance a = pg.primary("rw-a");
        PgTestInstance b = pg.standbyOf(a, "rw-b");
        a.execute("CREATE TABLE t (id int PRIMARY KEY, origin text NOT NULL)");
        insert(a, "both", 1, 100);
        Standbys.await("b has the common rows", WAIT, List.of("100"), Standbys.rows(b, "SELECT count(*) FROM t"));

        b.pgCtl().promote(); // b: timeline 2; a still a primary on timeline 1
        insert(a, "a-only", 1001, 1100); // b never gets these: the histories diverge
        a.execute("UPDATE t SET origin = 'a-changed' WHERE id <= 10"); // and old blocks change on a
        a.pgCtl().stop(StopMode.IMMEDIATE); // a crash
        Rewind rewind = rewind();
        assertEquals("in production", rewind.controlData(a.dataDir()).clusterState(), "a was not shut down cleanly");
        insert(b, "b-only", 2001, 2100);

        var progress = new CopyOnWriteArrayList<String>();
        RewindResult r = rewind.rewind(a.dataDir(), conninfo(b), "rw-a", progress::add);

        assertTrue(r.rewound(), "a had diverged: " + r.output());
        assertTrue(r.output().stream().anyMatch(l -> l.contains("servers diverged")), String.join("\n", r.output()));
        assertTrue(r.output().stream().anyMatch(l -> l.contains("to complete crash recovery")),
                "pg_rewind ran the single-user crash recovery itself: " + String.join("\n", r.output()));
        assertTrue(progress.containsAll(r.output()), "pg_rewind's lines were forwarded as progress");
        assertTrue(r.took().compareTo(Duration.ZERO) > 0);
        assertTrue(Files.readString(a.dataDir().resolve("postgresql.conf")).contains("port = " + a.port()),
                "a keeps its own postgresql.conf");
        assertTrue(Files.exists(a.dataDir().resolve(RecoveryConfig.STANDBY_SIGNAL)));

        a.pgCtl().start();
        awaitStreamingFrom(a, b);
        assertEquals("t", a.queryOne("SELECT pg_is_in_recovery()"));
        assertEquals("100", count(a, "both"), "the common history stays, including the rows a changed after the fork");
        assertEquals("0", count(a, "a-only"), "a's diverged rows are gone");
        assertEquals("0", count(a, "a-changed"));
        assertEquals("100", count(a, "b-only"));
        insert(b, "after", 3001, 3010);
        Standbys.await("a streams rows written on b after the rewind", WAIT, List.of("10"),
                Standbys.rows(a, "SELECT count(*) FROM t WHERE origin = 'after'"));
        Standbys.await("b sees a as its standby", WAIT, List.of("rw-a"),
                Standbys.rows(b, "SELECT application_name FROM pg_stat_replication"));
    }

    @Test
    void givenStandbyThatStoppedBeforeTheFork_whenRewound_thenNoRewindRequiredAndItFollows() {
        PgTestInstance a = pg.primary("nr-a");
        PgTestInstance b = pg.standbyOf(a, "nr-b");
        PgTestInstance c = pg.standbyOf(a, "nr-c");
        a.execute("CREATE TABLE t (id int PRIMARY KEY, origin text NOT NULL)");
        insert(a, "both", 1, 50);
        Standbys.await("c has the rows", WAIT, List.of("50"), Standbys.rows(c, "SELECT count(*) FROM t"));
        c.pgCtl().stop(StopMode.FAST);
        // b must have everything c had before it forks: everything a wrote until now
        String lsn = a.queryOne("SELECT pg_current_wal_lsn()::text");
        Standbys.await("b replayed " + lsn, WAIT, List.of("t"),
                Standbys.rows(b, "SELECT pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn"));
        b.pgCtl().promote();
        insert(b, "b-only", 101, 120);

        RewindResult r = rewind().rewind(c.dataDir(), conninfo(b), "nr-c", line -> { });

        assertFalse(r.rewound(), String.join("\n", r.output()));
        c.pgCtl().start();
        awaitStreamingFrom(c, b);
        Standbys.await("c has b's rows", WAIT, List.of("20"),
                Standbys.rows(c, "SELECT count(*) FROM t WHERE origin = 'b-only'"));
    }

    @Test
    void givenNeitherWalLogHintsNorChecksums_whenRewound_thenRefusedAndUntouched() {
        PgTestInstance a = pg.primary("nohints-a", false, false);
        PgTestInstance b = pg.standbyOf(a, "nohints-b");
        b.pgCtl().promote();
        a.pgCtl().stop(StopMode.FAST);
        DirSnapshot before = DirSnapshot.of(a.dataDir());

        var e = assertThrows(RewindException.class, () -> rewind().rewind(a.dataDir(), conninfo(b), "nohints-a", l -> { }));

        assertEquals(ExitCode.ERR_BAD_CONFIG, e.exitCode());
        assertTrue(e.getMessage().contains("pg_rewind needs wal_log_hints or data checksums; re-clone instead"),
                e.getMessage());
        DirSnapshot after = DirSnapshot.of(a.dataDir());
        assertEquals(before, after, before.diff(after));
    }

    @Test
    void givenTwoPrimariesOnOneTimeline_whenRewound_thenRefusedAndUntouched() throws IOException {
        PgTestInstance a = pg.primary("split-a");
        PgTestInstance b = pg.standbyOf(a, "split-b");
        b.pgCtl().stop(StopMode.FAST);
        Files.delete(b.dataDir().resolve(RecoveryConfig.STANDBY_SIGNAL));
        b.pgCtl().start(); // a copy started without standby configuration: a second primary on timeline 1
        b.execute("CREATE TABLE t (id int PRIMARY KEY, origin text NOT NULL)");
        a.execute("CREATE TABLE t (id int PRIMARY KEY, origin text NOT NULL)");
        insert(a, "a-only", 1, 10);
        a.pgCtl().stop(StopMode.FAST);
        DirSnapshot before = DirSnapshot.of(a.dataDir());

        var e = assertThrows(RewindException.class, () -> rewind().rewind(a.dataDir(), conninfo(b), "split-a", l -> { }));

        assertEquals(ExitCode.ERR_BAD_CONFIG, e.exitCode());
        assertTrue(e.getMessage().contains("both on timeline 1"), e.getMessage());
        DirSnapshot after = DirSnapshot.of(a.dataDir());
        assertEquals(before, after, before.diff(after));
    }

    @Test
    void givenUnreachableSource_whenRewound_thenConnectionErrorAndUntouched() {
        PgTestInstance a = pg.primary("unreach-a");
        a.execute("CREATE TABLE t (id int PRIMARY KEY, origin text NOT NULL)");
        insert(a, "a", 1, 10);
        a.pgCtl().stop(StopMode.IMMEDIATE); // even a crashed directory is not recovered before the source is checked
        DirSnapshot before = DirSnapshot.of(a.dataDir());
        Conninfo nowhere = Conninfo.parse("host=127.0.0.1 port=" + TestPorts.freePort() + " user=postgres dbname=postgres");

        var e = assertThrows(RewindException.class, () -> rewind().rewind(a.dataDir(), nowhere, "unreach-a", l -> { }));

        assertEquals(ExitCode.ERR_DB_CON, e.exitCode(), e.getMessage());
        assertTrue(e.getMessage().contains("cannot connect to the rewind source"), e.getMessage());
        DirSnapshot after = DirSnapshot.of(a.dataDir());
        assertEquals(before, after, before.diff(after));
    }

    @Test
    void givenRunningServer_whenRewound_thenRefused() {
        PgTestInstance a = pg.primary("running-a");

        var e = assertThrows(RewindException.class, () -> rewind().rewind(a.dataDir(), conninfo(a), "running-a", l -> { }));

        assertEquals(ExitCode.ERR_BAD_CONFIG, e.exitCode());
        assertTrue(e.getMessage().contains("is running on"), e.getMessage());
    }

    @Test
    void givenPasswordInConninfo_whenCommandBuilt_thenPasswordOnlyInEnvironment() {
        Conninfo source = Conninfo.parse("host=10.0.0.2 port=5433 user=rewinder password='se cret' dbname=postgres");
        var cmd = rewind().command(java.nio.file.Path.of("/data/pg"), source);
        assertEquals(List.of(PgTestEnvironment.binaries().tool("pg_rewind").toString(), "--target-pgdata=/data/pg",
                "--source-server=host=10.0.0.2 port=5433 user=rewinder dbname=postgres", "--progress"), cmd.argv());
        assertEquals("se cret", cmd.env().get("PGPASSWORD"));
    }

    @Test
    void givenControlDataOutput_whenParsed_thenFieldsRead() {
        String out = String.join("\n",
                "pg_control version number:            1300",
                "Database system identifier:           18446744073709551615",
                "Database cluster state:               shut down in recovery",
                "pg_control last modified:             Mon 01 Jan 2024 10:00:00 AM UTC",
                "wal_log_hints setting:                off",
                "Data page checksum version:           1",
                "Latest checkpoint's TimeLineID:       3",
                "");
        ControlData c = ControlData.parse(out);
        assertEquals(-1L, c.systemIdentifier(), "unsigned 64 bit kept as the bit pattern");
        assertTrue(c.cleanlyShutDown());
        assertFalse(c.walLogHints());
        assertTrue(c.rewindable());
        assertEquals(3, c.timeline());
        assertFalse(c.ranAsPrimary());
        assertThrows(IllegalArgumentException.class, () -> ControlData.parse("Database cluster state: in production\n"));
    }
}
