package org.pgsteward.console.bench;

import java.nio.file.Files;
import java.nio.file.Path;
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
 * scripts/bench-switchover: 3 nodes, default settings, a writer; N planned switchovers back and
 * forth, each measured from the request to the agent until the first INSERT on the new primary
 * and until the old primary streams from it. Not part of the test suite (tag "bench").
 */
@Tag("bench")
class SwitchoverBench {

    @RegisterExtension
    final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    final AgentFixture agents = new AgentFixture();

    @Test
    void switchover() throws Exception {
        int runs = Integer.getInteger("bench.runs", 3);
        Path out = Path.of(System.getProperty("bench.out", "target/bench-switchover.txt"));
        Files.deleteIfExists(out);
        List<BenchSupport.SwitchoverResult> results = BenchSupport.switchovers(pg, agents, runs);
        List<Double> writes = new ArrayList<>();
        List<Double> rejoins = new ArrayList<>();
        long lost = 0;
        for (int i = 0; i < results.size(); i++) {
            var r = results.get(i);
            writes.add(r.tWriteSeconds());
            rejoins.add(r.tRejoinSeconds());
            lost += r.lostRows();
            FailoverBench.line(out, String.format(Locale.ROOT, "switchover run=%d t_write_s=%.2f t_rejoin_s=%.2f lost_rows=%d",
                    i + 1, r.tWriteSeconds(), r.tRejoinSeconds(), r.lostRows()));
        }
        FailoverBench.line(out, String.format(Locale.ROOT, "switchover median t_write_s=%.2f t_rejoin_s=%.2f lost_rows_total=%d runs=%d",
                FailoverBench.median(writes), FailoverBench.median(rejoins), lost, runs));
    }
}
