package org.pgsteward.agent.ui;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * {@code GET /ui/data/status}: what the web status page shows beside {@code cluster show}'s view, all from this agent
 * alone (so it answers while the supervisor does not): its settings, its copy of the cluster record (held by a
 * majority), whether it holds the primary lease, and where the supervisor runs.
 *
 * @param monitorIntervalMillis how often the page asks again
 * @param leaseHeldHere         this agent may let its node write: the primary of its epoch holding the lease (true
 *                              too while no primary is registered), as {@code /primary} reports it
 * @param recordEpoch           the epoch of this agent's copy of the cluster record (0 before any)
 * @param recordPrimaryId       the primary that record names, when it names one
 * @param synchronousSet        synchronous mode: the standbys the record says may have acknowledged a commit
 * @param supervisorAddress     the cluster address of the oldest Up member, where the supervisor singleton runs
 */
public record UiStatus(String cluster, int nodeId, String nodeName, String clusterAddress, long monitorIntervalMillis,
                       String failoverMode, long leaseMillis, long failoverTimeoutMillis, boolean leaseHeldHere,
                       boolean synchronousReplication, long recordEpoch, Optional<Integer> recordPrimaryId,
                       List<String> synchronousSet, boolean recordPaused, Optional<String> supervisorAddress,
                       Instant now) {}
