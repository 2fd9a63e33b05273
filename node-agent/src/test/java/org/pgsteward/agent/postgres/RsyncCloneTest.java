package org.pgsteward.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.testing.DirSnapshot;
import org.pgsteward.agent.testing.PgTestEnvironment;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.PostgresExtension;
import org.pgsteward.agent.testing.SshTestServer;
import org.pgsteward.agent.testing.Standbys;
import org.pgsteward.agent.testing.TestPorts;
import org.pgsteward.protocol.ExitCode;

class RsyncCloneTest {

    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final Duration CLONE_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration REPLICATION_WAIT = Duration.ofSeconds(60);

    private static SshTestServer sshd;
    private static PgTestInstance primary;

    @BeforeAll
    static void start() throws Exception {
        sshd = SshTestServer.start();
        primary = pg.primary("rs-primary");
    }

    @AfterAll
    static void stopSshd() {
        if (sshd != null) {
            sshd.close();
        }
    }

    /** The upstream's OS user, which ssh logs in as (the seed's -R). */
    private static String remoteUser() {
        return PgTestEnvironment.osUser().orElse(System.getProperty("user.name"));
    }

    private static RsyncClone rsyncClone(List<String> sshOptions) {
        return new RsyncClone(PgTestEnvironment.binaries(), PgTestEnvironment.runner(), PgTestEnvironment.osUser(),
                sshOptions, CLONE_TIMEOUT);
    }

    private static RsyncCloneResult cloneInto(PgTestInstance target, boolean force, List<String> progress) {
        return rsyncClone(sshd.sshOptions()).clone(
                new CloneRequest(Conninfo.parse(primary.conninfo()), target.dataDir(), force), remoteUser(), false,
                line -> {
                    System.out.println("[clone " + target.name() + "] " + line);
                    progress.add(line);
                });
    }

    private static PgTestInstance existingDataDir(String name) {
        PgTestInstance node = pg.empty(name);
        node.pgCtl().initdb(InitdbOptions.defaults());
        return node;
    }

    private static void awaitStreaming(PgTestInstance standby) {
        assertEquals("t", standby.queryOne("SELECT pg_is_in_recovery()"));
        Standbys.await("WAL receiver of " + standby + " streaming", REPLICATION_WAIT, List.of("streaming"),
                Standbys.rows(standby, "SELECT status FROM pg_stat_wal_receiver"));
    }

