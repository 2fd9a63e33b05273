package org.pgsteward.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.pgsteward.protocol.cluster.ClusterRecord;
import org.pgsteward.protocol.cluster.RecordReply;
import org.pgsteward.protocol.cluster.StoredRecord;

class ClusterRecordKeeperTest {

    private static ClusterRecord record(long epoch, boolean paused) {
        return new ClusterRecord(epoch, 1, paused, List.of(), List.of(), Optional.empty());
    }

    private static RecordReply prepared(int node, long term, Optional<StoredRecord> stored) {
        return new RecordReply(node, term, 0, true, term, stored, "");
    }

    @Test
    void givenPrepareAnswersFromAMajority_thenTheNewestCopyIsAdopted_andATermAboveEveryPromiseIsUsed() {
        var k = new ClusterRecordKeeper();
        long term = k.startPrepare(4, 0);
        assertEquals(5, term);

        assertEquals(Optional.empty(), k.prepareAnswered(prepared(1, 5, Optional.of(new StoredRecord(3, 9, record(2, false)))), 2));
        var read = k.prepareAnswered(prepared(2, 5, Optional.of(new StoredRecord(4, 1, record(3, true)))), 2);

        assertEquals(Optional.of(Optional.of(new StoredRecord(4, 1, record(3, true)))), read, "term 4 beats term 3's seq 9");
        assertTrue(k.prepared());
    }

    @Test
    void givenARefusedPrepare_thenTheNextOneTakesATermAboveTheRefusal() {
        var k = new ClusterRecordKeeper();
        long term = k.startPrepare(0, 0);
        k.prepareAnswered(new RecordReply(1, term, 0, false, 7, Optional.empty(), "older term"), 2);

        assertEquals(8, k.startPrepare(0, 1));
    }

    @Test
    void givenWrites_thenAVersionIsInEffectOnceAMajorityStoredIt_andItsCallbacksRunThen() {
        var k = new ClusterRecordKeeper();
        long term = k.startPrepare(0, 0);
        k.prepareAnswered(prepared(1, term, Optional.empty()), 2);
        k.prepareAnswered(prepared(2, term, Optional.empty()), 2);
        StoredRecord v1 = k.toSend(record(1, true), 0, 2).orElseThrow();
        List<String> ran = new ArrayList<>();
        k.whenEffective(() -> ran.add("paused"), 2);

        k.storeAnswered(new RecordReply(1, term, v1.seq(), true, term, Optional.empty(), ""), 2).forEach(Runnable::run);
        assertEquals(List.of(), ran, "one of three is no majority");
        k.storeAnswered(new RecordReply(3, term, v1.seq(), true, term, Optional.empty(), ""), 2).forEach(Runnable::run);

        assertEquals(List.of("paused"), ran);
        assertEquals(v1.seq(), k.effectiveSeq(2));
        assertEquals(Optional.empty(), k.toSend(record(1, true), 1, 2), "unchanged and in effect: nothing to send");
        List<String> now = new ArrayList<>();
        k.whenEffective(() -> now.add("at once"), 2);
        assertEquals(List.of("at once"), now, "already in effect");
    }
}
