package org.pgsteward.agent.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.pgsteward.agent.cluster.LocalRules.Action;
import org.pgsteward.agent.cluster.LocalRules.LeaseView;
import org.pgsteward.agent.cluster.LocalRules.Observation;
import org.pgsteward.protocol.cluster.LocalRecovery;

/**
 * The agent's local rules as a table: one row per scenario, the state and what the agent knows, the expected action
 * and key phrases of its reason. Times are seconds after the agent started, on the monotonic clock; node 1 is this
 * node, three members, product timings (lease 3 s, fence lead 500 ms, restarts 2 s apart, 3 attempts).
 */
class LocalRulesTest {

    static final Timings T = Timings.of(Duration.ofSeconds(3), Duration.ofSeconds(1), Duration.ofMillis(1500));
    static final long S = 1_000_000_000L;
    static final long MS = 1_000_000L;
    static final long START = 1_000 * S;
    /** Not become primary in this incarnation. */
    static final long NEVER = Long.MIN_VALUE / 2;

    /** A scenario's world, built by changing the defaults: primary of epoch 3, confirmed, serving, leased. */
    record World(LinkState state, long now, boolean automatic, boolean autoRejoin, Optional<Integer> epochPrimary,
                 boolean confirmed, boolean operation, boolean submitted, boolean disturbing, boolean probed,
                 int downProbes, boolean mayServeWrites, boolean runningAsPrimary, boolean conninfoKnown,
                 Optional<ServerLiveness.Verdict.Hung> hung, int restarts, long lastRestart, long lastRejoin,
                 Optional<Long> inheritedUntil, long becamePrimary, boolean standbyDataDir, boolean hasData,
                 List<Long> promisedUntil) {

        static World primary() {
            long now = START + 100 * S;
            return new World(new LinkState.Primary(3, START), now, true, true, Optional.of(1), true, false, false, false,
                    true, 0, true, true, true, Optional.empty(), 0, Long.MIN_VALUE / 2, Long.MIN_VALUE / 2,
                    Optional.of(START + S), START + S, false, true, List.of(now + 2 * S, now + 2 * S, now + 2 * S));
        }

        /** A standby of node 2 in epoch 3, streaming. */
        static World standby() {
            return primary().with(w -> w.state(new LinkState.Standby(3, 2)).epochPrimary(Optional.of(2))
                    .mayServeWrites(false).runningAsPrimary(false).standbyDataDir(true).promisedUntil(List.of()));
        }

        World with(java.util.function.UnaryOperator<Builder> change) {
            return change.apply(new Builder(this)).w;
        }

        Observation observation() {
            return new Observation(automatic, autoRejoin, 3, epochPrimary, 1, confirmed, operation, submitted, disturbing,
                    probed, downProbes, mayServeWrites, runningAsPrimary, conninfoKnown, hung, restarts, lastRestart,
                    lastRejoin, START, inheritedUntil, becamePrimary, "connection refused", () -> standbyDataDir,
                    () -> hasData);
        }

        LeaseView lease() {
            return new LeaseView(3, promisedUntil);
        }
    }

    /** Record "withers" by reflection would hide the scenario; plain setters keep each row readable. */
    static final class Builder {
        World w;

        Builder(World w) {
            this.w = w;
        }

        private Builder set(World n) {
            w = n;
            return this;
        }

        Builder state(LinkState s) {
            return set(new World(s, w.now, w.automatic, w.autoRejoin, w.epochPrimary, w.confirmed, w.operation, w.submitted,
                    w.disturbing, w.probed, w.downProbes, w.mayServeWrites, w.runningAsPrimary, w.conninfoKnown, w.hung,
                    w.restarts, w.lastRestart, w.lastRejoin, w.inheritedUntil, w.becamePrimary, w.standbyDataDir, w.hasData,
                    w.promisedUntil));
        }

        Builder now(long now) {
            return set(new World(w.state, now, w.automatic, w.autoRejoin, w.epochPrimary, w.confirmed, w.operation,
                    w.submitted, w.disturbing, w.probed, w.downProbes, w.mayServeWrites, w.runningAsPrimary,
                    w.conninfoKnown, w.hung, w.restarts, w.lastRestart, w.lastRejoin, w.inheritedUntil, w.becamePrimary,
                    w.standbyDataDir, w.hasData, w.promisedUntil));
        }

