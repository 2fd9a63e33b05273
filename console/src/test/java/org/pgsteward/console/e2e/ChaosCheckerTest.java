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

    @Test
    void givenAWriteInFlightAcrossTheHandOver_thenNoViolation() {
        // node2's write 3 was sent before node1's last acknowledgement but acknowledged after node1's next write was
        // sent: the two periods touch, they do not overlap
        List<Chaos.Ack> acks = List.of(ack("node1", 1, 0, 20), ack("node2", 2, 10, 15), ack("node2", 3, 30, 200),
                ack("node1", 4, 100, 120), ack("node2", 5, 2_000, 2_020));

        assertEquals(0, Chaos.violations(acks, new ArrayList<>()));
    }

    @Test
    void givenManyAcknowledgements_thenOnlyTheWriteBetweenTwoOfAnotherNodeIsAViolation() {
        List<Chaos.Ack> acks = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            acks.add(ack("node1", i, i * 40L, i * 40L + 20));
        }
        acks.add(ack("node2", 20_000, 100_001, 100_002)); // while node1's write 2500 is in flight: not an overlap
        acks.add(ack("node2", 20_001, 100_021, 100_022)); // between node1's 2500 (acknowledged 100020) and 2501

        assertEquals(1, Chaos.violations(acks, new ArrayList<>()));
    }
}
