package org.pgsteward.agent.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.pgsteward.agent.cluster.ServerLiveness.Verdict;
import org.pgsteward.agent.postgres.ProcessSample;
import org.pgsteward.agent.postgres.Reachability;

/**
 * The rule that tells a hung local PostgreSQL from a slow one (issue 8 point 5), as a table: each row is what the
 * agent saw (its probes of the server and a look at the postmaster every 100 ms, times in ms), the verdict it must
 * reach and a phrase of its reason. failover.timeout 1.5 s, restart budget 4 s: spent after 5.5 s.
 */
class ServerLivenessTest {

    private static final long MS = 1_000_000L;
    private static final ServerLiveness.Limits LIMITS = new ServerLiveness.Limits(1_500 * MS, 4_000 * MS);
    private static final long PM = 4242;

    sealed interface Step {
        long atMs();
    }

    /** A look at the postmaster: empty when none is alive. */
    record Look(long atMs, Optional<ProcessSample> postmaster) implements Step {}

    /** A probe that began at {@code startMs} and whose result came at {@code atMs}. */
    record Probe(long startMs, long atMs, Reachability result) implements Step {}

    record Row(String name, List<Step> steps, Class<? extends Verdict> verdict, boolean spent, String phrase) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** The postmaster looked at every 100 ms in [fromMs, toMs], as {@code at} says it was at each time. */
    interface PostmasterAt {
        Optional<ProcessSample> at(long ms);
    }

    static List<Step> looks(long fromMs, long toMs, PostmasterAt pm) {
        List<Step> out = new ArrayList<>();
        for (long t = fromMs; t <= toMs; t += 100) {
            out.add(new Look(t, pm.at(t)));
        }
        return out;
    }

    /** Sleeping in its server loop: it runs (a context switch) at each of {@code runsAtMs}, not in between. */
    static PostmasterAt runsAt(long... runsAtMs) {
        return t -> {
            long runs = java.util.Arrays.stream(runsAtMs).filter(r -> r <= t).count();
            return Optional.of(new ProcessSample(PM, 77, 'S', 10, 100 + runs, true));
        };
    }

    /** Runs at {@code runsAtMs} until {@code stoppedAtMs}, then SIGSTOPped: state T, nothing moves. */
    static PostmasterAt stoppedAt(long stoppedAtMs, long... runsAtMs) {
        PostmasterAt before = runsAt(runsAtMs);
        return t -> {
            ProcessSample s = before.at(Math.min(t, stoppedAtMs)).orElseThrow();
            return Optional.of(t < stoppedAtMs ? s
                    : new ProcessSample(s.pid(), s.startTicks(), 'T', s.cpuTicks(), s.contextSwitches(), true));
        };
    }

    static final PostmasterAt GONE = t -> Optional.empty();
    /** Stuck in the kernel (state D) from the start: nothing moves, but it is not stopped. */
    static final PostmasterAt STUCK = t -> Optional.of(new ProcessSample(PM, 77, 'D', 10, 100, true));
    static final PostmasterAt UNREADABLE = t -> Optional.of(ProcessSample.unknown(PM));

    static Probe probe(long startMs, long atMs, Reachability r) {
        return new Probe(startMs, atMs, r);
    }

    static Row row(String name, Class<? extends Verdict> verdict, String phrase, List<Step> looks, Probe... probes) {
        return new Row(name, merge(looks, probes), verdict, false, phrase);
    }

    static Row spent(Row r) {
        return new Row(r.name(), r.steps(), r.verdict(), true, r.phrase());
    }

    private static List<Step> merge(List<Step> looks, Probe... probes) {
        List<Step> all = new ArrayList<>(looks);
        all.addAll(List.of(probes));
        // by time; at the same time the look first (the check runs every 100 ms, results come in between)
        all.sort(java.util.Comparator.comparingLong(Step::atMs).thenComparing(s -> s instanceof Probe ? 1 : 0));
        return all;
    }

    static final Reachability OK = Reachability.REACHABLE;
    static final Reachability NO_ANSWER = Reachability.UNREACHABLE;

