package org.pgsteward.agent.ops;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.pgsteward.agent.LocalNode;
import org.pgsteward.agent.exec.CommandFailedException;
import org.pgsteward.agent.metadata.RegisteredNode;
import org.pgsteward.agent.postgres.Conninfo;
import org.pgsteward.agent.postgres.FollowCheck;
import org.pgsteward.agent.postgres.PgConfSyntax;
import org.pgsteward.agent.postgres.PgSnapshot;
import org.pgsteward.agent.postgres.Rewind;
import org.pgsteward.agent.postgres.RewindException;
import org.pgsteward.agent.postgres.RewindResult;
import org.pgsteward.agent.postgres.ServerStatus;
import org.pgsteward.agent.postgres.StopMode;
import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.Lsn;
import org.pgsteward.protocol.api.CommandArgs;

/**
 * The steps the supervisor asks of this node (promote, follow, rejoin, restart, synchronous
 * names, switchover halves), run by the NodeAgent like console operations.
 */
public final class ClusterOperations {

    private static final Duration REWIND_TIMEOUT = Duration.ofMinutes(30);

    private final LocalNode node;
    private final NodeOperations ops;
    private final ClusterQueries queries;
    private final StandbySlots slots;

    ClusterOperations(LocalNode node, NodeOperations ops, ClusterQueries queries, StandbySlots slots) {
        this.node = node;
        this.ops = ops;
        this.queries = queries;
        this.slots = slots;
    }

    OperationOutcome run(ClusterStep step, Progress progress) {
        if (step instanceof ClusterStep.Promote p) {
            return promote(p.epoch(), progress);
        } else if (step instanceof ClusterStep.Follow f) {
            return follow(target(f.primaryConninfo()), progress);
        } else if (step instanceof ClusterStep.Rejoin r) {
            return rejoin(target(r.primaryConninfo()), progress);
        } else if (step instanceof ClusterStep.LocalRestart || step instanceof ClusterStep.Resume) {
            return restart(progress);
        } else if (step instanceof ClusterStep.SetSync s) {
            return setSync(s.names(), progress);
        } else if (step instanceof ClusterStep.StopForSwitchover) {
            return stopForSwitchover(progress);
        }
        ClusterStep.AwaitLsn a = (ClusterStep.AwaitLsn) step;
        return awaitLsn(a.lsn(), a.timeout(), progress);
    }

    /** `node rejoin` from the console: the same path as the cluster's rejoin. */
    OperationOutcome rejoin(String primaryConninfo, Progress progress) {
        return rejoin(target(primaryConninfo), progress);
    }

