package org.pgsteward.console.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The chaos checker's rule for "at most one node accepted writes at any moment". */
class ChaosCheckerTest {

    private static final long MS = 1_000_000L;

    private static Chaos.Ack ack(String node, long id, long sentMs, long ackMs) {
        return new Chaos.Ack(node, id, sentMs * MS, ackMs * MS);
    }

    @Test
    void givenAPrimaryReplacedAndLaterPrimaryAgain_thenNoViolation() {
        List<Chaos.Ack> acks = List.of(ack("node1", 1, 0, 20), ack("node2", 2, 5_000, 5_020), ack("node1", 3, 20_000, 20_020));

        assertEquals(0, Chaos.violations(acks, new ArrayList<>()));
    }

    @Test
    void givenTwoNodesAcknowledgingInTheSamePeriod_thenAViolation() {
        List<Chaos.Ack> acks = List.of(ack("node1", 1, 0, 20), ack("node2", 2, 40, 60), ack("node1", 3, 80, 100));

        assertEquals(1, Chaos.violations(acks, new ArrayList<>()));
    }
}
