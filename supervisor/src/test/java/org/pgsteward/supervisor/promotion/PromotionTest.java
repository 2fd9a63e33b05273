package org.pgsteward.supervisor.promotion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pgsteward.protocol.Lsn;
import org.pgsteward.protocol.cluster.StepResult;

/** The promotion's phases and transitions, without an actor: what each answer, vote and timeout leads to. */
class PromotionTest {

    private static final long T0 = 1_000_000_000_000L;
    private static final long MS = 1_000_000L;
    private static final Duration VOTES = Duration.ofSeconds(5);
    private static final Duration STEP = Duration.ofSeconds(30);

    private static StepResult done(Promotion p, int node, String lsn) {
        return new StepResult(p.id(), node, StepResult.Outcome.DONE, "ok", Optional.of(Lsn.parse(lsn)), Optional.of(3L),
                Duration.ofMillis(40));
    }

    private static StepResult failed(String opId, int node, StepResult.Outcome outcome, String why) {
        return new StepResult(opId, node, outcome, why, Optional.empty(), Optional.empty(), Duration.ZERO);
    }

    @Test
    void givenAFailover_whenAMajorityVotes_thenChosenAndPromoting_andDoneOnceEveryFollowerAnswered() {
        Promotion p = Promotion.failover(4, 2, Optional.of(1), "node1 failed", Optional.of(T0 - 2_000 * MS), Optional.empty(), T0);
        assertEquals("voting node 2 in epoch 4", p.describe());

        Promotion afterOne = assertInstanceOf(Promotion.Next.Stay.class, p.onVote(2, 2, "inc-2", T0 + 10 * MS)).p();
        Promotion.Next.Chosen chosen = assertInstanceOf(Promotion.Next.Chosen.class, afterOne.onVote(3, 2, "inc-2", T0 + 20 * MS));
        assertEquals("node1 failed; votes from nodes [2, 3] in 20 ms", chosen.why());
        assertInstanceOf(Promotion.Phase.Promoting.class, chosen.p().phase());

        Promotion.Next.Promoted promoted = assertInstanceOf(Promotion.Next.Promoted.class,
                chosen.p().onStep(done(chosen.p(), 2, "0/5000060"), T0 + 200 * MS));
        assertTrue(promoted.detail().startsWith("node 2 promoted in 40 ms at 0/5000060 (timeline 3), 200 ms after the "
                + "decision, 2200 ms after the failure was first seen"), promoted.detail());

        Promotion.Next.Followed start = assertInstanceOf(Promotion.Next.Followed.class,
                promoted.p().following(Map.of(3, new Promotion.Follower("inc-3", false), 4,
                        new Promotion.Follower("inc-4", true)), T0 + 210 * MS));
        Promotion following = start.promotion().orElseThrow();
        Promotion.Next.Followed three = assertInstanceOf(Promotion.Next.Followed.class,
                following.onStep(done(following, 3, "0/5000060"), T0 + 300 * MS));
        assertTrue(three.promotion().isPresent(), "node 4 has not answered");
        Promotion.Next.Followed four = assertInstanceOf(Promotion.Next.Followed.class, three.promotion().get()
                .onStep(failed(following.id(), 4, StepResult.Outcome.FAILED, "pg_rewind failed"), T0 + 400 * MS));
        assertTrue(four.promotion().isEmpty(), "every follower answered: done");
        assertEquals("node 4 could not follow: pg_rewind failed", four.detail());
    }

    @Test
    void givenNoFollowerToTell_thenThePromotionEndsAtOnce() {
        Promotion p = Promotion.retry(4, 2, "runs as a standby", "inc-2", T0);
        Promotion promoted = ((Promotion.Next.Promoted) p.onStep(done(p, 2, "0/5000060"), T0)).p();
        var f = assertInstanceOf(Promotion.Next.Followed.class, promoted.following(Map.of(), T0));
        assertTrue(f.done() && f.promotion().isEmpty());
    }

    @Test
    void givenAPromoteTheNodeRefuses_thenItEndsSayingItCannotTakeTheStep() {
        Promotion p = Promotion.retry(4, 2, "runs as a standby", "inc-2", T0);
        var f = assertInstanceOf(Promotion.Next.PromoteFailed.class,
                p.onStep(failed(p.id(), 2, StepResult.Outcome.REFUSED, "epoch 4 is no longer this node's"), T0));
        assertTrue(f.refused());
        assertTrue(f.promotion().isEmpty());
        assertEquals("node 2: epoch 4 is no longer this node's", f.detail());
    }

    @Test
    void givenASwitchover_whenEveryStepBeforeTheVoteWorks_thenTheEpochIsReservedWithTheFinalLsnChecked() {
        Promotion p = Promotion.switchover(5, 2, 1, T0);
        assertEquals("stopping_old node 2 in epoch 5", p.describe());
        var stopped = assertInstanceOf(Promotion.Next.AwaitFinalLsn.class, p.onStep(done(p, 1, "0/6000028"), T0 + 100 * MS));
        assertEquals(Lsn.parse("0/6000028"), stopped.finalLsn());
        var reserve = assertInstanceOf(Promotion.Next.ReserveEpoch.class, stopped.p().onStep(done(p, 2, "0/6000028"),
                T0 + 150 * MS));
        assertTrue(reserve.p().voting());
        assertEquals("old primary stopped at 0/6000028 at +100 ms; node 2 has the final LSN at +150 ms",
                reserve.p().stepsText());
    }

