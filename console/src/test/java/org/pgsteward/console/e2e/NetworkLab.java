package org.pgsteward.console.e2e;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.pgsteward.agent.exec.CommandFailedException;
import org.pgsteward.agent.exec.CommandResult;
import org.pgsteward.agent.exec.CommandRunner;
import org.pgsteward.agent.exec.ExternalCommand;
import org.pgsteward.agent.testing.PgTestEnvironment;

/**
 * Hosts of a test network on this machine: a bridge in the root network namespace (its address is the "rest of the
 * network", where the test and the other nodes run) and one network namespace per isolated host, joined to the
 * bridge by a veth pair. {@link #cut} takes a host's link down (a real partition: packets are dropped, connections
 * time out); {@link #heal} brings it back. Addresses come from 198.18.0.0/15; traffic stays on this machine.
 * Needs root (CAP_NET_ADMIN), as CI runs.
 */
final class NetworkLab implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(15);
    /** The project's runner: argument lists, a timeout that kills the process tree, stderr in the error. */
    private static final CommandRunner RUNNER = PgTestEnvironment.runner();

    private final String tag;
    private final String bridge;
    private final int subnet;
    private final Map<String, Integer> hosts = new LinkedHashMap<>();
    private final Thread cleanupOnExit = new Thread(this::removeAll, "network-lab-cleanup");

    private NetworkLab(String tag, int subnet) {
        this.tag = tag;
        this.bridge = "pgsbr" + tag;
        this.subnet = subnet;
    }

    /** Why network namespaces cannot be used here, or empty when they can. */
    static Optional<String> unavailable() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return Optional.of("network namespaces need root (CI runs as root)");
        }
        try {
            ip("netns", "list");
            return Optional.empty();
        } catch (IllegalStateException e) {
            return Optional.of(e.getMessage());
        }
    }

    /** A bridge with its own /24 out of 198.18.0.0/15 (one not in use on this machine). */
    static NetworkLab create() {
        String tag = Long.toString(ProcessHandle.current().pid() % 1_000_000);
        String inUse = ip("-o", "-4", "addr", "show");
        int subnet = -1;
        for (int i = 1; i < 255 && subnet < 0; i++) {
            if (!inUse.contains("198.18." + i + ".")) {
                subnet = i;
            }
        }
        if (subnet < 0) {
            throw new IllegalStateException("no free /24 in 198.18.0.0/16");
        }
        var lab = new NetworkLab(tag, subnet);
        Runtime.getRuntime().addShutdownHook(lab.cleanupOnExit);
        try {
            ip("link", "add", lab.bridge, "type", "bridge");
            ip("addr", "add", lab.bridgeAddress() + "/24", "dev", lab.bridge);
            ip("link", "set", lab.bridge, "up");
        } catch (RuntimeException e) {
            lab.close();
            throw e;
        }
        return lab;
    }

    /** The address of the rest of the network (the root namespace, on the bridge). */
    String bridgeAddress() {
        return "198.18." + subnet + ".254";
    }

    /** A new isolated host joined to the bridge; returns its address. */
    synchronized String addHost(String name) {
        int n = hosts.size() + 1;
        String ns = namespace(n);
        String veth = veth(n);
        String address = "198.18." + subnet + "." + n;
        hosts.put(name, n);
        ip("netns", "add", ns);
        ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns);
        ip("link", "set", veth, "master", bridge);
        ip("link", "set", veth, "up");
        ip("-n", ns, "addr", "add", address + "/24", "dev", "eth0");
        ip("-n", ns, "link", "set", "eth0", "up");
        ip("-n", ns, "link", "set", "lo", "up");
        return address;
    }

    /** The command prefix that runs a program on host {@code name}. */
    List<String> exec(String name) {
        return List.of("ip", "netns", "exec", namespace(index(name)));
    }

    /** Cuts host {@code name} off the network: its link goes down, packets to and from it are dropped. */
    void cut(String name) {
        ip("link", "set", veth(index(name)), "down");
    }

    /** The address of host {@code name}. */
    String address(String name) {
        return "198.18." + subnet + "." + index(name);
    }

    /** One broken link: hosts {@code a} and {@code b} no longer reach each other; both still reach everyone else. */
    void breakLink(String a, String b) {
        ip("-n", namespace(index(a)), "route", "add", "blackhole", address(b) + "/32");
        ip("-n", namespace(index(b)), "route", "add", "blackhole", address(a) + "/32");
    }

    /** Mends the link {@link #breakLink} broke (nothing when it is not broken). */
    void mendLink(String a, String b) {
        quietly("-n", namespace(index(a)), "route", "del", "blackhole", address(b) + "/32");
        quietly("-n", namespace(index(b)), "route", "del", "blackhole", address(a) + "/32");
    }

    /** Brings host {@code name}'s link back. */
    void heal(String name) {
        ip("link", "set", veth(index(name)), "up");
    }

    /**
     * Runs {@code argv} on host {@code name} (reachable only from there while it is cut off) and returns its
     * stdout, or empty when it failed or did not finish within {@code timeoutSeconds}.
     */
    Optional<String> run(String name, long timeoutSeconds, List<String> argv) {
        List<String> all = new ArrayList<>(exec(name));
        all.addAll(argv);
        try {
            CommandResult r = RUNNER.execute(ExternalCommand.of(Duration.ofSeconds(timeoutSeconds), all));
            return r.succeeded() ? Optional.of(r.stdout().strip()) : Optional.empty();
        } catch (CommandFailedException e) {
            return Optional.empty(); // did not start or ran past its timeout
        }
    }

    /** Starts a PostgreSQL data directory on host {@code name}, as {@code osUser}. */
    void startPostgres(String name, Path pgCtl, String osUser, Path dataDir, Path logFile) {
        List<String> argv = new ArrayList<>(exec(name));
        argv.addAll(List.of("runuser", "-u", osUser, "--", pgCtl.toString(), "-D", dataDir.toString(), "-l",
                logFile.toString(), "-w", "-t", "60", "start"));
        try {
            RUNNER.run(ExternalCommand.of(Duration.ofSeconds(90), argv));
        } catch (CommandFailedException e) {
            throw new IllegalStateException("pg_ctl start on " + name + " failed: " + e.getMessage(), e);
        }
    }

    private int index(String name) {
        Integer n = hosts.get(name);
        if (n == null) {
            throw new IllegalArgumentException("no host " + name + " in this network lab");
        }
        return n;
    }

    private String namespace(int n) {
        return "pgsteward-" + tag + "-" + n;
    }

    private String veth(int n) {
        return "pgsv" + tag + "x" + n;
    }

    @Override
    public void close() {
        removeAll();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
        } catch (IllegalStateException e) {
            // already shutting down
        }
    }

    private synchronized void removeAll() {
        for (int n : hosts.values()) {
            quietly("netns", "del", namespace(n)); // its eth0 goes, and with it the veth pair
            quietly("link", "del", veth(n));
        }
        hosts.clear();
        quietly("link", "del", bridge);
    }

    private static void quietly(String... args) {
        try {
            ip(args);
        } catch (IllegalStateException e) {
            // already gone
        }
    }

    private static String ip(String... args) {
        List<String> argv = new ArrayList<>();
        argv.add("ip");
        argv.addAll(List.of(args));
        try {
            return RUNNER.run(ExternalCommand.of(TIMEOUT, argv)).stdout();
        } catch (CommandFailedException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
