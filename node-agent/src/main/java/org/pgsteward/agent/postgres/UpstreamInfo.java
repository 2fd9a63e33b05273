package org.pgsteward.agent.postgres;

/**
 * What the rsync clone needs to know about its upstream before copying anything.
 *
 * @param serverVersionNum  {@code server_version_num}, e.g. 150004
 * @param inRecovery        true for a standby
 * @param dataDirectory     the upstream's {@code data_directory}, the rsync source
 * @param userTablespaces   tablespaces besides pg_default and pg_global
 */
public record UpstreamInfo(int serverVersionNum, boolean inRecovery, String dataDirectory, int userTablespaces) {

    /** Major version as {@link PgBinaries#majorVersion()} counts it (9.6 is 9). */
    public int majorVersion() {
        return serverVersionNum / 10000;
    }
}
