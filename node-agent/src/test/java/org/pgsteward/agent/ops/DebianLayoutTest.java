package org.pgsteward.agent.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.LocalNode;
import org.pgsteward.agent.config.ConfigLoader;
import org.pgsteward.agent.exec.ExternalCommand;
import org.pgsteward.agent.postgres.PgConfFile;
import org.pgsteward.agent.postgres.RecoveryConfig;
import org.pgsteward.agent.postgres.ServerStatus;
import org.pgsteward.agent.postgres.StopMode;
import org.pgsteward.agent.testing.PgTestEnvironment;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.PostgresExtension;
import org.pgsteward.agent.testing.Standbys;
import org.pgsteward.agent.testing.TestPorts;
import org.pgsteward.protocol.api.CommandArgs;
import org.pgsteward.protocol.api.CommandRequest;

/**
 * Issue 10.5: a standby whose cluster was made by Debian's pg_createcluster (postgresql.conf, pg_hba.conf in
 * /etc/postgresql/15/NAME, data in a directory of its own) is found without postgres.config-dir, cloned (its
 * configuration written where that server reads it), started with its config file, promoted, stopped, and rejoined
 * with pg_rewind.
 */
class DebianLayoutTest {

    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final Path CREATECLUSTER = Path.of("/usr/bin/pg_createcluster");

