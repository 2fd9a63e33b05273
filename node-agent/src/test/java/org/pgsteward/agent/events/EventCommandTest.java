package org.pgsteward.agent.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EventCommandTest {

    private static final NodeEvent PROMOTED = new NodeEvent(2, "node2", "failover_promote", true,
            Instant.parse("2026-12-02T05:14:33.123456Z"), "promoted in 158 ms; 100% done");

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "%n                 | 2",
            "%a                 | node2",
            "%e                 | failover_promote",
            "%s                 | 1",
            "%t                 | 2026-12-02T05:14:33.123Z",
            "%d                 | promoted in 158 ms; 100% done",
            "%%                 | %",
            "--node=%n/%a       | --node=2/node2",
            "100%%%s            | 100%1",
            "plain              | plain",
            "%%n                | %n",
    })
    void givenAPlaceholder_whenExpanded_thenReplacedInPlace(String arg, String expected) {
        assertEquals(expected, EventCommand.expand(arg, PROMOTED));
    }

    @Test
    void givenAFailedEvent_whenExpanded_thenSuccessIsZeroAndEveryElementStaysOneArgument() {
        var failed = new NodeEvent(3, "node3", "standby_follow", false, PROMOTED.at(), "no upstream; rm -rf / $(x)");
        var c = new EventCommand(List.of("/usr/local/bin/notify", "%n", "%e", "%s", "%t", "%d"), EventCommand.DEFAULT_TIMEOUT,
                Set.of());
        assertEquals(List.of("/usr/local/bin/notify", "3", "standby_follow", "0", "2026-12-02T05:14:33.123Z",
                "no upstream; rm -rf / $(x)"), c.expand(failed));
    }

    @Test
    void givenOnly_whenAnEventIsNotListed_thenItIsNotPassedOn() {
        var all = new EventCommand(List.of("/bin/true"), EventCommand.DEFAULT_TIMEOUT, Set.of());
        var some = new EventCommand(List.of("/bin/true"), EventCommand.DEFAULT_TIMEOUT, Set.of("failover_promote", "fence"));
        assertTrue(all.accepts("standby_register"));
        assertTrue(some.accepts("fence"));
        assertFalse(some.accepts("standby_register"));
        assertFalse(EventCommand.none().accepts("fence"), "no command: nothing to pass on");
    }

    @Test
    void givenAnUnknownPlaceholder_thenItIsNamed() {
        assertEquals(Optional.of("%x"), EventCommand.unknownPlaceholder("a%xb"));
        assertEquals(Optional.of("%"), EventCommand.unknownPlaceholder("50%"));
        assertEquals(Optional.empty(), EventCommand.unknownPlaceholder("%n %a %e %s %t %d %%"));
    }

    @Test
    void givenCommands_thenEventNamesAreRepmgrs() {
        assertEquals(Optional.of("standby_register"), EventNames.ofCommand("standby register"));
        assertEquals(Optional.of("failover_promote"), EventNames.ofStep(new org.pgsteward.agent.ops.ClusterStep.Promote(2), false));
        assertEquals(Optional.of("switchover_promote"), EventNames.ofStep(new org.pgsteward.agent.ops.ClusterStep.Promote(2), true));
        assertEquals(Optional.of("failover_follow"), EventNames.ofStep(new org.pgsteward.agent.ops.ClusterStep.Follow("host=h"), false));
        assertEquals(Optional.empty(), EventNames.ofStep(new org.pgsteward.agent.ops.ClusterStep.AwaitLsn(org.pgsteward.protocol.Lsn.parse("0/0"), java.time.Duration.ofSeconds(1)), true));
        assertTrue(EventNames.all().containsAll(List.of("fence", "cluster_pause", "cluster_resume", "node_rejoin")));
    }
}
