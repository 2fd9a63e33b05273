package org.pgsteward.supervisor.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.pgsteward.protocol.cluster.LocalRecovery;
import org.pgsteward.protocol.cluster.NodeReport;
import org.pgsteward.protocol.cluster.PgState;
import org.pgsteward.protocol.cluster.SupervisorMessage.PrimaryAnswer;
import org.pgsteward.protocol.cluster.SupervisorMessage.Refusal;
import org.pgsteward.supervisor.policy.RequestRules.Situation;

/** Requests for a primary and for a switchover: one row per situation, the typed answer (empty: taken up). */
class RequestRulesTest {

    static final Situation KNOWN = new Situation(true, "", Optional.empty(), Optional.empty(), 4, Optional.of(1));
    static final Situation LEARNING = new Situation(false, "learning the cluster state: 1 of 3 agents reported",
            Optional.empty(), Optional.empty(), 4, Optional.of(1));
    static final Situation BUSY = new Situation(true, "", Optional.of("voting node 2 in epoch 5"), Optional.empty(), 4,
            Optional.of(1));
    static final Situation ALONE = new Situation(true, "", Optional.empty(), Optional.of("not deciding: fresh reports from 1 "
            + "of 3 agents"), 4, Optional.of(1));
    static final Situation NO_PRIMARY = new Situation(true, "", Optional.empty(), Optional.empty(), 0, Optional.empty());

    static NodeReport report(int id, PgState pg, Optional<String> streamingFrom) {
        return new NodeReport(id, "node" + id, 1, "inc", 4, 1, false, 100, "host=h" + id, pg, LocalRecovery.NONE,
                Optional.of(1L), Optional.empty(), Optional.empty(), Optional.empty(), streamingFrom, Optional.empty(), 0,
                List.of(), false, "", 4, 0);
    }

    static final Optional<NodeReport> PRIMARY_RUNS = Optional.of(report(1, PgState.PRIMARY, Optional.empty()));
    static final Optional<NodeReport> PRIMARY_DOWN = Optional.of(report(1, PgState.DOWN, Optional.empty()));
    static final Optional<NodeReport> STREAMING = Optional.of(report(2, PgState.STANDBY, Optional.of("h1:5432")));
    static final Optional<NodeReport> NOT_STREAMING = Optional.of(report(2, PgState.STANDBY, Optional.empty()));

    record Row(String name, Situation s, int node, boolean force, Optional<NodeReport> primary,
               Optional<NodeReport> candidate, Optional<Refusal> refusal, boolean granted) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Row refused(String name, Situation s, int node, boolean force, Optional<NodeReport> primary, Refusal r) {
        return new Row(name, s, node, force, primary, STREAMING, Optional.of(r), false);
    }

    static Stream<Row> primaryRequests() {
        return Stream.of(
                refused("state not known yet", LEARNING, 2, false, PRIMARY_RUNS, Refusal.STATE_NOT_KNOWN_YET),
                refused("an operation runs", BUSY, 2, false, PRIMARY_RUNS, Refusal.BUSY),
                refused("no majority heard", ALONE, 2, true, PRIMARY_RUNS, Refusal.NO_MAJORITY),
                refused("the old primary runs", KNOWN, 2, false, PRIMARY_RUNS, Refusal.OLD_PRIMARY_RUNNING),
                new Row("the old primary runs, forced: taken up", KNOWN, 2, true, PRIMARY_RUNS, STREAMING,
                        Optional.empty(), false),
                new Row("the old primary is down: taken up", KNOWN, 2, false, PRIMARY_DOWN, STREAMING, Optional.empty(),
                        false),
                new Row("the old primary unheard: taken up", KNOWN, 2, false, Optional.empty(), STREAMING, Optional.empty(),
                        false),
                new Row("no primary yet: taken up", NO_PRIMARY, 1, false, Optional.empty(), STREAMING, Optional.empty(),
                        false),
                new Row("already the primary: granted at once", KNOWN, 1, false, PRIMARY_RUNS, STREAMING, Optional.empty(),
                        true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("primaryRequests")
    void requestPrimary(Row row) {
        Optional<PrimaryAnswer> a = RequestRules.requestPrimary(row.s(), row.node(), row.force(), row.primary());
        if (row.granted()) {
            assertEquals(Optional.of(new PrimaryAnswer.Granted(4, "node 1 is primary in epoch 4")), a);
        } else {
            assertEquals(row.refusal(), a.map(x -> ((PrimaryAnswer.Refused) x).why()), String.valueOf(a));
        }
    }

    static Stream<Row> switchovers() {
        return Stream.of(
                new Row("state not known yet", LEARNING, 2, false, PRIMARY_RUNS, STREAMING,
                        Optional.of(Refusal.STATE_NOT_KNOWN_YET), false),
                new Row("an operation runs", BUSY, 2, false, PRIMARY_RUNS, STREAMING, Optional.of(Refusal.BUSY), false),
                new Row("no majority heard", ALONE, 2, false, PRIMARY_RUNS, STREAMING, Optional.of(Refusal.NO_MAJORITY),
                        false),
                new Row("the primary is down", KNOWN, 2, false, PRIMARY_DOWN, STREAMING,
                        Optional.of(Refusal.NO_RUNNING_PRIMARY), false),
                new Row("no primary registered", NO_PRIMARY, 2, false, Optional.empty(), STREAMING,
                        Optional.of(Refusal.NO_RUNNING_PRIMARY), false),
                new Row("to the primary itself", KNOWN, 1, false, PRIMARY_RUNS, STREAMING,
                        Optional.of(Refusal.ALREADY_PRIMARY), false),
                new Row("the candidate does not stream", KNOWN, 2, false, PRIMARY_RUNS, NOT_STREAMING,
                        Optional.of(Refusal.NOT_A_STREAMING_STANDBY), false),
                new Row("the candidate is unheard", KNOWN, 2, false, PRIMARY_RUNS, Optional.empty(),
                        Optional.of(Refusal.NOT_A_STREAMING_STANDBY), false),
                new Row("a streaming standby: taken up", KNOWN, 2, false, PRIMARY_RUNS, STREAMING, Optional.empty(),
                        false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("switchovers")
    void switchover(Row row) {
        Optional<PrimaryAnswer.Refused> r = RequestRules.switchover(row.s(), row.node(), row.primary(), row.candidate());
        assertEquals(row.refusal(), r.map(PrimaryAnswer.Refused::why), String.valueOf(r));
        r.ifPresent(x -> org.junit.jupiter.api.Assertions.assertTrue(x.text().startsWith("switchover refused: "), x.text()));
    }
}