    @Test
    void givenAPgCreateclusterStandby_whenClonedPromotedAndRestarted_thenItsEtcConfigurationIsTheOneUsed() throws Exception {
        assumeTrue(Files.isExecutable(CREATECLUSTER) && PgTestEnvironment.runner().isRoot(),
                "needs postgresql-common's pg_createcluster, run as root");
        PgTestInstance primary = pg.primary("deb1");
        String name = "pgsteward_" + UUID.randomUUID().toString().substring(0, 8);
        Path dir = PgTestEnvironment.newTempDir("pgsteward-deb-");
        Path dataDir = dir.resolve("data");
        Path etc = Path.of("/etc/postgresql/15", name);
        int port = TestPorts.freePort();
        run(List.of(CREATECLUSTER.toString(), "15", name, "-d", dataDir.toString(), "-p", Integer.toString(port),
                "-s", dir.toString(), "-l", dir.resolve("server.log").toString(), "--start-conf", "manual",
                "--", "--auth-local=trust", "--auth-host=trust"));
        try {
            assertTrue(Files.exists(etc.resolve("postgresql.conf")));
            assertFalse(Files.exists(dataDir.resolve("postgresql.conf")), "Debian keeps it in /etc");
            emptyDirectory(dataDir); // as after `pg_createcluster` on a new standby host: cloned over
            // the WAL before the promotion below stays for the rejoin's pg_rewind (it reads back from the fork)
            PgConfFile.setSetting(etc.resolve("postgresql.conf"), "wal_keep_size", "1GB");

            Path conf = dir.resolve("node2.conf");
            Files.writeString(conf, "pgsteward {\n cluster = \"deb\"\n node { id = 2, name = \"node2\", conninfo = \"host=127.0.0.1"
                    + " port=" + port + " user=postgres dbname=postgres\", data-dir = \"" + dataDir + "\" }\n"
                    + " postgres { bin-dir = \"" + PgTestEnvironment.binDir() + "\", log-file = \"" + dir.resolve("pgctl.log")
                    + "\" }\n agent { state-dir = \"" + dir.resolve("state") + "\" }\n}\n");
            LocalNode node = LocalNode.create(ConfigLoader.load(conf), PgTestEnvironment.runner());
            assertEquals(etc.resolve("postgresql.conf"), node.pgCtl().configFile(),
                    "found by its data_directory without postgres.config-dir");

            var ops = new NodeOperations(node, new ClusterQueries(node));
            List<String> progress = new ArrayList<>();
            CommandArgs none = CommandArgs.none();
            var clone = new CommandArgs(Optional.of("127.0.0.1"), none.host(), Optional.of(primary.port()),
                    Optional.of("postgres"), none.dbname(), none.dataDir(), none.remoteUser(), none.walKeepSegments(),
                    false, false, false, Optional.empty(), false);
            OperationOutcome cloned = ops.run(new CommandRequest("standby clone", clone), progress::add);
            assertTrue(cloned.succeeded(), cloned.message() + "\n" + String.join("\n", progress));

            // the standby's settings where this server reads them: port in /etc, recovery settings in the data dir
            assertEquals(Optional.of(Integer.toString(port)), PgConfFile.getSetting(etc.resolve("postgresql.conf"), "port"));
            assertTrue(Files.exists(dataDir.resolve(RecoveryConfig.STANDBY_SIGNAL)));
            assertEquals(Optional.of("pgsteward_node2"), PgConfFile.getSetting(dataDir.resolve(RecoveryConfig.AUTO_CONF),
                    "primary_slot_name"));
            PgSnapshotQueries standby = new PgSnapshotQueries(port);
            assertEquals(etc.resolve("postgresql.conf").toString(), standby.one("SHOW config_file"));
            assertEquals(etc.resolve("pg_hba.conf").toString(), standby.one("SHOW hba_file"));
            Standbys.await("the standby streams through its slot", Duration.ofSeconds(60), List.of("t"),
                    Standbys.rows(primary, "SELECT active FROM pg_replication_slots WHERE slot_name = 'pgsteward_node2'"));

            OperationOutcome promoted = ops.run(new CommandRequest("standby promote", none), progress::add);
            assertTrue(promoted.succeeded(), promoted.message());
            assertEquals("f", standby.one("SELECT pg_is_in_recovery()"));
            node.pgCtl().stop(StopMode.FAST);
            assertEquals(ServerStatus.STOPPED, node.pgCtl().status());

            // node rejoin: pg_rewind back to the primary's history (given the config file), restarted as its standby
            var rejoin = new CommandArgs(Optional.of("127.0.0.1"), none.host(), Optional.of(primary.port()),
                    Optional.of("postgres"), none.dbname(), none.dataDir(), none.remoteUser(), none.walKeepSegments(),
                    false, false, false, Optional.empty(), false);
            OperationOutcome rejoined = ops.run(new CommandRequest("node rejoin", rejoin), progress::add);
            assertTrue(rejoined.succeeded(), rejoined.message() + "\n" + String.join("\n", progress));
            assertEquals("t", standby.one("SELECT pg_is_in_recovery()"));
            assertEquals(etc.resolve("postgresql.conf").toString(), standby.one("SHOW config_file"));
            Standbys.await("the rejoined node streams through its slot again", Duration.ofSeconds(60), List.of("t"),
                    Standbys.rows(primary, "SELECT active FROM pg_replication_slots WHERE slot_name = 'pgsteward_node2'"));
            node.pgCtl().stop(StopMode.FAST);
        } finally {
            run(List.of("/usr/bin/pg_dropcluster", "--stop", "15", name));
        }
        assertFalse(Files.exists(etc), "pg_dropcluster removed " + etc);
    }

    private static void emptyDirectory(Path dir) throws java.io.IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                if (!p.equals(dir)) {
                    Files.delete(p);
                }
            }
        }
    }

    private static void run(List<String> argv) {
        PgTestEnvironment.runner().run(ExternalCommand.of(Duration.ofSeconds(120), argv));
    }

    /** One-value queries on the Debian cluster (it is no PgTestInstance). */
    private record PgSnapshotQueries(int port) {
        String one(String sql) throws java.sql.SQLException {
            var props = new java.util.Properties();
            props.setProperty("user", "postgres");
            try (var c = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", props);
                 var st = c.createStatement(); var rs = st.executeQuery(sql)) {
                rs.next();
                return rs.getString(1);
            }
        }
    }
}
