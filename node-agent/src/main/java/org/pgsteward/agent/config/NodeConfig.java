package org.pgsteward.agent.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.pgsteward.agent.postgres.Conninfo;

/**
 * One node's validated configuration ({@code -f FILE}), from HOCON or the seed's
 * {@code repmgr.conf} form. See conf/pgsteward.conf for every key and its default.
 *
 * @param source  the file it was read from (named in every error)
 * @param cluster cluster name; the SQL schema is {@code repmgr_<cluster>}
 */
public record NodeConfig(
        Path source,
        String cluster,
        Node node,
        Postgres postgres,
        Agent agent,
        Failover failover,
        Replication replication,
        Clone cloning) {

    /** What runs on this host. */
    public enum Role { POSTGRES, WITNESS }

    public enum FailoverMode { AUTOMATIC, MANUAL }

    /**
     * @param conninfo how every node and the console reach this node's PostgreSQL; its port is the server's port
     * @param dataDir  PGDATA owned by this agent (absent only for a witness)
     * @param priority 0 = never promoted automatically
     */
    public record Node(int id, String name, Conninfo conninfo, Optional<Path> dataDir, int priority, Role role) {}

    /**
     * @param binDir  where pg_ctl and friends are; default from pg_config on PATH
     * @param osUser  run PostgreSQL programs as this user when the agent is root
     * @param logFile the postmaster's log ({@code pg_ctl -l}); default {@code <data-dir>/../<data-dir name>.log}
     */
    public record Postgres(Optional<Path> binDir, Optional<String> osUser, Optional<Path> logFile) {}

    /**
     * @param http            admin/health API (host, port)
     * @param clusterAddress  Pekko Artery host:port
     * @param seedNodes       Pekko cluster seed nodes
     * @param stateDir        where the agent keeps its own state (accepted epoch, embedded journal)
     * @param monitorInterval how often the node is probed and its state reported
     */
    public record Agent(HostPort http, HostPort clusterAddress, List<HostPort> seedNodes, Path stateDir,
                        Duration monitorInterval) {}

    /**
     * @param maxLagBytes a standby further behind than this is not a failover candidate
     */
    public record Failover(FailoverMode mode, boolean autoRejoin, Optional<Long> maxLagBytes) {}

    /** @param synchronous only a synchronous standby may be promoted */
    public record Replication(boolean synchronous) {}

    /**
     * @param sshOptions extra ssh arguments for the rsync clone (e.g. -p 2222 -i KEY); no whitespace inside one
     * @param timeout    a clone running longer is killed
     */
    public record Clone(List<String> sshOptions, Duration timeout) {}

    public record HostPort(String host, int port) {
        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }
}
