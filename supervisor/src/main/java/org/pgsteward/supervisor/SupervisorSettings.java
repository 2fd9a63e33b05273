package org.pgsteward.supervisor;

import java.time.Duration;
import org.pgsteward.supervisor.policy.PolicyConfig;

/**
 * How the supervisor runs.
 *
 * @param cluster      cluster name (part of the persistence id)
 * @param policy       the failover policy's settings (mode, lease, timeouts, max lag, synchronous)
 * @param tick         how often the supervisor re-evaluates the cluster
 * @param voteTimeout  a promotion attempt without a majority of votes by then is abandoned
 * @param stepTimeout  a promote/follow step without an answer by then counts as failed
 * @param expectedMembers the configured seed nodes: majorities are never counted of fewer members
 */
public record SupervisorSettings(String cluster, PolicyConfig policy, Duration tick, Duration voteTimeout,
                                 Duration stepTimeout, int expectedMembers) {

    public String persistenceId() {
        return "pgsteward-supervisor-" + cluster;
    }
}
