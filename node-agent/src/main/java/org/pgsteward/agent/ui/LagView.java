package org.pgsteward.agent.ui;

import java.util.List;
import java.util.Optional;

/**
 * {@code GET /ui/data/lag}: each standby's replication lag over the last hour, as this agent sampled it.
 *
 * @param sampleMillis  how often a sample is taken
 * @param windowSeconds how far back the samples go at most
 * @param problem       why the latest sampling round found nothing, when it did not
 */
public record LagView(long sampleMillis, long windowSeconds, List<LagHistory.NodeSeries> nodes, Optional<String> problem) {}
