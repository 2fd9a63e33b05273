package org.pgsteward.console.e2e;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A steady writer: inserts one row at a time into {@code ha} on whichever node accepts writes,
 * remembering every id whose commit was acknowledged and when the first write on each node
 * succeeded. Bounded: it stops after {@code maxRows} or when stopped.
 */
final class Writer implements AutoCloseable {

    private final List<TestNode> nodes;
    private final Set<Long> acknowledged = new ConcurrentSkipListSet<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong nextId = new AtomicLong(1);
    private final java.util.Map<String, Long> firstWriteNanos = new java.util.concurrent.ConcurrentHashMap<>();
    private final Thread thread;
    private final long maxRows;

    Writer(List<TestNode> nodes, long maxRows) {
        this.nodes = nodes;
        this.maxRows = maxRows;
        this.thread = new Thread(this::run, "writer");
        thread.setDaemon(true);
    }

    Writer start() {
        thread.start();
        return this;
    }

    private void run() {
        while (!stop.get() && nextId.get() <= maxRows) {
            boolean wrote = false;
            for (TestNode n : nodes) {
                if (n.isWitness() || stop.get()) {
                    continue;
                }
                try (Connection c = HaCluster.connect(n, 1)) {
                    c.setAutoCommit(true);
                    try (var st = c.createStatement()) {
                        st.execute("SET statement_timeout = '5s'");
                    }
                    while (!stop.get() && nextId.get() <= maxRows) {
                        long id = nextId.get();
                        try (var ps = c.prepareStatement("INSERT INTO ha (id) VALUES (?)")) {
                            ps.setLong(1, id);
                            ps.executeUpdate();
                        }
                        acknowledged.add(id);
                        firstWriteNanos.putIfAbsent(n.name(), System.nanoTime());
                        nextId.incrementAndGet();
                        wrote = true;
                    }
                } catch (SQLException e) {
                    // not writable (standby, down, fenced): the id was not acknowledged; try it again elsewhere
                    if ("23505".equals(e.getSQLState())) {
                        nextId.incrementAndGet(); // committed before the connection broke; count it as not acknowledged
                    }
                }
            }
            if (!wrote) {
                try {
                    Thread.sleep(10); // nobody accepts writes right now; a client would back off too
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    Set<Long> acknowledged() {
        return acknowledged;
    }

    long acknowledgedCount() {
        return acknowledged.size();
    }

    /** Forget when {@code node} was first written to (measure the next time it becomes primary). */
    void forget(String node) {
        firstWriteNanos.remove(node);
    }

    java.util.Optional<Long> firstWriteNanos(String node) {
        return java.util.Optional.ofNullable(firstWriteNanos.get(node));
    }

    @Override
    public void close() {
        stop.set(true);
        try {
            thread.join(15_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
