package org.pgsteward.console.e2e;

import static org.pgsteward.console.e2e.E2eSupport.ok;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.PostgresExtension;

/**
 * Three database nodes (or two and a witness) with agents in automatic mode, set up through the
 * console: node1 registered as primary, the others cloned and registered.
 */
final class HaCluster {

    final List<TestNode> nodes = new ArrayList<>();

    /**
     * @param witness     the third member is a witness agent (no PostgreSQL)
     * @param extraHocon  more settings inside pgsteward { } for every agent
     * @param firstAgent  index of the agent started first (the oldest member hosts the supervisor)
     */
    static HaCluster start(PostgresExtension pg, AgentFixture agents, boolean witness, String extraHocon, int firstAgent) {
        return start(pg, agents, witness, extraHocon, firstAgent, null);
    }

    /**
     * As {@link #start(PostgresExtension, AgentFixture, boolean, String, int)}; with a {@code lab}, node1 (the
     * primary: its PostgreSQL and its agent) runs on a host of its own in that network, the others on the rest of
     * it, each agent with its own embedded journal (a shared H2 file would be served by whichever agent opened it
     * first, possibly from the host that is cut off).
     */
    static HaCluster start(PostgresExtension pg, AgentFixture agents, boolean witness, String extraHocon, int firstAgent,
                           NetworkLab lab) {
        return start(pg, agents, witness, extraHocon, firstAgent, lab, false, 0);
    }

    /**
     * Three database nodes, node1 primary (started first); node {@code notRegistered} is cloned and started but not
     * registered (by the console: its agent may register it itself, node.auto-register).
     */
    static HaCluster startWithAnUnregisteredStandby(PostgresExtension pg, AgentFixture agents, String extraHocon,
                                                    int notRegistered) {
        return start(pg, agents, false, extraHocon, 0, null, false, notRegistered);
    }

    /** As {@link #start(PostgresExtension, AgentFixture, boolean, String, int, NetworkLab)}, each node on its own host. */
    static HaCluster startEachOnItsHost(PostgresExtension pg, AgentFixture agents, String extraHocon, int firstAgent,
                                        NetworkLab lab) {
        return start(pg, agents, false, extraHocon, firstAgent, lab, true, 0);
    }

    private static HaCluster start(PostgresExtension pg, AgentFixture agents, boolean witness, String extraHocon,
                                   int firstAgent, NetworkLab lab, boolean everyNodeOnItsHost, int notRegistered) {
        var c = new HaCluster();
        PgTestInstance pg1 = pg.primary("node1");
        pg1.execute("ALTER SYSTEM SET wal_keep_size = '80000MB'");
        pg1.execute("SELECT pg_reload_conf()");
        pg1.execute("CREATE TABLE ha (id bigint primary key, at timestamptz default now())");
        PgTestInstance pg2 = pg.empty("node2");
        PgTestInstance pg3 = pg.empty("node3");
        // the product default: each agent its own embedded journal (the cluster record and the history are held by
        // the agents, not by one host's journal); -Dpgsteward.test.sharedJournal=true runs the old shared H2 file
        String journal = extraHocon.contains("journal-url") || !Boolean.getBoolean("pgsteward.test.sharedJournal")
                || lab != null ? "" : "supervisor { journal-url = \"jdbc:h2:file:" + agents.workDir().resolve("shared-journal")
                + ";AUTO_SERVER=TRUE\" }\n";
        List<String> hosts = java.util.Collections.nCopies(3, "127.0.0.1");
        if (everyNodeOnItsHost) {
            hosts = List.of(lab.addHost("node1"), lab.addHost("node2"), lab.addHost("node3"));
            moveToHost(pg1, lab, "node1");
        } else if (lab != null) {
            hosts = List.of(lab.addHost("node1"), lab.bridgeAddress(), lab.bridgeAddress());
            moveToHost(pg1, lab, "node1");
        }
        agents.cluster(3, "automatic", journal + extraHocon, firstAgent, hosts);
        c.nodes.add(agents.node("test", 1, pg1, List.of()));
        c.nodes.add(agents.node("test", 2, pg2, List.of()));
        TestNode third = agents.node("test", 3, pg3, List.of());
        c.nodes.add(third);
        if (everyNodeOnItsHost) {
            for (int i = 0; i < 3; i++) {
                c.nodes.get(i).agent().runningUnder(lab.exec("node" + (i + 1)));
            }
        } else if (lab != null) {
            c.nodes.get(0).agent().runningUnder(lab.exec("node1"));
        }
        if (witness) {
            third.makeWitness();
        }
        // the first agent is the oldest member and hosts the supervisor; the others start side by side
        c.nodes.get(firstAgent).agent().start();
        List<AgentProcess> rest = new ArrayList<>();
        for (int i = 0; i < c.nodes.size(); i++) {
            if (i != firstAgent) {
                rest.add(c.nodes.get(i).agent());
            }
        }
        AgentProcess.startAll(rest);
        Wait.until("the supervisor knows the cluster", Duration.ofSeconds(60), () -> {
            String v = c.nodes.get(0).agent().httpGet("/api/v1/cluster");
            return !v.contains("learning the cluster state") && !v.contains("did not answer");
        });
        ok(c.nodes.get(0).console("master", "register"));
        int last = witness ? 2 : 3;
        for (int i = 1; i < last; i++) {
            TestNode n = c.nodes.get(i);
            ok(n.console("-p", Integer.toString(pg1.port()), "-U", "postgres", "standby", "clone", c.nodes.get(0).host()));
            if (i + 1 != notRegistered) {
                ok(n.console("standby", "register"));
            }
        }
        if (notRegistered > 0) {
            return c;
        }
        if (witness) {
            ok(third.console("witness", "register"));
        }
        Wait.until("the supervisor sees a healthy cluster", Duration.ofSeconds(60), () ->
                c.nodes.get(0).agent().httpGet("/api/v1/cluster").contains("\"warnings\":[]"));
        return c;
    }

