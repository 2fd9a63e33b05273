package org.pgsteward.agent;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.pgsteward.agent.config.BadConfigException;
import org.pgsteward.agent.config.ConfigLoader;
import org.pgsteward.agent.config.NodeConfig;
import org.pgsteward.protocol.ExitCode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pgsteward-agent -f FILE}: runs this node's agent in the foreground until SIGTERM/SIGINT. */
@Command(name = "pgsteward-agent", mixinStandardHelpOptions = true, version = "pgsteward-agent 0.1.0",
        description = "Runs one node's pgsteward agent: owns the local PostgreSQL, serves the admin HTTP API.")
public final class Main implements Callable<Integer> {

    @Option(names = {"-f", "--config-file", "--config_file"}, required = true, paramLabel = "PATH",
            description = "the node's configuration file (HOCON or repmgr.conf form)")
    Path configFile;

    @Option(names = "--verbose", description = "log pgsteward at DEBUG")
    boolean verbose;

    @Option(names = "--check-config", description = "check the configuration file, name every problem, then exit"
            + " (0: valid, 1: not); starts nothing and touches no state directory")
    boolean checkConfig;

    public static void main(String[] args) {
        var cli = new CommandLine(new Main());
        var err = new PrintWriter(System.err, true);
        cli.setParameterExceptionHandler((ex, a) -> {
            err.println("pgsteward-agent: " + ex.getMessage());
            err.println("usage: pgsteward-agent -f FILE [--verbose] [--check-config]");
            return ExitCode.ERR_BAD_CONFIG.code();
        });
        int code = cli.execute(args);
        if (code != 0) {
            System.exit(code);
        }
        // 0: the actor system terminated after SIGTERM/SIGINT; let the JVM shutdown finish
    }

    @Override
    public Integer call() {
        var badFormat = LogFormat.problem();
        if (badFormat.isPresent()) {
            System.err.println("pgsteward-agent: " + badFormat.get());
            return ExitCode.ERR_BAD_CONFIG.code();
        }
        if (verbose) {
            // read by logback.xml; set before the first logger is created
            System.setProperty("pgsteward.log.level", "DEBUG");
        }
        if (checkConfig) {
            return ConfigCheck.run(configFile, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
        }
        NodeConfig config;
        try {
            config = ConfigLoader.load(configFile);
            org.pgsteward.agent.events.EventNames.checkOnly(configFile, config);
        } catch (BadConfigException e) {
            System.err.println("pgsteward-agent: " + e.getMessage());
            return ExitCode.ERR_BAD_CONFIG.code();
        }
        try {
            AgentRuntime runtime = AgentRuntime.start(config, verbose);
            return runtime.awaitTermination();
        } catch (AgentStartException e) {
            System.err.println("pgsteward-agent: " + e.getMessage());
            return e.exitCode().code();
        }
    }
}
