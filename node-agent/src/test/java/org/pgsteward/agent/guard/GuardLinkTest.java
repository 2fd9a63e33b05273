package org.pgsteward.agent.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuardLinkTest {

    @TempDir
    Path stateDir;

    private GuardLink.Lease lease() {
        return GuardLink.read(stateDir).orElseThrow();
    }

    @Test
    void givenPrimary_whenDeadlineMovesLessThan20ms_thenFileKept_andMoreThan20ms_thenRewritten() {
        var link = new GuardLink(stateDir, Duration.ofSeconds(3));
        link.primaryUntil(1_000_000_000L);
        link.primaryUntil(1_000_000_000L + Duration.ofMillis(15).toNanos());
        assertEquals(new GuardLink.Lease(true, 1_000_000_000L), lease());

        link.primaryUntil(1_000_000_000L + Duration.ofMillis(25).toNanos());
        assertEquals(new GuardLink.Lease(true, 1_000_000_000L + Duration.ofMillis(25).toNanos()), lease());

        link.notPrimary();
        assertFalse(lease().primary());
    }

    @Test
    void givenNoPromiseYet_whenAnEarlierIncarnationLeftADeadline_thenItStays() {
        new GuardLink(stateDir, Duration.ofSeconds(3)).primaryUntil(42_000_000_000L);
        var restarted = new GuardLink(stateDir, Duration.ofSeconds(3));

        restarted.primaryUntil(Long.MIN_VALUE / 2 - 250_000_000L); // what ClusterLink passes without promises

        assertEquals(new GuardLink.Lease(true, 42_000_000_000L), lease());
    }

    @Test
    void givenNoGuardRanAtAgentStart_whenTheFileNamesADeadline_thenItIsNotInherited() {
        // a reboot (or a guard that had died): the deadline is on another boot's monotonic clock, meaningless here
        new GuardLink(stateDir, Duration.ofSeconds(3)).primaryUntil(Long.MAX_VALUE / 2);
        var afterReboot = new GuardLink(stateDir, Duration.ofSeconds(3), false);
        assertEquals(java.util.Optional.empty(), afterReboot.primaryDeadlineNanos(), "nothing inherited");

        long before = System.nanoTime();
        afterReboot.primaryUntil(Long.MIN_VALUE / 2 - 250_000_000L);
        assertTrue(lease().deadlineNanos() - before <= Duration.ofSeconds(4).toNanos(), "one lease from now: " + lease());
    }

    @Test
    void givenNoPromiseAndNoDeadline_thenTheGuardGetsOneLeaseFromNow() {
        var link = new GuardLink(stateDir, Duration.ofSeconds(3));
        long before = System.nanoTime();
        link.primaryUntil(Long.MIN_VALUE / 2 - 250_000_000L);
        long d = lease().deadlineNanos();
        assertTrue(lease().primary());
        assertTrue(d - before >= Duration.ofSeconds(3).toNanos() && d - System.nanoTime() <= Duration.ofSeconds(3).toNanos());
    }

    @Test
    void givenUnwritableStateDir_thenNoException() throws Exception {
        var link = new GuardLink(stateDir.resolve("missing"), Duration.ofSeconds(3));
        link.primaryUntil(1L);
        link.notPrimary();
        assertFalse(Files.exists(stateDir.resolve("missing")));
    }

    @Test
    void leaseFileFormat() {
        assertEquals(new GuardLink.Lease(true, -5), GuardLink.Lease.parse("primary -5\n"));
        assertFalse(GuardLink.Lease.parse("standby\n").primary());
    }
}
