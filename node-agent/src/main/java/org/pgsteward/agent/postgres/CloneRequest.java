package org.pgsteward.agent.postgres;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What to clone from where.
 *
 * @param upstream how to reach the upstream server (may hold a password; never logged)
 * @param dataDir  the local data directory to create or (with {@code force}) overwrite
 * @param force    the seed's {@code -F}: an existing, non-empty data directory is replaced
 *                 (pg_basebackup) or resynchronised (rsync) instead of refused
 */
public record CloneRequest(Conninfo upstream, Path dataDir, boolean force) {

    public CloneRequest {
        Objects.requireNonNull(upstream, "upstream");
        Objects.requireNonNull(dataDir, "dataDir");
        dataDir = dataDir.toAbsolutePath().normalize();
    }
}
