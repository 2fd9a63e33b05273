package org.pgsteward.agent.postgres;

import java.time.Duration;
import java.util.List;

/**
 * What a successful {@link Rewind} did.
 *
 * @param rewound false when pg_rewind found nothing to undo ("no rewind required"): the
 *                directory's history is a prefix of the source's
 * @param took    from the first check to the recovery configuration being written
 * @param output  pg_rewind's stderr lines (its messages and progress), oldest first, capped
 */
public record RewindResult(boolean rewound, Duration took, List<String> output) {

    public RewindResult {
        output = List.copyOf(output);
    }
}
