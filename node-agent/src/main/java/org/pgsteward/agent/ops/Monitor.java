package org.pgsteward.agent.ops;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.pgsteward.agent.LocalNode;
import org.pgsteward.agent.metadata.MonitoringSample;
import org.pgsteward.agent.metadata.RegisteredNode;
import org.pgsteward.agent.metrics.AgentMetrics;
import org.pgsteward.agent.postgres.PgSnapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One monitor cycle: probe the local PostgreSQL; on a registered, streaming standby also write
 * its position to the primary's monitoring table (what the seed's repmgrd did), which the
 * {@code repl_status} view reads. Called by the NodeAgent every monitor interval, one at a time.
 */
public final class Monitor {

    private static final Logger log = LoggerFactory.getLogger(Monitor.class);
    private static final Duration NODE_LIST_REFRESH = Duration.ofSeconds(10);

    private final LocalNode node;
    private final ClusterQueries queries;
    private final AgentMetrics metrics;
    private List<RegisteredNode> nodes = List.of();
    private Instant nodesReadAt = Instant.EPOCH;
    private Optional<Connection> primaryConnection = Optional.empty();
    private int primaryConnectionFor = -1;
    private String lastReportProblem = "";

    private final org.pgsteward.agent.cluster.PrimaryProbe primaryProbe;

    public Monitor(LocalNode node, ClusterQueries queries, AgentMetrics metrics,
                   org.pgsteward.agent.cluster.PrimaryProbe primaryProbe) {
        this.node = node;
        this.queries = queries;
        this.metrics = metrics;
        this.primaryProbe = primaryProbe;
    }

    public synchronized PgSnapshot cycle() {
        PgSnapshot s = node.probeLocal();
        metrics.update(s);
        if (s.isReachable() && s.inRecovery()) {
            // evidence for the failover rule: can this standby reach the primary's PostgreSQL itself? Asked even
            // while streaming: a WAL receiver cut off by the network says "streaming" until wal_receiver_timeout
            primaryProbe.refresh(this::pingPrimary);
            report(s);
        } else {
            primaryProbe.clear();
            lastPing = Optional.empty();
            closePing();
            closePrimaryConnection();
            if (s.isReachable()) {
                readSlots();
            }
        }
        return s;
    }

    /** How often a primary reads its standbys' replication slots for the metrics. */
    private static final Duration SLOT_REFRESH = Duration.ofSeconds(5);
    private Instant slotsReadAt = Instant.EPOCH;

    private void readSlots() {
        Instant now = Instant.now();
        if (Duration.between(slotsReadAt, now).compareTo(SLOT_REFRESH) < 0) {
            return;
        }
        slotsReadAt = now;
        try (Connection c = queries.connections().open(node.conninfo())) {
            metrics.slots().update(org.pgsteward.agent.postgres.ReplicationSlots.list(c));
        } catch (SQLException | RuntimeException e) {
            log.debug("cannot read the replication slots: {}", e.getMessage());
        }
    }

    /** How long one ping of the primary (connect, or SELECT 1 on the open connection) may take. */
    static final Duration PING_TIMEOUT = Duration.ofSeconds(1);
    /** How long a monitoring write may block the cycle (a partitioned primary must not stall the next ping). */
    static final Duration REPORT_TIMEOUT = Duration.ofSeconds(2);

    private Optional<Connection> ping = Optional.empty();
    private String pingTarget = "";

    /**
     * {@code SELECT 1} on a connection to the primary kept open between cycles (no connection churn on the
     * primary), reconnected after a failure; each step bounded by {@link #PING_TIMEOUT}.
     */
    private boolean pingPrimary(String conninfo) {
        if (!conninfo.equals(pingTarget)) {
            closePing();
            pingTarget = conninfo;
        }
        try {
            if (ping.isEmpty()) {
                ping = Optional.of(openBounded(org.pgsteward.agent.postgres.Conninfo.parse(conninfo)
                        .with("application_name", "pgsteward-ping"), PING_TIMEOUT));
            }
            try (Statement st = ping.get().createStatement()) {
                st.execute("SELECT 1");
            }
            pingOutcome(true, "");
            return true;
        } catch (SQLException | RuntimeException e) {
            closePing();
            boolean answered = serverAnswered(e);
            pingOutcome(answered, e.getMessage());
            return answered;
        }
    }

    private Optional<Boolean> lastPing = Optional.empty();

    /** Logs when the primary becomes unreachable from here, or reachable again (not every cycle). */
    private void pingOutcome(boolean reachable, String error) {
        if (!lastPing.equals(Optional.of(reachable))) {
            if (reachable) {
                log.info("the primary's PostgreSQL answers this standby's ping");
            } else {
                log.warn("the primary's PostgreSQL does not answer this standby's ping: {}", error);
            }
            lastPing = Optional.of(reachable);
        }
    }

