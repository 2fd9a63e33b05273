package org.pgsteward.agent.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.pgsteward.agent.postgres.Conninfo;

/**
 * One node's validated configuration ({@code -f FILE}), from HOCON or the seed's
 * {@code repmgr.conf} form. See conf/pgsteward.conf for every key and its default.
 *
 * <p>Built by {@link ConfigLoader}, which guarantees every invariant documented here.
 *
 * @param source         the file it was read from (named in every error)
 * @param cluster        cluster name ({@code [A-Za-z0-9_]+}); the SQL schema is {@code repmgr_<cluster>}
 * @param pekkoOverrides the file's root {@code pekko { ... }} section verbatim (still rooted at {@code pekko}),
 *                       or an empty Config; the agent layers it over its generated Pekko settings
 *                       ({@code pekkoOverrides.withFallback(generated)}) for advanced tuning
 * @param events         {@code events.*}: the program run for each event on this node (none by default)
 */
public record NodeConfig(
        Path source,
        String cluster,
        Node node,
        Postgres postgres,
        Agent agent,
        Failover failover,
        Replication replication,
        Clone cloning,
        Supervisor supervisor,
        Config pekkoOverrides,
        org.pgsteward.agent.events.EventCommand events) {

    /** Without an event command. */
    public NodeConfig(Path source, String cluster, Node node, Postgres postgres, Agent agent, Failover failover,
                      Replication replication, Clone cloning, Supervisor supervisor, Config pekkoOverrides) {
        this(source, cluster, node, postgres, agent, failover, replication, cloning, supervisor, pekkoOverrides,
                org.pgsteward.agent.events.EventCommand.none());
    }

    /** Without Pekko overrides (e.g. in tests). */
    public NodeConfig(Path source, String cluster, Node node, Postgres postgres, Agent agent, Failover failover,
                      Replication replication, Clone cloning) {
        this(source, cluster, node, postgres, agent, failover, replication, cloning, Supervisor.embedded(), ConfigFactory.empty());
    }

    /** The SQL schema holding this cluster's metadata. */
    public String schema() {
        return "repmgr_" + cluster;
    }

    /** What runs on this host. */
    public enum Role { POSTGRES, WITNESS }

    public enum FailoverMode { AUTOMATIC, MANUAL }

    /**
     * @param conninfo how every node and the console reach this node's PostgreSQL; its port is the server's port
     * @param dataDir  PGDATA owned by this agent (absent only for a witness)
     * @param priority 0 = never promoted automatically
     * @param autoRegister a streaming standby of this cluster's primary that is not registered registers itself
     */
    public record Node(int id, String name, Conninfo conninfo, Optional<Path> dataDir, int priority, Role role,
                       boolean autoRegister) {

        /** {@code node.auto-register} on (the default). */
        public Node(int id, String name, Conninfo conninfo, Optional<Path> dataDir, int priority, Role role) {
            this(id, name, conninfo, dataDir, priority, role, true);
        }
    }

    /**
     * @param binDir  where pg_ctl and friends are; default from pg_config on PATH
     * @param osUser  run PostgreSQL programs as this user when the agent is root
     * @param logFile the postmaster's log ({@code pg_ctl -l}); default {@code <data-dir>/../<data-dir name>.log}
     * @param configDir where postgresql.conf is when it is not in the data directory (Debian's
     *                  {@code /etc/postgresql/<version>/<name>}); empty: the data directory
     */
    public record Postgres(Optional<Path> binDir, Optional<String> osUser, Optional<Path> logFile,
                           Optional<Path> configDir) {

        /** postgresql.conf in the data directory. */
        public Postgres(Optional<Path> binDir, Optional<String> osUser, Optional<Path> logFile) {
            this(binDir, osUser, logFile, Optional.empty());
        }
    }

    /**
     * @param http            admin/health API (host, port)
     * @param clusterAddress  Pekko Artery host:port
     * @param seedNodes       Pekko cluster seed nodes
     * @param stateDir        where the agent keeps its own state (accepted epoch, embedded journal)
     * @param monitorInterval how often the node is probed and its state reported
     * @param healthHttp      a second listener with only the health endpoints and metrics (no credentials, read-only)
     * @param apiTokenFile    the bearer token for {@code /api/v1}; empty: {@code <stateDir>/api.token}, created at start
     * @param tls             set: Artery mutual TLS between agents and HTTPS on {@code http}; empty: plain TCP and HTTP
     */
    public record Agent(HostPort http, HostPort clusterAddress, List<HostPort> seedNodes, Path stateDir,
                        Duration monitorInterval, Optional<HostPort> healthHttp, Optional<Path> apiTokenFile,
                        Optional<Tls> tls) {
        public Agent {
            seedNodes = List.copyOf(seedNodes);
        }

        /** Without a health listener and TLS, the token in the state dir. */
        public Agent(HostPort http, HostPort clusterAddress, List<HostPort> seedNodes, Path stateDir,
                     Duration monitorInterval) {
            this(http, clusterAddress, seedNodes, stateDir, monitorInterval, Optional.empty(), Optional.empty(),
                    Optional.empty());
        }
    }

    /**
     * {@code agent.tls}: PEM files (see scripts/make-certs). The validator checks that all three are set and exist; the
     * agent reads and checks their content at start ({@link org.pgsteward.agent.tls.TlsFiles}).
     *
     * @param certificate this node's certificate, issued directly by {@code ca}
     * @param privateKey  its unencrypted RSA key (PKCS#1 or PKCS#8), readable by the agent's user only
     * @param ca          the cluster's CA certificate: the only issuer whose certificates are accepted
     */
    public record Tls(Path certificate, Path privateKey, Path ca) {}

    /**
     * @param maxLagBytes a standby further behind than this is not a failover candidate
     */
    public record Failover(FailoverMode mode, boolean autoRejoin, Optional<Long> maxLagBytes, Duration lease,
                           Duration timeout) {

        /** The defaults for lease and timeout (see conf/pgsteward.conf for why). */
        public Failover(FailoverMode mode, boolean autoRejoin, Optional<Long> maxLagBytes) {
            this(mode, autoRejoin, maxLagBytes, DEFAULT_LEASE, DEFAULT_TIMEOUT);
        }

        public static final Duration DEFAULT_LEASE = Duration.ofSeconds(3);
        public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(1500);
    }

    /**
     * Where the supervisor keeps its journal: empty = an embedded H2 file under the agent's
     * state dir; else a JDBC URL (PostgreSQL outside the managed cluster, or H2).
     */
    public record Supervisor(Optional<String> journalUrl, Optional<String> journalUser, Optional<String> journalPassword) {
        public static Supervisor embedded() {
            return new Supervisor(Optional.empty(), Optional.empty(), Optional.empty());
        }

        @Override
        public String toString() {
            return "Supervisor[journalUrl=" + journalUrl.orElse("(embedded)") + ", journalUser=" + journalUser.orElse("")
                    + ", journalPassword=" + (journalPassword.isPresent() ? "********" : "") + "]";
        }
    }

    /**
     * @param synchronous    only a synchronous standby may be promoted
     * @param useSlots       each standby streams through a physical slot on its upstream (named by
     *                       {@link org.pgsteward.agent.postgres.ReplicationSlots#nameFor})
     * @param maxSlotWalKeep set as the primary's {@code max_slot_wal_keep_size}: the most WAL a slot of an absent
     *                       standby may hold back; empty: the server's own setting is left alone
     */
    public record Replication(boolean synchronous, boolean useSlots, Optional<Long> maxSlotWalKeep) {

        /** With slots, the server's max_slot_wal_keep_size. */
        public Replication(boolean synchronous) {
            this(synchronous, true, Optional.empty());
        }
    }

    /**
     * @param sshOptions extra ssh arguments for the rsync clone (e.g. -p 2222 -i KEY); no whitespace inside one
     * @param timeout    a clone running longer is killed
     */
    public record Clone(List<String> sshOptions, Duration timeout) {
        public Clone {
            sshOptions = List.copyOf(sshOptions);
        }
    }

    /** A TCP endpoint; an IPv6 host is held without brackets and printed with them. */
    public record HostPort(String host, int port) {

        private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9_.-]+");
        private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?");

        /**
         * Parses {@code host:port} or {@code [ipv6]:port}; the port must be 1..65535.
         *
         * @throws IllegalArgumentException with a message describing the problem (not repeating the input)
         */
        public static HostPort parse(String s) {
            String text = s.strip();
            String host;
            String port;
            if (text.startsWith("[")) {
                int close = text.indexOf(']');
                if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                    throw new IllegalArgumentException("must be [ipv6-address]:port");
                }
                host = text.substring(1, close);
                port = text.substring(close + 2);
                if (!IPV6.matcher(host).matches() || !host.contains(":")) {
                    throw new IllegalArgumentException("invalid IPv6 address in brackets");
                }
            } else {
                int colon = text.lastIndexOf(':');
                if (colon < 0) {
                    throw new IllegalArgumentException("must be host:port");
                }
                host = text.substring(0, colon);
                port = text.substring(colon + 1);
                if (host.contains(":")) { // why: "::1:80" is ambiguous without brackets
                    throw new IllegalArgumentException("an IPv6 address needs brackets: [address]:port");
                }
                if (!HOST_NAME.matcher(host).matches()) {
                    throw new IllegalArgumentException(host.isEmpty() ? "empty host" : "invalid host name");
                }
            }
            boolean digits = !port.isEmpty() && port.length() <= 5 && port.chars().allMatch(c -> c >= '0' && c <= '9');
            int p = digits ? Integer.parseInt(port) : -1;
            if (p < 1 || p > 65535) {
                throw new IllegalArgumentException("port must be an integer from 1 to 65535");
            }
            return new HostPort(host, p);
        }

        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }
}