        Builder manual() {
            return set(new World(w.state, w.now, false, w.autoRejoin, w.epochPrimary, w.confirmed, w.operation,
                    w.submitted, w.disturbing, w.probed, w.downProbes, w.mayServeWrites, w.runningAsPrimary,
                    w.conninfoKnown, w.hung, w.restarts, w.lastRestart, w.lastRejoin, w.inheritedUntil, w.becamePrimary,
                    w.standbyDataDir, w.hasData, w.promisedUntil));
        }

        Builder noAutoRejoin() {
            return set(new World(w.state, w.now, w.automatic, false, w.epochPrimary, w.confirmed, w.operation,
                    w.submitted, w.disturbing, w.probed, w.downProbes, w.mayServeWrites, w.runningAsPrimary,
                    w.conninfoKnown, w.hung, w.restarts, w.lastRestart, w.lastRejoin, w.inheritedUntil, w.becamePrimary,
                    w.standbyDataDir, w.hasData, w.promisedUntil));
        }

        Builder epochPrimary(Optional<Integer> p) {
            return set(new World(w.state, w.now, w.automatic, w.autoRejoin, p, w.confirmed, w.operation, w.submitted,
                    w.disturbing, w.probed, w.downProbes, w.mayServeWrites, w.runningAsPrimary, w.conninfoKnown, w.hung,
                    w.restarts, w.lastRestart, w.lastRejoin, w.inheritedUntil, w.becamePrimary, w.standbyDataDir, w.hasData,
                    w.promisedUntil));
        }

        Builder unconfirmed() {
            return set(new World(w.state, w.now, w.automatic, w.autoRejoin, w.epochPrimary, false, w.operation,
                    w.submitted, w.disturbing, w.probed, w.downProbes, w.mayServeWrites, w.runningAsPrimary,
                    w.conninfoKnown, w.hung, w.restarts, w.lastRestart, w.lastRejoin, w.inheritedUntil, w.becamePrimary,
                    w.standbyDataDir, w.hasData, w.promisedUntil));
        }

        Builder operation(boolean running, boolean submitted, boolean disturbing) {
            return set(new World(w.state, w.now, w.automatic, w.autoRejoin, w.epochPrimary, w.confirmed, running,
                    submitted, disturbing, w.probed, w.downProbes, w.mayServeWrites, w.runningAsPrimary, w.conninfoKnown,
                    w.hung, w.restarts, w.lastRestart, w.lastRejoin, w.inheritedUntil, w.becamePrimary, w.standbyDataDir,
                    w.hasData, w.promisedUntil));
        }

        /** PostgreSQL found down by the last {@code probes} probes: it neither serves nor runs as primary. */
        Builder down(int probes) {
            return set(new World(w.state, w.now, w.automatic, w.autoRejoin, w.epochPrimary, w.confirmed, w.operation,
                    w.submitted, w.disturbing, w.probed, probes, false, false, w.conninfoKnown, w.hung, w.restarts,
                    w.lastRestart, w.lastRejoin, w.inheritedUntil, w.becamePrimary, w.standbyDataDir, w.hasData,
                    w.promisedUntil));
        }

        Builder mayServeWrites(boolean v) {
            return set(new World(w.state, w.now, w.automatic, w.autoRejoin, w.epochPrimary, w.confirmed, w.operation,
                    w.submitted, w.disturbing, w.probed, w.downProbes, v, w.runningAsPrimary, w.conninfoKnown, w.hung,
                    w.restarts, w.lastRestart, w.lastRejoin, w.inheritedUntil, w.becamePrimary, w.standbyDataDir, w.hasData,
                    w.promisedUntil));
        }

        Builder runningAsPrimary(boolean v) {
            return set(new World(w.state, w.now, w.automatic, w.autoRejoin, w.epochPrimary, w.confirmed, w.operation,
                    w.submitted, w.disturbing, w.probed, w.downProbes, w.mayServeWrites, v, w.conninfoKnown, w.hung,
                    w.restarts, w.lastRestart, w.lastRejoin, w.inheritedUntil, w.becamePrimary, w.standbyDataDir, w.hasData,
                    w.promisedUntil));
        }