    /**
     * Whether a failed ping still got an answer from a running server (too many connections, a rejected password):
     * that server is up. No answer (SQLState class 08: refused, timed out, connection lost) or one saying it does
     * not accept connections now (57P03: starting up or shutting down) counts as unreachable.
     */
    static boolean serverAnswered(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                String state = sql.getSQLState();
                return state != null && !state.startsWith("08") && !state.equals("57P03");
            }
        }
        return false;
    }

    /** A connection to {@code target} (with this node's credentials) whose connect and every round trip are bounded. */
    private Connection openBounded(org.pgsteward.agent.postgres.Conninfo target, Duration timeout) throws SQLException {
        Connection c = queries.connections().open(queries.connections().withCredentials(target)
                .with("connect_timeout", Long.toString(timeout.toSeconds())));
        try {
            c.setNetworkTimeout(Runnable::run, (int) timeout.toMillis());
            return c;
        } catch (SQLException e) {
            closeQuietly(c);
            throw e;
        }
    }

    private void closePing() {
        ping.ifPresent(Monitor::closeQuietly);
        ping = Optional.empty();
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            // already broken; nothing to do
        }
    }

    private void report(PgSnapshot s) {
        Instant now = Instant.now();
        if (Duration.between(nodesReadAt, now).compareTo(NODE_LIST_REFRESH) > 0) {
            nodes = queries.registeredNodesFromLocal();
            nodesReadAt = now;
        }
        int self = node.config().node().id();
        if (nodes.stream().anyMatch(n -> n.id() == self)) {
            seenRegistered = true;
        } else {
            autoRegister(s);
            return; // not registered: nothing to report to
        }
        Optional<RegisteredNode> primary = nodes.stream().filter(RegisteredNode::isActivePrimary).findFirst();
        if (primary.isEmpty()) {
            problem("no active primary registered");
            return;
        }
        try {
            Connection c = primaryConnection(primary.get());
            String primaryLsn;
            try (Statement st = c.createStatement(); var rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
                rs.next();
                primaryLsn = rs.getString(1);
            }
            queries.metadata().upsertMonitoring(c, new MonitoringSample(self, primary.get().id(), primaryLsn,
                    s.receivedLsn().map(Object::toString),
                    s.replayedLsn().map(Object::toString).orElse(primaryLsn),
                    s.lastReplayTimestamp()));
            lastReportProblem = "";
        } catch (SQLException | RuntimeException e) {
            closePrimaryConnection();
            problem("cannot report to primary " + primary.get().describe() + ": " + e.getMessage());
        }
    }

    /** This agent has seen its node registered since it started: an unregistered one is left so. */
    private boolean seenRegistered;
    private String lastAutoRegisterReason = "";

    private void autoRegister(PgSnapshot s) {
        var d = AutoRegistration.decide(node.config().node().autoRegister(), seenRegistered, node.config().node().id(), s,
                nodes);
        if (!d.register()) {
            if (!d.reason().equals(lastAutoRegisterReason)) {
                log.debug("not registering this standby by itself: {}", d.reason());
                lastAutoRegisterReason = d.reason();
            }
            return;
        }
        try {
            Connection c = primaryConnection(d.primary().get());
            RegisteredNode registered = AutoRegistration.register(queries, node.config(), c, d.primary().get(), d.reason());
            log.info("registered {} as a standby by itself (node.auto-register): {}", registered.describe(), d.reason());
            nodes = queries.registeredNodesFromLocal();
            nodesReadAt = Instant.now();
            seenRegistered = true;
        } catch (SQLException | RuntimeException e) {
            closePrimaryConnection();
            problem("cannot register this standby by itself (node.auto-register): " + e.getMessage());
        }
    }

    private Connection primaryConnection(RegisteredNode primary) throws SQLException {
        if (primaryConnection.isPresent() && primaryConnectionFor == primary.id()
                && primaryConnection.get().isValid((int) REPORT_TIMEOUT.toSeconds())) {
            return primaryConnection.get();
        }
        closePrimaryConnection();
        Connection c = openBounded(primary.conninfo(), REPORT_TIMEOUT);
        primaryConnection = Optional.of(c);
        primaryConnectionFor = primary.id();
        return c;
    }

    private void closePrimaryConnection() {
        primaryConnection.ifPresent(Monitor::closeQuietly);
        primaryConnection = Optional.empty();
        primaryConnectionFor = -1;
    }

    /** Logs a reporting problem once, not every second. */
    private void problem(String text) {
        if (!text.equals(lastReportProblem)) {
            log.warn("monitoring: {}", text);
            lastReportProblem = text;
        }
    }
}
