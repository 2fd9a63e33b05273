package org.pgsteward.supervisor.policy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.pgsteward.protocol.cluster.LocalRecovery;
import org.pgsteward.protocol.cluster.NodeReport;
import org.pgsteward.protocol.cluster.PgState;

/**
 * A mutable, fluent description of a cluster that builds an immutable {@link ClusterSnapshot}.
 *
 * <p>Starts as: pg1 (node 1) primary at 0/5000000 on 10.0.0.1:5432; pg2 (node 2) standby fully caught
 * up; pg3 (node 3) standby 1 MiB behind; witness w (node 4). Everyone reachable, reports 200 ms old,
 * standbys streaming from the primary and reaching it; epoch 7; the last lease expired 30 s ago; the
 * incarnation started an hour ago.
 */
final class ClusterFixture {

    static final long NOW = Duration.ofHours(100).toNanos();
    static final PolicyConfig CONFIG = new PolicyConfig(PolicyConfig.Mode.AUTOMATIC, Optional.empty(), false,
            Duration.ofSeconds(3), Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofSeconds(5));

    /** One node's registration, reachability and report, all editable. */
    static final class Node {
        final int id;
        String name;
        int priority = 100;
        boolean witness;
        boolean noFailover;
        boolean memberReachable = true;
        boolean reported = true;
        long receivedAtNanos = NOW - ms(200);
        PgState pg = PgState.STANDBY;
        LocalRecovery localRecovery = LocalRecovery.NONE;
        String conninfo;
        Optional<String> currentLsn = Optional.empty();
        Optional<String> receivedLsn = Optional.empty();
        Optional<String> replayedLsn = Optional.empty();
        Optional<String> streamingFrom = Optional.empty();
        Optional<Boolean> primaryReachable = Optional.empty();
        List<String> syncStandbys = List.of();
        String detail = "";

        Node(int id, String name, String host) {
            this.id = id;
            this.name = name;
            this.conninfo = "host=" + host + " port=5432 user=repmgr dbname=repmgr";
        }

        Node received(String lsn) {
            receivedLsn = Optional.of(lsn);
            replayedLsn = Optional.of(lsn);
            return this;
        }

        /** The agent is gone: member unreachable and its last report a minute old. */
        Node agentDead() {
            memberReachable = false;
            receivedAtNanos = NOW - sec(60);
            return this;
        }

        /** A standby whose walreceiver lost the primary and whose probe cannot reach it. */
        Node confirmsPrimaryDown() {
            streamingFrom = Optional.empty();
            primaryReachable = Optional.of(false);
            return this;
        }

        NodeView view() {
            RegisteredMember member = new RegisteredMember(id, name, priority, witness, noFailover);
            Optional<ObservedReport> report = reported
                    ? Optional.of(new ObservedReport(new NodeReport(id, name, 1, "inc-" + id, 7, 1, witness, priority,
                    conninfo, pg, localRecovery, Optional.of(1L), currentLsn, receivedLsn, replayedLsn,
                    streamingFrom, primaryReachable, 0, syncStandbys, pg == PgState.PRIMARY, detail, 7, 0), receivedAtNanos))
                    : Optional.empty();
            return new NodeView(member, report, memberReachable);
        }
    }

    private final Map<Integer, Node> nodes = new LinkedHashMap<>();
    long epoch = 7;
    Optional<Integer> primaryId = Optional.of(1);
    boolean paused;
    Optional<Long> leaseExpiresAtNanos = Optional.of(NOW - sec(30));
    long incarnationStartedAtNanos = NOW - sec(3600);
    Optional<Long> failedSince = Optional.empty();
    boolean stateKnown = true;
    /** register the nodes in reverse id order (ranking must not depend on it) */
    boolean reverseOrder;

    ClusterFixture() {
        Node p = add(new Node(1, "pg1", "10.0.0.1"));
        p.pg = PgState.PRIMARY;
        p.currentLsn = Optional.of("0/5000000");
        for (Node s : List.of(add(new Node(2, "pg2", "10.0.0.2")), add(new Node(3, "pg3", "10.0.0.3")))) {
            s.streamingFrom = Optional.of("10.0.0.1:5432");
            s.primaryReachable = Optional.of(true);
        }
        node(2).received("0/5000000");
        node(3).received("0/4F00000");
        Node w = add(new Node(4, "w", "10.0.0.4"));
        w.witness = true;
        w.priority = 0;
        w.pg = PgState.NONE;
    }

    static ClusterFixture cluster() {
        return new ClusterFixture();
    }

    static long ms(long millis) {
        return Duration.ofMillis(millis).toNanos();
    }

    static long sec(long seconds) {
        return Duration.ofSeconds(seconds).toNanos();
    }

    Node add(Node n) {
        nodes.put(n.id, n);
        return n;
    }

    Node node(int id) {
        return nodes.get(id);
    }

    List<Node> standbys() {
        List<Node> out = new ArrayList<>();
        for (Node n : nodes.values()) {
            if (!n.witness && primaryId.map(p -> p != n.id).orElse(true)) {
                out.add(n);
            }
        }
        return out;
    }

    ClusterFixture with(int id, Consumer<Node> change) {
        change.accept(node(id));
        return this;
    }

    ClusterFixture remove(int id) {
        nodes.remove(id);
        return this;
    }

    /** Primary agent and PostgreSQL gone; every standby confirms. Failure first seen {@code agoSeconds} ago. */
    ClusterFixture primaryGone(long agoMillis) {
        node(1).agentDead();
        standbys().forEach(Node::confirmsPrimaryDown);
        failedSince = Optional.of(NOW - ms(agoMillis));
        return this;
    }

    /** The primary failed long enough ago and its lease expired long ago. */
    ClusterFixture primaryGone() {
        return primaryGone(5_000);
    }

    ClusterFixture primaryPg(PgState state, LocalRecovery recovery) {
        node(1).pg = state;
        node(1).localRecovery = recovery;
        return this;
    }

    ClusterFixture standbysConfirm() {
        standbys().forEach(Node::confirmsPrimaryDown);
        return this;
    }

    ClusterFixture failedFor(long millis) {
        failedSince = Optional.of(NOW - ms(millis));
        return this;
    }

    /** Moves every report's receive time by {@code delta} (the whole timeline, e.g. near nanoTime overflow). */
    ClusterFixture nodesShift(long delta) {
        nodes.values().forEach(n -> n.receivedAtNanos += delta);
        return this;
    }

    ClusterFixture failedSinceNow() {
        failedSince = Optional.empty();
        return this;
    }

    ClusterFixture leaseExpiresIn(long millis) {
        leaseExpiresAtNanos = Optional.of(NOW + ms(millis));
        return this;
    }

    ClusterFixture paused() {
        paused = true;
        return this;
    }

    private List<String> recordedSyncSet = List.of();

    /** The synchronous set as the cluster record holds it. */
    ClusterFixture recordedSyncSet(String... names) {
        recordedSyncSet = List.of(names);
        return this;
    }

    ClusterSnapshot snapshot() {
        List<NodeView> views = new ArrayList<>();
        nodes.values().forEach(n -> views.add(n.view()));
        if (reverseOrder) {
            Collections.reverse(views);
        }
        return new ClusterSnapshot(epoch, primaryId, paused, views, leaseExpiresAtNanos, incarnationStartedAtNanos,
                failedSince, stateKnown, recordedSyncSet);
    }
}
