package org.pgsteward.console.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.pgsteward.agent.testing.PgTestInstance;

/**
 * The agents of one test: created through {@link #node}, stopped after the test, their logs
 * attached to a failing test's report. Register it after the PostgresExtension so agents stop
 * before their servers do.
 */
public final class AgentFixture implements AfterEachCallback, TestExecutionExceptionHandler {

    private final List<TestNode> nodes = new ArrayList<>();
    private Path workDir;

    private List<String> seeds = List.of();
    private List<Integer> nodePorts = List.of();
    private List<String> hosts = List.of();
    private String mode = "manual";
    private String extra = "";
    private java.util.Optional<Path> tlsDir = java.util.Optional.empty();

    /**
     * The next {@code count} nodes form one cluster (each lists all as seed nodes), with this
     * failover mode and extra HOCON (inside pgsteward { }).
     */
    public synchronized AgentFixture cluster(int count, String failoverMode, String extraHocon) {
        return cluster(count, failoverMode, extraHocon, 0);
    }

    /**
     * As {@link #cluster(int, String, String)}, with node {@code firstSeed} (0-based) first in the seed list: the
     * member that forms the cluster, the oldest, which hosts the supervisor singleton. Start it first.
     */
    public synchronized AgentFixture cluster(int count, String failoverMode, String extraHocon, int firstSeed) {
        return cluster(count, failoverMode, extraHocon, firstSeed, java.util.Collections.nCopies(count, "127.0.0.1"));
    }

    /** As {@link #cluster(int, String, String, int)}, node i reached at {@code hosts.get(i)}. */
    public synchronized AgentFixture cluster(int count, String failoverMode, String extraHocon, int firstSeed,
                                             List<String> nodeHosts) {
        var ports = new ArrayList<Integer>();
        for (int i = 0; i < count; i++) {
            ports.add(org.pgsteward.agent.testing.TestPorts.freePort());
        }
        nodePorts = List.copyOf(ports);
        var seedList = new ArrayList<String>();
        seedList.add(nodeHosts.get(firstSeed) + ":" + ports.get(firstSeed));
        for (int i = 0; i < count; i++) {
            if (i != firstSeed) {
                seedList.add(nodeHosts.get(i) + ":" + ports.get(i));
            }
        }
        seeds = List.copyOf(seedList);
        hosts = List.copyOf(nodeHosts);
        mode = failoverMode;
        extra = extraHocon;
        return this;
    }

    /**
     * Every node created from now on has agent.tls with its own certificate from {@code dir} (made there by
     * {@link Certificates#make} for the node's name), or none when empty.
     */
    public synchronized AgentFixture tls(java.util.Optional<Path> dir) {
        tlsDir = dir;
        return this;
    }

    /** A standalone agent (a cluster of its own), manual failover. */
    public synchronized TestNode node(String cluster, int id, PgTestInstance pg, List<String> sshOptions) {
        return node(cluster, id, pg, sshOptions, "user=postgres");
    }

    /** @param credentials the conninfo's user (and password) part */
    public synchronized TestNode node(String cluster, int id, PgTestInstance pg, List<String> sshOptions, String credentials) {
        TestNode.Options o;
        int index = nodes.size();
        if (index < nodePorts.size()) {
            o = new TestNode.Options(sshOptions, credentials, mode, nodePorts.get(index), seeds, extra, hosts.get(index),
                    tlsDir);
        } else {
            o = TestNode.Options.standalone(sshOptions).withCredentials(credentials).withTls(tlsDir);
        }
        TestNode n = TestNode.create(cluster, id, pg, workDir(), o);
        nodes.add(n);
        return n;
    }

    /**
     * An agent pointed at the seed nodes of the last {@link #cluster} from a cluster port of its own (not a seed
     * itself), with agent.tls from {@code tlsDir} or none: a would-be member from outside.
     */
    public synchronized TestNode outsider(String cluster, int id, PgTestInstance pg, java.util.Optional<Path> tls) {
        var o = new TestNode.Options(List.of(), "user=postgres", mode, org.pgsteward.agent.testing.TestPorts.freePort(),
                seeds, extra, "127.0.0.1", tls);
        TestNode n = TestNode.create(cluster, id, pg, workDir(), o);
        nodes.add(n);
        return n;
    }

    public synchronized Path workDir() {
        if (workDir == null) {
            try {
                workDir = Files.createTempDirectory("pgsteward-e2e-");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return workDir;
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        for (TestNode n : List.copyOf(nodes)) {
            String text = "agent log of " + n + " (tail):\n" + n.agent().logTail();
            System.err.println(text);
            throwable.addSuppressed(new AgentLog(text));
        }
        throw throwable;
    }

    @Override
    public synchronized void afterEach(ExtensionContext context) {
        AgentProcess.killAll(nodes.stream().map(TestNode::agent).toList());
        keepLogs(context);
        nodes.clear();
        if (workDir != null) {
            deleteTree(workDir);
            workDir = null;
        }
    }

    /** Agent logs survive the test in target/agent-logs/<test>/, for reading after a run. */
    private void keepLogs(ExtensionContext context) {
        if (workDir == null) {
            return;
        }
        String test = context == null ? "run-" + System.nanoTime()
                : context.getRequiredTestClass().getSimpleName() + "." + context.getRequiredTestMethod().getName();
        Path dest = Path.of("target", "agent-logs", test);
        try (var files = Files.list(workDir)) {
            Files.createDirectories(dest);
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith("-agent.log")).toList()) {
                Files.copy(f, dest.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            System.err.println("cannot keep agent logs: " + e);
        }
    }

    private static void deleteTree(Path root) {
        try (var walk = Files.walk(root)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("cannot remove " + root + ": " + e);
        }
    }

    static final class AgentLog extends RuntimeException {
        AgentLog(String text) {
            super(text, null, false, false);
        }
    }
}
