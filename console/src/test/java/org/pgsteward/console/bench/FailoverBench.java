package org.pgsteward.console.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * scripts/bench-failover: N times, 3 nodes with default settings under a writer; at T0 the
 * primary's PostgreSQL and agent are SIGKILLed (or, bench.fault=sigstop, its postmaster and children are
 * SIGSTOPped while its agent runs); measures the first successful INSERT on the new primary and when the other
 * standby streams from it. Not part of the test suite (tag "bench").
 */
@Tag("bench")
class FailoverBench {

    @RegisterExtension
    final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    final AgentFixture agents = new AgentFixture();

    @Test
    void failover() throws Exception {
        int runs = Integer.getInteger("bench.runs", 3);
        boolean supervisorOnPrimary = Boolean.getBoolean("bench.supervisorOnPrimary");
        boolean synchronous = Boolean.getBoolean("bench.synchronous");
        String extra = System.getProperty("bench.hocon", "");
        BenchSupport.Fault fault = BenchSupport.Fault.valueOf(System.getProperty("bench.fault", "kill")
                .toUpperCase(Locale.ROOT));
        Path out = Path.of(System.getProperty("bench.out", "target/bench-failover.txt"));
        Files.deleteIfExists(out);
        List<Double> writes = new ArrayList<>();
        List<Double> follows = new ArrayList<>();
        long lostTotal = 0;
        for (int run = 1; run <= runs; run++) {
            BenchSupport.Result r = BenchSupport.failoverOnce(pg, agents, supervisorOnPrimary, synchronous, extra, fault);
            writes.add(r.tWriteSeconds());
            follows.add(r.tFollowSeconds());
            lostTotal += r.lostRows();
            line(out, String.format(Locale.ROOT, "failover run=%d t_write_s=%.2f t_follow_s=%.2f lost_rows=%d", run,
                    r.tWriteSeconds(), r.tFollowSeconds(), r.lostRows()));
            agents.afterEach(null);
            pg.afterEach(null);
        }
        line(out, String.format(Locale.ROOT, "failover median t_write_s=%.2f t_follow_s=%.2f lost_rows_total=%d runs=%d "
                        + "supervisor_on_primary=%s synchronous=%s fault=%s", median(writes), median(follows), lostTotal, runs,
                supervisorOnPrimary, synchronous, fault.name().toLowerCase(Locale.ROOT)));
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(Double::compare);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    static void line(Path out, String text) throws IOException {
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, text + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
