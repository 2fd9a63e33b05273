package org.pgsteward.protocol.api;

import java.util.Optional;

/**
 * The seed's command-line options, as the console parsed them. Every option is optional;
 * the agent decides which a command needs and says which is missing.
 *
 * @param target             the command's positional argument (the upstream HOST of clone / follow)
 * @param host               -h
 * @param port               -p
 * @param username           -U
 * @param dbname             -d
 * @param dataDir            -D (must name node.data-dir)
 * @param remoteUser         -R (ssh user for rsync)
 * @param walKeepSegments    -w
 * @param ignoreRsyncWarning -I
 * @param force              -F
 * @param verbose            --verbose
 * @param method             clone method: basebackup or rsync
 * @param noStart            --no-start (clone without starting the standby)
 */
public record CommandArgs(
        Optional<String> target,
        Optional<String> host,
        Optional<Integer> port,
        Optional<String> username,
        Optional<String> dbname,
        Optional<String> dataDir,
        Optional<String> remoteUser,
        Optional<Integer> walKeepSegments,
        boolean ignoreRsyncWarning,
        boolean force,
        boolean verbose,
        Optional<String> method,
        boolean noStart) {

    /** JSON may leave options out: an absent option is empty, never null. */
    public CommandArgs {
        target = orEmpty(target);
        host = orEmpty(host);
        port = orEmpty(port);
        username = orEmpty(username);
        dbname = orEmpty(dbname);
        dataDir = orEmpty(dataDir);
        remoteUser = orEmpty(remoteUser);
        walKeepSegments = orEmpty(walKeepSegments);
        method = orEmpty(method);
    }

    private static <T> Optional<T> orEmpty(Optional<T> o) {
        return o == null ? Optional.empty() : o;
    }

    public static CommandArgs none() {
        return new CommandArgs(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), false, false, false, Optional.empty(), false);
    }
}