        Builder noPrimaryConninfo() {
            return set(new World(w.state, w.now, w.automatic, w.autoRejoin, w.epochPrimary, w.confirmed, w.operation,
                    w.submitted, w.disturbing, w.probed, w.downProbes, w.mayServeWrites, w.runningAsPrimary, false, w.hung,
                    w.restarts, w.lastRestart, w.lastRejoin, w.inheritedUntil, w.becamePrimary, w.standbyDataDir, w.hasData,
                    w.promisedUntil));
        }

        /** Hung for {@code seconds} (spent: at least failover.timeout + restart budget). */
        Builder hung(double seconds) {
            long ns = (long) (seconds * S);
            var h = new ServerLiveness.Verdict.Hung(w.now - ns, ns,
                    ns >= T.failoverTimeout().plus(T.restartBudget()).toNanos(), "postmaster stopped (T)");
            return set(new World(w.state, w.now, w.automatic, w.autoRejoin, w.epochPrimary, w.confirmed, w.operation,
                    w.submitted, w.disturbing, w.probed, w.downProbes, w.mayServeWrites, false, w.conninfoKnown,
                    Optional.of(h), w.restarts, w.lastRestart, w.lastRejoin, w.inheritedUntil, w.becamePrimary,
                    w.standbyDataDir, w.hasData, w.promisedUntil));
        }

        Builder restarts(int n, long lastAt) {
            return set(new World(w.state, w.now, w.automatic, w.autoRejoin, w.epochPrimary, w.confirmed, w.operation,
                    w.submitted, w.disturbing, w.probed, w.downProbes, w.mayServeWrites, w.runningAsPrimary,
                    w.conninfoKnown, w.hung, n, lastAt, w.lastRejoin, w.inheritedUntil, w.becamePrimary, w.standbyDataDir,
                    w.hasData, w.promisedUntil));
        }

        Builder lastRejoin(long at) {
            return set(new World(w.state, w.now, w.automatic, w.autoRejoin, w.epochPrimary, w.confirmed, w.operation,
                    w.submitted, w.disturbing, w.probed, w.downProbes, w.mayServeWrites, w.runningAsPrimary,
                    w.conninfoKnown, w.hung, w.restarts, w.lastRestart, at, w.inheritedUntil, w.becamePrimary,
                    w.standbyDataDir, w.hasData, w.promisedUntil));
        }

        Builder inherited(Optional<Long> inheritedUntil, long becamePrimary) {
            return set(new World(w.state, w.now, w.automatic, w.autoRejoin, w.epochPrimary, w.confirmed, w.operation,
                    w.submitted, w.disturbing, w.probed, w.downProbes, w.mayServeWrites, w.runningAsPrimary,
                    w.conninfoKnown, w.hung, w.restarts, w.lastRestart, w.lastRejoin, inheritedUntil, becamePrimary,
                    w.standbyDataDir, w.hasData, w.promisedUntil));
        }

        Builder standbyDataDir(boolean v) {
            return set(new World(w.state, w.now, w.automatic, w.autoRejoin, w.epochPrimary, w.confirmed, w.operation,
                    w.submitted, w.disturbing, w.probed, w.downProbes, w.mayServeWrites, w.runningAsPrimary,
                    w.conninfoKnown, w.hung, w.restarts, w.lastRestart, w.lastRejoin, w.inheritedUntil, w.becamePrimary, v,
                    w.hasData, w.promisedUntil));
        }

        Builder emptyDataDir() {
            return set(new World(w.state, w.now, w.automatic, w.autoRejoin, w.epochPrimary, w.confirmed, w.operation,
                    w.submitted, w.disturbing, w.probed, w.downProbes, w.mayServeWrites, w.runningAsPrimary,
                    w.conninfoKnown, w.hung, w.restarts, w.lastRestart, w.lastRejoin, w.inheritedUntil, w.becamePrimary,
                    w.standbyDataDir, false, w.promisedUntil));
        }

        /** Promises that run {@code seconds} beyond now, from {@code count} of the three members. */
        Builder promises(int count, double seconds) {
            long until = w.now + (long) (seconds * S);
            return promisedUntil(java.util.Collections.nCopies(count, until));
        }

