package org.pgsteward.agent.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.pgsteward.agent.postgres.ReplicationSlots.Slot;
import org.pgsteward.protocol.api.NodeCheckView;
import org.pgsteward.protocol.api.NodeCheckView.Check;
import org.pgsteward.protocol.api.NodeRow;

/** {@code node check}'s rules, one line each: the facts of a node in, its verdicts and exit code out. */
class NodeChecksTest {

    private static final NodeChecks.Result<String> SUPERVISOR = NodeChecks.Result.of("epoch 2, primary node 1");

    @Test
    void givenHealthyPrimaryWithItsStandbysOnTheirSlots_thenEveryCheckOkAndExit0() {
        var view = check(primary(true, List.of(slot(2, true), slot(3, true)), SUPERVISOR));
        assertEquals(0, view.exitCode(), view.toString());
        assertEquals(Set.of("postgres", "slots", "lease", "supervisor"), names(view));
        assertTrue(detail(view, "lease").contains("ms of it left"), view.toString());
    }

    @Test
    void givenPrimary_whenAStandbysSlotIsMissingOrLost_thenExit17NamingIt_andAnUnusedSlotOnlyWarns() {
        var missing = check(primary(true, List.of(slot(2, true)), SUPERVISOR));
        assertEquals(17, missing.exitCode());
        assertTrue(missing.toString().contains("no slot pgsteward_node3 for standby node 3"), missing.toString());

        var lost = check(primary(true, List.of(slot(2, true), new Slot("pgsteward_node3", false, Optional.empty(),
                "lost")), SUPERVISOR));
        assertEquals(17, lost.exitCode());
        assertTrue(lost.toString().contains("needs a new clone"), lost.toString());

        var unused = check(primary(true, List.of(slot(2, true), slot(3, false)), SUPERVISOR));
        assertEquals(0, unused.exitCode(), "a standby that is down is the cluster's warning, not this node's problem");
        assertTrue(unused.checks().stream().anyMatch(c -> c.level() == NodeCheckView.Level.WARNING), unused.toString());
    }

    @Test
    void givenPrimaryOfItsEpochWithoutLease_thenExit15() {
        var view = check(primary(false, List.of(slot(2, true), slot(3, true)), SUPERVISOR));
        assertEquals(15, view.exitCode());
        assertTrue(detail(view, "lease").contains("holds no lease"), view.toString());
    }

    @Test
    void givenPostgresServingAsPrimaryWhileAnotherNodeIsThePrimaryOfTheEpoch_thenExit15() {
        var f = primary(true, List.of(), SUPERVISOR);
        var view = check(new NodeChecks.Facts(1, false, f.row(), false, Optional.empty(), true, true, 3, Optional.of(2),
                false, Optional.empty(), f.primarySlots(), Set.of(), SUPERVISOR));
        assertEquals(15, view.exitCode());
        assertTrue(detail(view, "lease").contains("node 2 is the primary of epoch 3"), view.toString());
    }

    @Test
    void givenSupervisorSilent_thenExit16_butAPostgresProblemComesFirst() {
        var silent = NodeChecks.Result.<String>failed("no answer in 3 s");
        assertEquals(16, check(primary(true, List.of(slot(2, true), slot(3, true)), silent)).exitCode());

        var down = check(new NodeChecks.Facts(2, false, row("unknown", "unreachable: connection refused"), false,
                Optional.empty(), true, true, 2, Optional.of(1), false, Optional.empty(), Optional.empty(), Set.of(),
                silent));
        assertEquals(6, down.exitCode(), down.toString());
    }

    @Test
    void givenStandby_whenStreamingWithoutItsSlotOrNotStreaming_thenExit17Or12() {
        var onSlot = standby(true, Optional.of("pgsteward_node2"));
        assertEquals(0, check(onSlot).exitCode());

        var noSlot = check(standby(true, Optional.empty()));
        assertEquals(17, noSlot.exitCode());
        assertTrue(detail(noSlot, "slots").contains("without its slot pgsteward_node2"), noSlot.toString());

        assertEquals(12, check(standby(false, Optional.empty())).exitCode());
    }

    @Test
    void givenSlotsSwitchedOffOrManualMode_thenNeitherIsAProblem() {
        var base = standby(true, Optional.empty());
        var off = new NodeChecks.Facts(2, false, base.row(), true, Optional.empty(), false, false, 2, Optional.of(1),
                false, Optional.empty(), Optional.empty(), Set.of(), SUPERVISOR);
        var view = check(off);
        assertEquals(0, view.exitCode(), view.toString());
        assertTrue(detail(view, "slots").contains("use-slots = false"));
        assertTrue(detail(view, "lease").contains("manual"));
    }

    @Test
    void givenWitness_thenOnlyTheSupervisorIsChecked() {
        var view = check(new NodeChecks.Facts(9, true, row("witness", "running"), false, Optional.empty(), true, true,
                2, Optional.of(1), false, Optional.empty(), Optional.empty(), Set.of(), SUPERVISOR));
        assertEquals(Set.of("supervisor"), names(view));
    }

    private static NodeChecks.Facts primary(boolean lease, List<Slot> slots, NodeChecks.Result<String> supervisor) {
        return new NodeChecks.Facts(1, false, row("primary", "running"), false, Optional.empty(), true, true, 2,
                Optional.of(1), lease, lease ? Optional.of(Duration.ofMillis(2200)) : Optional.empty(),
                Optional.of(NodeChecks.Result.of(slots)), Set.of(2, 3), supervisor);
    }

    private static NodeChecks.Facts standby(boolean streaming, Optional<String> slot) {
        return new NodeChecks.Facts(2, false, row("standby", streaming ? "running" : "running, not streaming"),
                streaming, slot, true, true, 2, Optional.of(1), false, Optional.empty(), Optional.empty(), Set.of(),
                SUPERVISOR);
    }

    private static Slot slot(int node, boolean active) {
        return new Slot("pgsteward_node" + node, active, Optional.of(active ? 0L : 16_777_216L), "reserved");
    }

    private static NodeRow row(String role, String status) {
        return new NodeRow(1, "n", role, status, Optional.of("node1"), Optional.empty(), Optional.empty(), 100,
                Optional.empty(), Optional.empty(), "host=h");
    }

    private static NodeCheckView check(NodeChecks.Facts f) {
        return new NodeCheckView("n", NodeChecks.evaluate(f));
    }

    private static Set<String> names(NodeCheckView v) {
        return v.checks().stream().map(Check::name).collect(Collectors.toSet());
    }

    private static String detail(NodeCheckView v, String name) {
        return v.checks().stream().filter(c -> c.name().equals(name)).map(Check::detail)
                .collect(Collectors.joining(" | "));
    }
}
