package org.pgsteward.protocol.api;

import java.util.List;
import java.util.Optional;

/** {@code GET /api/v1/cluster}: every registered node, seen from the asking agent. */
public record ClusterView(String cluster, Optional<Integer> primaryId, long epoch, boolean paused, List<NodeRow> nodes,
                          List<String> warnings) {}