    @Test
    void givenAbsentTarget_whenRsyncCloned_thenStandbyStreams() throws Exception {
        PgTestInstance standby = pg.empty("rs-standby");
        var lines = new CopyOnWriteArrayList<String>();

        RsyncCloneResult result = cloneInto(standby, false, lines);

        for (String phase : List.of("backup started at LSN", "rsync of data directory done", "backup stopped at LSN",
                "WAL fetched")) {
            assertTrue(lines.stream().anyMatch(l -> l.startsWith(phase)), phase + " in " + lines);
        }
        assertTrue(result.dataStats().regularFilesTransferred() > 100, result.dataStats().summary());
        Path label = standby.dataDir().resolve("backup_label");
        assertEquals(remoteUser(), Files.getOwner(label).getName());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(label)));
        assertEquals(remoteUser(), Files.getOwner(standby.dataDir().resolve("PG_VERSION")).getName());
        assertEquals(remoteUser(), Files.getOwner(standby.dataDir().resolve("pg_wal/archive_status")).getName());

        Standbys.startAsStandby(standby, primary);

        awaitStreaming(standby);
        primary.execute("CREATE TABLE rs_absent (v text)");
        primary.execute("INSERT INTO rs_absent VALUES ('over rsync')");
        Standbys.await("row replicated", REPLICATION_WAIT, List.of("over rsync"),
                Standbys.rows(standby, "SELECT v FROM rs_absent"));

        // the seed clones from the primary: a standby upstream is refused before anything is touched
        PgTestInstance third = pg.empty("rs-third");
        var e = assertThrows(CloneException.class, () -> rsyncClone(sshd.sshOptions()).clone(
                new CloneRequest(Conninfo.parse(standby.conninfo()), third.dataDir(), false), remoteUser(), false,
                l -> {}));
        assertEquals(ExitCode.ERR_BAD_CONFIG, e.exitCode(), e.getMessage());
        assertTrue(e.getMessage().contains("is a standby"), e.getMessage());
        assertFalse(Files.exists(third.dataDir()));
    }

    @Test
    void givenStoppedStandbyBehindPrimary_whenForcedRsyncClone_thenOnlyDifferencesCopiedAndAllRowsThere() {
        PgTestInstance b = pg.empty("rs-b");
        cloneInto(b, false, new CopyOnWriteArrayList<>());
        Standbys.startAsStandby(b, primary);
        awaitStreaming(b);
        b.pgCtl().stop(StopMode.FAST);
        // B falls behind: rows it never received, on disk on the primary
        primary.execute("CREATE TABLE rs_forced AS SELECT g AS id, repeat('x', 200) AS pad FROM generate_series(1, 20000) g");
        primary.execute("INSERT INTO rs_forced SELECT g, 'late' FROM generate_series(20001, 20100) g");
        primary.execute("CHECKPOINT");
        var lines = new CopyOnWriteArrayList<String>();

        RsyncCloneResult result = cloneInto(b, true, lines);

        RsyncStats data = result.dataStats();
        assertTrue(data.transferredFileSize() < data.totalFileSize() / 2,
                "only what differs is copied: " + data.summary());
        assertTrue(data.regularFilesTransferred() < data.files() / 2, data.summary());
        Standbys.startAsStandby(b, primary);
        awaitStreaming(b);
        primary.execute("INSERT INTO rs_forced VALUES (20101, 'after the resync')");
        Standbys.await("all rows on B", REPLICATION_WAIT, List.of("20101"),
                Standbys.rows(b, "SELECT count(*) FROM rs_forced"));
    }

    @Test
    void givenWrongSshPortOrKey_whenRsyncClone_thenBadRsyncAndTargetUntouched() {
        PgTestInstance target = existingDataDir("rs-badssh");
        DirSnapshot before = DirSnapshot.of(target.dataDir());
        var wrong = List.of(sshd.sshOptionsWithPort(TestPorts.freePort()), sshd.sshOptionsWithUnauthorizedKey());
        var expected = List.of("Connection refused", "Permission denied");

        for (int i = 0; i < wrong.size(); i++) {
            var request = new CloneRequest(Conninfo.parse(primary.conninfo()), target.dataDir(), true);
            List<String> options = wrong.get(i);
            var e = assertThrows(CloneException.class,
                    () -> rsyncClone(options).clone(request, remoteUser(), false, l -> {}));

            assertEquals(ExitCode.ERR_BAD_RSYNC, e.exitCode(), e.getMessage());
            assertTrue(e.getMessage().contains(expected.get(i)), "names the ssh problem: " + e.getMessage());
            DirSnapshot after = DirSnapshot.of(target.dataDir());
            assertEquals(before, after, before.diff(after));
        }
    }

    @Test
    void givenWrongPassword_whenRsyncClone_thenBadPasswordAndTargetUntouched() {
        PgTestInstance target = existingDataDir("rs-badpw");
        DirSnapshot before = DirSnapshot.of(target.dataDir());
        Conninfo wrongPassword = Conninfo.parse(primary.conninfo())
                .with("user", PgTestInstance.PASSWORD_USER)
                .with("password", "not-" + PgTestInstance.PASSWORD);

        var e = assertThrows(CloneException.class, () -> rsyncClone(sshd.sshOptions())
                .clone(new CloneRequest(wrongPassword, target.dataDir(), true), remoteUser(), false, l -> {}));

        assertEquals(ExitCode.ERR_BAD_PASSWORD, e.exitCode(), e.getMessage());
        assertFalse(e.getMessage().contains(PgTestInstance.PASSWORD), "no password in: " + e.getMessage());
        DirSnapshot after = DirSnapshot.of(target.dataDir());
        assertEquals(before, after, before.diff(after));
    }

    @Test
    void givenNonEmptyTargetWithoutForce_whenRsyncClone_thenRefusedUntouched() {
        PgTestInstance target = existingDataDir("rs-noforce");
        DirSnapshot before = DirSnapshot.of(target.dataDir());

        var e = assertThrows(CloneException.class, () -> rsyncClone(sshd.sshOptions()).clone(
                new CloneRequest(Conninfo.parse(primary.conninfo()), target.dataDir(), false), remoteUser(), false,
                l -> {}));

        assertEquals(ExitCode.ERR_BAD_CONFIG, e.exitCode(), e.getMessage());
        DirSnapshot after = DirSnapshot.of(target.dataDir());
        assertEquals(before, after, before.diff(after));
    }

    @Test
    void givenSshOptionWithWhitespaceOrQuote_whenConstructed_thenRejected() {
        assertThrows(IllegalArgumentException.class, () -> rsyncClone(List.of("-p 2222")));
        assertThrows(IllegalArgumentException.class, () -> rsyncClone(List.of("-o", "ProxyCommand='nc x'")));
        assertEquals("ssh -p 2222 -i /k -o BatchMode=yes -o ConnectTimeout=10",
                Rsync.remoteShell(List.of("-p", "2222", "-i", "/k")));
    }

    @Test
    void givenRsyncStatsOutput_whenParsed_thenNumbersRead() {
        String out = String.join("\n",
                "Number of files: 1,234 (reg: 1,000, dir: 234)",
                "Number of created files: 0",
                "Number of deleted files: 3",
                "Number of regular files transferred: 12",
                "Total file size: 40,211,373 bytes",
                "Total transferred file size: 1,056,768 bytes",
                "Literal data: 65,536 bytes",
                "Matched data: 991,232 bytes");

        assertEquals(new RsyncStats(1234, 12, 3, 40_211_373, 1_056_768, 65_536), RsyncStats.parse(out));
    }
}
