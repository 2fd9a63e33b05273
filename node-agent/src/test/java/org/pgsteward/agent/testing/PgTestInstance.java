package org.pgsteward.agent.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.pgsteward.agent.exec.ExternalCommand;
import org.pgsteward.agent.postgres.InitdbOptions;
import org.pgsteward.agent.postgres.OsUserFiles;
import org.pgsteward.agent.postgres.PgBinaries;
import org.pgsteward.agent.postgres.PgCtl;
import org.pgsteward.agent.postgres.PgTimeouts;
import org.pgsteward.agent.postgres.StopMode;

/**
 * One real PostgreSQL server for a test: its own temp directory (data dir, log, socket),
 * a free loopback port, set up for streaming replication. {@link #close()} stops it
 * (immediate, then SIGKILL) and removes the directory; a JVM shutdown hook does the same
 * for anything a crashed test left behind.
 *
 * <p>Roles: superuser {@code postgres} (trust over TCP from 127.0.0.1), and
 * {@code pwuser} / {@link #PASSWORD} which must authenticate with a password.
 */
public final class PgTestInstance implements AutoCloseable {

    public static final String SUPERUSER = "postgres";
    public static final String PASSWORD_USER = "pwuser";
    public static final String PASSWORD = "s3cret pa'ss";

    private final String name;
    private final Path dir;
    private final int port;
    private final PgCtl pgCtl;
    private final int majorVersion;
    private volatile boolean closed;
    private static final Map<Path, Integer> MAJOR_VERSIONS = new java.util.concurrent.ConcurrentHashMap<>();

    private PgTestInstance(String name, Path dir, int port, PgBinaries binaries) {
        this.name = name;
        this.dir = dir;
        this.port = port;
        this.majorVersion = MAJOR_VERSIONS.computeIfAbsent(binaries.binDir(), d -> binaries.majorVersion());
        this.pgCtl = new PgCtl(binaries, dir.resolve("data"), port, dir.resolve("postgres.log"),
                PgTestEnvironment.osUser(), PgTestEnvironment.runner(), PgTimeouts.defaults());
        Cleanup.register(this);
    }

    /** A directory and port, nothing created yet: for a standby cloned into it. */
    public static PgTestInstance empty(String name) {
        return empty(name, PgTestEnvironment.binaries());
    }

    /** As {@link #empty(String)}, to be run by other server binaries (another major version). */
    public static PgTestInstance empty(String name, PgBinaries binaries) {
        Path dir = PgTestEnvironment.newTempDir("pgsteward-" + name + "-");
        return new PgTestInstance(name, dir, TestPorts.freePort(), binaries);
    }

    /** initdb + replication settings + started. */
    public static PgTestInstance primary(String name) {
        return primary(name, true, true);
    }

    /** As {@link #primary(String)}, run by other server binaries (another major version). */
    public static PgTestInstance primary(String name, PgBinaries binaries) {
        return primary(empty(name, binaries), true, true);
    }

    /** The major version of the binaries this instance runs with. */
    public int majorVersion() {
        return majorVersion;
    }

    /**
     * Like {@link #primary(String)}, choosing what pg_rewind depends on: initdb's data checksums
     * and {@code wal_log_hints}; with both off the cluster cannot be rewound.
     */
    public static PgTestInstance primary(String name, boolean dataChecksums, boolean walLogHints) {
        return primary(empty(name), dataChecksums, walLogHints);
    }

    private static PgTestInstance primary(PgTestInstance pg, boolean dataChecksums, boolean walLogHints) {
        try {
            pg.pgCtl.initdb(InitdbOptions.defaults().withAuth("trust", "scram-sha-256").withDataChecksums(dataChecksums));
            pg.configureForReplication(walLogHints);
            pg.pgCtl.start();
            pg.execute("CREATE ROLE " + PASSWORD_USER + " LOGIN PASSWORD '" + PASSWORD.replace("'", "''") + "'");
            return pg;
        } catch (RuntimeException e) {
            pg.close();
            throw e;
        }
    }

    /**
     * A streaming standby of {@code primary} (application_name = {@code name}), started:
     * pg_basebackup into a new instance, then this instance's own port and socket directory,
     * primary_conninfo and standby.signal.
     */
    public static PgTestInstance standbyOf(PgTestInstance primary, String name) {
        PgTestInstance sb = cloneOf(primary, name, PgTestEnvironment.binaries());
        try {
            sb.appendConf("postgresql.auto.conf", "\nprimary_conninfo = 'host=127.0.0.1 port=" + primary.port()
                    + " user=" + SUPERUSER + " application_name=" + name + "'\n");
            Path signal = Files.createFile(sb.dataDir().resolve("standby.signal"));
            PgTestEnvironment.handOver(signal);
            sb.pgCtl.start();
            return sb;
        } catch (IOException e) {
            sb.close();
            throw new IllegalStateException("cannot set up standby " + name, e);
        } catch (RuntimeException e) {
            sb.close();
            throw e;
        }
    }