        Builder promisedUntil(List<Long> p) {
            return set(new World(w.state, w.now, w.automatic, w.autoRejoin, w.epochPrimary, w.confirmed, w.operation,
                    w.submitted, w.disturbing, w.probed, w.downProbes, w.mayServeWrites, w.runningAsPrimary,
                    w.conninfoKnown, w.hung, w.restarts, w.lastRestart, w.lastRejoin, w.inheritedUntil, w.becamePrimary,
                    w.standbyDataDir, w.hasData, p));
        }
    }

    static final BiFunction<World, Long, Action> CHECK = (w, now) ->
            LocalRules.onCheck(w.state(), w.observation(), w.lease(), T, now);
    static final BiFunction<World, Long, Action> PROBE = (w, now) ->
            LocalRules.onProbe(w.state(), w.observation(), w.lease(), T, now);

    record Row(String name, World world, BiFunction<World, Long, Action> rule, Class<? extends Action> expected,
               List<String> phrases) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Row check(String name, World w, Class<? extends Action> expected, String... phrases) {
        return new Row(name, w, CHECK, expected, List.of(phrases));
    }

    static Row probe(String name, World w, Class<? extends Action> expected, String... phrases) {
        return new Row(name, w, PROBE, expected, List.of(phrases));
    }

    static final LinkState.Fenced FENCED = new LinkState.Fenced("lease expiring", 3, LocalRecovery.NONE);
    static final LinkState FENCING = new LinkState.Fencing("lease expiring", START, false, new LinkState.Primary(3, START));

