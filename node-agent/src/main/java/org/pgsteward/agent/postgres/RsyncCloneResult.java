package org.pgsteward.agent.postgres;

/**
 * What an rsync clone did.
 *
 * @param startLsn  where the backup (and recovery) starts
 * @param stopLsn   where the backup ends: the standby is consistent once it replayed this far
 * @param dataStats the data directory copy
 * @param walStats  the WAL copy
 */
public record RsyncCloneResult(String startLsn, String stopLsn, RsyncStats dataStats, RsyncStats walStats) {}