    @Test
    void givenASwitchover_whenTheCandidateLacksTheFinalLsn_thenItRollsBackAndTheOldPrimarysRestartEndsIt() {
        Promotion p = Promotion.switchover(5, 2, 1, T0);
        Promotion catching = p.onStep(done(p, 1, "0/6000028"), T0).promotion().orElseThrow();
        var back = assertInstanceOf(Promotion.Next.RollBack.class,
                catching.onStep(failed(p.id(), 2, StepResult.Outcome.FAILED, "timed out at 0/6000000"), T0 + 10_000 * MS));
        assertEquals("switchover to node 2 failed at step 'verify the candidate received the final LSN 0/6000028': "
                + "timed out at 0/6000000", back.detail());
        Promotion resuming = back.p();
        assertTrue(resuming.waitsFor(resuming.resumeId()) && !resuming.waitsFor(resuming.id()),
                "the old primary's restart answers with an op id of its own");
        var ended = assertInstanceOf(Promotion.Next.RolledBack.class,
                resuming.onStep(failed(resuming.resumeId(), 1, StepResult.Outcome.DONE, "started"), T0 + 11_000 * MS));
        assertTrue(ended.restarted());
        assertTrue(ended.detail().endsWith("; rolled back: node 1 stays primary (started)"), ended.detail());
    }

    @Test
    void givenEachPhase_whenItsTimeRunsOut_thenBeforeTheVoteARollbackAfterItAnEnd() {
        Promotion stopping = Promotion.switchover(5, 2, 1, T0);
        assertInstanceOf(Promotion.Next.Stay.class, stopping.onTimeout(T0 + 29_000 * MS, VOTES, STEP, 2));
        var back = assertInstanceOf(Promotion.Next.RollBack.class, stopping.onTimeout(T0 + 30_000 * MS, VOTES, STEP, 2));

        Promotion voting = Promotion.failover(4, 2, Optional.of(1), "x", Optional.empty(), Optional.empty(), T0);
        voting = voting.onVote(2, 2, "inc-2", T0).promotion().orElseThrow();
        var t = assertInstanceOf(Promotion.Next.TimedOut.class, voting.onTimeout(T0 + 5_000 * MS, VOTES, STEP, 2));
        assertEquals("voting", t.phase());
        assertEquals("voting node 2 in epoch 4 timed out after 5000 ms with votes from [2] (need 2)", t.detail());

        var rb = assertInstanceOf(Promotion.Next.RolledBack.class, back.p().onTimeout(T0 + 60_000 * MS, VOTES, STEP, 2));
        assertTrue(!rb.restarted() && rb.detail().contains("starting node 1 again failed: no answer within 30000 ms"),
                rb.detail());
    }

    @Test
    void givenAReplacementOfItself_thenNothingIsReplaced() {
        Promotion p = Promotion.failover(6, 3, Optional.empty(), "again", Optional.empty(), Optional.of(3), T0);
        assertEquals(Optional.empty(), p.replacedPrimaryId());
        assertEquals(Optional.of(2), Promotion.failover(6, 3, Optional.empty(), "x", Optional.empty(), Optional.of(2), T0)
                .replacedPrimaryId());
    }

    @Test
    void givenAFollowerThatComesBackAsANewIncarnation_thenItIsToBeToldAgain_andItsAnswerStillCounts() {
        Promotion p = Promotion.retry(4, 2, "x", "inc-2", T0);
        Promotion promoted = ((Promotion.Next.Promoted) p.onStep(done(p, 2, "0/5000060"), T0)).p();
        Promotion following = promoted.following(Map.of(3, new Promotion.Follower("inc-3a", false)), T0).promotion()
                .orElseThrow();
        assertEquals(Optional.empty(), following.newIncarnation(3, "inc-3a"), "the one told: nothing to resend");
        assertEquals(Optional.empty(), following.newIncarnation(1, "inc-1b"), "not waited for");
        Promotion again = following.newIncarnation(3, "inc-3b").orElseThrow();
        assertEquals(Optional.of(new Promotion.Follower("inc-3b", false)), again.awaited(3));
        var f = assertInstanceOf(Promotion.Next.Followed.class, again.onStep(done(again, 3, "0/5000060"), T0));
        assertTrue(f.done());
    }

    @Test
    void givenTheCandidateComesBackAsANewIncarnationBeforeItAnswered_thenItIsToBeToldAgainToPromote() {
        Promotion p = Promotion.failover(14, 3, Optional.of(1), "x", Optional.empty(), Optional.empty(), T0);
        Promotion promoting = ((Promotion.Next.Chosen) p.onVote(2, 1, "inc-3a", T0)).p();
        assertEquals(Optional.empty(), promoting.newIncarnation(3, "inc-3a"));
        assertEquals(Optional.empty(), promoting.newIncarnation(2, "inc-2b"), "only the candidate's");
        Promotion again = promoting.newIncarnation(3, "inc-3b").orElseThrow();
        assertEquals(new Promotion.Phase.Promoting("inc-3b"), again.phase());
        assertEquals(promoting.phaseStartedNanos(), again.phaseStartedNanos(), "the step's time limit still counts");
        Promotion asked = Promotion.requested(14, 3, Optional.of(1), "asked", T0);
        Promotion grantedAsked = ((Promotion.Next.Chosen) asked.onVote(2, 1, "inc-3a", T0)).p();
        assertEquals(Optional.empty(), grantedAsked.newIncarnation(3, "inc-3b"), "an agent that asked promotes itself");
    }
}
