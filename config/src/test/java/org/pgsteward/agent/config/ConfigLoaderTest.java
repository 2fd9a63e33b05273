package org.pgsteward.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.pgsteward.agent.config.NodeConfig.FailoverMode;
import org.pgsteward.agent.config.NodeConfig.HostPort;
import org.pgsteward.agent.config.NodeConfig.Role;

class ConfigLoaderTest {

    /** The Configuration block of CONTRACT.md, verbatim. */
    private static final String CONTRACT_HOCON = """
            pgsteward {
              cluster = "test"                       # cluster name; SQL schema is repmgr_<cluster>
              node {
                id = 1                               # integer, unique in the cluster
                name = "node1"                       # unique; used as application_name
                conninfo = "host=127.0.0.1 port=5433 user=repmgr dbname=testdb"
                data-dir = "/var/lib/pgsql/15/data"  # PGDATA owned by this agent
                priority = 100                       # 0 = never promoted automatically
                role = "postgres"                    # or "witness" (no PostgreSQL)
              }
              postgres {
                bin-dir = "/usr/lib/postgresql/15/bin"  # default: from pg_config on PATH
                os-user = "postgres"                    # run PostgreSQL tools as this user when the agent is root
              }
              agent {
                http = "127.0.0.1:8701"              # admin/health API of this agent
                cluster-address = "127.0.0.1:2551"   # Pekko Artery host:port
                seed-nodes = ["127.0.0.1:2551", "127.0.0.1:2552", "127.0.0.1:2553"]
              }
              failover {
                mode = "automatic"                   # or "manual"
                auto-rejoin = true                   # a former primary that comes back rejoins as a standby by itself
              }
              replication {
                synchronous = "off"                  # "on": only a synchronous standby may be promoted (no acknowledged commit lost)
              }
            }
            """;

    private static final String SEED_REPMGR_CONF = "cluster=test\nnode=2\nconninfo='host=127.0.0.1 dbname=testdb'\n";

    private static final String MINIMAL_HOCON = """
            pgsteward {
              cluster = test
              node { id = 3, conninfo = "host=10.0.0.3 dbname=app" }
            }
            """;

    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    @Test
    void contractHoconLoadsWithTheStatedValues() throws IOException {
        Path f = write("node1.conf", CONTRACT_HOCON);
        NodeConfig c = ConfigLoader.load(f);

        assertEquals(ConfigLoader.Form.HOCON, ConfigLoader.detect(CONTRACT_HOCON));
        assertEquals(f, c.source());
        assertEquals("test", c.cluster());
        assertEquals("repmgr_test", c.schema());
        assertEquals(1, c.node().id());
        assertEquals("node1", c.node().name());
        assertEquals("127.0.0.1", c.node().conninfo().host());
        assertEquals(5433, c.node().conninfo().port());
        assertEquals(Optional.of("repmgr"), c.node().conninfo().user());
        assertEquals(Optional.of("testdb"), c.node().conninfo().dbname());
        assertEquals(Optional.of(Path.of("/var/lib/pgsql/15/data")), c.node().dataDir());
        assertEquals(100, c.node().priority());
        assertEquals(Role.POSTGRES, c.node().role());
        assertEquals(Optional.of(Path.of("/usr/lib/postgresql/15/bin")), c.postgres().binDir());
        assertEquals(Optional.of("postgres"), c.postgres().osUser());
        assertEquals(new HostPort("127.0.0.1", 8701), c.agent().http());
        assertEquals(new HostPort("127.0.0.1", 2551), c.agent().clusterAddress());
        assertEquals(List.of(new HostPort("127.0.0.1", 2551), new HostPort("127.0.0.1", 2552),
                new HostPort("127.0.0.1", 2553)), c.agent().seedNodes());
        assertEquals(FailoverMode.AUTOMATIC, c.failover().mode());
        assertTrue(c.failover().autoRejoin());
        assertFalse(c.replication().synchronous());
        assertTrue(c.pekkoOverrides().isEmpty());
    }