    /**
     * Restarts {@code pg1} on host {@code name} of the lab, listening on every address of that host and trusting
     * the lab's network (the clones copy both).
     */
    private static void moveToHost(PgTestInstance pg1, NetworkLab lab, String name) {
        pg1.execute("ALTER SYSTEM SET listen_addresses = '*'");
        pg1.appendConf("pg_hba.conf", "host all all 198.18.0.0/15 trust\nhost replication all 198.18.0.0/15 trust\n");
        pg1.pgCtl().stop(org.pgsteward.agent.postgres.StopMode.FAST);
        lab.startPostgres(name, org.pgsteward.agent.testing.PgTestEnvironment.binDir().resolve("pg_ctl"),
                org.pgsteward.agent.testing.PgTestEnvironment.osUser().orElseThrow(), pg1.dataDir(), pg1.pgCtl().logFile());
    }

    /** node1 primary, node2 standby, node3 a witness agent. */
    static HaCluster startTwoNodesAndWitness(PostgresExtension pg, AgentFixture agents, int firstAgent) {
        return start(pg, agents, true, "", firstAgent);
    }

    TestNode node(int id) {
        return nodes.get(id - 1);
    }

    /** The database nodes that accept writes right now. */
    List<TestNode> writable() {
        List<TestNode> out = new ArrayList<>();
        for (TestNode n : nodes) {
            if (!n.isWitness() && isWritable(n)) {
                out.add(n);
            }
        }
        return out;
    }

    /** Whether {@code n}'s PostgreSQL answers and is out of recovery. */
    static boolean isWritable(TestNode n) {
        try (Connection c = connect(n, 1); var st = c.createStatement(); var rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
            rs.next();
            return !rs.getBoolean(1);
        } catch (SQLException e) {
            return false; // down: not writable
        }
    }

    Optional<TestNode> onlyWritable() {
        List<TestNode> w = writable();
        return w.size() == 1 ? Optional.of(w.get(0)) : Optional.empty();
    }

    static Connection connect(TestNode n, int timeoutSeconds) throws SQLException {
        var props = new Properties();
        props.setProperty("user", "postgres");
        props.setProperty("connectTimeout", Integer.toString(timeoutSeconds));
        // the login too: a frozen server accepts the TCP connection (the kernel does) but never answers it
        props.setProperty("loginTimeout", Integer.toString(timeoutSeconds));
        props.setProperty("socketTimeout", "10");
        return DriverManager.getConnection("jdbc:postgresql://" + n.host() + ":" + n.port() + "/postgres", props);
    }

    /** Whether {@code standby} streams from {@code upstream}. */
    static boolean streamsFrom(TestNode standby, TestNode upstream) {
        try (Connection c = connect(standby, 1); var st = c.createStatement();
             var rs = st.executeQuery("SELECT sender_port FROM pg_stat_wal_receiver WHERE status = 'streaming'")) {
            return rs.next() && rs.getInt(1) == upstream.port();
        } catch (SQLException e) {
            return false;
        }
    }

    /** SIGKILL of the node's postmaster and all its processes. */
    static void killPostgres(TestNode n) {
        long pid = n.pg().pgCtl().postmasterPid().orElseThrow();
        ProcessHandle pm = ProcessHandle.of(pid).orElseThrow();
        List<ProcessHandle> children = pm.descendants().toList();
        pm.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        pm.onExit().join();
    }
}
