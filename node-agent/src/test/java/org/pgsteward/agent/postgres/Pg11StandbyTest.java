package org.pgsteward.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.testing.OlderPostgres;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.PostgresExtension;
import org.pgsteward.agent.testing.Standbys;

/**
 * The older generation on a real server: PostgreSQL 11 binaries run a standby configured by the
 * {@code recovery.conf} that {@link RecoveryConfig} writes (standby_mode, a primary_conninfo whose
 * values need quoting, recovery_target_timeline = 'latest'), the probe reads 11's catalogs
 * (wal_keep_segments), and a promotion moves it to timeline 2 and retires the file.
 */
class Pg11StandbyTest {

    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final Duration WAIT = Duration.ofSeconds(60);
    private final Probe probe = new Probe(ProbeTimeouts.defaults());

    private static Properties superuser() {
        Properties p = new Properties();
        p.setProperty("user", PgTestInstance.SUPERUSER);
        return p;
    }

    @Test
    void givenPg11Primary_whenStandbyConfiguredByRecoveryConf_thenItStreamsAndPromotesToTimeline2() throws Exception {
        PgBinaries pg11 = OlderPostgres.pg11();
        assertEquals(11, pg11.majorVersion());
        PgTestInstance primary = pg.track(PgTestInstance.primary("pg11-primary", pg11));
        primary.execute("CREATE TABLE t (id int)");
        primary.execute("INSERT INTO t VALUES (1)");
        PgSnapshot p = probe.probe(primary.jdbcUrl(), superuser());
        assertTrue(p.isPrimary(), () -> p.error().orElse(""));
        assertEquals(11, p.serverVersionNum() / 10000);
        assertEquals("8", p.settings().orElseThrow().walKeepSetting(), "11 has wal_keep_segments");

        // the 15 pg_basebackup copies the 11 server; the standby's configuration is ours, in recovery.conf
        PgTestInstance standby = clone(primary, "pg11-standby", pg11);
        Conninfo upstream = Conninfo.parse("host=127.0.0.1 port=" + primary.port() + " user=" + PgTestInstance.SUPERUSER)
                .with("application_name", "pg11 standby's = \\ name");
        RecoveryConfig.write(standby.dataDir(), 11, RecoverySettings.of(upstream));
        assertTrue(Files.exists(standby.dataDir().resolve(RecoveryConfig.RECOVERY_CONF)));
        assertFalse(Files.exists(standby.dataDir().resolve(RecoveryConfig.STANDBY_SIGNAL)));
        assertEquals(Optional.of(RecoverySettings.of(upstream)), RecoveryConfig.read(standby.dataDir(), 11));
        standby.pgCtl().start();

        Standbys.await("the 11 standby streams under its quoted application_name", WAIT,
                List.of("pg11 standby's = \\ name|streaming"),
                Standbys.rows(primary, "SELECT application_name || '|' || state FROM pg_stat_replication"));
        PgSnapshot s = probe.probe(standby.jdbcUrl(), superuser());
        assertTrue(s.isStandby() && s.isStreaming(), s::toString);
        assertEquals(Optional.of(primary.port()), s.walReceiver().orElseThrow().senderPort());
        PgTestInstance sibling = clone(primary, "pg11-sibling", pg11);
        RecoveryConfig.write(sibling.dataDir(), 11, RecoverySettings.of(upstream.with("application_name", "sibling")));
        sibling.pgCtl().start();
        primary.execute("INSERT INTO t VALUES (2)");
        Standbys.await("the standby replays", WAIT, List.of("2"), Standbys.rows(standby, "SELECT count(*) FROM t"));
        Standbys.await("the sibling replays", WAIT, List.of("2"), Standbys.rows(sibling, "SELECT count(*) FROM t"));

        primary.pgCtl().stop(StopMode.FAST);
        standby.pgCtl().promote();
        PgSnapshot promoted = probe.probe(standby.jdbcUrl(), superuser());
        assertTrue(promoted.isPrimary(), promoted::toString);
        assertEquals(2, promoted.timeline());
        assertFalse(Files.exists(standby.dataDir().resolve(RecoveryConfig.RECOVERY_CONF)), "11 renames it on promotion");
        assertTrue(Files.exists(standby.dataDir().resolve("recovery.done")));
        assertEquals(Optional.empty(), RecoveryConfig.read(standby.dataDir(), 11));
        standby.execute("INSERT INTO t VALUES (3)");

        // the sibling follows the promoted standby as pgsteward does before 13: the timeline check, a new
        // recovery.conf, a restart (11 reads primary_conninfo only at start), timeline 2 found by 'latest'
        Conninfo newPrimary = Conninfo.parse("host=127.0.0.1 port=" + standby.port() + " user=" + PgTestInstance.SUPERUSER);
        var whyNot = new java.util.ArrayList<String>();
        FollowCheck check = FollowCheck.ask(Conninfo.parse(sibling.conninfo()), newPrimary, false, whyNot::add)
                .orElseThrow(() -> new AssertionError(whyNot));
        assertTrue(check.canFollow(), check.explanation());
        RecoveryConfig.write(sibling.dataDir(), 11, RecoverySettings.of(newPrimary.with("application_name", "sibling")));
        sibling.pgCtl().restart(StopMode.FAST);
        Standbys.await("the sibling streams from the promoted standby", WAIT, List.of("sibling|streaming"),
                Standbys.rows(standby, "SELECT application_name || '|' || state FROM pg_stat_replication"));
        Standbys.await("the sibling has the new primary's row", WAIT, List.of("3"),
                Standbys.rows(sibling, "SELECT count(*) FROM t"));
        assertEquals(2, probe.probe(sibling.jdbcUrl(), superuser()).timeline());
    }

    private static PgTestInstance clone(PgTestInstance primary, String name, PgBinaries binaries) {
        return pg.track(PgTestInstance.cloneOf(primary, name, binaries));
    }
}
