package org.pgsteward.console.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.pgsteward.agent.exec.CommandFailedException;
import org.pgsteward.agent.exec.ExternalCommand;
import org.pgsteward.agent.testing.PgTestEnvironment;

/**
 * The fault-injection checker behind {@code scripts/chaos} (issue 8.8): a 3-node cluster, every node (PostgreSQL and
 * agent) on a host of its own in a {@link NetworkLab}; a writer on every host that writes to its own node from inside
 * that host (so both sides of a partition are written to) and records every acknowledged write; rounds of random
 * faults on random members, each healed before the next; a checker.
 *
 * <p>A violation of "at most one node accepted writes at any moment": node A acknowledged a write sent after node
 * B acknowledged one and before B acknowledged another (B accepted writes on both sides of A's). Lost: acknowledged
 * writes missing on the final primary (must be 0 in synchronous mode). Converged: after a round's faults healed, one
 * writable primary with every other node streaming from it, within {@link #CONVERGE}.
 */
final class Chaos {

    static final Duration CONVERGE = Duration.ofSeconds(120);

    record Ack(String node, long id, long sentNanos, long ackNanos) {}

    record Result(int violations, long lost, int converged, int rounds, long acknowledged, List<String> log) {
        String line(boolean synchronous) {
            return String.format(Locale.ROOT, "chaos violations=%d lost=%d converged=%d/%d acknowledged=%d synchronous=%s",
                    violations, lost, converged, rounds, acknowledged, synchronous);
        }
    }

    enum Fault { PARTITION, BROKEN_LINK, KILL_AGENT, KILL_POSTGRES, STOP_AGENT, STOP_POSTGRES, FLAPPING_LINK,
        PRIMARY_THEN_ANOTHER_HOST_LOST, FROZEN_AGENT_PARTITIONED, NO_NEW_CONNECTIONS }

    private final HaCluster cluster;
    private final NetworkLab lab;
    private final Random random;
    private final List<Ack> acks = new CopyOnWriteArrayList<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong nextId = new AtomicLong(1);
    private final List<Thread> writers = new ArrayList<>();
    private final List<String> log = new ArrayList<>();

    private final List<Fault> faults;
    private final boolean primaryOnly;
    /** Each line of the log as it is written (a long run shows its rounds as they go). */
    private final java.util.function.Consumer<String> progress;

    /**
     * @param faults      the faults to draw from (all when empty)
     * @param primaryOnly every fault hits the current primary's host (else a random member)
     */
    Chaos(HaCluster cluster, NetworkLab lab, long seed, List<Fault> faults, boolean primaryOnly,
          java.util.function.Consumer<String> progress) {
        this.progress = progress;
        this.faults = faults.isEmpty() ? List.of(Fault.values()) : List.copyOf(faults);
        this.primaryOnly = primaryOnly;
        this.cluster = cluster;
        this.lab = lab;
        this.random = new Random(seed);
        log("seed " + seed);
    }

    private void log(String line) {
        log.add(line);
        progress.accept(line);
    }

