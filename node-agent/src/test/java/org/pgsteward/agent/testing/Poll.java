package org.pgsteward.agent.testing;

import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Polls a value until a condition holds or a deadline passes: tests wait on conditions, never on fixed sleeps. A poll
 * that throws (a server still starting) counts as "not yet"; the last value and the last error are in the failure.
 */
public final class Poll {

    /** How long between two polls. */
    public static final Duration INTERVAL = Duration.ofMillis(50);

    private Poll() {}

    /** The first value of {@code poll} for which {@code done} holds; an AssertionError naming {@code what} after {@code timeout}. */
    public static <T> T until(String what, Duration timeout, Supplier<T> poll, Predicate<T> done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last = null;
        RuntimeException lastError = null;
        while (true) {
            try {
                last = poll.get();
                lastError = null;
                if (done.test(last)) {
                    return last;
                }
            } catch (RuntimeException e) {
                lastError = e;
            }
            if (System.nanoTime() - deadline > 0) {
                var failure = new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what
                        + "; last value: " + last + (lastError == null ? "" : "; last error: " + lastError));
                if (lastError != null) {
                    failure.addSuppressed(lastError);
                }
                throw failure;
            }
            try {
                Thread.sleep(INTERVAL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }
}
