package org.pgsteward.agent.ops;

import org.pgsteward.protocol.api.CommandRequest;

/**
 * What the NodeAgent runs on this node, one at a time: a console command, or a step the cluster link asks for. The
 * two are apart by type, so HTTP can never reach a cluster step (it only builds {@link Console}).
 */
public sealed interface Work permits Work.Console, ClusterStep {

    /** For logs, `node status` and the running-operation detail of reports. */
    String label();

    record Console(CommandRequest request) implements Work {
        @Override
        public String label() {
            return request.command();
        }
    }
}