    Result run(int rounds) {
        try (var c = HaCluster.connect(cluster.onlyWritable().orElseThrow(), 5); var st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS chaos (id bigint PRIMARY KEY, node text NOT NULL)");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot create the chaos table: " + e.getMessage(), e);
        }
        for (TestNode n : cluster.nodes) {
            Thread t = new Thread(() -> write(n), "chaos-writer-" + n.name());
            t.setDaemon(true);
            writers.add(t);
            t.start();
        }
        int converged = 0;
        try {
            for (int round = 1; round <= rounds; round++) {
                Fault f = faults.get(random.nextInt(faults.size()));
                TestNode target = primaryOnly ? cluster.onlyWritable().orElse(cluster.node(1))
                        : cluster.nodes.get(random.nextInt(cluster.nodes.size()));
                long t0 = System.nanoTime();
                String what = inject(f, target);
                boolean ok = converge();
                converged += ok ? 1 : 0;
                double took = (System.nanoTime() - t0) / 1e9;
                List<String> found = new ArrayList<>();
                int violations = violations(List.copyOf(acks), found);
                found.forEach(this::log);
                log(String.format(Locale.ROOT, "round %d: %s -> %s in %.1f s (so far: violations=%d lost=%s converged=%d/%d acknowledged=%d)",
                        round, what, ok ? "converged" : "NOT converged", took, violations, ok ? Long.toString(lost()) : "?",
                        converged, round, acks.size()));
            }
        } finally {
            stop.set(true);
            writers.forEach(t -> {
                try {
                    t.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        List<String> found = new ArrayList<>();
        int violations = violations(acks, found);
        found.forEach(this::log);
        long lost = lost();
        return new Result(violations, lost, converged, rounds, acks.size(), log);
    }

    // ---------------------------------------------------------------- writers

    /** Writes to {@code n} from inside its host, one INSERT a psql call, until stopped. */
    private void write(TestNode n) {
        String psql = PgTestEnvironment.binDir().resolve("psql").toString();
        while (!stop.get()) {
            long id = nextId.getAndIncrement();
            long sent = System.nanoTime();
            Optional<String> out = lab.run(n.name(), 3, List.of(psql, "-h", n.host(), "-p", Integer.toString(n.port()),
                    "-U", "postgres", "-d", "postgres", "-Atq", "-v", "ON_ERROR_STOP=1",
                    "-c", "INSERT INTO chaos (id, node) VALUES (" + id + ", '" + n.name() + "')"));
            if (out.isPresent()) {
                acks.add(new Ack(n.name(), id, sent, System.nanoTime()));
            } else {
                sleep(20); // not writable here now (standby, down, fenced, cut off): back off a little
            }
        }
    }

    // ---------------------------------------------------------------- faults

    private String inject(Fault f, TestNode target) {
        String host = target.name();
        long ms = 3_000 + random.nextInt(5_000);
        switch (f) {
            case PARTITION -> {
                lab.cut(host);
                sleep(ms);
                lab.heal(host);
            }
            case BROKEN_LINK -> {
                TestNode other = otherThan(target);
                lab.breakLink(host, other.name());
                sleep(ms);
                lab.mendLink(host, other.name());
                return f + " " + host + "<->" + other.name() + " " + ms + " ms";
            }
            case KILL_AGENT -> {
                target.agent().kill9();
                sleep(ms);
                target.agent().start();
            }
            case KILL_POSTGRES -> {
                if (target.pg().pgCtl().postmasterPid().isPresent()) {
                    try {
                        HaCluster.killPostgres(target);
                    } catch (RuntimeException e) {
                        log("kill postgres on " + host + ": " + e.getMessage());
                    }
                }
                sleep(ms);
            }
            case STOP_AGENT -> {
                signal("STOP", List.of(target.agent().pid()));
                sleep(ms);
                signal("CONT", List.of(target.agent().pid()));
            }
            case STOP_POSTGRES -> {
                List<Long> pids = postgresPids(target);
                signal("STOP", pids);
                sleep(ms);
                signal("CONT", pids);
            }
            case FLAPPING_LINK -> {
                long end = System.nanoTime() + Duration.ofMillis(ms).toNanos();
                while (System.nanoTime() - end < 0) {
                    lab.cut(host);
                    sleep(300 + random.nextInt(900));
                    lab.heal(host);
                    sleep(300 + random.nextInt(900));
                }
            }
            case PRIMARY_THEN_ANOTHER_HOST_LOST -> {
                // the primary's host lost, then, while the failover is decided or carried out, the host the
                // supervisor runs on by then (when the primary's host ran it, the one it moved to)
                TestNode primary = cluster.onlyWritable().orElse(target);
                lab.cut(primary.name());
                sleep(1_500 + random.nextInt(2_000));
                Optional<TestNode> supervisor = supervisorHost(primary);
                TestNode second = supervisor.orElseGet(() -> otherThan(primary));
                lab.cut(second.name());
                sleep(ms);
                lab.heal(second.name());
                lab.heal(primary.name());
                return f + " " + primary.name() + " then " + second.name()
                        + (supervisor.isPresent() ? " (the supervisor's host)" : " (supervisor not found: a random one)")
                        + " " + ms + " ms";
            }
            case FROZEN_AGENT_PARTITIONED -> {
                // safety-2026-12 F1: the agent frozen (a long GC pause, SIGSTOP), then its host cut off: its
                // PostgreSQL must stop taking writes before the other side promotes, without the agent
                signal("STOP", List.of(target.agent().pid()));
                sleep(500);
                lab.cut(host);
                sleep(ms + 4_000);
                lab.heal(host);
                signal("CONT", List.of(target.agent().pid()));
            }
            case NO_NEW_CONNECTIONS -> {
                // PostgreSQL refuses every new session (as with its connection slots used up); open ones go on
                Path hba = target.pg().dataDir().resolve("pg_hba.conf");
                String before = read(hba);
                write(hba, "host all all 0.0.0.0/0 reject\nhost all all ::/0 reject\nlocal all all reject\n" + before);
                reload(target);
                sleep(ms);
                write(hba, before);
                reload(target);
            }
            default -> throw new IllegalStateException(f.toString());
        }
        return f + " " + host + " " + ms + " ms";
    }

    /**
     * The surviving host whose agent runs the supervisor now: the one whose cluster singleton manager last became the
     * oldest member (Pekko logs each of its state changes), among the hosts other than {@code lost}.
     */
    private Optional<TestNode> supervisorHost(TestNode lost) {
        List<TestNode> oldest = cluster.nodes.stream().filter(n -> n != lost).filter(n -> {
            String log = n.agent().logText();
            int at = log.lastIndexOf("ClusterSingletonManager state change [");
            return at >= 0 && log.substring(at, log.indexOf(']', at) + 1).endsWith("-> Oldest]");
        }).toList();
        return oldest.size() == 1 ? Optional.of(oldest.get(0)) : Optional.empty();
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path p, String text) {
        try {
            Files.writeString(p, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void reload(TestNode n) {
        try {
            n.pg().pgCtl().reload();
        } catch (RuntimeException e) {
            log("reload on " + n.name() + ": " + e.getMessage()); // not running now (fenced, rewinding)
        }
    }

    private TestNode otherThan(TestNode n) {
        List<TestNode> others = cluster.nodes.stream().filter(x -> x != n).toList();
        return others.get(random.nextInt(others.size()));
    }

    private static List<Long> postgresPids(TestNode n) {
        List<Long> pids = new ArrayList<>();
        n.pg().pgCtl().postmasterPid().flatMap(ProcessHandle::of).filter(ProcessHandle::isAlive).ifPresent(pm -> {
            pids.add(pm.pid());
            pm.descendants().forEach(c -> pids.add(c.pid()));
        });
        return pids;
    }

    private void signal(String sig, List<Long> pids) {
        if (pids.isEmpty()) {
            return;
        }
        List<String> argv = new ArrayList<>(List.of("kill", "-" + sig));
        pids.forEach(p -> argv.add(Long.toString(p)));
        try {
            PgTestEnvironment.runner().execute(ExternalCommand.of(Duration.ofSeconds(5), argv));
        } catch (CommandFailedException e) {
            log("kill -" + sig + ": " + e.getMessage());
        }
    }

    /** Every agent runs, then one writable primary with the others streaming from it. */
    private boolean converge() {
        for (TestNode n : cluster.nodes) {
            if (!n.agent().isAlive()) {
                n.agent().start(); // a service manager restarts a downed or killed agent
            }
        }
        try {
            Wait.until("one primary, every other node streaming from it", CONVERGE, () -> {
                for (TestNode n : cluster.nodes) {
                    if (!n.agent().isAlive()) {
                        n.agent().start();
                    }
                }
                Optional<TestNode> p = cluster.onlyWritable();
                return p.isPresent() && cluster.nodes.stream().filter(n -> n != p.get())
                        .allMatch(n -> HaCluster.streamsFrom(n, p.get()));
            });
            return true;
        } catch (AssertionError e) {
            log("not converged: writable " + cluster.writable());
            return false;
        }
    }

    // ---------------------------------------------------------------- the checker

    /**
     * A node's writer acknowledges a write every few tens of ms while its node accepts writes: two consecutive
     * acknowledgements further apart than this are not one period of accepting writes (the node stopped in between).
     */
    static final long CONTINUOUS_NANOS = Duration.ofMillis(1_000).toNanos();

    /**
     * Pairs of nodes where one acknowledged a write sent after the other's acknowledged write and acknowledged before
     * the other's next one, those two no more than {@link #CONTINUOUS_NANOS} apart: both accepted writes in the same
     * period (a primary replaced and later primary again is no violation).
     */
    static int violations(List<Ack> acks, List<String> log) {
        int found = 0;
        java.util.Map<String, List<Ack>> byNode = new java.util.TreeMap<>();
        for (Ack x : acks) {
            byNode.computeIfAbsent(x.node(), k -> new ArrayList<>()).add(x);
        }
        // a node's writer sends its next write only after the last one returned: sorted by acknowledgement, its
        // writes are sorted by sending too, so the first one sent after a moment is also the first acknowledged
        byNode.values().forEach(l -> l.sort(java.util.Comparator.comparingLong(Ack::ackNanos)));
        for (var a : byNode.entrySet()) {
            List<Ack> as = a.getValue();
            for (var b : byNode.entrySet()) {
                if (a.getKey().equals(b.getKey())) {
                    continue;
                }
                List<Ack> bs = b.getValue();
                for (int i = 0; i + 1 < bs.size(); i++) {
                    Ack before = bs.get(i);
                    Ack after = bs.get(i + 1);
                    if (after.ackNanos() - before.ackNanos() > CONTINUOUS_NANOS) {
                        continue;
                    }
                    int first = firstSentAfter(as, before.ackNanos());
                    if (first < as.size() && after.sentNanos() - as.get(first).ackNanos() > 0) {
                        found++;
                        if (found <= 5) {
                            log.add("VIOLATION: " + a.getKey() + " acknowledged id " + as.get(first).id() + " between "
                                    + b.getKey() + "'s ids " + before.id() + " and " + after.id());
                        }
                    }
                }
            }
        }
        return found;
    }

    /** The index of the first of {@code sorted} sent after {@code nanos} (its size when none is). */
    private static int firstSentAfter(List<Ack> sorted, long nanos) {
        int lo = 0;
        int hi = sorted.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted.get(mid).sentNanos() - nanos > 0) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /** Acknowledged ids missing on the final primary. */
    private long lost() {
        Optional<TestNode> p = cluster.onlyWritable();
        if (p.isEmpty()) {
            log("no single primary at the end: lost rows not counted");
            return -1;
        }
        List<Ack> known = List.copyOf(acks); // before the read: a write acknowledged after it may not be in it
        Set<Long> present = new HashSet<>();
        try (var c = HaCluster.connect(p.get(), 5); var st = c.createStatement(); var rs = st.executeQuery("SELECT id FROM chaos")) {
            while (rs.next()) {
                present.add(rs.getLong(1));
            }
        } catch (java.sql.SQLException e) {
            log("cannot read the final primary's rows: " + e.getMessage());
            return -1;
        }
        return known.stream().filter(a -> !present.contains(a.id())).count();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms); // the length of a fault, not a wait for a state
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