    static Stream<Row> scenarios() {
        return Stream.of(
                // --- it answers, or something answers: never hung
                row("idle server that answers: its postmaster runs only at each probe", Verdict.Answers.class, "",
                        looks(0, 6_000, runsAt(1_510, 2_510, 3_510, 4_510, 5_510)),
                        probe(1_500, 1_520, OK), probe(2_500, 2_520, OK), probe(5_500, 5_520, OK)),
                row("too many clients (an error sent by the server) while its postmaster idles: it is up",
                        Verdict.Answers.class, "", looks(0, 9_000, runsAt()),
                        probe(1_500, 1_510, Reachability.ERROR), probe(2_510, 2_520, Reachability.ERROR)),
                row("no postmaster, but a password rejection: some server answers, none to start",
                        Verdict.Answers.class, "", looks(0, 3_000, GONE), probe(1_500, 1_510, Reachability.AUTH_FAILED)),

                // --- down: nothing runs
                row("no answer and no postmaster alive: down (crashed or stopped), to restart", Verdict.Down.class, "",
                        looks(0, 3_000, GONE), probe(1_500, 1_510, NO_ANSWER)),
                row("no answer and not looked at yet: down, as before the looks", Verdict.Down.class, "",
                        List.of(), probe(1_500, 1_510, NO_ANSWER)),

                // --- hung: no answer, and its postmaster did not run while the probe waited
                row("SIGSTOP: postmaster stopped, the probe's login timed out after 3 s: hung, given its time",
                        Verdict.Hung.class, "state T (stopped)",
                        looks(0, 4_500, stoppedAt(1_000, 500)), probe(1_500, 4_500, NO_ANSWER)),
                row("SIGSTOP, 5.4 s since it was first seen stopped: still given its time", Verdict.Hung.class,
                        "has not run for 5.4 s", looks(0, 6_400, stoppedAt(1_000, 500)),
                        probe(1_500, 4_500, NO_ANSWER)),
                spent(row("SIGSTOP, failover.timeout + restart budget since it was first seen stopped: spent",
                        Verdict.Hung.class, "has not run for 5.5 s", looks(0, 6_500, stoppedAt(1_000, 500)),
                        probe(1_500, 4_500, NO_ANSWER), probe(5_500, 8_500, NO_ANSWER))),
                row("stuck in the kernel (state D, nothing moves): counted from when the probe began to wait",
                        Verdict.Hung.class, "has not run for 5.4 s", looks(0, 6_900, STUCK),
                        probe(1_500, 4_500, NO_ANSWER)),
                spent(row("stuck in the kernel, failover.timeout + restart budget since the probe began: spent",
                        Verdict.Hung.class, "state D", looks(0, 7_000, STUCK), probe(1_500, 4_500, NO_ANSWER))),
                row("stopped while a probe it had accepted logged in: hung from the stop (a stopped one is not loaded)",
                        Verdict.Hung.class, "has not run for 2.8 s", looks(0, 4_500, stoppedAt(1_700, 1_600)),
                        probe(1_500, 4_500, NO_ANSWER)),
                spent(row("stopped while a probe it had accepted logged in, 5.5 s later: spent", Verdict.Hung.class,
                        "state T", looks(0, 7_200, stoppedAt(1_700, 1_600)), probe(1_500, 4_500, NO_ANSWER))),
                spent(row("stopped, then a later probe waited too: the earlier proof (the stop) counts",
                        Verdict.Hung.class, "has not run for 5.5 s", looks(0, 7_200, stoppedAt(1_700, 1_600)),
                        probe(1_500, 4_500, NO_ANSWER), probe(5_500, 7_150, NO_ANSWER))),
                row("stopped after an answered probe, no probe unanswered yet: it answers (nothing asked it since)",
                        Verdict.Answers.class, "", looks(0, 4_000, stoppedAt(1_700, 1_600)),
                        probe(1_500, 1_600, OK)),
                row("stopped after an answered probe, then a probe waits: hung since it was first seen stopped",
                        Verdict.Hung.class, "has not run for 3.5 s", looks(0, 5_500, stoppedAt(2_000, 500, 1_005)),
                        probe(1_000, 1_010, OK), probe(2_500, 5_500, NO_ANSWER)),

                // --- slow: no answer in time, but its postmaster runs
                row("loaded: the postmaster accepted the probe (ran after it began), the backend's login timed out",
                        Verdict.Slow.class, "ran since the probe began to wait", looks(0, 4_500, runsAt(500, 1_600)),
                        probe(1_500, 4_500, NO_ANSWER)),
                row("loaded for long: every probe accepted, the postmaster idle in between: never hung",
                        Verdict.Slow.class, "loaded, not hung", looks(0, 16_500, runsAt(1_600, 5_600, 9_600, 13_600)),
                        probe(1_500, 4_500, NO_ANSWER), probe(5_500, 8_500, NO_ANSWER),
                        probe(9_500, 12_500, NO_ANSWER), probe(13_500, 16_500, NO_ANSWER)),
                row("a stall shorter than failover.timeout is a blip", Verdict.Slow.class,
                        "less than failover.timeout", looks(0, 2_400, stoppedAt(1_000, 500)),
                        probe(1_500, 1_510, NO_ANSWER)),
                row("hung, then continued (SIGCONT): it runs again, so it is slow until it answers", Verdict.Slow.class,
                        "ran since", looks(0, 5_100, t -> t < 5_100 ? stoppedAt(1_000, 500).at(t)
                                : runsAt(500, 5_050).at(t)), probe(1_500, 4_500, NO_ANSWER)),
                row("continued and answering again", Verdict.Answers.class, "",
                        looks(0, 5_600, t -> t < 5_100 ? stoppedAt(1_000, 500).at(t) : runsAt(500, 5_050).at(t)),
                        probe(1_500, 4_500, NO_ANSWER), probe(5_500, 5_510, OK)),
                row("a new postmaster (another pid: restarted) counts as having run", Verdict.Slow.class, "ran since",
                        looks(0, 4_500, t -> t < 3_000 ? stoppedAt(1_000, 500).at(t)
                                : Optional.of(new ProcessSample(PM + 1, 99, 'S', 0, 1, true))),
                        probe(1_500, 4_500, NO_ANSWER)),
                row("/proc unreadable: a postmaster whose counters are unknown is never hung", Verdict.Slow.class,
                        "ran since", looks(0, 9_000, UNREADABLE), probe(1_500, 4_500, NO_ANSWER),
                        probe(5_500, 8_500, NO_ANSWER)),

                // --- the probe's start comes from the wall clock: bounded by the results around it
                row("a probe start after its result (wall clock stepped back) counts from the result",
                        Verdict.Slow.class, "less than failover.timeout", looks(0, 5_000, STUCK),
                        probe(9_000, 4_500, NO_ANSWER)),
                row("a probe start before the previous result (wall clock stepped forward) counts from that result",
                        Verdict.Hung.class, "has not run for 3.0 s", looks(0, 4_500, STUCK),
                        probe(1_450, 1_500, OK), probe(0, 4_500, NO_ANSWER)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void verdict(Row row) {
        ServerLiveness.Evidence e = ServerLiveness.Evidence.start(0);
        for (Step s : row.steps()) {
            if (s instanceof Look l) {
                e = e.sampled(l.postmaster(), l.atMs() * MS);
            } else if (s instanceof Probe p) {
                e = e.probed(p.result(), p.startMs() * MS, p.atMs() * MS);
            }
        }
        Verdict v = ServerLiveness.judge(e, LIMITS);
        assertInstanceOf(row.verdict(), v, () -> row.name() + ": " + v);
        String why = v instanceof Verdict.Hung h ? h.why() : v instanceof Verdict.Slow sl ? sl.why() : "";
        assertTrue(why.contains(row.phrase()), () -> "'" + row.phrase() + "' in: " + why);
        if (v instanceof Verdict.Hung h) {
            assertEquals(row.spent(), h.spent(), () -> "spent after failover.timeout + restart budget: " + h);
        }
    }
}
