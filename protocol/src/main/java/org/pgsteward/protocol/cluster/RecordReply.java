package org.pgsteward.protocol.cluster;

import java.util.Optional;
import org.pgsteward.protocol.CborSerializable;

/**
 * An agent's answer to {@link AgentCommand.RecordPrepare} or {@link AgentCommand.RecordStore}.
 *
 * @param ok           prepared (promised {@code term}) or stored ({@code term}, {@code seq})
 * @param promisedTerm the highest term this agent has promised: a refusal names it
 * @param stored       for a prepare: the newest record this agent holds
 * @param why          for a refusal: the reason (e.g. the record file cannot be written)
 */
public record RecordReply(int nodeId, long term, long seq, boolean ok, long promisedTerm, Optional<StoredRecord> stored,
                          String why) implements CborSerializable {}
