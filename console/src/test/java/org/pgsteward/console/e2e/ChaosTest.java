package org.pgsteward.console.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pgsteward.agent.testing.PostgresExtension;

/**
 * {@code scripts/chaos}: rounds of random faults on a 3-node cluster, each node on a host of its own (see
 * {@link Chaos}); prints {@code chaos violations=N lost=N converged=N/M ...}. The default suite has a short run of
 * three rounds; the tagged run ("chaos") is {@code scripts/chaos} (100 rounds, {@code --short} 6).
 */
class ChaosTest {

    /** The network goes last: agents and servers stop first. */
    @RegisterExtension
    @Order(1)
    final NetworkLabExtension network = new NetworkLabExtension();

    @RegisterExtension
    @Order(2)
    final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    @Order(3)
    final AgentFixture agents = new AgentFixture();

    /** {@code scripts/chaos}: the long run (or {@code --short}), its parameters from system properties. */
    @Test
    @Tag("chaos")
    void chaos() throws IOException {
        run(Integer.getInteger("chaos.rounds", 6), Boolean.getBoolean("chaos.synchronous"),
                Long.getLong("chaos.seed", System.nanoTime()),
                java.util.Arrays.stream(System.getProperty("chaos.faults", "").split(",")).map(String::strip)
                        .filter(x -> !x.isEmpty()).map(Chaos.Fault::valueOf).toList(),
                Boolean.getBoolean("chaos.primaryOnly"), Boolean.getBoolean("chaos.assert"));
    }

    /**
     * The short run of the default suite: two random faults on random members (synchronous mode, where an
     * acknowledged write may never be lost), each healed; no violation, nothing lost, every round converged. The seed
     * is printed (and in the failure): {@code SEED=<n> SYNCHRONOUS=true ROUNDS=2 scripts/chaos} replays the draw.
     */
    @Test
    void givenRandomFaultsOnRandomMembers_whenEachHealed_thenOneWriterAtATimeNothingLostAndConverged() throws IOException {
        run(2, true, System.nanoTime(), java.util.List.of(), false, true);
    }

    private void run(int rounds, boolean synchronous, long seed, java.util.List<Chaos.Fault> faults, boolean primaryOnly,
                     boolean check) throws IOException {
        Path out = Path.of(System.getProperty("chaos.out", "target/chaos.txt"));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, "");
        java.util.function.Consumer<String> progress = line -> {
            System.out.println(line);
            try {
                Files.writeString(out, line + "\n", java.nio.file.StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        NetworkLab lab = network.create();
        HaCluster c = HaCluster.startEachOnItsHost(pg, agents,
                synchronous ? "replication { synchronous = \"on\" }\n" : "", 0, lab);
        Chaos.Result r = new Chaos(c, lab, seed, faults, primaryOnly, progress).run(rounds);
        progress.accept(r.line(synchronous));
        if (check) {
            assertEquals(0, r.violations(), String.join("\n", r.log()));
            if (synchronous) {
                assertEquals(0, r.lost(), String.join("\n", r.log()));
            }
            assertEquals(r.rounds(), r.converged(), String.join("\n", r.log()));
        }
    }
}
