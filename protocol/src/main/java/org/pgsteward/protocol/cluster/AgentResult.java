package org.pgsteward.protocol.cluster;

import java.util.Optional;
import org.pgsteward.protocol.CborSerializable;

/**
 * An agent's answer to a supervisor command.
 *
 * @param lsn      the WAL position that matters for the step (promotion point, final LSN, received LSN)
 * @param timeline the node's timeline after the step
 * @param millis   how long the step took on the agent
 */
public record AgentResult(String opId, int nodeId, boolean success, String message, Optional<String> lsn,
                          Optional<Long> timeline, long millis) implements CborSerializable {}
