package org.pgsteward.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.PostgresExtension;
import org.pgsteward.agent.testing.TestPorts;
import org.pgsteward.protocol.Lsn;

class ProbeTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private final Probe probe = new Probe(ProbeTimeouts.defaults());

    @Test
    void givenPrimary_whenProbed_thenPrimaryStateAndSettings() {
        PgTestInstance primary = pg.primary("probe-primary");

        PgSnapshot s = probe.probe(primary.jdbcUrl(), superuser());

        assertEquals(Reachability.REACHABLE, s.reachability(), () -> s.error().orElse(""));
        assertTrue(s.error().isEmpty());
        assertTrue(s.isPrimary());
        assertFalse(s.inRecovery());
        assertFalse(s.isStreaming());
        assertEquals(15, s.serverVersionNum() / 10000, "version " + s.serverVersionNum());
        assertTrue(s.serverVersion().startsWith("15."), s.serverVersion());
        assertEquals(1, s.timeline());
        assertTrue(s.currentLsn().isPresent());
        assertEquals(s.currentLsn(), s.bestLsn());
        assertTrue(s.receivedLsn().isEmpty() && s.replayedLsn().isEmpty() && s.walReceiver().isEmpty());
        assertEquals(List.of(), s.standbys());

        ReplicationSettings set = s.settings().orElseThrow();
        assertEquals("replica", set.walLevel());
        assertEquals(10, set.maxWalSenders());
        assertTrue(set.hotStandby());
        assertEquals("128MB", set.walKeepSetting());
        assertEquals(Optional.of(128L << 20), set.walKeepBytes());
        assertTrue(set.walLogHints());
        assertTrue(set.dataChecksums(), "harness initdb uses --data-checksums");
        assertEquals("", set.synchronousStandbyNames());
        assertEquals("127.0.0.1", set.listenAddresses());
        assertEquals(primary.port(), set.port());
        assertEquals("replica", set.raw().get("wal_level"));
    }

    @Test
    void givenStreamingStandby_whenProbed_thenBothSidesShowReplication() {
        PgTestInstance primary = pg.primary("probe-primary");
        PgTestInstance standby = pg.standbyOf(primary, "standby");

        PgSnapshot sb = awaitSnapshot(standby, PgSnapshot::isStreaming, "standby streaming");
        assertTrue(sb.inRecovery());
        assertTrue(sb.isStandby() && !sb.isPrimary());
        assertEquals(1, sb.timeline());
        assertTrue(sb.currentLsn().isEmpty());
        assertTrue(sb.replayedLsn().isPresent());
        WalReceiverInfo wr = sb.walReceiver().orElseThrow();
        assertEquals(Optional.of("streaming"), wr.status());
        assertEquals(Optional.of(primary.port()), wr.senderPort());
        assertEquals(Optional.of("127.0.0.1"), wr.senderHost());
        assertEquals(Optional.of(1L), wr.receivedTli());
        assertTrue(wr.flushedLsn().isPresent());
        String conninfo = wr.conninfo().orElseThrow();
        assertTrue(conninfo.contains("port=" + primary.port()), conninfo);
        assertTrue(conninfo.contains("application_name=standby"), conninfo);

        primary.execute("CREATE TABLE t AS SELECT g FROM generate_series(1, 10000) g");
        Lsn target = probe.probe(primary.jdbcUrl(), superuser()).currentLsn().orElseThrow();
        PgSnapshot caughtUp = awaitSnapshot(standby,
                s -> s.replayedLsn().filter(r -> r.compareTo(target) >= 0).isPresent(), "replay reaches " + target);
        assertTrue(caughtUp.bestLsn().orElseThrow().compareTo(target) >= 0);
        assertEquals(List.of("10000"), standby.query("SELECT count(*) FROM t"));

        PgSnapshot p = awaitSnapshot(primary,
                s -> s.standbys().stream().anyMatch(StandbyInfo::isStreaming), "primary lists a streaming standby");
        assertEquals(1, p.standbys().size(), p.standbys()::toString);
        StandbyInfo info = p.standbys().get(0);
        assertEquals("standby", info.applicationName());
        assertEquals(Optional.of("streaming"), info.state());
        assertEquals(Optional.of("127.0.0.1"), info.clientAddr());
        assertEquals(Optional.of("async"), info.syncState());
        assertTrue(info.sentLsn().isPresent() && info.replayLsn().isPresent());
    }

    @Test
    void givenStandby_whenPromoted_thenPrimaryOnTimeline2() {
        PgTestInstance primary = pg.primary("probe-primary");
        PgTestInstance standby = pg.standbyOf(primary, "standby");
        awaitSnapshot(standby, PgSnapshot::isStreaming, "standby streaming");

        standby.pgCtl().promote();

        PgSnapshot s = probe.probe(standby.jdbcUrl(), superuser());
        assertEquals(Reachability.REACHABLE, s.reachability(), () -> s.error().orElse(""));
        assertFalse(s.inRecovery());
        assertTrue(s.isPrimary());
        assertEquals(2, s.timeline(), "promotion starts a new timeline");
        assertTrue(s.currentLsn().isPresent());
        assertTrue(s.walReceiver().isEmpty());
    }

    @Test
    void givenNothingListening_whenProbed_thenUnreachable() {
        int port = TestPorts.freePort();

        PgSnapshot s = probe.probe("jdbc:postgresql://127.0.0.1:" + port + "/postgres", superuser());

        assertEquals(Reachability.UNREACHABLE, s.reachability(), () -> s.error().orElse(""));
        assertTrue(s.error().orElseThrow().contains("refused"), s.error().orElseThrow());
        assertFalse(s.isPrimary() || s.isStandby() || s.isReachable());
        assertTrue(s.bestLsn().isEmpty() && s.settings().isEmpty());
    }

    @Test
    void givenUnknownHost_whenProbed_thenUnreachable() {
        PgSnapshot s = probe.probe("jdbc:postgresql://no-such-host.invalid:5432/postgres", superuser());

        assertEquals(Reachability.UNREACHABLE, s.reachability(), () -> s.error().orElse(""));
    }

    @Test
    void givenPasswordUser_whenPasswordWrongMissingOrRight_thenAuthFailedOrReachable() {
        PgTestInstance primary = pg.primary("probe-auth");
        String wrong = "not-the-Pa55word";

        PgSnapshot bad = probe.probe(primary.jdbcUrl(), passwordUser(Optional.of(wrong)));
        assertEquals(Reachability.AUTH_FAILED, bad.reachability(), () -> bad.error().orElse(""));
        String message = bad.error().orElseThrow();
        assertTrue(message.contains("password authentication failed"), message);
        assertFalse(message.contains(wrong) || message.contains(PgTestInstance.PASSWORD), message);

        // password in the URL rather than the properties
        PgSnapshot badInUrl = probe.probe(primary.jdbcUrl() + "?password=" + wrong, passwordUser(Optional.empty()));
        assertEquals(Reachability.AUTH_FAILED, badInUrl.reachability(), () -> badInUrl.error().orElse(""));
        assertFalse(badInUrl.error().orElseThrow().contains(wrong), badInUrl.error().orElseThrow());

        PgSnapshot none = probe.probe(primary.jdbcUrl(), passwordUser(Optional.empty()));
        assertEquals(Reachability.AUTH_FAILED, none.reachability(), () -> none.error().orElse(""));

        // unprivileged: pg_stat_* details are hidden, the probe still works
        PgSnapshot good = probe.probe(primary.jdbcUrl(), passwordUser(Optional.of(PgTestInstance.PASSWORD)));
        assertEquals(Reachability.REACHABLE, good.reachability(), () -> good.error().orElse(""));
        assertTrue(good.isPrimary());
        assertEquals(1, good.timeline());
        assertTrue(good.currentLsn().isPresent());
        assertEquals("replica", good.settings().orElseThrow().walLevel());
    }

    @Test
    void givenBadDatabase_whenProbed_thenErrorWithMessage() {
        PgTestInstance primary = pg.primary("probe-nodb");

        PgSnapshot s = probe.probe("jdbc:postgresql://127.0.0.1:" + primary.port() + "/nosuchdb", superuser());

        assertEquals(Reachability.ERROR, s.reachability());
        assertTrue(s.error().orElseThrow().contains("nosuchdb"), s.error().orElseThrow());
    }

    private PgSnapshot awaitSnapshot(PgTestInstance node, Predicate<PgSnapshot> condition, String what) {
        return org.pgsteward.agent.testing.Poll.until(what, DEADLINE, () -> probe.probe(node.jdbcUrl(), superuser()), condition);
    }

    private static Properties superuser() {
        var p = new Properties();
        p.setProperty("user", PgTestInstance.SUPERUSER);
        return p;
    }

    private static Properties passwordUser(Optional<String> password) {
        var p = new Properties();
        p.setProperty("user", PgTestInstance.PASSWORD_USER);
        password.ifPresent(pw -> p.setProperty("password", pw));
        return p;
    }
}
