package org.pgsteward.agent.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LagHistoryTest {

    private static LagHistory.Sample at(long millis, long bytes, double seconds) {
        return new LagHistory.Sample(millis, Optional.of(bytes), Optional.of(seconds));
    }

    @Test
    void givenSamplesOfTwoStandbys_whenRead_thenEachItsOwnSeriesOldestFirstWithUnknownsAsNull() {
        var h = new LagHistory();
        h.add(Map.of(2, at(1000, 10, 0.5), 3, at(1000, 20, 1.0)));
        h.add(Map.of(2, new LagHistory.Sample(2000, Optional.empty(), Optional.empty())));
        h.add(Map.of(2, at(3000, 30, 1.5)));
        var series = h.series(3000);
        assertEquals(2, series.size());
        assertEquals(new LagHistory.NodeSeries(2, List.of(1000L, 2000L, 3000L), Arrays.asList(10L, null, 30L),
                Arrays.asList(0.5, null, 1.5)), series.get(0));
        assertEquals(new LagHistory.NodeSeries(3, List.of(1000L), List.of(20L), List.of(1.0)), series.get(1));
    }

    @Test
    void givenSamplesOlderThanAnHour_whenRead_thenLeftOut() {
        var h = new LagHistory();
        long hour = LagHistory.WINDOW.toMillis();
        h.add(Map.of(2, at(0, 1, 0)));
        h.add(Map.of(2, at(hour, 2, 0)));
        assertEquals(List.of(hour), h.series(hour + 1).get(0).atMillis());
        assertEquals(List.of(), h.series(3 * hour));
    }

    @Test
    void givenMoreSamplesThanTheRingHolds_whenRead_thenTheNewestCapacityKept() {
        var h = new LagHistory();
        int n = LagHistory.CAPACITY + 5;
        for (int i = 0; i < n; i++) {
            h.add(Map.of(2, at(i, i, 0)));
        }
        var s = h.series(n).get(0);
        assertEquals(LagHistory.CAPACITY, s.atMillis().size());
        assertEquals(5L, s.atMillis().get(0));
        assertEquals((long) n - 1, s.bytes().get(s.bytes().size() - 1));
    }
}
