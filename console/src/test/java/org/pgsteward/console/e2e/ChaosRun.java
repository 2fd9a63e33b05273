package org.pgsteward.console.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.testing.PgTestEnvironment;
import org.pgsteward.agent.testing.PostgresExtension;

/**
 * {@code scripts/chaos}: rounds of random faults on a 3-node cluster, each node on a host of its own (see
 * {@link Chaos}); prints {@code chaos violations=N lost=N converged=N/M ...}. Not part of the default suite (tag
 * "chaos"): {@code scripts/chaos --short} runs a few rounds, {@code scripts/chaos} the long run.
 */
@Tag("chaos")
class ChaosRun {

    private NetworkLab lab;

    /** The network goes last (after-each callbacks run in reverse order): agents and servers stop first. */
    @RegisterExtension
    @Order(1)
    final AfterEachCallback network = context -> {
        if (lab != null) {
            lab.close();
        }
    };

    @RegisterExtension
    @Order(2)
    final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    @Order(3)
    final AgentFixture agents = new AgentFixture();

    @Test
    void chaos() throws IOException {
        Optional<String> why = NetworkLab.unavailable();
        Assumptions.assumeTrue(why.isEmpty() && PgTestEnvironment.osUser().isPresent(), () -> why.orElse("not root"));
        int rounds = Integer.getInteger("chaos.rounds", 6);
        boolean synchronous = Boolean.getBoolean("chaos.synchronous");
        long seed = Long.getLong("chaos.seed", System.nanoTime());
        Path out = Path.of(System.getProperty("chaos.out", "target/chaos.txt"));
        lab = NetworkLab.create();
        HaCluster c = HaCluster.startEachOnItsHost(pg, agents,
                synchronous ? "replication { synchronous = \"on\" }\n" : "", 0, lab);
        java.util.List<Chaos.Fault> faults = java.util.Arrays.stream(System.getProperty("chaos.faults", "").split(","))
                .map(String::strip).filter(x -> !x.isEmpty()).map(Chaos.Fault::valueOf).toList();
        Chaos.Result r = new Chaos(c, lab, seed, faults, Boolean.getBoolean("chaos.primaryOnly")).run(rounds);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, String.join("\n", r.log()) + "\n" + r.line(synchronous) + "\n");
        System.out.println(r.line(synchronous));
        if (Boolean.getBoolean("chaos.assert")) {
            assertEquals(0, r.violations(), String.join("\n", r.log()));
            if (synchronous) {
                assertEquals(0, r.lost(), String.join("\n", r.log()));
            }
            assertEquals(r.rounds(), r.converged(), String.join("\n", r.log()));
        }
    }
}