    @Test
    void defaultsAreApplied() throws IOException {
        NodeConfig c = ConfigLoader.load(write("min.conf", MINIMAL_HOCON));

        assertEquals("node3", c.node().name());
        assertEquals(Optional.empty(), c.node().dataDir());
        assertEquals(100, c.node().priority());
        assertEquals(Role.POSTGRES, c.node().role());
        assertEquals(Optional.empty(), c.postgres().binDir());
        assertEquals(Optional.empty(), c.postgres().osUser());
        assertEquals(Optional.empty(), c.postgres().logFile());
        assertEquals(new HostPort("127.0.0.1", 8703), c.agent().http());
        assertEquals(new HostPort("127.0.0.1", 2553), c.agent().clusterAddress());
        assertEquals(List.of(new HostPort("127.0.0.1", 2553)), c.agent().seedNodes());
        assertEquals(Path.of("/var/lib/pgsteward/test-node3"), c.agent().stateDir());
        assertEquals(Duration.ofSeconds(1), c.agent().monitorInterval());
        assertEquals(FailoverMode.AUTOMATIC, c.failover().mode());
        assertTrue(c.failover().autoRejoin());
        assertEquals(Optional.empty(), c.failover().maxLagBytes());
        assertFalse(c.replication().synchronous());
        assertEquals(List.of(), c.cloning().sshOptions());
        assertEquals(Duration.ofHours(6), c.cloning().timeout());
    }

    @Test
    void everyHoconKeyIsRead() throws IOException {
        NodeConfig c = ConfigLoader.load(write("all.conf", """
                pgsteward {
                  cluster = prod_1
                  node { id = 7, name = "db-7.example", conninfo = "postgresql://rep@db7:5499/app"
                         data-dir = "/srv/pg/../pg/data/", priority = 0, role = witness }
                  postgres { bin-dir = /opt/pg/bin, os-user = pg, log-file = /var/log/pg.log }
                  agent { http = "[::1]:9000", cluster-address = "10.0.0.7:25520"
                          seed-nodes = "10.0.0.1:25520, 10.0.0.7:25520", state-dir = /srv/state
                          monitor-interval = 500ms }
                  failover { mode = MANUAL, auto-rejoin = off, max-lag = 16MB }
                  replication.synchronous = true
                  clone { ssh-options = ["-p", 2222, "-oBatchMode=yes"], timeout = 30m }
                }
                pekko.cluster.min-nr-of-members = 2
                """));

        assertEquals("prod_1", c.cluster());
        assertEquals(new NodeConfig.Node(7, "db-7.example", c.node().conninfo(), Optional.of(Path.of("/srv/pg/data")),
                0, Role.WITNESS), c.node());
        assertEquals(5499, c.node().conninfo().port());
        assertEquals(new NodeConfig.Postgres(Optional.of(Path.of("/opt/pg/bin")), Optional.of("pg"),
                Optional.of(Path.of("/var/log/pg.log"))), c.postgres());
        assertEquals(new HostPort("::1", 9000), c.agent().http());
        assertEquals("[::1]:9000", c.agent().http().toString());
        assertEquals(List.of(new HostPort("10.0.0.1", 25520), new HostPort("10.0.0.7", 25520)), c.agent().seedNodes());
        assertEquals(Path.of("/srv/state"), c.agent().stateDir());
        assertEquals(Duration.ofMillis(500), c.agent().monitorInterval());
        assertEquals(new NodeConfig.Failover(FailoverMode.MANUAL, false, Optional.of(16_000_000L)), c.failover());
        assertTrue(c.replication().synchronous());
        assertEquals(new NodeConfig.Clone(List.of("-p", "2222", "-oBatchMode=yes"), Duration.ofMinutes(30)), c.cloning());
        assertEquals(2, c.pekkoOverrides().getInt("pekko.cluster.min-nr-of-members"));
        assertFalse(c.pekkoOverrides().hasPath("pgsteward"));
    }

    @Test
    void givenHealthListenerAndTokenFile_whenLoaded_thenReadAndDefaultsEmpty() throws IOException {
        NodeConfig c = ConfigLoader.load(write("sec.conf", MINIMAL_HOCON + "pgsteward.agent.health-http = \"0.0.0.0:8008\"\n"
                + "pgsteward.agent.api-token-file = \"/etc/pgsteward/api.token\"\n"));
        assertEquals(Optional.of(new HostPort("0.0.0.0", 8008)), c.agent().healthHttp());
        assertEquals(Optional.of(Path.of("/etc/pgsteward/api.token")), c.agent().apiTokenFile());
        NodeConfig d = ConfigLoader.load(write("min2.conf", MINIMAL_HOCON));
        assertEquals(Optional.empty(), d.agent().healthHttp());
        assertEquals(Optional.empty(), d.agent().apiTokenFile());
        NodeConfig r = ConfigLoader.load(write("sec.repmgr", SEED_REPMGR_CONF + "health_http=127.0.0.1:8010\n"));
        assertEquals(Optional.of(new HostPort("127.0.0.1", 8010)), r.agent().healthHttp());
    }

