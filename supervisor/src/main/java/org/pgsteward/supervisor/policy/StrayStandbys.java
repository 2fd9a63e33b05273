package org.pgsteward.supervisor.policy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.pgsteward.protocol.cluster.NodeReport;
import org.pgsteward.protocol.cluster.PgState;

/**
 * Standbys that do not stream from the primary of the epoch, found while no promotion runs: a follow lost with the
 * supervisor that sent it (its host lost during the failover), a promotion whose step failed although the server
 * came up as primary, a standby left pointing at a former primary. Pure, like {@link FailoverPolicy}: the supervisor
 * passes the snapshot, since when each standby was seen away from the primary, and the time; it gets back the new
 * "since" map and the standbys to tell to follow, each with the reason for {@code cluster event}.
 *
 * <p>The rules: only in automatic mode, not paused, while the primary of the epoch reports itself running as primary
 * in it (fresh). A standby counts when its fresh report says its PostgreSQL runs as a standby in the epoch and it does
 * not stream from one of the primary's addresses; it is told to follow once it has counted for {@code after} without
 * a break, and again every {@code after} while it still does.
 */
public final class StrayStandbys {

    private StrayStandbys() {}

    /** A standby to tell to follow the primary, and why. */
    public record Stray(int nodeId, String why) {}

    /** The standbys seen away from the primary since when (nanoTime), and those to tell now. */
    public record Result(Map<Integer, Long> awaySince, List<Stray> follow) {}

    public static Result check(PolicyConfig config, ClusterSnapshot snapshot, Map<Integer, Long> awaySince, long nowNanos,
                               Duration after) {
        Result none = new Result(Map.of(), List.of());
        if (config.mode() != PolicyConfig.Mode.AUTOMATIC || snapshot.paused()) {
            return none;
        }
        Optional<NodeView> primary = snapshot.primary();
        Optional<NodeReport> p = primary.flatMap(n -> FailoverPolicy.freshReport(config, n, nowNanos));
        if (p.isEmpty() || p.get().pg() != PgState.PRIMARY || p.get().acceptedEpoch() != snapshot.epoch()) {
            return none;
        }
        List<PgEndpoint> primaryEndpoints = PgEndpoint.fromConninfo(p.get().conninfo());
        Map<Integer, Long> since = new HashMap<>();
        List<Stray> follow = new ArrayList<>();
        for (NodeView node : snapshot.nodes()) {
            if (node.id() == primary.get().id()) {
                continue;
            }
            Optional<NodeReport> fresh = FailoverPolicy.freshReport(config, node, nowNanos);
            if (fresh.isEmpty() || fresh.get().witness() || fresh.get().pg() != PgState.STANDBY
                    || fresh.get().acceptedEpoch() != snapshot.epoch()) {
                continue; // not a standby running in this epoch now: nothing to tell it
            }
            Optional<String> from = fresh.get().streamingFrom();
            boolean fromPrimary = from.flatMap(PgEndpoint::fromHostPort).filter(primaryEndpoints::contains).isPresent();
            if (fromPrimary) {
                continue;
            }
            long away = awaySince.getOrDefault(node.id(), nowNanos);
            if (nowNanos - away >= after.toNanos()) {
                follow.add(new Stray(node.id(), node.name() + " (node " + node.id() + ") "
                        + from.map(f -> "streams from " + f + ", not from the primary").orElse("does not stream")
                        + " for " + FailoverPolicy.fmt(nowNanos - away) + ": telling it to follow the primary "
                        + primary.get().name() + " (node " + primary.get().id() + ") of epoch " + snapshot.epoch()));
                away = nowNanos;
            }
            since.put(node.id(), away);
        }
        return new Result(Map.copyOf(since), List.copyOf(follow));
    }
}
