package org.pgsteward.agent.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The voter's rules (safety-2026-12 F2, F5, F15). In c71a984 a vote made the voter accept the candidate as primary
 * of the new epoch (ClusterLink.onVote → acceptEpoch) and a promise request of a higher epoch was accepted as the
 * decision (ClusterLink.onPeer): a self-vote in a failed election then spread through lease requests and fenced a
 * healthy primary. These scenarios pin the rules that replace it.
 */
class VoterTest {

    private static final long MS = 1_000_000L;
    private static final long LEASE = 3_000 * MS;
    private static final long MARGIN = 230 * MS;
    /** Long after the agent started: no start-up block. */
    private static final long LATER = 100_000 * MS;

    @TempDir
    Path dir;

    private EpochStore epochs;
    private LeaseState lease;

    private Voter voter(int self, long leaseNanos, long startedNanos) {
        epochs = new EpochStore(dir);
        lease = new LeaseState(leaseNanos, MARGIN);
        return new Voter(self, epochs, lease, MARGIN, startedNanos);
    }

    @Test
    void givenSelfVoteInAFailedElection_whenVoted_thenTheVoterIsNotPrimaryOfThatEpoch() {
        Voter v = voter(3, LEASE, 0);
        epochs.accept(1, 1);

        assertInstanceOf(Voter.VoteAnswer.Granted.class, v.onVoteRequest(2, 3, false, LATER));

        assertEquals(1, epochs.current(), "a vote is not a decision");
        assertEquals(Optional.of(1), epochs.primaryOfCurrentEpoch());
        assertEquals(Optional.of(new EpochStore.Vote(2, 3)), epochs.vote());
        assertEquals(Optional.of(new EpochStore.Vote(2, 3)), new EpochStore(dir).vote(), "the vote is durable");
    }

    @Test
    void givenHealthyPrimary_whenAPromiseRequestOfAnUndecidedHigherEpochArrives_thenRefusedAndNothingChanges() {
        Voter v = voter(2, LEASE, 0);
        epochs.accept(1, 1);
        assertTrue(v.onPromiseRequest(1, 1, 3_000, LATER).granted());

        Voter.PromiseAnswer a = v.onPromiseRequest(2, 3, 3_000, LATER + 100 * MS);

        assertFalse(a.granted(), a.why());
        assertEquals(1, epochs.current(), "a promise request never makes an agent accept a higher epoch");
        assertEquals(Optional.of(1), epochs.primaryOfCurrentEpoch());
        assertTrue(lease.voteBlockedFor(3, LATER + 100 * MS) > 0, "the promise to the healthy primary still holds");
    }

    @Test
    void givenVotedForCandidate_whenTheOldPrimaryAsksForAPromise_thenRefused() {
        Voter v = voter(2, LEASE, 0);
        epochs.accept(1, 1);
        v.onVoteRequest(2, 3, false, LATER);

        assertFalse(v.onPromiseRequest(1, 1, 3_000, LATER + MS).granted(),
                "that election may have won: the old primary must not count this agent");
    }

    @Test
    void givenVotedForCandidate_whenTheCandidateAsksForAPromiseInItsEpoch_thenGrantedWithoutAcceptingIt() {
        Voter v = voter(2, LEASE, 0);
        epochs.accept(1, 1);
        v.onVoteRequest(2, 3, false, LATER);

        assertTrue(v.onPromiseRequest(2, 3, 3_000, LATER + MS).granted());
        assertEquals(1, epochs.current());
    }

    @Test
    void givenAcceptedEpoch_whenAnotherNodeClaimsToBeItsPrimary_thenRefused() {
        Voter v = voter(2, LEASE, 0);
        epochs.accept(4, 1);

        assertFalse(v.onPromiseRequest(4, 3, 3_000, LATER).granted());
        assertTrue(v.onPromiseRequest(4, 1, 3_000, LATER).granted());
    }