    @Test
    void givenTlsFiles_whenLoadedFromEitherForm_thenAllThreeAreRead() throws IOException {
        Path crt = write("node1.crt", "x");
        Path key = write("node1.key", "x");
        Path ca = write("ca.crt", "x");
        NodeConfig c = ConfigLoader.load(write("tls.conf", MINIMAL_HOCON + "pgsteward.agent.tls {\n  certificate = \"" + crt
                + "\"\n  private-key = \"" + key + "\"\n  ca = \"" + ca + "\"\n}\n"));
        assertEquals(Optional.of(new NodeConfig.Tls(crt, key, ca)), c.agent().tls());
        NodeConfig r = ConfigLoader.load(write("tls.repmgr", SEED_REPMGR_CONF + "tls_certificate=" + crt + "\ntls_private_key="
                + key + "\ntls_ca=" + ca + "\n"));
        assertEquals(Optional.of(new NodeConfig.Tls(crt, key, ca)), r.agent().tls());
        assertEquals(Optional.empty(), ConfigLoader.load(write("none.conf", MINIMAL_HOCON)).agent().tls());
        assertEquals(Optional.empty(), ConfigLoader.load(write("null.conf", MINIMAL_HOCON + "pgsteward.agent.tls = null\n"))
                .agent().tls());
    }

    @Test
    void givenIncompleteOrWrongTls_whenLoaded_thenTheKeyIsNamed() throws IOException {
        Path crt = write("n.crt", "x");
        Path ca = write("c.crt", "x");
        Files.createDirectories(dir.resolve("adir"));
        String both = "pgsteward.agent.tls.certificate = \"" + crt + "\"\npgsteward.agent.tls.ca = \"" + ca + "\"\n";
        assertBad(MINIMAL_HOCON + both, "pgsteward.agent.tls.private-key", "required key is missing: TLS needs all of"
                + " pgsteward.agent.tls.certificate, pgsteward.agent.tls.private-key, pgsteward.agent.tls.ca");
        assertBad(MINIMAL_HOCON + both + "pgsteward.agent.tls.private-key = \"" + dir.resolve("gone.key") + "\"\n",
                "pgsteward.agent.tls.private-key", "no such file");
        assertBad(MINIMAL_HOCON + both + "pgsteward.agent.tls.private-key = \"" + dir.resolve("adir") + "\"\n",
                "pgsteward.agent.tls.private-key", "is a directory");
        assertBad(MINIMAL_HOCON + both + "pgsteward.agent.tls.private-key = key.pem\n", "pgsteward.agent.tls.private-key",
                "must be an absolute path");
        assertBad(MINIMAL_HOCON + "pgsteward.agent.tls { }\n", "pgsteward.agent.tls.certificate", "required key is missing");
        assertBad(MINIMAL_HOCON + "pgsteward.agent.tls = \"on\"\n", "pgsteward.agent.tls", "must be an object");
        assertBad(MINIMAL_HOCON + both + "pgsteward.agent.tls.key = \"/k\"\n", "pgsteward.agent.tls.key",
                "did you mean pgsteward.agent.tls.ca");
        assertBad(SEED_REPMGR_CONF + "tls_ca=" + ca + "\n", "tls_certificate", "required key is missing");
    }

