package org.pgsteward.agent.cluster;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LeaseStateTest {

    private static final long MS = 1_000_000L;

    @Test
    void givenPromisesFromAMajority_thenHeldUntilTheirSendTimePlusLease() {
        var lease = new LeaseState(3_000 * MS, 230 * MS);
        lease.requestSent(1, 1_000 * MS);
        lease.promised(1, 1, 3_000 * MS);
        lease.promised(2, 1, 3_000 * MS);

        assertTrue(lease.held(3_999 * MS, 3));
        assertFalse(lease.held(4_000 * MS, 3), "counted from when the request was sent");
        assertFalse(lease.held(1_001 * MS, 5), "two of five is no majority");
    }

    @Test
    void givenAVoterGrantedLessThanOurLease_thenItsPromiseCountsOnlyThatLong() {
        var lease = new LeaseState(3_000 * MS, 230 * MS);
        lease.requestSent(1, 0);
        lease.promised(1, 1, 3_000 * MS);
        lease.promised(2, 1, 1_000 * MS);

        assertTrue(lease.held(999 * MS, 3));
        assertFalse(lease.held(1_000 * MS, 3));
    }

    @Test
    void givenAVoterGrantedMoreThanOurLease_thenOurOwnLeaseCounts() {
        var lease = new LeaseState(1_000 * MS, 210 * MS);
        lease.requestSent(1, 0);
        lease.promised(1, 1, 3_000 * MS);
        lease.promised(2, 1, 3_000 * MS);

        assertFalse(lease.held(1_000 * MS, 3));
    }
}
