package org.pgsteward.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.pgsteward.agent.postgres.PgSnapshot;
import org.pgsteward.agent.postgres.Reachability;
import org.pgsteward.agent.postgres.StandbyInfo;
import org.pgsteward.protocol.Lsn;

class StandbyLagTest {

    private static PgSnapshot primaryAt(String lsn) {
        return new PgSnapshot(Reachability.REACHABLE, Optional.empty(), Instant.now(), false, 150000, "15", 1,
                Optional.of(Lsn.parse(lsn)), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                List.of(), Optional.empty());
    }

    private static StandbyInfo standby(Optional<String> replay, Optional<Double> lagSeconds) {
        return new StandbyInfo(1, "node2", Optional.empty(), Optional.of("streaming"), Optional.empty(), Optional.empty(),
                Optional.empty(), replay.map(Lsn::parse), Optional.of("async"), lagSeconds);
    }

    @Test
    void givenAStandbyBehind_thenBytesAreThePrimarysPositionMinusItsReplayAndSecondsItsReplayLag() {
        var sb = standby(Optional.of("0/2000000"), Optional.of(1.5));
        assertEquals(Optional.of((double) 0x1000000), StandbyLag.bytes(primaryAt("0/3000000"), sb));
        assertEquals(Optional.of(1.5), StandbyLag.seconds(primaryAt("0/3000000"), sb));
    }

    @Test
    void givenNoReplayLagShown_thenZeroSecondsOnlyWhenCaughtUp() {
        var caughtUp = standby(Optional.of("0/3000000"), Optional.empty());
        var behind = standby(Optional.of("0/2000000"), Optional.empty());
        assertEquals(Optional.of(0.0), StandbyLag.seconds(primaryAt("0/3000000"), caughtUp));
        assertEquals(Optional.empty(), StandbyLag.seconds(primaryAt("0/3000000"), behind));
    }

    @Test
    void givenNoReplayPosition_thenNoLag() {
        var unknown = standby(Optional.empty(), Optional.empty());
        assertEquals(Optional.empty(), StandbyLag.bytes(primaryAt("0/3000000"), unknown));
        assertEquals(Optional.empty(), StandbyLag.seconds(primaryAt("0/3000000"), unknown));
    }
}
