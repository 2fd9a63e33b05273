package org.pgsteward.agent.cluster;

import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What the cluster link needs to know about this node and its policy.
 *
 * @param conninfo        this node's conninfo without its password (others connect with it)
 * @param automatic       failover.mode = automatic: lease fencing, local restarts, auto-rejoin
 * @param timings         the lease and every timing derived from it (one place: {@link Timings})
 * @param standbyDataDir  whether the local data directory is configured as a standby (standby.signal / recovery.conf)
 * @param configuredUpstream "host=H port=P" of the primary_conninfo in the local standby configuration, if any
 * @param mayServeWrites  whether a postmaster that may serve writes runs in the local data directory, from files and
 *                        processes only (no SQL session: a server out of connection slots still commits)
 * @param guard           tells the fence guard outside this JVM until when this node may be a writable primary
 * @param expectedMembers the configured seed nodes: a majority is never counted of fewer members than this, so a
 *                        member that started alone cannot form a "majority" of one
 * @param postmasterSample the live local postmaster as /proc shows it now (empty: none alive), without SQL
 */
public record ClusterLinkSettings(int nodeId, String nodeName, int priority, boolean witness, String conninfo,
                                  boolean automatic, boolean autoRejoin, Timings timings,
                                  PrimaryProbe primaryProbe, BooleanSupplier standbyDataDir,
                                  BooleanSupplier hasData, Supplier<Optional<String>> configuredUpstream,
                                  int expectedMembers, LeaseStatus leaseStatus,
                                  BooleanSupplier mayServeWrites, org.pgsteward.agent.guard.GuardLink guard,
                                  Supplier<Optional<org.pgsteward.agent.postgres.ProcessSample>> postmasterSample) {

}
