package org.pgsteward.agent;

import java.nio.file.Path;
import java.util.Optional;
import org.pgsteward.agent.config.NodeConfig;
import org.pgsteward.agent.exec.CommandRunner;
import org.pgsteward.agent.postgres.Conninfo;
import org.pgsteward.agent.postgres.PgBinaries;
import org.pgsteward.agent.postgres.PgCtl;
import org.pgsteward.agent.postgres.PgException;
import org.pgsteward.agent.postgres.PgSnapshot;
import org.pgsteward.agent.postgres.PgTimeouts;
import org.pgsteward.agent.postgres.Probe;
import org.pgsteward.agent.postgres.ProbeTimeouts;
import org.pgsteward.protocol.ExitCode;

/**
 * This host's PostgreSQL as the agent sees it: where its programs and data are, how to
 * control it and how to probe it. Built once at start from the configuration.
 */
public final class LocalNode {

    private final NodeConfig config;
    private final CommandRunner runner;
    private final PgBinaries binaries;
    private final int binariesMajorVersion;
    private final Path dataDir;
    private final Optional<String> osUser;
    private final PgCtl pgCtl;
    private final Probe probe;

    private LocalNode(NodeConfig config, CommandRunner runner, PgBinaries binaries, int major, Path dataDir,
                      Optional<String> osUser, PgCtl pgCtl, Probe probe) {
        this.config = config;
        this.runner = runner;
        this.binaries = binaries;
        this.binariesMajorVersion = major;
        this.dataDir = dataDir;
        this.osUser = osUser;
        this.pgCtl = pgCtl;
        this.probe = probe;
    }

    /** @throws AgentStartException naming the key and file when the node cannot be managed as configured */
    public static LocalNode create(NodeConfig config, CommandRunner runner) {
        Path dataDir = config.node().dataDir().orElseThrow(() -> new AgentStartException(ExitCode.ERR_BAD_CONFIG,
                config.source() + ": pgsteward.node.data-dir: required for a node with PostgreSQL (role = \"postgres\")", null));
        PgBinaries binaries;
        int major;
        try {
            binaries = PgBinaries.locate(config.postgres().binDir(), runner);
            major = binaries.majorVersion();
        } catch (PgException | org.pgsteward.agent.exec.CommandFailedException e) {
            throw new AgentStartException(ExitCode.ERR_BAD_CONFIG, config.source() + ": pgsteward.postgres.bin-dir: "
                    + e.getMessage(), e);
        }
        // PostgreSQL refuses to run as root: as root we act as the configured OS user, "postgres" by default
        Optional<String> osUser = config.postgres().osUser().or(() -> runner.isRoot() ? Optional.of("postgres") : Optional.empty());
        Path logFile = config.postgres().logFile()
                .orElseGet(() -> dataDir.resolveSibling(dataDir.getFileName() + ".log"));
        Conninfo conninfo = config.node().conninfo();
        var pgCtl = new PgCtl(binaries, dataDir, conninfo.port(), logFile, osUser, runner, PgTimeouts.defaults());
        return new LocalNode(config, runner, binaries, major, dataDir, osUser, pgCtl, new Probe(ProbeTimeouts.defaults()));
    }

    public NodeConfig config() {
        return config;
    }

    public CommandRunner runner() {
        return runner;
    }

    public PgBinaries binaries() {
        return binaries;
    }

    /** Major version of the local PostgreSQL programs. */
    public int majorVersion() {
        return binariesMajorVersion;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Optional<String> osUser() {
        return osUser;
    }

    public PgCtl pgCtl() {
        return pgCtl;
    }

    public Probe probe() {
        return probe;
    }

    public Conninfo conninfo() {
        return config.node().conninfo();
    }

    /** Probes this node's PostgreSQL through its conninfo (never throws). */
    public PgSnapshot probeLocal() {
        return probe(conninfo());
    }

    /** Probes any server with this node's credentials (never throws). */
    public PgSnapshot probe(Conninfo target) {
        try {
            return probe.probe(target.toJdbcUrl(), target.toJdbcProperties());
        } catch (RuntimeException e) {
            return PgSnapshot.failed(org.pgsteward.agent.postgres.Reachability.ERROR,
                    "cannot probe " + target.toConnStringRedacted() + ": " + e.getMessage(), java.time.Instant.now());
        }
    }
}
