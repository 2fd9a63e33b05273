package org.pgsteward.supervisor.policy;

import java.util.Objects;
import org.pgsteward.protocol.cluster.NodeReport;

/**
 * A report as the supervisor received it.
 *
 * @param receivedAtNanos the supervisor's monotonic clock ({@code System.nanoTime()}) when it arrived;
 *                        agents' clocks are never compared with it
 */
public record ObservedReport(NodeReport report, long receivedAtNanos) {

    public ObservedReport {
        Objects.requireNonNull(report, "report");
    }
}
