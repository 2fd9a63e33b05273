package org.pgsteward.console.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pgsteward.console.e2e.E2eSupport.ok;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.testing.PgTestEnvironment;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.PostgresExtension;

/**
 * Issue 9.4: no password or token in logs, {@code ps} output, errors, {@code cluster show --json} or metrics. A cluster
 * whose database user needs a password (given in the conninfo of node1 and node3, in a passfile for node2) is set up,
 * fails over and rejoins through the console over TLS with the API token; every agent log, guard log, PostgreSQL log,
 * console output, {@code /metrics} answer and {@code ps -eo args} seen meanwhile is searched for the password and for
 * every agent's token.
 */
class SecretsTest {

    private static final String USER = "steward";
    private static final String PASSWORD = "Kx7-known-test-password-q2W";

    @RegisterExtension
    final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    final AgentFixture agents = new AgentFixture();

    private final List<String> outputs = new ArrayList<>();

    @Test
    void givenPasswordsInConninfoAndPassfileAndTokens_whenAClusterIsBuiltFailsOverAndRejoins_thenNoSecretIsShownAnywhere()
            throws Exception {
        PgTestInstance pg1 = pg.primary("node1");
        pg1.execute("ALTER SYSTEM SET wal_keep_size = '80000MB'");
        pg1.execute("CREATE ROLE " + USER + " LOGIN SUPERUSER REPLICATION PASSWORD '" + PASSWORD + "'");
        Path hba = pg1.dataDir().resolve("pg_hba.conf");
        Files.writeString(hba, "host all " + USER + " 127.0.0.1/32 scram-sha-256\nhost replication " + USER
                + " 127.0.0.1/32 scram-sha-256\n" + Files.readString(hba)); // the clones copy it
        pg1.execute("SELECT pg_reload_conf()");
        Path passDir = PgTestEnvironment.newTempDir("pgsteward-passfile-");
        Path passfile = passDir.resolve("pgpass");
        Files.writeString(passfile, "*:*:*:" + USER + ":" + PASSWORD + "\n");
        Files.setPosixFilePermissions(passfile, PosixFilePermissions.fromString("rw-------"));
        PgTestEnvironment.handOver(passfile); // pg_basebackup and the WAL receiver read it as the postgres user

        Sampler ps = new Sampler();
        try {
            agents.tls(Optional.of(Certificates.make(agents.workDir().resolve("tls"), "node1", "node2", "node3")))
                    .cluster(3, "automatic", "", 1);
            TestNode node1 = agents.node("test", 1, pg1, List.of(), "user=" + USER + " password=" + PASSWORD);
            TestNode node2 = agents.node("test", 2, pg.empty("node2"), List.of(), "user=" + USER + " passfile=" + passfile);
            TestNode node3 = agents.node("test", 3, pg.empty("node3"), List.of(), "user=" + USER + " password=" + PASSWORD);
            List<TestNode> nodes = List.of(node1, node2, node3);
            // node2, the first seed, forms the cluster and is its oldest member: the supervisor is not lost with node1
            AgentProcess.startAll(List.of(node2.agent(), node1.agent(), node3.agent()));
            Wait.until("the supervisor knows the cluster", Duration.ofSeconds(60), () -> {
                String v = node1.agent().httpGet("/api/v1/cluster");
                return !v.contains("learning the cluster state") && !v.contains("did not answer");
            });
            ps.start();
            console(node1, "master", "register");
            for (TestNode n : List.of(node2, node3)) {
                console(n, "-p", Integer.toString(pg1.port()), "-U", USER, "standby", "clone", "127.0.0.1");
                console(n, "standby", "register");
            }
            Wait.until("a healthy cluster", Duration.ofSeconds(60), () ->
                    node1.agent().httpGet("/api/v1/cluster").contains("\"warnings\":[]"));
            console(node2, "cluster", "show");
            console(node3, "node", "status", "--json");

            node1.agent().kill9();
            HaCluster.killPostgres(node1);
            Wait.until("a new primary and the other standby following it", Duration.ofSeconds(60), () -> {
                List<TestNode> w = writable(nodes);
                return w.size() == 1 && nodes.stream().filter(n -> n != node1 && n != w.get(0))
                        .allMatch(n -> HaCluster.streamsFrom(n, w.get(0)));
            });
            TestNode primary = writable(nodes).get(0);
            node1.agent().start(); // rejoins by itself: pg_rewind from the new primary, with node1's password
            Wait.until("node1 streams from the new primary", Duration.ofSeconds(120), () ->
                    HaCluster.streamsFrom(node1, primary));
            console(primary, "cluster", "show", "--json");
            console(node1, "cluster", "event");
            for (TestNode n : nodes) {
                outputs.add(n.agent().httpGet("/metrics"));
            }

            Map<String, String> secrets = new LinkedHashMap<>();
            secrets.put("the password", PASSWORD);
            for (TestNode n : nodes) {
                secrets.put("the API token of " + n.name(), n.agent().apiToken().orElseThrow());
            }
            ps.stop();
            assertTrue(ps.seen.stream().anyMatch(l -> l.contains("pg_basebackup") || l.contains("pg_rewind")),
                    "ps saw the PostgreSQL tools run: " + ps.seen.size() + " lines");
            Map<String, String> places = new LinkedHashMap<>();
            try (var files = Files.walk(agents.workDir())) {
                for (Path f : files.filter(p -> p.toString().endsWith(".log")).toList()) {
                    places.put(f.toString(), Files.readString(f, StandardCharsets.ISO_8859_1));
                }
            }
            for (TestNode n : nodes) {
                places.put(n.pg().pgCtl().logFile().toString(), Files.readString(n.pg().pgCtl().logFile(),
                        StandardCharsets.ISO_8859_1));
            }
            for (int i = 0; i < outputs.size(); i++) {
                places.put("console output / metrics #" + i, outputs.get(i));
            }
            places.put("ps -eo args", String.join("\n", ps.seen));
            assertTrue(places.keySet().stream().filter(k -> k.endsWith("-agent.log")).count() >= 3, places.keySet().toString());
            List<String> leaks = new ArrayList<>();
            places.forEach((where, text) -> secrets.forEach((what, secret) -> {
                int at = text.indexOf(secret);
                if (at >= 0) {
                    leaks.add(what + " in " + where + ": ..." + text.substring(Math.max(0, at - 200), at) + "<SECRET>");
                }
            }));
            assertEquals(List.of(), leaks);
        } finally {
            ps.stop();
            try (var walk = Files.walk(passDir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private void console(TestNode n, String... args) {
        ConsoleRun run = ok(n.console(args));
        outputs.add(run.stdout());
        outputs.add(run.stderr());
    }

    private static List<TestNode> writable(List<TestNode> nodes) {
        return nodes.stream().filter(HaCluster::isWritable).toList();
    }

    /** {@code ps -eo args} every 100 ms on a thread of its own, each distinct line kept. */
    private static final class Sampler {
        final Set<String> seen = ConcurrentHashMap.newKeySet();
        private final AtomicBoolean running = new AtomicBoolean();
        private Thread thread;

        void start() {
            running.set(true);
            thread = new Thread(() -> {
                while (running.get()) {
                    try {
                        Process p = new ProcessBuilder("ps", "-eo", "args").redirectErrorStream(true).start();
                        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                        if (p.waitFor(5, TimeUnit.SECONDS)) {
                            seen.addAll(out.lines().toList());
                        } else {
                            p.destroyForcibly();
                        }
                        TimeUnit.MILLISECONDS.sleep(100); // a sampling period, not a wait for a condition
                    } catch (IOException e) {
                        seen.add("(ps failed: " + e + ")");
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "ps-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            running.set(false);
            if (thread != null) {
                thread.interrupt();
                thread.join(10_000);
            }
        }
    }
}
