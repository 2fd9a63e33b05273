package org.pgsteward.agent.cluster;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.pgsteward.agent.ops.OperationFailure;
import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.cluster.SupervisorMessage;

/** Blocking questions to the supervisor singleton, for operations (which run off the actor threads). */
public final class SupervisorClient {

    private final ActorSystem<?> system;
    private final ActorRef<SupervisorMessage> supervisor;

    public SupervisorClient(ActorSystem<?> system, ActorRef<SupervisorMessage> supervisor) {
        this.system = system;
        this.supervisor = supervisor;
    }

    /**
     * Asks to make {@code nodeId} the primary of a new epoch (register or manual promote). Waits
     * until a majority of agents voted, which includes waiting out the old primary's lease.
     */
    public SupervisorMessage.PrimaryAnswer requestPrimary(int nodeId, String why, boolean force, Duration timeout) {
        return ask(ref -> new SupervisorMessage.RequestPrimary(nodeId, why, force, ref), timeout, "asking to become primary");
    }

    /** A planned switchover to {@code candidateId}; the answer names the failed step when it fails. */
    public SupervisorMessage.PrimaryAnswer switchover(int candidateId, Duration timeout) {
        return ask(ref -> new SupervisorMessage.Switchover(candidateId, ref), timeout, "switching over");
    }

    public SupervisorMessage.View view(Duration timeout) {
        return ask(SupervisorMessage.GetView::new, timeout, "reading the supervisor's view");
    }

    public SupervisorMessage.View setPaused(boolean paused, String by, Duration timeout) {
        return ask(ref -> new SupervisorMessage.SetPaused(paused, by, ref), timeout, paused ? "pausing" : "resuming");
    }

    private <T> T ask(java.util.function.Function<ActorRef<T>, SupervisorMessage> message, Duration timeout, String what) {
        try {
            return AskPattern.<SupervisorMessage, T>ask(supervisor, message::apply, timeout, system.scheduler())
                    .toCompletableFuture().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new OperationFailure(ExitCode.ERR_TIMEOUT, what + ": the supervisor did not answer within "
                    + timeout.toSeconds() + " s (is a majority of the cluster's agents up?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationFailure(ExitCode.ERR_OPERATION_FAILED, what + ": interrupted", e);
        }
    }
}
