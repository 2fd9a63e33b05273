package org.pgsteward.supervisor.policy;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The knobs of {@link FailoverPolicy}.
 *
 * @param mode             AUTOMATIC promotes; MANUAL only reports what it would do
 * @param maxLagBytes      a standby further behind than this is not a candidate; empty = no limit
 * @param synchronous      only a standby the primary last listed as synchronous may be promoted
 * @param failoverTimeout  how long the primary must look failed, continuously, before anything is done
 * @param leaseDuration    the primary lease the supervisor grants
 * @param leaseMargin      added to a lease's expiry before it counts as surely expired (clock-rate drift,
 *                         message delivery)
 * @param reportStaleAfter a report older than this counts as its agent being unreachable
 */
public record PolicyConfig(
        Mode mode,
        Optional<Long> maxLagBytes,
        boolean synchronous,
        Duration failoverTimeout,
        Duration leaseDuration,
        Duration leaseMargin,
        Duration reportStaleAfter) {

    public enum Mode { AUTOMATIC, MANUAL }

    /** Blips shorter than this never cause a failover (DESIGN, safety model 3). */
    public static final Duration DEFAULT_FAILOVER_TIMEOUT = Duration.ofSeconds(3);
    public static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(10);
    public static final Duration DEFAULT_LEASE_MARGIN = Duration.ofSeconds(2);
    public static final Duration DEFAULT_REPORT_STALE_AFTER = Duration.ofSeconds(5);

    public PolicyConfig {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(maxLagBytes, "maxLagBytes");
        maxLagBytes.ifPresent(max -> {
            if (max < 0) {
                throw new IllegalArgumentException("maxLagBytes must be >= 0, was " + max);
            }
        });
        requireNotNegative("failoverTimeout", failoverTimeout);
        requirePositive("leaseDuration", leaseDuration);
        requireNotNegative("leaseMargin", leaseMargin);
        requirePositive("reportStaleAfter", reportStaleAfter);
    }

    /** Automatic, asynchronous, no lag limit, default timings. */
    public static PolicyConfig defaults() {
        return new PolicyConfig(Mode.AUTOMATIC, Optional.empty(), false, DEFAULT_FAILOVER_TIMEOUT,
                DEFAULT_LEASE_DURATION, DEFAULT_LEASE_MARGIN, DEFAULT_REPORT_STALE_AFTER);
    }

    public PolicyConfig withMode(Mode newMode) {
        return new PolicyConfig(newMode, maxLagBytes, synchronous, failoverTimeout, leaseDuration, leaseMargin,
                reportStaleAfter);
    }

    public PolicyConfig withMaxLagBytes(Optional<Long> newMaxLagBytes) {
        return new PolicyConfig(mode, newMaxLagBytes, synchronous, failoverTimeout, leaseDuration, leaseMargin,
                reportStaleAfter);
    }

    public PolicyConfig withSynchronous(boolean newSynchronous) {
        return new PolicyConfig(mode, maxLagBytes, newSynchronous, failoverTimeout, leaseDuration, leaseMargin,
                reportStaleAfter);
    }

    private static void requireNotNegative(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, was " + d);
        }
    }

    private static void requirePositive(String name, Duration d) {
        requireNotNegative(name, d);
        if (d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive");
        }
    }
}
