package org.pgsteward.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.exec.CommandRunner;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.Poll;
import org.pgsteward.agent.testing.PostgresExtension;

class PostmasterTest {

    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private final List<Long> stopped = new ArrayList<>();

    @AfterEach
    void resumeFrozen() throws Exception {
        for (long pid : stopped) { // a SIGSTOPped process that survived a failed test must not block cleanup
            new ProcessBuilder("kill", "-CONT", Long.toString(pid)).start().waitFor();
        }
    }

    private static Postmaster postmaster(PgTestInstance node) {
        return new Postmaster(node.dataDir(), java.util.OptionalInt.of(node.majorVersion()), new CommandRunner());
    }

    @Test
    void givenRunningPrimary_whenFenced_thenStoppedBySigquit() {
        PgTestInstance node = pg.primary("pm-stop");
        Postmaster pm = postmaster(node);
        assertTrue(pm.running());

        Postmaster.StopResult r = pm.stop(Duration.ofMillis(2000));

        System.out.println("fence of a running primary: " + r.describe());
        assertEquals(Postmaster.StopOutcome.STOPPED_BY_SIGQUIT, r.outcome(), r.describe());
        assertFalse(pm.running());
        assertFalse(pm.mayServeWrites());
        assertEquals(ServerStatus.STOPPED, node.pgCtl().status());
    }

    @Test
    void givenFrozenPostmasterAndChildren_whenFenced_thenEscalatedToSigkill() throws Exception {
        PgTestInstance node = pg.primary("pm-frozen");
        Postmaster pm = postmaster(node);
        ProcessHandle p = pm.live().orElseThrow();
        List<ProcessHandle> family = new ArrayList<>(p.descendants().toList());
        family.add(p);
        for (ProcessHandle h : family) {
            new ProcessBuilder("kill", "-STOP", Long.toString(h.pid())).start().waitFor();
            stopped.add(h.pid());
        }

        Postmaster.StopResult r = pm.stop(Duration.ofMillis(150));

        System.out.println("fence of a frozen primary (kill after 150 ms): " + r.describe());
        assertEquals(Postmaster.StopOutcome.KILLED, r.outcome(), r.describe());
        assertTrue(r.escalated());
        assertFalse(pm.running(), "the postmaster is dead (or a zombie)");
        assertTrue(family.stream().noneMatch(h -> h.isAlive() && !PgCtl.isZombie(h.pid())), "all its processes are dead");
        assertEquals(ServerStatus.STOPPED, node.pgCtl().status());
    }

    /**
     * The evidence that tells a hung server from a slow one (issue 8.5): a postmaster that works runs when a
     * connection comes (accept, fork), a SIGSTOPped one shows state T and nothing moves, however long one waits.
     */
    @Test
    void givenPostmaster_whenConnectedTo_thenItRan_andWhenStopped_thenStateTAndNothingMoves() throws Exception {
        PgTestInstance node = pg.primary("pm-sample");
        Postmaster pm = postmaster(node);
        ProcessSample before = pm.sample().orElseThrow();
        assertTrue(before.known(), before.toString());
        assertFalse(before.stopped(), before.toString());
        try (Connection c = node.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT 1");
        }
        assertTrue(pm.sample().orElseThrow().ranSince(before), "the postmaster accepted a connection: it ran");

        long pid = pm.live().orElseThrow().pid();
        new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor();
        stopped.add(pid);
        // SIGSTOP takes effect when the kernel next handles the process: on a loaded machine a moment after kill returns
        ProcessSample frozen = Poll.until("the postmaster in state T", Duration.ofSeconds(10),
                () -> pm.sample().orElseThrow(), ProcessSample::stopped);
        // a connection waits in the kernel's accept queue: the stopped postmaster does not run for it
        try (var socket = new java.net.Socket("127.0.0.1", node.port())) {
            ProcessSample later = pm.sample().orElseThrow();
            assertTrue(frozen.stopped() && later.stopped(), later.describeState());
            assertFalse(later.ranSince(frozen), "a stopped postmaster does not run: " + frozen + " / " + later);
        } finally {
            new ProcessBuilder("kill", "-CONT", Long.toString(pid)).start().waitFor();
        }
        assertTrue(pm.sample().isPresent());
    }