    static Stream<Row> scenarios() {
        World primary = World.primary();
        World standby = World.standby();
        return Stream.of(
                // --- the lease check: who may serve writes
                check("leased primary serving: nothing to do", primary, Action.None.class),
                check("standby that serves writes while node 2 is primary: fenced",
                        standby.with(b -> b.mayServeWrites(true)), Action.Fence.class, "node 2 is primary in epoch 3"),
                check("... but not while an operation starts or stops it (a promotion, a rejoin)",
                        standby.with(b -> b.mayServeWrites(true).operation(true, false, true)), Action.None.class),
                check("... but fenced while an operation runs that leaves the server alone (a registration, sync names)",
                        standby.with(b -> b.mayServeWrites(true).operation(true, false, false)), Action.Fence.class,
                        "node 2 is primary in epoch 3"),
                check("... and not twice while the fence runs",
                        standby.with(b -> b.mayServeWrites(true).state(FENCING)), Action.None.class),
                check("no primary known for the epoch (unregistered): nothing is fenced",
                        standby.with(b -> b.mayServeWrites(true).epochPrimary(Optional.empty())), Action.None.class),
                check("primary whose promises end within the fence lead: fenced before the lease runs out",
                        primary.with(b -> b.promises(3, 0.4)), Action.Fence.class, "lease expiring", "0 of 3",
                        "500 ms"),
                check("primary with one promise of three (a partition's minority): fenced",
                        primary.with(b -> b.promises(1, 2)), Action.Fence.class, "1 of 3", "majority"),
                check("primary with two promises of three (a majority) beyond the lead: serves",
                        primary.with(b -> b.promises(2, 0.6)), Action.None.class),
                check("primary without promises before the guard deadline its previous agent incarnation left: serves",
                        primary.with(b -> b.promises(0, 0).now(START + S).inherited(Optional.of(START + 2 * S), NEVER)),
                        Action.None.class),
                check("... and fenced once that deadline has passed without a promise",
                        primary.with(b -> b.promises(0, 0).now(START + 3 * S).inherited(Optional.of(START + 2 * S), NEVER)),
                        Action.Fence.class, "lease expiring"),
                check("primary without promises within a lease less the fence lead of becoming primary: grace",
                        primary.with(b -> b.promises(0, 0).inherited(Optional.empty(), primary.now() - 2 * S)),
                        Action.None.class),
                check("... and fenced after it (lease 3 s, fence lead 500 ms)",
                        primary.with(b -> b.promises(0, 0).inherited(Optional.empty(), primary.now() - 2600 * MS)),
                        Action.Fence.class, "lease expiring"),
                check("primary found serving at agent start, no promise and no guard deadline inherited: fenced at once",
                        primary.with(b -> b.promises(0, 0).now(START + S / 10).inherited(Optional.empty(), NEVER)),
                        Action.Fence.class, "lease expiring"),
                check("... also 20 s after start, however long it takes to join (no startup grace per incarnation)",
                        primary.with(b -> b.promises(0, 0).now(START + 20 * S).inherited(Optional.empty(), NEVER)),
                        Action.Fence.class, "lease expiring"),
                check("manual mode: no lease fencing", primary.with(b -> b.promises(0, 0).manual()), Action.None.class),
                check("primary whose server is stopped (not serving): no lease fence, nothing to stop",
                        primary.with(b -> b.promises(0, 0).down(2)), Action.None.class),

                // --- the lease check: hung, not slow
                check("primary hung for failover.timeout + restart budget: given up and fenced",
                        primary.with(b -> b.hung(6)), Action.GiveUpHung.class, "hung", "1500 ms", "4000 ms",
                        "a standby replaces it"),
                check("primary hung for less (a blip, or its budget not spent): nothing yet",
                        primary.with(b -> b.hung(3)), Action.None.class),
                check("hung primary while an operation works on its server: not given up",
                        primary.with(b -> b.hung(6).operation(true, false, true)), Action.None.class),
                check("hung primary already fenced: nothing more", primary.with(b -> b.hung(6).state(FENCED)),
                        Action.None.class),
                check("hung standby: reported, never fenced for it", standby.with(b -> b.hung(60)), Action.None.class),
                check("hung primary in manual mode: reported, never fenced for it",
                        primary.with(b -> b.hung(60).manual()), Action.None.class),

                // --- after a probe: restart, give up
                probe("healthy primary: nothing to do", primary, Action.None.class),
                probe("primary down once (a race with a restart): wait for a second probe",
                        primary.with(b -> b.down(1)), Action.None.class),
                probe("primary down twice with its lease fresh: local restart 1",
                        primary.with(b -> b.down(2)), Action.Restart.class, "connection refused", "3 attempts"),
                // chaos (42ab0c7, round 78): the old primary came back down and unfenced while its voters had voted
                // in a failed later election (they refuse it promises for good); it never restarted nor gave up, and
                // the supervisor waited for it ("its agent is not done with it yet") with no primary for minutes
                probe("primary down twice without a fresh lease: not started, but the attempt counts",
                        primary.with(b -> b.down(2).promises(3, 1)), Action.CannotRestart.class, "lease",
                        "attempt 1 of 3"),
                probe("... and within the backoff after it: wait",
                        primary.with(b -> b.down(2).promises(3, 1).restarts(1, primary.now() - S)), Action.None.class),
                probe("... attempts spent without a lease: gave up, so the supervisor may fail over",
                        primary.with(b -> b.down(2).promises(3, 1).restarts(3, primary.now() - 3 * S)),
                        Action.GiveUp.class, "3 local restart attempts"),
                probe("down again within the restart backoff: wait",
                        primary.with(b -> b.down(2).restarts(1, primary.now() - S)), Action.None.class),
                probe("down again after the backoff: next attempt",
                        primary.with(b -> b.down(2).restarts(1, primary.now() - 3 * S)), Action.Restart.class),
                probe("restart attempts spent: gave up, so the supervisor may fail over",
                        primary.with(b -> b.down(2).restarts(3, primary.now() - 3 * S)), Action.GiveUp.class,
                        "3 local restart attempts"),
                probe("standby down twice: restarted (no lease needed)",
                        standby.with(b -> b.down(2)), Action.Restart.class),
                probe("down in a primary's data directory while node 2 is primary: stays fenced",
                        standby.with(b -> b.down(2).standbyDataDir(false)), Action.StayFenced.class,
                        "node 2 is primary in epoch 3", "staying fenced"),
                probe("manual mode: nothing is restarted", primary.with(b -> b.down(2).manual()), Action.None.class),
                probe("an operation runs: nothing is decided", primary.with(b -> b.down(2).operation(true, false, false)),
                        Action.None.class),
                probe("the link's own operation was submitted: nothing is decided",
                        primary.with(b -> b.down(2).operation(false, true, false)), Action.None.class),
                probe("the epoch not confirmed since start: nothing is started",
                        primary.with(b -> b.down(2).unconfirmed()), Action.None.class),
                probe("empty data directory: waits for standby clone", standby.with(b -> b.down(2).emptyDataDir()),
                        Action.None.class),
                probe("a fence runs: nothing is decided", primary.with(b -> b.down(2).state(FENCING)), Action.None.class),

                // --- after a probe: fenced nodes
                probe("fenced primary of the epoch holding its lease with time to spare again: unfenced",
                        primary.with(b -> b.down(2).state(FENCED)), Action.Unfence.class, "lease held again"),
                probe("fenced primary whose lease is not fresh: stays fenced",
                        primary.with(b -> b.down(2).state(FENCED).promises(3, 1)), Action.None.class),
                probe("fenced former primary, node 2 primary: rejoins it as a standby",
                        standby.with(b -> b.down(2).state(FENCED)), Action.Rejoin.class, "node 2"),
                probe("... not within the rejoin backoff",
                        standby.with(b -> b.down(2).state(FENCED).lastRejoin(standby.now() - 10 * S)), Action.None.class),
                probe("... not without auto-rejoin", standby.with(b -> b.down(2).state(FENCED).noAutoRejoin()),
                        Action.None.class),
                probe("... not before the supervisor said how to reach the primary",
                        standby.with(b -> b.down(2).state(FENCED).noPrimaryConninfo()), Action.None.class),
                probe("a fenced node is never restarted as a crashed server",
                        standby.with(b -> b.down(2).state(FENCED).noAutoRejoin().restarts(0, Long.MIN_VALUE / 2)),
                        Action.None.class));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void decides(Row row) {
        Action a = row.rule().apply(row.world(), row.world().now());
        assertInstanceOf(row.expected(), a, row.name() + ": " + a);
        String text = a.toString().toLowerCase(Locale.ROOT);
        for (String p : row.phrases()) {
            assertTrue(text.contains(p.toLowerCase(Locale.ROOT)), row.name() + ": '" + p + "' not in " + a);
        }
    }

    // --- the lease and the resume of a rolled-back switchover

    @ParameterizedTest(name = "{0}")
    @MethodSource("leaseRows")
    void wantsTheLease(String name, World w, boolean expected) {
        assertEquals(expected, LocalRules.wantsLease(w.state(), w.observation(), T, w.now()), name);
    }

    static Stream<org.junit.jupiter.params.provider.Arguments> leaseRows() {
        World primary = World.primary();
        World down = primary.with(b -> b.down(2));
        return Stream.of(
                args("serving primary asks for promises", primary, true),
                args("down primary that may still be restarted keeps its lease (nobody promoted before it gave up)",
                        down, true),
                args("down primary that gave up lets go", down.with(b -> b.state(new LinkState.GaveUp("spent"))), false),
                args("fenced primary lets go", down.with(b -> b.state(FENCED)), false),
                args("primary being fenced lets go", down.with(b -> b.state(FENCING)), false),
                args("manual mode: a down primary lets go", down.with(b -> b.manual()), false),
                args("... but not while an operation works on it", down.with(b -> b.manual().operation(true, false, true)),
                        true),
                args("... nor within a lease of the agent's start", down.with(b -> b.manual().now(START + 2 * S)), true));
    }

    static org.junit.jupiter.params.provider.Arguments args(String name, World w, boolean expected) {
        return org.junit.jupiter.params.provider.Arguments.of(name, w, expected);
    }

    @org.junit.jupiter.api.Test
    void givenARolledBackSwitchover_whenTheOldPrimaryResumes_thenItStartsOnlyWithAFreshLeaseWaitedForTenSeconds() {
        long now = START + 100 * S;
        LeaseView fresh = new LeaseView(3, List.of(now + 2 * S, now + 2 * S));
        LeaseView none = new LeaseView(3, List.of());
        assertInstanceOf(LocalRules.StartAsPrimary.Start.class, LocalRules.onStartAsPrimary(true, true, fresh, T, now, now));
        assertInstanceOf(LocalRules.StartAsPrimary.Wait.class, LocalRules.onStartAsPrimary(true, true, none, T, now - 9 * S, now));
        var refused = LocalRules.onStartAsPrimary(true, true, none, T, now - 11 * S, now);
        assertInstanceOf(LocalRules.StartAsPrimary.Refuse.class, refused);
        assertTrue(refused.toString().contains("no lease within 10000 ms"), refused.toString());
        assertInstanceOf(LocalRules.StartAsPrimary.Start.class, LocalRules.onStartAsPrimary(false, true, none, T, now, now),
                "manual mode: no lease needed");
    }

    @org.junit.jupiter.api.Test
    void givenTheEpochHasAnotherPrimaryNow_whenTheOldPrimaryWouldStartAsPrimary_thenRefusedEvenWithPromises() {
        // a rolled-back switchover's Resume that comes after this agent accepted a later epoch (another node is its
        // primary): starting PostgreSQL as a primary then is a second writer until a check fences it
        long now = START + 100 * S;
        LeaseView fresh = new LeaseView(3, List.of(now + 2 * S, now + 2 * S));
        var d = LocalRules.onStartAsPrimary(true, false, fresh, T, now, now);
        assertInstanceOf(LocalRules.StartAsPrimary.Refuse.class, d);
        assertTrue(d.toString().contains("not this node's"), d.toString());
    }

    @org.junit.jupiter.api.Test
    void givenTransitions_whenRecorded_thenEachFenceRestartRejoinAndGiveUpIsAnAgentEvent() {
        LinkState primary = new LinkState.Primary(3, START);
        var fencing = new LinkState.Fencing("lease expiring", START, false, primary);
        assertEquals(Optional.empty(), ClusterLink.eventOf(primary, fencing, "x"), "the fence's outcome is the event");
        assertEquals("fence", ClusterLink.eventOf(fencing, FENCED, "lease lost").orElseThrow().kind());
        assertEquals(false, ClusterLink.eventOf(fencing, primary, "failed").orElseThrow().ok());
        assertEquals("unfence", ClusterLink.eventOf(FENCED, primary, "lease held").orElseThrow().kind());
        assertEquals("local_restart", ClusterLink.eventOf(primary, new LinkState.Restarting(1, START), "down")
                .orElseThrow().kind());
        assertEquals("gave_up", ClusterLink.eventOf(primary, new LinkState.GaveUp("spent"), "spent").orElseThrow().kind());
        var rejoining = new LinkState.Rejoining(START, FENCED);
        assertEquals("auto_rejoin", ClusterLink.eventOf(FENCED, rejoining, "node 2").orElseThrow().kind());
        assertEquals(false, ClusterLink.eventOf(rejoining, FENCED, "failed").orElseThrow().ok());
        assertEquals(Optional.empty(), ClusterLink.eventOf(new LinkState.Joining(START), new LinkState.Standby(3, 2), "x"),
                "serving states follow the epoch: logged, not events");
    }

    @org.junit.jupiter.api.Test
    void givenAFencedNodeFencedAgain_whenThatFenceFails_thenItStaysFencedAndTheEventSaysFailed() {
        var again = new LinkState.Fencing("node 2 is primary in epoch 3", START, false, FENCED);
        LinkState after = ClusterLink.afterFailedFence(again);
        assertTrue(after.fenced(), "a failed fence must not unfence: " + after);
        Optional<ClusterLink.Event> e = ClusterLink.eventOf(again, after, "failed: pg_ctl timed out");
        assertEquals(false, e.orElseThrow().ok(), e.toString());
        assertTrue(e.get().text().contains("FAILED"), e.get().text());
    }

    @org.junit.jupiter.api.Test
    void givenAFencedStateThatGaveUp_whenItsServerAnswersAgain_thenItStaysFencedAndReportsNoRecovery() {
        var gaveUp = new LinkState.Fenced("hung", 3, LocalRecovery.GAVE_UP);
        LinkState serving = new LinkState.Standby(4, 2);
        LinkState next = gaveUp.withRecovery(LocalRecovery.NONE, 0, START, "answers", serving);
        assertTrue(next.fenced());
        assertEquals(LocalRecovery.NONE, next.recovery());
        assertEquals(serving, new LinkState.Restarting(2, START).withRecovery(LocalRecovery.NONE, 0, START, "ok", serving));
        assertInstanceOf(LinkState.GaveUp.class,
                new LinkState.Restarting(3, START).withRecovery(LocalRecovery.GAVE_UP, 3, START, "spent", serving));
    }
}