    @Test
    void givenSlotAutoRegisterAndConfigDirKeys_whenLoaded_thenReadWithDefaultsAndBadValuesNamed() throws IOException {
        NodeConfig d = ConfigLoader.load(write("d.conf", MINIMAL_HOCON));
        assertTrue(d.replication().useSlots());
        assertEquals(Optional.empty(), d.replication().maxSlotWalKeep());
        assertTrue(d.node().autoRegister());
        assertEquals(Optional.empty(), d.postgres().configDir());
        NodeConfig c = ConfigLoader.load(write("s.conf", MINIMAL_HOCON + "pgsteward.replication.use-slots = false\n"
                + "pgsteward.replication.max-slot-wal-keep = 64GiB\npgsteward.node.auto-register = off\n"
                + "pgsteward.postgres.config-dir = \"/etc/postgresql/15/main\"\n"));
        assertFalse(c.replication().useSlots());
        assertEquals(Optional.of(64L << 30), c.replication().maxSlotWalKeep());
        assertFalse(c.node().autoRegister());
        assertEquals(Optional.of(Path.of("/etc/postgresql/15/main")), c.postgres().configDir());
        NodeConfig r = ConfigLoader.load(write("r.repmgr", SEED_REPMGR_CONF + "use_replication_slots=false\n"
                + "config_directory=/etc/postgresql/15/main\n"));
        assertFalse(r.replication().useSlots());
        assertEquals(Optional.of(Path.of("/etc/postgresql/15/main")), r.postgres().configDir());
        assertBad(MINIMAL_HOCON + "pgsteward.replication.use-slots = maybe\n", "pgsteward.replication.use-slots",
                "must be true or false");
        assertBad(MINIMAL_HOCON + "pgsteward.replication.max-slot-wal-keep = 1000\n",
                "pgsteward.replication.max-slot-wal-keep", "must be at least 1MB");
        assertBad(MINIMAL_HOCON + "pgsteward.node.auto-register = 2\n", "pgsteward.node.auto-register",
                "must be true or false");
        assertBad(MINIMAL_HOCON + "pgsteward.postgres.config-dir = etc/pg\n", "pgsteward.postgres.config-dir",
                "must be an absolute path");
    }

    @Test
    void givenAnEventCommand_whenLoaded_thenItsArgvFilterAndTimeoutAreReadAndBadOnesNamed() throws IOException {
        NodeConfig c = ConfigLoader.load(write("ev.conf", MINIMAL_HOCON + "pgsteward.events {\n  command = [\"/bin/echo\","
                + " \"%n\", \"%e\", \"--ok=%s\", \"%t\", \"%d\", \"%%\"]\n  only = [\"failover_promote\", \"fence\"]\n"
                + "  timeout = 5s\n}\n"));
        assertEquals(List.of("/bin/echo", "%n", "%e", "--ok=%s", "%t", "%d", "%%"), c.events().argv());
        assertEquals(java.util.Set.of("failover_promote", "fence"), c.events().only());
        assertEquals(Duration.ofSeconds(5), c.events().timeout());
        NodeConfig d = ConfigLoader.load(write("ev0.conf", MINIMAL_HOCON));
        assertFalse(d.events().configured());
        assertEquals(Duration.ofSeconds(30), d.events().timeout());

        assertBad(MINIMAL_HOCON + "pgsteward.events.command = \"/bin/echo %n\"\n", "pgsteward.events.command",
                "must be a list of strings");
        assertBad(MINIMAL_HOCON + "pgsteward.events.command = [\"notify\", \"%n\"]\n", "pgsteward.events.command",
                "must be an absolute path");
        assertBad(MINIMAL_HOCON + "pgsteward.events.command = [\"" + dir.resolve("none") + "\"]\n",
                "pgsteward.events.command", "is not an executable file");
        assertBad(MINIMAL_HOCON + "pgsteward.events.command = [\"/bin/echo\", \"%x\"]\n", "pgsteward.events.command",
                "unknown placeholder \"%x\"");
        assertBad(MINIMAL_HOCON + "pgsteward.events.timeout = 0s\n", "pgsteward.events.timeout", "from 1s to 1h");
    }

