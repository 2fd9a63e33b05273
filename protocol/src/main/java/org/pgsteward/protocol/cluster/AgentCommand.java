package org.pgsteward.protocol.cluster;

import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.pgsteward.protocol.CborSerializable;
import org.pgsteward.protocol.Lsn;

/**
 * What the supervisor tells an agent. Every command carries the epoch it belongs to; an agent
 * refuses a command whose epoch is lower than the highest it has accepted, and persists (fsync)
 * a higher one before it acts.
 */
public sealed interface AgentCommand extends CborSerializable {

    long epoch();

    /** Who is primary in this epoch. A node that is not it must not serve writes. */
    record EpochAnnounce(long epoch, int primaryNodeId, String primaryConninfo) implements AgentCommand {}

    /** A step of a promotion or switchover: the agent runs it on its PostgreSQL and answers with a {@link StepResult}. */
    sealed interface Step extends AgentCommand {
        String opId();

        ActorRef<StepResult> replyTo();
    }

    /** Promote this standby (pg_ctl promote -w). */
    record Promote(long epoch, String opId, ActorRef<StepResult> replyTo) implements Step {}

    /** Re-point this standby at the new primary (reload on >= 13) and answer once it streams. */
    record Follow(long epoch, String opId, int primaryNodeId, String primaryConninfo, ActorRef<StepResult> replyTo)
            implements Step {}

    /** Stop serving writes now (immediate stop, SIGKILL if it hangs). */
    record Fence(long epoch, String reason) implements AgentCommand {}

    /** A fenced former primary: rewind (or re-clone when configured) and start as a standby of the primary. */
    record Rejoin(long epoch, String opId, int primaryNodeId, String primaryConninfo, ActorRef<StepResult> replyTo)
            implements Step {}

    /** On the primary: set synchronous_standby_names to these application names (empty: asynchronous). */
    record SetSynchronousStandbys(long epoch, String opId, List<String> names, ActorRef<StepResult> replyTo)
            implements Step {}

    /** Switchover, on the old primary: checkpoint, stop cleanly, answer with the final LSN. */
    record StopForSwitchover(long epoch, String opId, ActorRef<StepResult> replyTo) implements Step {}

    /** Switchover rollback, on the old primary: start again as primary. */
    record Resume(long epoch, String opId, ActorRef<StepResult> replyTo) implements Step {}

    /** Switchover, on the candidate: answer once it has received up to {@code lsn}, or fail after {@code timeout}. */
    record AwaitLsn(long epoch, String opId, Lsn lsn, Duration timeout, ActorRef<StepResult> replyTo) implements Step {}

    /**
     * A new supervisor incarnation of {@code term} asks for the record: the agent promises to refuse writes of older
     * terms (persisted) and answers with the newest record it holds. Answered whatever the agent's accepted epoch
     * ({@code epoch} is the incarnation's, which may not know it yet).
     */
    record RecordPrepare(long epoch, long term, ActorRef<RecordReply> replyTo) implements AgentCommand {}

    /** Persist this version of the record (atomic write, fsync) unless a newer term was promised; then acknowledge. */
    record RecordStore(long epoch, StoredRecord stored, ActorRef<RecordReply> replyTo) implements AgentCommand {}

    /** History lines (timestamp, then text) every agent keeps a copy of, so `cluster event` survives any host. */
    record History(long epoch, List<String> lines) implements AgentCommand {}
}
