package org.pgsteward.console;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.pgsteward.agent.config.BadConfigException;
import org.pgsteward.agent.config.ConfigLoader;
import org.pgsteward.agent.config.NodeConfig;
import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.api.CommandArgs;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code pgsteward [OPTIONS] COMMAND}: the seed's console. Every command is carried out by the
 * agent of the node named by {@code -f FILE}; the console prints what it reports and exits with
 * the seed's exit codes.
 */
@Command(name = "pgsteward",
        versionProvider = Main.Version.class,
        description = "pgsteward: PostgreSQL replication manager (clone, register, promote, follow, monitor, fail over).",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {
                Commands.Master.class, Commands.Primary.class, Commands.Standby.class, Commands.Node.class,
                Commands.Cluster.class, Commands.Witness.class},
        footerHeading = "%n",
        footer = {"Every command is run by the node's agent (`pgsteward-agent -f FILE`), found at agent.http of -f FILE."})
public final class Main {

    static final String VERSION = "pgsteward 0.1.0";

    // The seed's options; inherited so they may stand before or after the command words.
    @Option(names = {"-f", "--config-file", "--config_file"}, scope = ScopeType.INHERIT, paramLabel = "PATH",
            description = "path to the configuration file (default: $PGSTEWARD_CONFIG, then ./repmgr.conf)")
    Optional<Path> configFile = Optional.empty();

    @Option(names = {"-D", "--data-dir"}, scope = ScopeType.INHERIT, paramLabel = "DIR",
            description = "local directory where the files will be copied to (must name node.data-dir)")
    Optional<Path> dataDir = Optional.empty();

    @Option(names = {"-d", "--dbname"}, scope = ScopeType.INHERIT, paramLabel = "DBNAME", description = "database to connect to")
    Optional<String> dbname = Optional.empty();

    @Option(names = {"-h", "--host"}, scope = ScopeType.INHERIT, paramLabel = "HOSTNAME",
            description = "database server host or socket directory")
    Optional<String> host = Optional.empty();

    @Option(names = {"-p", "--port"}, scope = ScopeType.INHERIT, paramLabel = "PORT", description = "database server port")
    Optional<Integer> port = Optional.empty();

    @Option(names = {"-U", "--username"}, scope = ScopeType.INHERIT, paramLabel = "USERNAME",
            description = "database user name to connect as")
    Optional<String> username = Optional.empty();

    @Option(names = {"-R", "--remote-user"}, scope = ScopeType.INHERIT, paramLabel = "USERNAME",
            description = "database server username for rsync (ssh user)")
    Optional<String> remoteUser = Optional.empty();

    @Option(names = {"-w", "--wal-keep-segments"}, scope = ScopeType.INHERIT, paramLabel = "VALUE",
            description = "minimum value for the GUC wal_keep_segments (default: 5000; wal_keep_size on PostgreSQL >= 13)")
    Optional<Integer> walKeepSegments = Optional.empty();

    @Option(names = {"-I", "--ignore-rsync-warning"}, scope = ScopeType.INHERIT,
            description = "ignore rsync partial transfer warning")
    boolean ignoreRsyncWarning;

    @Option(names = {"-F", "--force"}, scope = ScopeType.INHERIT, description = "force potentially dangerous operations to happen")
    boolean force;

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "output verbose activity information")
    boolean verbose;

    // the seed's -h is --host, so help is --help only
    @Option(names = "--help", usageHelp = true, scope = ScopeType.INHERIT, description = "show this help, then exit")
    boolean help;

    @Option(names = "--version", versionHelp = true, description = "output version information, then exit")
    boolean version;

    public static void main(String[] args) {
        var out = new PrintWriter(System.out, true);
        var err = new PrintWriter(System.err, true);
        int code = run(args, out, err);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs the console; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        var cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setUsageHelpLongOptionsMaxWidth(30);
        Map<String, String> exitCodes = new LinkedHashMap<>();
        for (ExitCode c : ExitCode.values()) {
            exitCodes.put(String.format("%2d", c.code()), c.name() + ": " + c.description());
        }
        cli.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(exitCodes);
        cli.setParameterExceptionHandler((ex, a) -> {
            err.println("pgsteward: " + ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
            err.println("Try 'pgsteward --help' for the commands and options.");
            return ExitCode.ERR_BAD_CONFIG.code();
        });
        cli.setExecutionExceptionHandler((ex, c, parsed) -> {
            if (ex instanceof ConsoleException ce) {
                err.println("pgsteward: " + ce.getMessage());
                return ce.exitCode().code();
            }
            if (ex instanceof BadConfigException bce) {
                err.println("pgsteward: " + bce.getMessage());
                return ExitCode.ERR_BAD_CONFIG.code();
            }
            err.println("pgsteward: unexpected error: " + ex);
            return ExitCode.ERR_OPERATION_FAILED.code();
        });
        return cli.execute(args);
    }

    /** The configuration named by -f, $PGSTEWARD_CONFIG or ./repmgr.conf, with -D applied. */
    NodeConfig config() {
        Path file = configFile
                .or(() -> Optional.ofNullable(System.getenv("PGSTEWARD_CONFIG")).filter(s -> !s.isBlank()).map(Path::of))
                .or(() -> Optional.of(Path.of("repmgr.conf")).filter(Files::isRegularFile))
                .orElseThrow(() -> new ConsoleException(ExitCode.ERR_BAD_CONFIG,
                        "no configuration file: give -f FILE (or set PGSTEWARD_CONFIG, or run where repmgr.conf is)"));
        return ConfigLoader.load(file, dataDir);
    }

    /** The agent of -f FILE at agent.http: over HTTPS trusting agent.tls.ca when agent.tls is set. */
    AgentClient agent() {
        NodeConfig config = config();
        var https = config.agent().tls().map(t -> new AgentClient.Https(
                org.pgsteward.agent.tls.PemCertificates.trusting(config.source(), t.ca()), t.ca().toString()));
        return new AgentClient(config.agent().http(), https, org.pgsteward.agent.http.ApiToken.read(config),
                org.pgsteward.agent.http.ApiToken.file(config).toString());
    }

    CommandArgs args(Optional<String> target, Optional<String> method, boolean noStart) {
        port.ifPresent(p -> {
            if (p < 1 || p > 65535) {
                throw new ConsoleException(ExitCode.ERR_BAD_CONFIG, "-p/--port must be from 1 to 65535, got " + p);
            }
        });
        walKeepSegments.ifPresent(w -> {
            if (w < 1) {
                throw new ConsoleException(ExitCode.ERR_BAD_CONFIG, "-w/--wal-keep-segments must be at least 1, got " + w);
            }
        });
        return new CommandArgs(target, host, port, username, dbname, dataDir.map(Path::toString), remoteUser,
                walKeepSegments, ignoreRsyncWarning, force, verbose, method, noStart);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {VERSION};
        }
    }
}