    private void assertBad(String content, String key, String expected) throws IOException {
        Path f = write("bad-" + System.nanoTime() + (content.startsWith("pgsteward") ? ".conf" : ".repmgr"), content);
        BadConfigException e = assertThrows(BadConfigException.class, () -> ConfigLoader.load(f));
        assertEquals(Optional.of(key), e.key(), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void seedRepmgrConfLoads() throws IOException {
        assertEquals(ConfigLoader.Form.REPMGR_CONF, ConfigLoader.detect(SEED_REPMGR_CONF));
        NodeConfig c = ConfigLoader.load(write("repmgr.conf", SEED_REPMGR_CONF));

        assertEquals("test", c.cluster());
        assertEquals(2, c.node().id());
        assertEquals("node2", c.node().name());
        assertEquals("127.0.0.1", c.node().conninfo().host());
        assertEquals(Optional.of("testdb"), c.node().conninfo().dbname());
        assertEquals(new HostPort("127.0.0.1", 8702), c.agent().http());
        assertEquals(new HostPort("127.0.0.1", 2552), c.agent().clusterAddress());
        assertTrue(c.pekkoOverrides().isEmpty());
    }

    @Test
    void repmgr5NamesAndExtrasMap() throws IOException {
        NodeConfig c = ConfigLoader.load(write("repmgr5.conf", """
                # repmgr 5 style
                node_id=4
                node_name='pg4'
                cluster = 'main'   # trailing comment
                conninfo='host=db4 user=repmgr password=it''s dbname=repmgr'
                data_directory='/var/lib/postgresql/15/main'
                pg_bindir=/usr/lib/postgresql/15/bin
                priority=50
                failover=manual

                pg_os_user=postgres
                pg_log_file=/var/log/pg4.log
                agent_http=0.0.0.0:8800
                cluster_address=10.1.0.4:2600
                seed_nodes=10.1.0.1:2600, 10.1.0.4:2600
                state_directory=/var/lib/pgsteward/main
                monitor_interval=2s
                auto_rejoin=off
                max_lag=1048576
                synchronous=on
                ssh_options='-p 2222  -i /k'
                clone_timeout=1h
                node_role=postgres
                """));

        assertEquals("main", c.cluster());
        assertEquals(4, c.node().id());
        assertEquals("pg4", c.node().name());
        assertEquals(Optional.of("it's"), c.node().conninfo().password());
        assertEquals(Optional.of(Path.of("/var/lib/postgresql/15/main")), c.node().dataDir());
        assertEquals(Optional.of(Path.of("/usr/lib/postgresql/15/bin")), c.postgres().binDir());
        assertEquals(50, c.node().priority());
        assertEquals(FailoverMode.MANUAL, c.failover().mode());
        assertEquals(Optional.of("postgres"), c.postgres().osUser());
        assertEquals(Optional.of(Path.of("/var/log/pg4.log")), c.postgres().logFile());
        assertEquals(new HostPort("0.0.0.0", 8800), c.agent().http());
        assertEquals(new HostPort("10.1.0.4", 2600), c.agent().clusterAddress());
        assertEquals(List.of(new HostPort("10.1.0.1", 2600), new HostPort("10.1.0.4", 2600)), c.agent().seedNodes());
        assertEquals(Path.of("/var/lib/pgsteward/main"), c.agent().stateDir());
        assertEquals(Duration.ofSeconds(2), c.agent().monitorInterval());
        assertFalse(c.failover().autoRejoin());
        assertEquals(Optional.of(1_048_576L), c.failover().maxLagBytes());
        assertTrue(c.replication().synchronous());
        assertEquals(List.of("-p", "2222", "-i", "/k"), c.cloning().sshOptions());
        assertEquals(Duration.ofHours(1), c.cloning().timeout());
    }

    @Test
    void repmgrQuotedValueEscapes() throws IOException {
        // '' and \' are a quote, \\ a backslash; other backslashes stay (the conninfo layer has its own escapes)
        NodeConfig c = ConfigLoader.load(write("q.conf", "cluster=t\nnode=1\nconninfo='host=h password=a\\ b'\n"
                + "pg_os_user='a\\'b\\\\c''d'   # comment\n"));
        assertEquals(Optional.of("a'b\\c'd"), c.postgres().osUser());
        assertEquals(Optional.of("a b"), c.node().conninfo().password());
    }

    @Test
    void sampleFilesLoad() {
        NodeConfig hocon = ConfigLoader.load(Path.of("../conf/pgsteward.conf"));
        assertEquals("test", hocon.cluster());
        assertEquals(1, hocon.node().id());
        assertEquals(5433, hocon.node().conninfo().port());
        assertEquals(Duration.ofHours(6), hocon.cloning().timeout());

        NodeConfig repmgr = ConfigLoader.load(Path.of("../conf/repmgr.conf.sample"));
        assertEquals("test", repmgr.cluster());
        assertEquals(2, repmgr.node().id());
    }

    @Test
    void dataDirOverride() throws IOException {
        Path withDir = write("with.conf", CONTRACT_HOCON);
        // same directory after normalisation: accepted
        NodeConfig same = ConfigLoader.load(withDir, Optional.of(Path.of("/var/lib/pgsql/15/./data/")));
        assertEquals(Optional.of(Path.of("/var/lib/pgsql/15/data")), same.node().dataDir());

        // no data-dir in the file: -D supplies it (relative -D is taken from the working directory)
        Path without = write("without.conf", SEED_REPMGR_CONF);
        NodeConfig supplied = ConfigLoader.load(without, Optional.of(Path.of("pgdata")));
        assertEquals(Optional.of(Path.of("pgdata").toAbsolutePath()), supplied.node().dataDir());
    }

    @Test
    void hostPortParsing() {
        assertEquals(new HostPort("db1", 5), HostPort.parse("db1:5"));
        assertEquals(new HostPort("fe80::1%eth0", 65535), HostPort.parse("[fe80::1%eth0]:65535"));
        for (String bad : List.of("db1", ":80", "db1:0", "db1:65536", "db1:x", "::1:80", "[::1]80", "[::1]:", "a b:1")) {
            assertThrows(IllegalArgumentException.class, () -> HostPort.parse(bad), bad);
        }
    }

    // ------------------------------------------------------------------ bad inputs

    /** name, file name, content, -D, key expected in the message (or null), further expected text. */
    static Stream<Arguments> badInputs() {
        String contractNode = CONTRACT_HOCON;
        return Stream.of(
                Arguments.of("unparsable HOCON", "p.conf", "pgsteward {\n  cluster = \"test\"\n  node { id = 1\n",
                        null, null, "line 4"),
                Arguments.of("unknown HOCON key", "u.conf", MINIMAL_HOCON + "pgsteward.node.data_dir = \"/x\"\n",
                        null, "pgsteward.node.data_dir", "did you mean pgsteward.node.data-dir"),
                Arguments.of("unknown HOCON section", "s.conf", MINIMAL_HOCON + "pgsteward.nodes.id = 1\n",
                        null, "pgsteward.nodes", "unknown key"),
                Arguments.of("unknown HOCON root key", "r.conf", MINIMAL_HOCON + "akka.loglevel = DEBUG\n",
                        null, "akka", "unknown key"),
                Arguments.of("unknown repmgr key", "u.repmgr", SEED_REPMGR_CONF + "loglevel=DEBUG\n",
                        null, "loglevel", "line 4: unknown key"),
                Arguments.of("repmgr line without =", "e.repmgr", SEED_REPMGR_CONF + "priority 5\n",
                        null, "priority", "line 4: expected key=value"),
                Arguments.of("repmgr duplicate key", "d.repmgr", SEED_REPMGR_CONF + "node_id=3\n",
                        null, "node_id", "line 4: duplicate key (already set on line 2 as node)"),
                Arguments.of("repmgr unterminated quote", "q.repmgr", "cluster=test\nnode=2\nconninfo='host=x\n",
                        null, "conninfo", "line 3: unterminated"),
                Arguments.of("missing required key (HOCON)", "m.conf", "pgsteward { cluster = test, node.id = 1 }\n",
                        null, "pgsteward.node.conninfo", "required key is missing"),
                Arguments.of("missing required key (repmgr)", "m.repmgr", "cluster=test\nconninfo='host=x'\n",
                        null, "node_id", "required key is missing"),
                Arguments.of("bad int", "i.conf", MINIMAL_HOCON.replace("id = 3", "id = \"abc\""),
                        null, "pgsteward.node.id", "must be an integer from 1 to 2147483647, got \"abc\""),
                Arguments.of("bad int (repmgr)", "i.repmgr", SEED_REPMGR_CONF.replace("node=2", "node=two"),
                        null, "node", "line 2: must be an integer from 1 to 2147483647, got \"two\""),
                Arguments.of("zero node id", "z.conf", MINIMAL_HOCON.replace("id = 3", "id = 0"),
                        null, "pgsteward.node.id", "got 0"),
                Arguments.of("wrong type", "t.conf", MINIMAL_HOCON + "pgsteward.node.priority = [1]\n",
                        null, "pgsteward.node.priority", "must be an integer"),
                Arguments.of("port out of range", "port.conf", MINIMAL_HOCON + "pgsteward.agent.http = \"127.0.0.1:70000\"\n",
                        null, "pgsteward.agent.http", "port must be an integer from 1 to 65535"),
                Arguments.of("health-http malformed", "hh.conf", MINIMAL_HOCON + "pgsteward.agent.health-http = \"8008\"\n",
                        null, "pgsteward.agent.health-http", "must be host:port"),
                Arguments.of("health-http on the admin port", "hh2.conf", MINIMAL_HOCON
                        + "pgsteward.agent.http = \"127.0.0.1:8703\"\npgsteward.agent.health-http = \"127.0.0.1:8703\"\n",
                        null, "pgsteward.agent.health-http", "must differ from pgsteward.agent.http"),
                Arguments.of("relative api-token-file", "tok.conf", MINIMAL_HOCON + "pgsteward.agent.api-token-file = tok\n",
                        null, "pgsteward.agent.api-token-file", "must be an absolute path"),
                Arguments.of("misspelt api-token-file", "tok2.conf", MINIMAL_HOCON
                        + "pgsteward.agent.api-token = \"/etc/t\"\n", null, "pgsteward.agent.api-token", "unknown key"),
                Arguments.of("seed port out of range", "seed.repmgr", SEED_REPMGR_CONF + "seed_nodes=h:1,h:0\n",
                        null, "seed_nodes", "element 2"),
                Arguments.of("malformed conninfo (HOCON)", "c.conf",
                        MINIMAL_HOCON + "pgsteward.node.conninfo = \"host=db password='pw\\\\'secret\"\n",
                        null, "pgsteward.node.conninfo", "unterminated"),
                Arguments.of("malformed conninfo (repmgr)", "c.repmgr",
                        "cluster=test\nnode=2\nconninfo='host=db port=99999 password=pw''secret'\n",
                        null, "conninfo", "invalid port"),
                Arguments.of("bad cluster name", "n.conf", MINIMAL_HOCON.replace("cluster = test", "cluster = \"my-cluster\""),
                        null, "pgsteward.cluster", "[A-Za-z0-9_]"),
                Arguments.of("bad node name", "nn.repmgr", SEED_REPMGR_CONF + "node_name='node 2'\n",
                        null, "node_name", "application_name"),
                Arguments.of("-D mismatch", "dm.conf", contractNode,
                        "/srv/other", "pgsteward.node.data-dir", "-D \"/srv/other\" does not match"),
                Arguments.of("-D mismatch (repmgr)", "dm.repmgr", SEED_REPMGR_CONF + "data_directory=/a\n",
                        "/b", "data_directory", "-D \"/b\""),
                Arguments.of("relative data-dir", "rel.conf", MINIMAL_HOCON + "pgsteward.node.data-dir = pgdata\n",
                        null, "pgsteward.node.data-dir", "must be an absolute path, got \"pgdata\""),
                Arguments.of("ssh option with whitespace", "ssh.conf",
                        MINIMAL_HOCON + "pgsteward.clone.ssh-options = [\"-p 2222\"]\n",
                        null, "pgsteward.clone.ssh-options", "contains whitespace"),
                Arguments.of("bad role", "role.conf", MINIMAL_HOCON + "pgsteward.node.role = primary\n",
                        null, "pgsteward.node.role", "must be one of postgres, witness"),
                Arguments.of("duration without unit", "dur.conf", MINIMAL_HOCON + "pgsteward.agent.monitor-interval = 5\n",
                        null, "pgsteward.agent.monitor-interval", "with a unit"),
                Arguments.of("duration out of range", "dur.repmgr", SEED_REPMGR_CONF + "monitor_interval=10ms\n",
                        null, "monitor_interval", "must be from 100ms to 1h"),
                Arguments.of("bad size", "size.conf", MINIMAL_HOCON + "pgsteward.failover.max-lag = lots\n",
                        null, "pgsteward.failover.max-lag", "size in bytes"),
                Arguments.of("bad synchronous", "sync.repmgr", SEED_REPMGR_CONF + "synchronous=maybe\n",
                        null, "synchronous", "must be \"on\" or \"off\""),
                Arguments.of("bad failover mode", "fm.repmgr", SEED_REPMGR_CONF + "failover=auto\n",
                        null, "failover", "must be one of automatic, manual"),
                Arguments.of("http equals cluster-address", "same.conf",
                        MINIMAL_HOCON + "pgsteward.agent.http = \"127.0.0.1:2553\"\n",
                        null, "pgsteward.agent.http", "must differ"),
                Arguments.of("no default port for a huge id", "huge.conf", MINIMAL_HOCON.replace("id = 3", "id = 70000"),
                        null, "pgsteward.agent.http", "no default"),
                Arguments.of("section not an object", "obj.conf", MINIMAL_HOCON + "pgsteward.agent = 1\n",
                        null, "pgsteward.agent", "must be an object"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void badInputIsRejectedNamingFileAndKey(String name, String fileName, String content, String dashD, String key,
                                            String expected) throws IOException {
        Path f = write(fileName, content);
        Optional<Path> override = Optional.ofNullable(dashD).map(Path::of);
        BadConfigException e = assertThrows(BadConfigException.class, () -> ConfigLoader.load(f, override));
        String msg = e.getMessage();
        assertEquals(f, e.file());
        assertTrue(msg.startsWith(f + ": "), msg);
        if (key != null) {
            assertEquals(Optional.of(key), e.key(), msg);
            assertTrue(msg.startsWith(f + ": " + key + ": "), msg);
        }
        assertTrue(msg.contains(expected), () -> "expected \"" + expected + "\" in: " + msg);
        assertFalse(msg.contains("secret"), msg);
        if (dashD != null) {
            assertTrue(msg.contains("-D"), msg);
        }
    }

    @Test
    void missingFile() {
        Path f = dir.resolve("nope.conf");
        BadConfigException e = assertThrows(BadConfigException.class, () -> ConfigLoader.load(f));
        assertEquals(f + ": no such file", e.getMessage());
        assertEquals(Optional.empty(), e.key());
    }

    @Test
    void directoryIsNotAFile() {
        BadConfigException e = assertThrows(BadConfigException.class, () -> ConfigLoader.load(dir));
        assertTrue(e.getMessage().startsWith(dir + ": "), e.getMessage());
    }

    @Test
    void malformedConninfoNeverShowsThePassword() throws IOException {
        // the brief's password: pw'secret, in both forms and in several malformed shapes
        List<String> hocon = List.of(
                "pgsteward.node.conninfo = \"host=db password=pw'secret port=0\"",
                "pgsteward.node.conninfo = \"host=db password='pw\\\\'secret\"",
                "pgsteward.node.conninfo = \"password=pw'secret bad-key=1\"",
                "pgsteward.node.conninfo = \"postgresql://u:pw'secret@h:0/db\"",
                "pgsteward.node.conninfo = [\"password=pw'secret\"]");
        for (String line : hocon) {
            Path f = write("pw.conf", MINIMAL_HOCON + line + "\n");
            BadConfigException e = assertThrows(BadConfigException.class, () -> ConfigLoader.load(f), line);
            assertEquals(Optional.of("pgsteward.node.conninfo"), e.key(), e.getMessage());
            assertFalse(e.getMessage().contains("secret"), e.getMessage());
        }
        // a HOCON syntax error on the conninfo line: Typesafe's message is masked
        Path broken = write("broken.conf", "pgsteward { node { conninfo = host=db password=pw'secret } }} x\n");
        BadConfigException e = assertThrows(BadConfigException.class, () -> ConfigLoader.load(broken));
        assertFalse(e.getMessage().contains("secret"), e.getMessage());

        List<String> repmgr = List.of(
                "conninfo='host=db password=pw''secret port=0'",
                "conninfo='host=db password=pw\\'secret port=x'",
                "conninfo=host=db password=pw'secret port=x",
                "conninfo='host=db password=pw'secret'");
        for (String line : repmgr) {
            Path f = write("pw.repmgr", "cluster=test\nnode=2\n" + line + "\n");
            BadConfigException r = assertThrows(BadConfigException.class, () -> ConfigLoader.load(f), line);
            assertEquals(Optional.of("conninfo"), r.key(), r.getMessage());
            assertFalse(r.getMessage().contains("secret"), r.getMessage());
        }
    }

    @Test
    void formDetection() {
        assertEquals(ConfigLoader.Form.HOCON, ConfigLoader.detect("# c\npgsteward.cluster = x\n"));
        assertEquals(ConfigLoader.Form.HOCON, ConfigLoader.detect("{\n}\n"));
        assertEquals(ConfigLoader.Form.REPMGR_CONF, ConfigLoader.detect("# pgsteward {\ncluster=x\n"));
        assertEquals(ConfigLoader.Form.REPMGR_CONF, ConfigLoader.detect("conninfo='password=a{b'\n"));
    }
}
