package org.pgsteward.agent.postgres;

import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.pgsteward.agent.postgres.TimelineHistory.Entry;
import org.pgsteward.agent.postgres.TimelineHistory.Position;
import org.pgsteward.protocol.Lsn;

/**
 * Can a standby stream from a new upstream, or does it hold WAL the upstream's history does not
 * contain? The rule is PostgreSQL's own (a standby can switch to a timeline only if that timeline
 * forked off the standby's timeline at or after the standby's position), applied before anything
 * is changed, so that a standby that cannot follow is told so at once with the LSNs involved,
 * instead of retrying every five seconds with "new timeline forked off current database system
 * timeline before current recovery point" in its server log.
 *
 * @param verdict     what to do
 * @param explanation one sentence with timelines and LSNs, for the user and the log
 */
public record FollowCheck(Verdict verdict, String explanation) {

    public enum Verdict {
        /** The upstream's history contains everything this node has: re-pointing it is enough. */
        CAN_FOLLOW,
        /** This node has WAL the upstream never had: only a rewind (or a new clone) makes it a standby of it. */
        DIVERGED,
        /** Another database cluster (another system identifier): only a new clone helps. */
        OTHER_CLUSTER
    }

    public boolean canFollow() {
        return verdict == Verdict.CAN_FOLLOW;
    }

    /**
     * Asks both servers over replication connections.
     *
     * @param local            this node's running standby
     * @param target           the new upstream
     * @param targetInRecovery the upstream is itself a standby (cascading): it may still catch up
     * @return empty, with the reason given to {@code whyNot}, when either server cannot be asked
     *     (no replication access from here, no free WAL sender)
     */
    public static Optional<FollowCheck> ask(Conninfo local, Conninfo target, boolean targetInRecovery,
                                            java.util.function.Consumer<String> whyNot) {
        Position l;
        Position t;
        List<Entry> history;
        try {
            l = TimelineHistory.identify(local);
        } catch (SQLException e) {
            whyNot.accept("this node's position could not be read over a replication connection: " + e.getMessage());
            return Optional.empty();
        }
        try {
            t = TimelineHistory.identify(target);
            history = l.timeline() < t.timeline() ? TimelineHistory.history(target, t.timeline()) : List.of();
        } catch (SQLException e) {
            whyNot.accept("the upstream's timeline history could not be read over a replication connection: "
                    + e.getMessage());
            return Optional.empty();
        }
        return Optional.of(decide(l, t, targetInRecovery, history));
    }

    /**
     * @param history the upstream's timeline history ({@code TIMELINE_HISTORY} of its timeline); only
     *                needed when the upstream is on a later timeline than this node
     */
    static FollowCheck decide(Position local, Position target, boolean targetInRecovery, List<Entry> history) {
        String here = "this node is at " + local.lsn() + " on timeline " + local.timeline();
        if (local.systemIdentifier() != target.systemIdentifier()) {
            return new FollowCheck(Verdict.OTHER_CLUSTER, "the upstream is another database cluster (system identifier "
                    + Long.toUnsignedString(target.systemIdentifier()) + ", this node "
                    + Long.toUnsignedString(local.systemIdentifier()) + ")");
        }
        if (local.timeline() == target.timeline()) {
            if (local.lsn().compareTo(target.lsn()) <= 0 || targetInRecovery) {
                return new FollowCheck(Verdict.CAN_FOLLOW, here + "; the upstream is on the same timeline at "
                        + target.lsn());
            }
            return new FollowCheck(Verdict.DIVERGED, here + ", ahead of the primary on the same timeline (at "
                    + target.lsn() + "): it has " + local.lsn().bytesSince(target.lsn())
                    + " bytes of WAL that primary never had");
        }
        if (local.timeline() > target.timeline()) {
            if (targetInRecovery) {
                return new FollowCheck(Verdict.CAN_FOLLOW, here + "; the upstream, a standby, still replays timeline "
                        + target.timeline() + " and has to catch up first");
            }
            return new FollowCheck(Verdict.DIVERGED, here + ", a later timeline than the primary's "
                    + target.timeline() + ": this node followed a promotion the primary is not part of");
        }
        Optional<Lsn> fork = TimelineHistory.switchpoint(history, local.timeline());
        if (fork.isEmpty()) {
            return new FollowCheck(Verdict.DIVERGED, here + ", which is not part of the upstream's timeline "
                    + target.timeline() + " history");
        }
        if (local.lsn().compareTo(fork.get()) > 0) {
            return new FollowCheck(Verdict.DIVERGED, here + ", but the upstream's timeline " + target.timeline()
                    + " forked off timeline " + local.timeline() + " at " + fork.get() + ": this node has "
                    + local.lsn().bytesSince(fork.get()) + " bytes of WAL after the fork that the upstream never had");
        }
        return new FollowCheck(Verdict.CAN_FOLLOW, here + "; the upstream's timeline " + target.timeline()
                + " forked off it at " + fork.get());
    }
}
