package org.pgsteward.agent.ui;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.pgsteward.agent.LocalNode;
import org.pgsteward.agent.ops.ClusterQueries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fills a {@link LagHistory} every monitor interval (at most once a second) from the {@code repl_status} view of this
 * node's own PostgreSQL: the lag in bytes ({@code replication_lag}) and seconds ({@code time_lag}) the standbys'
 * agents write to the primary's monitoring table, which streams to every standby. So every database node's agent
 * keeps the same history at the price of one query a second on one connection it keeps open, and the numbers are
 * those {@code SELECT * FROM repl_status} shows. A witness has no PostgreSQL and keeps none. Runs on a thread of its
 * own: never the monitor's, the operations' or the fence's.
 */
public final class LagSampler implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LagSampler.class);
    /** A sample round may not block longer than this (a hung server must not pile up rounds). */
    static final Duration QUERY_TIMEOUT = Duration.ofSeconds(2);

    private final LocalNode node;
    private final ClusterQueries queries;
    private final LagHistory history;
    private final ScheduledExecutorService timer;
    private Optional<Connection> connection = Optional.empty();
    private volatile Optional<String> problem = Optional.empty();

    private LagSampler(LocalNode node, ClusterQueries queries, LagHistory history) {
        this.node = node;
        this.queries = queries;
        this.history = history;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pgsteward-lag-sampler");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts sampling into {@code history}; a witness gets a sampler that never samples. */
    public static LagSampler start(LocalNode node, ClusterQueries queries, LagHistory history) {
        var sampler = new LagSampler(node, queries, history);
        if (node.witness()) {
            sampler.problem = Optional.of("a witness has no PostgreSQL: the lag history is kept by the agents of "
                    + "database nodes (open their page)");
            return sampler;
        }
        long period = Math.max(1000, node.config().agent().monitorInterval().toMillis());
        sampler.timer.scheduleWithFixedDelay(sampler::sampleQuietly, period, period, TimeUnit.MILLISECONDS);
        return sampler;
    }

    /** Why the latest round found nothing, if it did not. */
    public Optional<String> problem() {
        return problem;
    }

    /** The view is not there yet: the connection is fine and stays open. */
    private static final class NotRegistered extends SQLException {
        NotRegistered(String message) {
            super(message);
        }
    }

    private void sampleQuietly() {
        try {
            history.add(sample());
            problem = Optional.empty();
        } catch (NotRegistered e) {
            problem = Optional.of(e.getMessage());
        } catch (SQLException | RuntimeException e) {
            close(connection);
            connection = Optional.empty();
            String text = "cannot read repl_status of this node's PostgreSQL: " + e.getMessage();
            if (!problem.equals(Optional.of(text))) {
                log.debug("lag history: {}", text);
            }
            problem = Optional.of(text);
        }
    }

    private Map<Integer, LagHistory.Sample> sample() throws SQLException {
        Connection c = connection();
        long now = System.currentTimeMillis();
        Map<Integer, LagHistory.Sample> round = new LinkedHashMap<>();
        // before `primary register` there is no view: asked for anyway, the server would log an ERROR every second
        try (var st = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            st.setString(1, queries.metadata().schema() + ".repl_status");
            try (var rs = st.executeQuery()) {
                if (!rs.next() || !rs.getBoolean(1)) {
                    throw new NotRegistered("no " + queries.metadata().schema() + ".repl_status yet (the cluster is"
                            + " not registered: primary register creates it)");
                }
            }
        }
        try (var st = c.createStatement(); var rs = st.executeQuery("SELECT standby_node, replication_lag,"
                + " EXTRACT(epoch FROM time_lag)::float8 FROM " + queries.metadata().schema() + ".repl_status")) {
            while (rs.next()) {
                long bytes = rs.getLong(2);
                Optional<Long> b = rs.wasNull() ? Optional.empty() : Optional.of(bytes);
                double seconds = rs.getDouble(3);
                Optional<Double> s = rs.wasNull() ? Optional.empty() : Optional.of(Math.max(0, seconds));
                round.put(rs.getInt(1), new LagHistory.Sample(now, b, s));
            }
        }
        return round;
    }

    private Connection connection() throws SQLException {
        if (connection.isPresent()) {
            return connection.get();
        }
        Connection c = queries.connections().open(node.conninfo().with("connect_timeout",
                Long.toString(QUERY_TIMEOUT.toSeconds())).with("application_name", "pgsteward-lag"));
        c.setNetworkTimeout(Runnable::run, (int) QUERY_TIMEOUT.toMillis());
        connection = Optional.of(c);
        return c;
    }

    private static void close(Optional<Connection> c) {
        c.ifPresent(x -> {
            try {
                x.close();
            } catch (SQLException e) {
                // broken already
            }
        });
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
