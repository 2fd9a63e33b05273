package org.pgsteward.agent.cluster;

import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What the cluster link needs to know about this node and its policy.
 *
 * @param conninfo        this node's conninfo without its password (others connect with it)
 * @param automatic       failover.mode = automatic: lease fencing, local restarts, auto-rejoin
 * @param lease           the primary lease
 * @param leaseMargin     clock-rate drift and delivery margin a voter adds before voting against a primary
 * @param fenceLead       the primary fences this long before its lease would run out (time to stop)
 * @param renewInterval   how often the lease is renewed and a report sent
 * @param standbyDataDir  whether the local data directory is configured as a standby (standby.signal / recovery.conf)
 * @param configuredUpstream "host=H port=P" of the primary_conninfo in the local standby configuration, if any
 * @param mayServeWrites  whether a postmaster that may serve writes runs in the local data directory, from files and
 *                        processes only (no SQL session: a server out of connection slots still commits)
 * @param guard           tells the fence guard outside this JVM until when this node may be a writable primary
 * @param expectedMembers the configured seed nodes: a majority is never counted of fewer members than this, so a
 *                        member that started alone cannot form a "majority" of one
 * @param reportStaleAfter how long the supervisor waits for a report before it counts an agent as failed; a standby
 *                        counts the primary's agent as silent this long after its last lease request
 * @param failoverTimeout failover.timeout: a local server that stalls (no answer, its postmaster does not run) for
 *                        less is not hung; a hung primary is fenced after this plus the restart budget
 * @param postmasterSample the live local postmaster as /proc shows it now (empty: none alive), without SQL
 */
public record ClusterLinkSettings(int nodeId, String nodeName, int priority, boolean witness, String conninfo,
                                  boolean automatic, boolean autoRejoin, Duration lease, Duration leaseMargin,
                                  Duration fenceLead, Duration renewInterval, int restartAttempts, Duration restartBackoff,
                                  Duration rejoinBackoff, PrimaryProbe primaryProbe, BooleanSupplier standbyDataDir,
                                  BooleanSupplier hasData, Supplier<Optional<String>> configuredUpstream,
                                  int expectedMembers, LeaseStatus leaseStatus, Duration reportStaleAfter,
                                  BooleanSupplier mayServeWrites, org.pgsteward.agent.guard.GuardLink guard,
                                  Duration failoverTimeout,
                                  Supplier<Optional<org.pgsteward.agent.postgres.ProcessSample>> postmasterSample) {

    /**
     * How much longer than failover.timeout a hung server is given before its agent gives up and fences it: the span
     * of its restart attempts (the first at once, the others restartBackoff apart: 4 s by default), as a crashed
     * server would get. A hung server is not restarted in place (it cannot be stopped without killing it).
     */
    public Duration restartBudget() {
        return restartBackoff.multipliedBy(Math.max(0, restartAttempts - 1));
    }
}
