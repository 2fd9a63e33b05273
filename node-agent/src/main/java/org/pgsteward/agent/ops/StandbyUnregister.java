package org.pgsteward.agent.ops;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.pgsteward.agent.LocalNode;
import org.pgsteward.agent.cluster.EpochStore;
import org.pgsteward.agent.metadata.MetadataException;
import org.pgsteward.agent.metadata.NodeRegistration;
import org.pgsteward.agent.metadata.RegisteredNode;
import org.pgsteward.agent.postgres.RecoveryConfig;
import org.pgsteward.agent.postgres.RecoverySettings;
import org.pgsteward.agent.postgres.ReplicationSlots;
import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.api.CommandArgs;

/**
 * {@code standby unregister [--node-id ID]}: removes a standby (this node, or the one named) from the cluster's
 * metadata and drops its replication slot on the primary. Refused, with nothing changed, for an unknown node, the
 * primary or a witness, and for another node that still streams through its slot (run it on that node, or stop it).
 * Run on the standby itself, the standby keeps streaming, without a slot.
 */
final class StandbyUnregister {

    /** How long a slot may stay active after its standby was told to stream without it. */
    private static final Duration RELEASE_WAIT = Duration.ofSeconds(15);

    private final LocalNode node;
    private final ClusterQueries queries;
    private final Optional<EpochStore> epochs;

    StandbyUnregister(LocalNode node, ClusterQueries queries, Optional<EpochStore> epochs) {
        this.node = node;
        this.queries = queries;
        this.epochs = epochs;
    }

    OperationOutcome run(CommandArgs args, Progress progress) {
        int self = node.config().node().id();
        int id = args.target().map(StandbyUnregister::nodeId).orElse(self);
        List<RegisteredNode> nodes = queries.registeredNodes();
        RegisteredNode standby = nodes.stream().filter(n -> n.id() == id).findFirst().orElseThrow(() ->
                new OperationFailure(ExitCode.ERR_BAD_CONFIG, "node " + id + " is not registered in cluster "
                        + node.config().cluster() + (nodes.isEmpty() ? "" : " (registered: " + nodes.stream()
                        .map(RegisteredNode::describe).collect(Collectors.joining(", ")) + ")") + "; nothing was changed"));
        if (standby.isActivePrimary() || epochs.flatMap(EpochStore::primaryOfCurrentEpoch).equals(Optional.of(id))) {
            throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "standby unregister refused: " + standby.describe()
                    + " is the primary; only a standby is unregistered (make another node primary first). Nothing was"
                    + " changed");
        }
        if (standby.type().equals(NodeRegistration.WITNESS)) {
            throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "standby unregister refused: " + standby.describe()
                    + " is a witness, not a standby. Nothing was changed");
        }
        RegisteredNode primary = queries.findRunningPrimary(nodes).orElseThrow(() -> new OperationFailure(
                ExitCode.ERR_DB_CON, "no registered node runs as a writable primary: the metadata and the slot are"
                + " there. Nothing was changed"));
        String slot = ReplicationSlots.nameFor(id);
        try (Connection c = queries.connections().open(queries.connections().withCredentials(primary.conninfo()))) {
            boolean active = ReplicationSlots.list(c).stream().anyMatch(s -> s.name().equals(slot) && s.active());
            if (active && id != self) {
                throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "standby unregister refused: " + standby.describe()
                        + " still streams through slot " + slot + " on " + primary.describe() + "; run `standby"
                        + " unregister` on that node, or stop its PostgreSQL first. Nothing was changed");
            }
            if (active) {
                streamWithoutSlot(progress);
            }
            queries.metadata().unregisterStandby(c, id);
            ReplicationSlots.Dropped dropped = dropWhenReleased(c, slot);
            queries.metadata().recordEvent(c, id, "standby_unregister", true, "unregistered from cluster "
                    + node.config().cluster() + " (by node " + node.config().node().name() + "); slot " + slot + " "
                    + describe(dropped));
            progress.report("replication slot " + slot + " on " + primary.describe() + " " + describe(dropped));
            return OperationOutcome.success("standby " + standby.describe() + " unregistered from cluster "
                    + node.config().cluster() + "; slot " + slot + " " + describe(dropped));
        } catch (SQLException e) {
            throw Connections.failure("standby unregister", e);
        } catch (MetadataException e) {
            throw new OperationFailure(e.exitCode(), e.getMessage(), e);
        }
    }

    private static int nodeId(String text) {
        try {
            int id = Integer.parseInt(text.strip());
            if (id >= 1) {
                return id;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new OperationFailure(ExitCode.ERR_BAD_CONFIG, "--node-id must be a positive integer, got \"" + text + "\"");
    }

    /** This standby's recovery configuration without the slot, re-read: its WAL receiver lets go of the slot. */
    private void streamWithoutSlot(Progress progress) {
        int major = node.majorVersion();
        Optional<RecoverySettings> current = RecoveryConfig.read(node.dataDir(), major);
        if (current.isEmpty()) {
            return;
        }
        RecoverySettings s = current.get();
        RecoveryConfig.write(node.dataDir(), major, new RecoverySettings(s.primaryConninfo(), Optional.empty(),
                s.recoveryTargetTimeline()));
        node.pgCtl().reload();
        progress.report("this standby streams without a replication slot from now on");
    }

    private static ReplicationSlots.Dropped dropWhenReleased(Connection c, String slot) throws SQLException {
        long deadline = System.nanoTime() + RELEASE_WAIT.toNanos();
        while (true) {
            ReplicationSlots.Dropped d = ReplicationSlots.drop(c, slot);
            if (d != ReplicationSlots.Dropped.ACTIVE || System.nanoTime() - deadline > 0) {
                return d;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return d;
            }
        }
    }

    private static String describe(ReplicationSlots.Dropped d) {
        return switch (d) {
            case DROPPED -> "dropped";
            case ABSENT -> "did not exist";
            case ACTIVE -> "still in use: drop it with pg_drop_replication_slot once its standby stopped";
        };
    }
}