    @Test
    void givenProcStatText_whenParsed_thenStateCountersAndStartTime() {
        String stat = "4242 (postgres: a) b) S 1 4242 4242 0 -1 4194560 1234 0 0 0 17 5 0 0 20 0 1 0 987654 "
                + "221184000 4096 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        String status = "Name:\tpostgres\nState:\tS (sleeping)\nvoluntary_ctxt_switches:\t300\n"
                + "nonvoluntary_ctxt_switches:\t12\n";
        ProcessSample s = ProcessSample.parse(4242, stat, status);
        assertEquals(new ProcessSample(4242, 987654, 'S', 22, 312, true), s);
        assertFalse(ProcessSample.parse(4242, "garbage", status).known());
        assertTrue(ProcessSample.parse(4242, "garbage", status).ranSince(s), "unknown counters prove nothing");
    }

    @Test
    void givenStoppedServer_whenFenced_thenNotRunning() {
        PgTestInstance node = pg.primary("pm-down");
        node.pgCtl().stop(StopMode.FAST);
        Postmaster pm = postmaster(node);

        assertFalse(pm.mayServeWrites());
        assertEquals(Postmaster.StopOutcome.NOT_RUNNING, pm.stop(Duration.ofMillis(100)).outcome());
    }

    @Test
    void givenPrimaryAndStandby_thenOnlyThePrimaryMayServeWrites() {
        PgTestInstance primary = pg.primary("pm-primary");
        PgTestInstance standby = pg.standbyOf(primary, "pm_standby");

        assertTrue(postmaster(primary).mayServeWrites());
        assertTrue(postmaster(standby).running());
        assertFalse(postmaster(standby).mayServeWrites());
        assertTrue(postmaster(standby).standbyConfigured());
        assertFalse(Postmaster.of(standby.dataDir(), new CommandRunner()).mayServeWrites(), "version from PG_VERSION");
    }

    /**
     * F3: a primary that refuses new sessions (here pg_hba rejects the agent's user; connection-slot exhaustion
     * looks the same to a probe) still commits on the sessions it has. The SQL probe, today's basis for "am I a
     * primary to fence", says no; the postmaster check says yes.
     */
    @Test
    void givenPrimaryRefusingNewSessions_whenChecked_thenSqlProbeSaysNotPrimaryButPostmasterMayServeWrites() throws Exception {
        PgTestInstance node = pg.primary("pm-refusing");
        try (Connection app = node.connect(); Statement st = app.createStatement()) {
            st.execute("CREATE TABLE t (i int)");
            String hba = Files.readString(node.dataDir().resolve("pg_hba.conf"));
            Files.writeString(node.dataDir().resolve("pg_hba.conf"), "host all all 0.0.0.0/0 reject\nlocal all all reject\n" + hba);
            node.pgCtl().reload();
            Probe probe = new Probe(ProbeTimeouts.defaults());
            var props = new Properties();
            props.setProperty("user", PgTestInstance.SUPERUSER);
            PgSnapshot snapshot = org.pgsteward.agent.testing.Poll.until("the reload to take effect (the probe refused)",
                    Duration.ofSeconds(20), () -> probe.probe(node.jdbcUrl(), props), x -> !x.isReachable());

            st.execute("INSERT INTO t VALUES (1)"); // the existing session still writes

            // the old path (ClusterLink.runningAsPrimary, AgentRuntime's downed-member fence): "not a primary", so no fence
            assertFalse(snapshot.isReachable() && !snapshot.inRecovery(),
                    "documents F3: the SQL probe cannot tell a writable primary that refuses sessions: " + snapshot);
            assertTrue(postmaster(node).mayServeWrites(), "the postmaster check sees a primary that may serve writes");
        }
    }

    @Test
    void givenStandbyWhosePrimaryConninfoIsEmpty_thenItIsStillConfiguredAsAStandby(@org.junit.jupiter.api.io.TempDir
                                                                                    java.nio.file.Path dir)
            throws java.io.IOException {
        // found by the walkthrough's diverged-standby test: `ALTER SYSTEM SET primary_conninfo = ''` on a standby made
        // the standby check (which read the recovery settings) say "no standby", and the fence stopped a standby
        Files.writeString(dir.resolve("postgresql.auto.conf"), "primary_conninfo = ''\n");
        assertFalse(Postmaster.standbyConfigured(dir, 15));
        Files.createFile(dir.resolve("standby.signal"));
        assertTrue(Postmaster.standbyConfigured(dir, 15));
        assertFalse(Postmaster.standbyConfigured(dir, 11), "before 12 only recovery.conf counts");
        Files.writeString(dir.resolve("recovery.conf"), "standby_mode = 'on'\n");
        assertTrue(Postmaster.standbyConfigured(dir, 11));
    }
}
