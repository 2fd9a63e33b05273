package org.pgsteward.console.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.pgsteward.agent.testing.PgTestEnvironment;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.TestPorts;

/** One node of an end-to-end test: its PostgreSQL directory and port, its agent's config and process. */
public final class TestNode implements AutoCloseable {

    private final String name;
    private final int id;
    private final PgTestInstance pg;
    private final Path configFile;
    private final AgentProcess agent;
    private final String host;
    private final String clusterAddress;

    private TestNode(String name, int id, PgTestInstance pg, Path configFile, AgentProcess agent, String host,
                     String clusterAddress) {
        this.host = host;
        this.clusterAddress = clusterAddress;
        this.name = name;
        this.id = id;
        this.pg = pg;
        this.configFile = configFile;
        this.agent = agent;
    }

    /**
     * Writes the agent's HOCON config for {@code pg} (which may be empty, to be cloned into).
     *
     * @param sshOptions the clone.ssh-options (for rsync clones over the test's sshd)
     */
    /**
     * How an agent of a test is set up.
     *
     * @param credentials the conninfo's user (and password) part, e.g. {@code user=pwuser password=x}
     * @param mode        failover.mode
     * @param arteryPort  this agent's cluster port
     * @param seeds       the cluster's seed nodes (host:port)
     * @param extra       more HOCON inside pgsteward { }
     * @param host        the address this node's PostgreSQL, HTTP API and cluster port are reached at
     * @param tlsDir      set: agent.tls with {@code <dir>/<name>.crt}, {@code <name>.key} and {@code ca.crt} (made by
     *                    {@link Certificates#make})
     */
    public record Options(List<String> sshOptions, String credentials, String mode, int arteryPort, List<String> seeds,
                          String extra, String host, java.util.Optional<Path> tlsDir) {
        public static Options standalone(List<String> sshOptions) {
            int port = TestPorts.freePort();
            return new Options(sshOptions, "user=postgres", "manual", port, List.of("127.0.0.1:" + port), "", "127.0.0.1",
                    java.util.Optional.empty());
        }

        public Options withCredentials(String c) {
            return new Options(sshOptions, c, mode, arteryPort, seeds, extra, host, tlsDir);
        }

        public Options withTls(java.util.Optional<Path> dir) {
            return new Options(sshOptions, credentials, mode, arteryPort, seeds, extra, host, dir);
        }
    }

    public static TestNode create(String cluster, int id, PgTestInstance pg, Path workDir, Options o) {
        String name = pg.name();
        int http = TestPorts.freePort();
        int artery = o.arteryPort();
        String credentials = o.credentials();
        List<String> sshOptions = o.sshOptions();
        String seeds = o.seeds().stream().map(a -> "\"" + a + "\"").collect(Collectors.joining(", "));
        String host = o.host();
        Path stateDir = workDir.resolve(name + "-state");
        Path config = workDir.resolve(name + ".conf");
        String osUser = PgTestEnvironment.osUser().map(u -> "    os-user = \"" + u + "\"\n").orElse("");
        String ssh = sshOptions.stream().map(opt -> "\"" + opt + "\"").collect(Collectors.joining(", "));
        String text = "pgsteward {\n"
                + "  cluster = \"" + cluster + "\"\n"
                + "  node {\n"
                + "    id = " + id + "\n"
                + "    name = \"" + name + "\"\n"
                + "    conninfo = \"host=" + host + " port=" + pg.port() + " " + credentials.replace("\"", "\\\"") + " dbname=postgres\"\n"
                + "    data-dir = \"" + pg.dataDir() + "\"\n"
                + "    priority = 100\n"
                + "  }\n"
                + "  postgres {\n"
                + "    bin-dir = \"" + PgTestEnvironment.binDir() + "\"\n"
                + osUser
                + "    log-file = \"" + pg.pgCtl().logFile() + "\"\n"
                + "  }\n"
                + "  agent {\n"
                + "    http = \"" + host + ":" + http + "\"\n"
                + "    cluster-address = \"" + host + ":" + artery + "\"\n"
                + "    state-dir = \"" + stateDir + "\"\n"
                + "    monitor-interval = 500ms\n"
                + "    seed-nodes = [" + seeds + "]\n"
                + o.tlsDir().map(dir -> "    tls {\n"
                        + "      certificate = \"" + dir.resolve(name + ".crt") + "\"\n"
                        + "      private-key = \"" + dir.resolve(name + ".key") + "\"\n"
                        + "      ca = \"" + dir.resolve("ca.crt") + "\"\n"
                        + "    }\n").orElse("")
                + "  }\n"
                + "  failover {\n"
                + "    mode = \"" + o.mode() + "\"\n"
                + "  }\n"
                + o.extra() + "\n"
                + "  clone {\n"
                + "    ssh-options = [" + ssh + "]\n"
                + "  }\n"
                + "}\n";
        try {
            Files.createDirectories(stateDir);
            Files.writeString(config, text);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        var agent = new AgentProcess(name, config, workDir.resolve(name + "-agent.log"), host + ":" + http);
        return new TestNode(name, id, pg, config, agent, host, host + ":" + artery);
    }

    public String name() {
        return name;
    }

    private boolean witness;

    /** Turns this node's agent into a witness (no PostgreSQL) before it starts. */
    public void makeWitness() {
        try {
            String text = Files.readString(configFile);
            text = text.replace("    priority = 100\n", "    priority = 0\n    role = \"witness\"\n");
            Files.writeString(configFile, text);
            witness = true;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Rewrites node.priority in this node's config (restart the agent to apply). */
    public void setPriority(int priority) {
        try {
            String text = Files.readString(configFile).replaceAll("(?m)^    priority = \\d+$", "    priority = " + priority);
            Files.writeString(configFile, text);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Appends HOCON to this node's config (objects merge: {@code pgsteward.agent.health-http = ...}); restart to apply. */
    public void appendConfig(String hocon) {
        try {
            Files.writeString(configFile, "\n" + hocon + "\n", java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public boolean isWitness() {
        return witness;
    }

    public int id() {
        return id;
    }

    public PgTestInstance pg() {
        return pg;
    }

    /** The agent's state directory (agent.state-dir). */
    public Path stateDir() {
        return configFile.getParent().resolve(name + "-state");
    }

    public AgentProcess agent() {
        return agent;
    }

    public String config() {
        return configFile.toString();
    }

    public int port() {
        return pg.port();
    }

    /** This agent's agent.cluster-address (host:port). */
    public String clusterAddress() {
        return clusterAddress;
    }

    /** The address this node's PostgreSQL and agent are reached at. */
    public String host() {
        return host;
    }

    /** {@code pgsteward -f <this node's config> ARGS}. */
    public ConsoleRun console(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "-f";
        all[1] = config();
        System.arraycopy(args, 0, all, 2, args.length);
        return ConsoleRun.of(all);
    }

    @Override
    public void close() {
        agent.close();
    }

    @Override
    public String toString() {
        return name + "(port " + pg.port() + ", agent " + agent.httpAddress() + ")";
    }
}
