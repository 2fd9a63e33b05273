package org.pgsteward.protocol.api;

import java.time.Instant;

/** One row of {@code cluster event}. */
public record EventRow(long id, int nodeId, String event, boolean successful, Instant timestamp, String details) {}