    @Test
    void givenRunningPromiseToThePrimary_whenAVoteForARivalArrives_thenRetryOnceThePromiseAndMarginRanOut() {
        Voter v = voter(2, LEASE, 0);
        epochs.accept(1, 1);
        v.onPromiseRequest(1, 1, 3_000, LATER);

        var early = assertInstanceOf(Voter.VoteAnswer.Refused.class, v.onVoteRequest(2, 3, false, LATER + 1_000 * MS));
        assertEquals(2_000 + 230, early.retryMillis());
        assertInstanceOf(Voter.VoteAnswer.Granted.class, v.onVoteRequest(2, 3, false, LATER + 3_231 * MS));
    }

    @Test
    void givenVoteInAnEpoch_whenAnotherCandidateAsksInTheSameOrAnOlderEpoch_thenRefused() {
        Voter v = voter(2, LEASE, 0);
        epochs.accept(1, 1);
        v.onVoteRequest(3, 3, false, LATER);

        assertInstanceOf(Voter.VoteAnswer.Refused.class, v.onVoteRequest(3, 1, false, LATER));
        assertInstanceOf(Voter.VoteAnswer.Refused.class, v.onVoteRequest(2, 1, false, LATER));
        assertInstanceOf(Voter.VoteAnswer.Granted.class, v.onVoteRequest(3, 3, false, LATER), "a repeat");
        assertInstanceOf(Voter.VoteAnswer.Granted.class, v.onVoteRequest(4, 1, false, LATER), "a later election");
    }

    @Test
    void givenDecidedEpoch_whenTheSameDecisionIsAskedAgain_thenGranted_andALowerOneRefused() {
        Voter v = voter(2, LEASE, 0);
        epochs.accept(5, 3);

        assertInstanceOf(Voter.VoteAnswer.Granted.class, v.onVoteRequest(5, 3, false, LATER));
        assertInstanceOf(Voter.VoteAnswer.Refused.class, v.onVoteRequest(5, 1, false, LATER));
        assertInstanceOf(Voter.VoteAnswer.Refused.class, v.onVoteRequest(4, 3, false, LATER));
    }

    @Test
    void givenTheOldPrimaryMayStillWrite_whenAskedToVoteForItsSuccessor_thenFenceFirst() {
        Voter v = voter(1, LEASE, 0);
        epochs.accept(1, 1);

        assertInstanceOf(Voter.VoteAnswer.FenceFirst.class, v.onVoteRequest(2, 2, true, LATER));
        assertEquals(Optional.empty(), epochs.vote(), "no vote while it may write");
    }

    @Test
    void givenAShorterOwnLease_whenThePrimaryAsksForItsLongerOne_thenTheLongerIsPromisedAndHeld() {
        Voter v = voter(2, 1_000 * MS, 0); // this voter runs a 1 s lease, the primary still 1.5 s (a rolling change)
        epochs.accept(1, 1);

        Voter.PromiseAnswer a = v.onPromiseRequest(1, 1, 1_500, LATER);

        assertEquals(1_500, a.grantedMillis());
        assertTrue(lease.voteBlockedFor(3, LATER + 1_400 * MS) > 0, "no vote before the requested lease ran out");
        // capped at twice its own lease; the primary then counts only what was granted (LeaseStateTest)
        assertEquals(2_000, v.onPromiseRequest(1, 1, 3_000, LATER).grantedMillis());
    }

    @Test
    void givenAgentJustRestartedInAnEpoch_whenAskedToVote_thenRefusedForTheLongestPromiseItCouldHaveGiven() {
        Voter v = voter(2, LEASE, LATER);
        epochs.accept(1, 1);

        var r = assertInstanceOf(Voter.VoteAnswer.Refused.class, v.onVoteRequest(2, 3, false, LATER + 1_000 * MS));
        assertEquals(6_000 + 230 - 1_000, r.retryMillis());
    }

    @Test
    void givenAgentThatNeverAcceptedAnEpoch_whenAskedToVoteRightAfterStart_thenGranted() {
        Voter v = voter(2, LEASE, LATER);

        assertInstanceOf(Voter.VoteAnswer.Granted.class, v.onVoteRequest(1, 1, false, LATER + MS),
                "it never promised anything: the first registration need not wait");
    }
}