    /**
     * A copy of {@code primary} by pg_basebackup (the installed one, which also copies older servers) into a new
     * instance run by {@code binaries}, with this instance's own settings; no standby configuration, not started.
     */
    public static PgTestInstance cloneOf(PgTestInstance primary, String name, PgBinaries binaries) {
        PgTestInstance sb = empty(name, binaries);
        try {
            PgTestEnvironment.runner().run(ExternalCommand.of(Duration.ofSeconds(120), List.of(
                            PgTestEnvironment.binaries().tool("pg_basebackup").toString(),
                            "-h", "127.0.0.1", "-p", Integer.toString(primary.port()), "-U", SUPERUSER,
                            "-D", sb.dataDir().toString(), "-X", "stream", "-c", "fast"))
                    .runningAs(PgTestEnvironment.osUser()).withEnv(Map.of("LC_ALL", "C")));
            // the clone carries the primary's port and socket directory: appended settings win
            sb.configureForReplication();
            return sb;
        } catch (RuntimeException e) {
            sb.close();
            throw e;
        }
    }

    /** Settings every test server gets; also the ones a clone must override (port, socket). */
    public void configureForReplication() {
        configureForReplication(true);
    }

    private void configureForReplication(boolean walLogHints) {
        appendConf("postgresql.conf", String.join("\n",
                "",
                "# pgsteward test harness",
                "listen_addresses = '127.0.0.1'",
                "port = " + port,
                "unix_socket_directories = '" + dir + "'",
                "wal_level = replica",
                "max_wal_senders = 10",
                "max_replication_slots = 10",
                majorVersion >= 13 ? "wal_keep_size = '128MB'" : "wal_keep_segments = 8",
                "password_encryption = 'scram-sha-256'",
                "hot_standby = on",
                "wal_log_hints = " + (walLogHints ? "on" : "off"),
                "fsync = off",
                "synchronous_commit = on",
                "full_page_writes = on",
                "shared_buffers = '16MB'",
                "max_connections = 40",
                "logging_collector = off",
                "log_line_prefix = '%m [%p] '",
                "log_connections = off",
                ""));
        writeConf("pg_hba.conf", String.join("\n",
                "local all all trust",
                "local replication all trust",
                "host all " + PASSWORD_USER + " 127.0.0.1/32 scram-sha-256",
                "host all all 127.0.0.1/32 trust",
                "host replication all 127.0.0.1/32 trust",
                ""));
    }

    public void appendConf(String file, String text) {
        try {
            Files.writeString(dataDir().resolve(file), text, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void writeConf(String file, String text) {
        try {
            Files.writeString(dataDir().resolve(file), text, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public String name() {
        return name;
    }

    public Path dir() {
        return dir;
    }

    public Path dataDir() {
        return dir.resolve("data");
    }

    public int port() {
        return port;
    }

    public PgCtl pgCtl() {
        return pgCtl;
    }

    /** libpq conninfo as the superuser. */
    public String conninfo() {
        return "host=127.0.0.1 port=" + port + " user=" + SUPERUSER + " dbname=postgres";
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    public Connection connect() throws SQLException {
        var props = new Properties();
        props.setProperty("user", SUPERUSER);
        props.setProperty("connectTimeout", "5");
        props.setProperty("ApplicationName", "pgsteward-test");
        return DriverManager.getConnection(jdbcUrl(), props);
    }

    public void execute(String sql) {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(name + ": " + sql + ": " + e.getMessage(), e);
        }
    }

    /** First column of every row, as text. */
    public List<String> query(String sql) {
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            var out = new ArrayList<String>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException(name + ": " + sql + ": " + e.getMessage(), e);
        }
    }

    public String queryOne(String sql) {
        List<String> rows = query(sql);
        if (rows.size() != 1) {
            throw new IllegalStateException(name + ": expected one row from " + sql + ", got " + rows);
        }
        return rows.get(0);
    }

    public String serverLogTail() {
        return pgCtl.serverLogTail();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (Files.exists(dataDir().resolve("postmaster.pid"))) {
                pgCtl.stopOrKill(StopMode.IMMEDIATE, Duration.ofSeconds(10));
            }
        } catch (RuntimeException e) {
            System.err.println("[pgsteward-test] could not stop " + name + ": " + e.getMessage());
            pgCtl.killPostmaster();
        } finally {
            deleteRecursively(dir);
            Cleanup.unregister(this);
        }
    }

    static void deleteRecursively(Path root) {
        try {
            OsUserFiles.deleteRecursively(root);
        } catch (UncheckedIOException e) {
            System.err.println("[pgsteward-test] could not remove " + root + ": " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return name + "@127.0.0.1:" + port;
    }

    /** Anything still open when the JVM exits is stopped and removed. */
    private static final class Cleanup {
        private static final List<PgTestInstance> open = new ArrayList<>();

        static {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                List<PgTestInstance> left;
                synchronized (open) {
                    left = new ArrayList<>(open);
                }
                left.forEach(PgTestInstance::close);
            }, "pgsteward-test-cleanup"));
        }

        static void register(PgTestInstance pg) {
            synchronized (open) {
                open.add(pg);
            }
        }

        static void unregister(PgTestInstance pg) {
            synchronized (open) {
                open.remove(pg);
            }
        }
    }
}
