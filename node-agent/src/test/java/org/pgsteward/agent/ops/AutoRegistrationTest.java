package org.pgsteward.agent.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.pgsteward.agent.metadata.RegisteredNode;
import org.pgsteward.agent.postgres.Conninfo;
import org.pgsteward.agent.postgres.PgSnapshot;
import org.pgsteward.agent.postgres.Reachability;
import org.pgsteward.agent.postgres.WalReceiverInfo;
import org.pgsteward.protocol.Lsn;

/** node.auto-register: when a standby's agent registers it by itself (table of cases). */
class AutoRegistrationTest {

    private static final RegisteredNode PRIMARY = node(1, "primary", true, 5433);
    private static final RegisteredNode FORMER = node(4, "primary", false, 5436);

    @Test
    void registersOnlyAnUnregisteredStreamingStandbyOfTheRegisteredPrimary() {
        record Case(String name, boolean enabled, boolean seen, PgSnapshot local, List<RegisteredNode> nodes,
                    boolean register, String reason) {}
        List<Case> cases = List.of(
                new Case("the seed's repmgrd case", true, false, streamingFrom(5433), List.of(PRIMARY), true,
                        "streams from the cluster's primary node 1 (n1) and is not registered"),
                new Case("turned off", false, false, streamingFrom(5433), List.of(PRIMARY), false, "node.auto-register is off"),
                new Case("registered already", true, false, streamingFrom(5433), List.of(PRIMARY, node(2, "standby", true, 5434)),
                        false, "registered"),
                new Case("unregistered on purpose", true, true, streamingFrom(5433), List.of(PRIMARY), false,
                        "unregistered since this agent started: left so"),
                new Case("not streaming", true, false, notStreaming(), List.of(PRIMARY), false,
                        "not a streaming standby"),
                new Case("another cluster's data", true, false, streamingFrom(5433), List.of(), false,
                        "no metadata of this cluster in its data"),
                new Case("no active primary", true, false, streamingFrom(5436), List.of(FORMER), false,
                        "no active primary registered"),
                new Case("streams from a former primary", true, false, streamingFrom(5436), List.of(PRIMARY, FORMER), false,
                        "streams from another server than the registered primary node 1 (n1)"));
        for (Case c : cases) {
            var d = AutoRegistration.decide(c.enabled(), c.seen(), 2, c.local(), c.nodes());
            assertEquals(c.register(), d.register(), c.name());
            assertEquals(c.reason(), d.reason(), c.name());
        }
    }

    private static RegisteredNode node(int id, String type, boolean active, int port) {
        return new RegisteredNode(id, "n" + id, type, Optional.empty(), Conninfo.parse("host=127.0.0.1 port=" + port),
                100, active, Optional.empty(), Instant.EPOCH, Optional.empty());
    }

    private static PgSnapshot streamingFrom(int port) {
        return standby(Optional.of(new WalReceiverInfo(1, Optional.of("streaming"), Optional.of("127.0.0.1"),
                Optional.of(port), Optional.empty(), Optional.of(1L), Optional.empty(), Optional.empty(), Optional.empty())));
    }

    private static PgSnapshot notStreaming() {
        return standby(Optional.empty());
    }

    private static PgSnapshot standby(Optional<WalReceiverInfo> receiver) {
        return new PgSnapshot(Reachability.REACHABLE, Optional.empty(), Instant.now(), true, 150018, "15.18", 1,
                Optional.empty(), Optional.of(Lsn.parse("0/3000100")), Optional.of(Lsn.parse("0/3000100")),
                Optional.empty(), receiver, List.of(), Optional.empty());
    }
}
