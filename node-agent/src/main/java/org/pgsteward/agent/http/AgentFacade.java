package org.pgsteward.agent.http;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.pgsteward.agent.NodeAgent;
import org.pgsteward.protocol.api.ClusterView;
import org.pgsteward.protocol.api.CommandRequest;
import org.pgsteward.protocol.api.EventRow;
import org.pgsteward.protocol.api.NodeRow;
import org.pgsteward.protocol.api.OperationView;

/** What the HTTP API can ask of this agent; the HTTP layer only maps requests to these. */
public interface AgentFacade {

    CompletionStage<NodeAgent.SubmitResult> submit(CommandRequest request);

    CompletionStage<Optional<OperationView>> operation(String id, int since);

    CompletionStage<NodeAgent.LocalState> localState();

    CompletionStage<NodeRow> status();

    CompletionStage<ClusterView> cluster();

    CompletionStage<List<EventRow>> events(int limit);

    /** {@code node check}: this node's PostgreSQL, replication, slots, lease and the supervisor, one verdict each. */
    CompletionStage<org.pgsteward.protocol.api.NodeCheckView> check();

    /** Prometheus text exposition. */
    String metrics();
}