    private Conninfo target(String conninfo) {
        if (conninfo.isBlank()) {
            throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "no upstream conninfo");
        }
        return queries.connections().withCredentials(Conninfo.parse(conninfo));
    }

    private OperationOutcome promote(long epoch, Progress progress) {
        PgSnapshot s = node.probeLocal();
        if (s.isReachable() && !s.inRecovery()) {
            return OperationOutcome.success("already primary at " + s.currentLsn().map(Object::toString).orElse("?"),
                    s.currentLsn());
        }
        long t0 = System.nanoTime();
        try {
            node.pgCtl().promote();
        } catch (CommandFailedException e) {
            throw new OperationFailure(ExitCode.ERR_NO_RESTART, "promotion failed: " + e.getMessage(), e);
        }
        PgSnapshot after = node.probeLocal();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        ops.promoted();
        // the standbys' slots before they are told to follow (the supervisor does that once this step is done)
        slots.createForStandbys(progress);
        recordPromotion(after, epoch, "promoted by the supervisor (failover or switchover; see cluster event)");
        return OperationOutcome.success("promoted in " + ms + " ms at " + after.currentLsn().map(Object::toString).orElse("?")
                + " on timeline " + after.timeline(), after.currentLsn());
    }

    /** Mirrors the promotion into the SQL metadata (nodes, events); best effort. */
    void recordPromotion(PgSnapshot after, long epoch, String how) {
        int self = node.config().node().id();
        try (Connection c = queries.connections().open(node.conninfo())) {
            if (!queries.schemaExists(c)) {
                return;
            }
            List<RegisteredNode> nodes = queries.metadata().nodes(c);
            Optional<RegisteredNode> old = nodes.stream().filter(RegisteredNode::isActivePrimary).filter(n -> n.id() != self)
                    .findFirst();
            if (old.isPresent()) {
                queries.metadata().promote(c, self, old.get().id());
            } else {
                queries.metadata().promote(c, self);
            }
            queries.metadata().recordEvent(c, self, "standby_promote", true, how + ": promoted on timeline " + after.timeline()
                    + " at " + after.currentLsn().map(Object::toString).orElse("?") + ", epoch " + epoch
                    + old.map(o -> "; previous primary " + o.describe()).orElse(""));
        } catch (SQLException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(ClusterOperations.class).warn("promoted, but recording it in SQL failed: {}",
                    e.getMessage());
        }
    }

    private OperationOutcome follow(Conninfo target, Progress progress) {
        PgSnapshot s = node.probeLocal();
        if (s.isReachable() && s.isStreaming() && s.walReceiver().flatMap(w -> w.senderPort())
                .map(p -> p == target.port()).orElse(false)) {
            return OperationOutcome.success("already streaming from " + target.toConnStringRedacted());
        }
        Optional<FollowCheck> check = ops.checkFollow(target, node.probe(target).inRecovery(), progress);
        if (check.isPresent() && !check.get().canFollow()) {
            // an asynchronous standby that received WAL the promoted node never had cannot switch to its
            // timeline: the cluster moved on without that WAL, so it is rewound to the new primary's history
            progress.report("cannot switch timelines (" + check.get().explanation() + "): rewinding to the new primary");
            org.slf4j.LoggerFactory.getLogger(ClusterOperations.class).warn("follow: {}; rewinding",
                    check.get().explanation());
            return stopAndRewind(target, progress);
        }
        try {
            return ops.followTarget(target, progress, FOLLOW_BEFORE_REWIND);
        } catch (OperationFailure e) {
            if (e.exitCode() != ExitCode.ERR_TIMEOUT) {
                throw e;
            }
            // a standby that received WAL the new primary never had (an asynchronous one ahead of the promoted
            // synchronous one) cannot switch timelines: rewind it to the new primary
            progress.report("not streaming after " + FOLLOW_BEFORE_REWIND.toSeconds() + " s: rewinding to the new primary");
            org.slf4j.LoggerFactory.getLogger(ClusterOperations.class).warn("follow: {}; rewinding", e.getMessage().lines()
                    .findFirst().orElse(""));
            return stopAndRewind(target, progress);
        }
    }

    /** Stops this standby, rewinds it to {@code source}'s history, starts it as its standby, waits until it streams. */
    OperationOutcome stopAndRewind(Conninfo source, Progress progress) {
        long t0 = System.nanoTime();
        try {
            node.pgCtl().stop(StopMode.FAST);
        } catch (CommandFailedException e) {
            throw new OperationFailure(ExitCode.ERR_NO_RESTART, "cannot stop this standby before pg_rewind: "
                    + e.getMessage(), e);
        }
        return rewindAndStart(source, progress, t0);
    }

    /** How long a re-pointed standby may take to stream before it is rewound instead. */
    private static final Duration FOLLOW_BEFORE_REWIND = Duration.ofSeconds(10);

    private OperationOutcome rejoin(Conninfo source, Progress progress) {
        long t0 = System.nanoTime();
        OperationOutcome outcome = null;
        if (node.pgCtl().status() == ServerStatus.RUNNING) {
            PgSnapshot s = node.probeLocal();
            if (s.isReachable() && s.inRecovery()) {
                outcome = follow(source, progress);
            } else {
                progress.report("stopping the local PostgreSQL (a former primary) before pg_rewind");
                node.pgCtl().stopOrKill(StopMode.FAST, Duration.ofSeconds(30));
            }
        }
        if (outcome == null) {
            outcome = rewindAndStart(source, progress, t0);
        }
        // the slots it kept as primary (pg_rewind leaves pg_replslot alone) would hold WAL here for ever
        slots.dropStale(progress);
        return outcome;
    }

    private OperationOutcome rewindAndStart(Conninfo source, Progress progress, long t0) {
        var rewind = new Rewind(node.binaries(), node.runner(), node.osUser(), REWIND_TIMEOUT)
                .withConfigFile(Optional.of(node.pgCtl().configFile()).filter(f -> !f.startsWith(node.dataDir())));
        RewindResult r;
        Optional<String> slot = slots.ensureOnUpstream(source, progress);
        try {
            r = rewind.rewind(node.dataDir(), source, node.config().node().name(), slot, progress::report);
        } catch (RewindException e) {
            throw new OperationFailure(e.exitCode(), "rejoin: " + e.getMessage(), e);
        }
        progress.report((r.rewound() ? "rewound" : "no rewind needed") + " in " + r.took().toMillis() + " ms");
        ops.setPort();
        try {
            node.pgCtl().start();
        } catch (CommandFailedException e) {
            throw new OperationFailure(ExitCode.ERR_NO_RESTART, "rejoin: cannot start as a standby: " + e.getMessage(), e);
        }
        PgSnapshot s = ops.awaitStreaming(Optional.of(source), progress);
        return OperationOutcome.success("rejoined as a standby of " + source.toConnStringRedacted() + " in "
                + (System.nanoTime() - t0) / 1_000_000 + " ms (received " + s.receivedLsn().map(Object::toString).orElse("?") + ")",
                s.receivedLsn());
    }

    /** How long a started server has to answer SQL before its restart counts as failed. */
    static final Duration RESTART_ANSWER_WAIT = Duration.ofSeconds(10);

    /**
     * Starts the local server unless it runs; done only once it answers SQL, not when pg_ctl says it runs (issue 8
     * point 5: a hung primary's "restart" found it running, counted that as done, and its agent never gave up).
     */
    private OperationOutcome restart(Progress progress) {
        if (node.pgCtl().status() == ServerStatus.RUNNING) {
            PgSnapshot s = node.probeLocal();
            if (s.isReachable()) {
                return OperationOutcome.success("already running, answers SQL");
            }
            throw new OperationFailure(ExitCode.ERR_NO_RESTART, "running (pg_ctl status) but not answering SQL: "
                    + s.error().orElse(s.reachability().toString()));
        }
        long t0 = System.nanoTime();
        try {
            node.pgCtl().start();
        } catch (CommandFailedException e) {
            throw new OperationFailure(ExitCode.ERR_NO_RESTART, "restart failed: " + e.getMessage(), e);
        }
        long started = (System.nanoTime() - t0) / 1_000_000;
        PgSnapshot s = awaitAnswer(RESTART_ANSWER_WAIT);
        if (!s.isReachable()) {
            throw new OperationFailure(ExitCode.ERR_NO_RESTART, "started in " + started + " ms, but it does not answer SQL"
                    + " within " + RESTART_ANSWER_WAIT.toSeconds() + " s: " + s.error().orElse(s.reachability().toString()));
        }
        return OperationOutcome.success("started in " + started + " ms, answers SQL after "
                + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

    /** Probes the local server until it answers SQL or {@code within} has passed; the last probe. */
    private PgSnapshot awaitAnswer(Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            PgSnapshot s = node.probeLocal();
            if (s.isReachable() || System.nanoTime() - deadline > 0) {
                return s;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return s;
            }
        }
    }

    private OperationOutcome setSync(List<String> names, Progress progress) {
        List<String> quoted = quoteNames(names);
        String value = quoted.isEmpty() ? "" : "FIRST 1 (" + String.join(", ", quoted) + ")";
        try (Connection c = queries.connections().open(node.conninfo()); Statement st = c.createStatement()) {
            st.execute("ALTER SYSTEM SET synchronous_standby_names = " + PgConfSyntax.quote(value));
            st.execute("SELECT pg_reload_conf()");
        } catch (SQLException e) {
            throw Connections.failure("setting synchronous_standby_names", e);
        }
        return OperationOutcome.success("synchronous_standby_names = '" + value + "'");
    }

    private static List<String> quoteNames(List<String> names) {
        return names.stream().map(String::strip).filter(n -> !n.isEmpty())
                .map(n -> "\"" + n.replace("\"", "\"\"") + "\"").toList();
    }

    private OperationOutcome stopForSwitchover(Progress progress) {
        try (Connection c = queries.connections().open(node.conninfo()); Statement st = c.createStatement()) {
            st.execute("CHECKPOINT");
        } catch (SQLException e) {
            throw Connections.failure("checkpoint before switchover", e);
        }
        try {
            node.pgCtl().stop(StopMode.FAST);
        } catch (CommandFailedException e) {
            throw new OperationFailure(ExitCode.ERR_OPERATION_FAILED, "clean stop failed: " + e.getMessage(), e);
        }
        Optional<Lsn> lsn = node.checkpointLsn().map(Lsn::parse);
        return OperationOutcome.success("stopped cleanly; final checkpoint at " + lsn.map(Lsn::toString).orElse("?"), lsn);
    }

    private OperationOutcome awaitLsn(Lsn want, Duration timeout, Progress progress) {
        long timeoutMs = timeout.toMillis();
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            PgSnapshot s = node.probeLocal();
            Optional<Lsn> got = s.receivedLsn().or(s::replayedLsn);
            if (got.isPresent() && got.get().compareTo(want) >= 0) {
                return OperationOutcome.success("received up to " + got.get() + " (>= " + want + ")", got);
            }
            if (Instant.now().isAfter(deadline)) {
                throw new OperationFailure(ExitCode.ERR_TIMEOUT, "received only " + got.map(Object::toString).orElse("?")
                        + " of " + want + " after " + timeoutMs + " ms");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new OperationFailure(ExitCode.ERR_OPERATION_FAILED, "interrupted");
            }
        }
    }
}
