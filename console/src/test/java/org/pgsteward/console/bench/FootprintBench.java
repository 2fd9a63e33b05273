package org.pgsteward.console.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.testing.PostgresExtension;
import org.pgsteward.console.e2e.AgentFixture;
import org.pgsteward.console.e2e.BenchSupport;

/**
 * scripts/bench-footprint: a 3-node cluster (default settings) left idle; samples each agent's resident memory and
 * CPU time from /proc over {@code bench.seconds} (60) after {@code bench.warmup} (20) seconds, and writes one line:
 * {@code footprint rss_mb_max=N cpu_pct_max=N} (the worst agent; CPU in % of one core), and the per-agent figures
 * to {@code bench.detail}. Not part of the test suite (tag "bench").
 */
@Tag("bench")
class FootprintBench {

    @RegisterExtension
    final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    final AgentFixture agents = new AgentFixture();

    private static final long CLOCK_TICKS = 100; // USER_HZ on Linux

    @Test
    void idleCluster() throws Exception {
        int seconds = Integer.getInteger("bench.seconds", 60);
        int warmup = Integer.getInteger("bench.warmup", 20);
        Path out = Path.of(System.getProperty("bench.out", "target/bench-footprint.txt"));
        Path detail = Path.of(System.getProperty("bench.detail", "target/bench-footprint-detail.txt"));
        Files.deleteIfExists(out);
        Files.deleteIfExists(detail);
        List<Long> pids = BenchSupport.idleCluster(pg, agents);
        Thread.sleep(Duration.ofSeconds(warmup).toMillis()); // a benchmark's measuring window, not a test's wait
        long[] cpu0 = new long[pids.size()];
        long[] rssMax = new long[pids.size()];
        for (int i = 0; i < pids.size(); i++) {
            cpu0[i] = cpuTicks(pids.get(i));
        }
        long t0 = System.nanoTime();
        long end = t0 + Duration.ofSeconds(seconds).toNanos();
        while (System.nanoTime() < end) {
            for (int i = 0; i < pids.size(); i++) {
                rssMax[i] = Math.max(rssMax[i], rssKb(pids.get(i)));
            }
            Thread.sleep(1000);
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        double cpuMax = 0;
        long rssWorst = 0;
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < pids.size(); i++) {
            double pct = 100.0 * (cpuTicks(pids.get(i)) - cpu0[i]) / CLOCK_TICKS / wall;
            cpuMax = Math.max(cpuMax, pct);
            rssWorst = Math.max(rssWorst, rssMax[i]);
            lines.add(String.format(Locale.ROOT, "agent node%d pid=%d rss_mb_max=%d cpu_pct=%.1f", i + 1, pids.get(i),
                    rssMax[i] / 1024, pct));
        }
        Files.createDirectories(detail.toAbsolutePath().getParent());
        Files.write(detail, lines);
        FailoverBench.line(out, String.format(Locale.ROOT, "footprint rss_mb_max=%d cpu_pct_max=%.1f", rssWorst / 1024,
                cpuMax));
    }

    /** utime + stime of the process, in clock ticks (fields 14 and 15 of /proc/PID/stat). */
    static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    static long rssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }
}
