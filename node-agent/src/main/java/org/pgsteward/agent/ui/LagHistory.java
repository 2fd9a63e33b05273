package org.pgsteward.agent.ui;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The replication lag of each standby over the last {@link #WINDOW}, for the charts of the web status page: one
 * bounded ring per node, in memory only (an agent that restarts starts an empty chart). Thread-safe: the sampler
 * writes, HTTP requests read.
 */
public final class LagHistory {

    /** How far back the charts go. */
    public static final Duration WINDOW = Duration.ofHours(1);
    /** The samples one node keeps at most: a window at one sample a second (faster monitor intervals are thinned). */
    public static final int CAPACITY = (int) WINDOW.toSeconds();

    /** One standby's lag at one moment; empty where the monitoring table did not know it. */
    public record Sample(long atMillis, Optional<Long> bytes, Optional<Double> seconds) {}

    /** One node's samples, oldest first, as columns (uPlot's data layout); null where a value is unknown. */
    public record NodeSeries(int nodeId, List<Long> atMillis, List<Long> bytes, List<Double> seconds) {}

    private final Map<Integer, Ring> rings = new TreeMap<>();

    /** Adds the samples of one sampling round; a node that is no longer in a round keeps its older samples. */
    public synchronized void add(Map<Integer, Sample> round) {
        round.forEach((node, s) -> rings.computeIfAbsent(node, n -> new Ring()).add(s));
    }

    /** Every node's samples not older than {@link #WINDOW} before {@code nowMillis}, oldest first. */
    public synchronized List<NodeSeries> series(long nowMillis) {
        long from = nowMillis - WINDOW.toMillis();
        List<NodeSeries> out = new ArrayList<>();
        rings.forEach((node, ring) -> {
            var s = ring.since(node, from);
            if (!s.atMillis().isEmpty()) {
                out.add(s);
            }
        });
        return out;
    }

    /** A fixed-size ring of primitive columns: an hour of three standbys is about 100 KB. */
    private static final class Ring {
        private final long[] at = new long[CAPACITY];
        private final long[] bytes = new long[CAPACITY];
        private final double[] seconds = new double[CAPACITY];
        private int next;
        private int size;

        void add(Sample s) {
            at[next] = s.atMillis();
            bytes[next] = s.bytes().orElse(-1L);
            seconds[next] = s.seconds().orElse(Double.NaN);
            next = (next + 1) % CAPACITY;
            size = Math.min(size + 1, CAPACITY);
        }

        NodeSeries since(int node, long fromMillis) {
            List<Long> ats = new ArrayList<>();
            List<Long> bs = new ArrayList<>();
            List<Double> ss = new ArrayList<>();
            for (int k = 0; k < size; k++) {
                int i = Math.floorMod(next - size + k, CAPACITY);
                if (at[i] < fromMillis) {
                    continue;
                }
                ats.add(at[i]);
                bs.add(bytes[i] < 0 ? null : bytes[i]);
                ss.add(Double.isNaN(seconds[i]) ? null : seconds[i]);
            }
            return new NodeSeries(node, ats, bs, ss);
        }
    }
}
