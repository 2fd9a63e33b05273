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
        if (config.node().role() == NodeConfig.Role.WITNESS) {
            Path none = config.node().dataDir().orElse(config.agent().stateDir().resolve("no-postgresql"));
            PgBinaries bin = PgBinaries.none(runner);
            var ctl = new PgCtl(bin, none, config.node().conninfo().port(), none.resolveSibling("none.log"), Optional.empty(),
                    runner, PgTimeouts.defaults());
            return new LocalNode(config, runner, bin, 0, none, Optional.empty(), ctl, new Probe(ProbeTimeouts.defaults()));
        }
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
        Optional<Path> configDir = config.postgres().configDir()
                .or(() -> org.pgsteward.agent.postgres.ConfigLocation.detect(dataDir, major));
        PgCtl pgCtl;
        try {
            pgCtl = new PgCtl(binaries, dataDir, conninfo.port(), logFile, osUser, runner, PgTimeouts.defaults())
                    .withConfigFile(configDir.map(d -> d.resolve("postgresql.conf")));
        } catch (IllegalArgumentException e) {
            throw new AgentStartException(ExitCode.ERR_BAD_CONFIG, config.source() + ": pgsteward.postgres.config-dir: "
                    + e.getMessage(), e);
        }
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

    /** The postmaster as its data directory shows it, without SQL (fencing decisions and the fence itself). */
    public org.pgsteward.agent.postgres.Postmaster postmaster() {
        return new org.pgsteward.agent.postgres.Postmaster(dataDir, java.util.OptionalInt.of(binariesMajorVersion), runner);
    }

    public Probe probe() {
        return probe;
    }

    public boolean witness() {
        return config.node().role() == NodeConfig.Role.WITNESS;
    }

    /** Whether the data directory is set up as a standby (standby.signal, or recovery.conf before 12). */
    public boolean standbyDataDir() {
        return org.pgsteward.agent.postgres.Postmaster.standbyConfigured(dataDir, binariesMajorVersion);
    }

    /**
     * "host=H port=P" of the primary_conninfo this data directory's standby configuration names, if it is
     * configured as a standby and readable: the upstream a standby streams from, also while it cannot.
     */
    public Optional<String> configuredUpstream() {
        try {
            return org.pgsteward.agent.postgres.RecoveryConfig.read(dataDir, binariesMajorVersion)
                    .map(r -> r.primaryConninfo())
                    .filter(c -> c.get("host").isPresent())
                    .map(c -> "host=" + c.host() + " port=" + c.port());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    public Conninfo conninfo() {
        return config.node().conninfo();
    }

    /**
     * "Latest checkpoint location" from pg_controldata: after a clean stop, the end of the
     * WAL every standby must have received before a lossless switchover.
     */
    public Optional<String> checkpointLsn() {
        var cmd = org.pgsteward.agent.exec.ExternalCommand.of(java.time.Duration.ofSeconds(15),
                java.util.List.of(binaries.tool("pg_controldata").toString(), "-D", dataDir.toString()))
                .runningAs(osUser).withEnv(java.util.Map.of("LC_ALL", "C"));
        String out = runner.run(cmd).stdout();
        return out.lines().filter(l -> l.startsWith("Latest checkpoint location:"))
                .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst();
    }

    /** Probes this node's PostgreSQL through its conninfo (never throws). */
    public PgSnapshot probeLocal() {
        if (witness()) {
            return PgSnapshot.failed(org.pgsteward.agent.postgres.Reachability.ERROR, "witness: no PostgreSQL",
                    java.time.Instant.now());
        }
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
