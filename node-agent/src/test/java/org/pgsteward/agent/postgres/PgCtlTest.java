package org.pgsteward.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.pgsteward.agent.exec.CommandFailedException;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.PostgresExtension;

class PgCtlTest {

    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    @ParameterizedTest
    @EnumSource(StopMode.class)
    void givenInitdbAndStart_whenStoppedInEachMode_thenStatusFollows(StopMode mode) {
        PgTestInstance node = pg.primary("ctl");
        PgCtl ctl = node.pgCtl();
        assertEquals(ServerStatus.RUNNING, ctl.status());
        assertEquals("1", node.queryOne("SELECT 1"));

        ctl.stop(mode);

        assertEquals(ServerStatus.STOPPED, ctl.status());
        assertTrue(ctl.postmasterPid().isEmpty(), "postmaster.pid removed");
        ctl.start();
        assertEquals(ServerStatus.RUNNING, ctl.status());
    }

    @Test
    void givenStoppedServer_whenStoppedAgain_thenNothingHappens() {
        PgTestInstance node = pg.primary("ctl");
        node.pgCtl().stop(StopMode.FAST);
        node.pgCtl().stop(StopMode.FAST);
        assertEquals(ServerStatus.STOPPED, node.pgCtl().status());
    }

    @Test
    void givenRunningServer_whenRestartedAndReloaded_thenStillServes() {
        PgTestInstance node = pg.primary("ctl");
        String before = node.queryOne("SELECT pg_postmaster_start_time()::text");
        node.pgCtl().restart(StopMode.FAST);
        node.pgCtl().reload();
        String after = node.queryOne("SELECT pg_postmaster_start_time()::text");
        assertFalse(before.equals(after), "a restart gives a new postmaster");
    }

    @Test
    void givenMissingDataDir_whenStatus_thenNoDataDirectory() {
        PgTestInstance node = pg.empty("nodata");
        assertEquals(ServerStatus.NO_DATA_DIRECTORY, node.pgCtl().status());
    }

    @Test
    void givenBrokenConfig_whenStarted_thenErrorShowsStderrAndServerLog() {
        PgTestInstance node = pg.primary("broken");
        node.pgCtl().stop(StopMode.FAST);
        node.appendConf("postgresql.conf", "\nshared_buffers = 'lots'\n");

        var e = assertThrows(CommandFailedException.class, () -> node.pgCtl().start());

        assertTrue(e.getMessage().contains("pg_ctl start"), e.getMessage());
        assertTrue(e.getMessage().contains("exit code 1"), e.getMessage());
        assertTrue(e.getMessage().contains("shared_buffers"), "server log tail names the bad setting: " + e.getMessage());
    }

    @Test
    void givenFrozenPostmaster_whenFenced_thenKilled() throws Exception {
        PgTestInstance node = pg.primary("frozen");
        long pid = node.pgCtl().postmasterPid().orElseThrow();
        ProcessHandle pm = ProcessHandle.of(pid).orElseThrow();
        // SIGSTOP the postmaster: it ignores pg_ctl stop until it resumes
        new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor();

        String how = node.pgCtl().stopOrKill(StopMode.FAST, Duration.ofSeconds(2));

        assertEquals("killed (SIGKILL)", how);
        assertFalse(pm.isAlive());
    }
}
