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
 * @param promoteRetries  a chosen primary that runs as a standby is told to promote again this often
 * @param promoteRetryAfter between two of those attempts; after the last, another candidate is chosen
 */
public record SupervisorSettings(String cluster, PolicyConfig policy, Duration tick, Duration voteTimeout,
                                 Duration stepTimeout, int expectedMembers, int promoteRetries,
                                 Duration promoteRetryAfter) {

    public static final int DEFAULT_PROMOTE_RETRIES = 3;
    public static final Duration DEFAULT_PROMOTE_RETRY_AFTER = Duration.ofSeconds(5);

    public SupervisorSettings(String cluster, PolicyConfig policy, Duration tick, Duration voteTimeout,
                              Duration stepTimeout, int expectedMembers) {
        this(cluster, policy, tick, voteTimeout, stepTimeout, expectedMembers, DEFAULT_PROMOTE_RETRIES,
                DEFAULT_PROMOTE_RETRY_AFTER);
    }

    public String persistenceId() {
        return "pgsteward-supervisor-" + cluster;
    }
}
