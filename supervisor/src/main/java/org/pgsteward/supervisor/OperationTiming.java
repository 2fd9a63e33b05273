package org.pgsteward.supervisor;

import java.time.Duration;

/**
 * Published on the local actor system's event stream when a failover or switchover has promoted its new primary, for
 * the metrics of the agent hosting the supervisor (the supervisor knows when the failure was first seen).
 *
 * @param switchover a planned switchover; else a failover
 * @param took       failover: from the primary's failure first seen (or the decision) to the promotion; switchover:
 *                   from its start to the promotion
 */
public record OperationTiming(boolean switchover, Duration took) {}
