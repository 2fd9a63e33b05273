package org.pgsteward.agent;

import java.io.PrintWriter;
import java.nio.file.Path;
import org.pgsteward.agent.config.BadConfigException;
import org.pgsteward.agent.config.ConfigLoader;
import org.pgsteward.agent.config.NodeConfig;
import org.pgsteward.protocol.ExitCode;

/**
 * {@code pgsteward-agent --check-config -f FILE}: the checks the agent makes of its file at start, and nothing else
 * (no PostgreSQL, no state directory, no network), with every problem named rather than the first, for
 * configuration management and CI.
 */
final class ConfigCheck {

    private ConfigCheck() {}

    /** Prints the verdict; returns 0 (valid) or 1 (ERR_BAD_CONFIG). */
    static int run(Path file, PrintWriter out, PrintWriter err) {
        try {
            NodeConfig config = ConfigLoader.load(file);
            org.pgsteward.agent.events.EventNames.checkOnly(file, config);
            out.println(file + ": valid (cluster " + config.cluster() + ", node " + config.node().id() + " "
                    + config.node().name() + ", agent.http " + config.agent().http() + ", state-dir "
                    + config.agent().stateDir() + ")");
            return ExitCode.SUCCESS.code();
        } catch (BadConfigException e) {
            var problems = e.all();
            for (BadConfigException p : problems) {
                err.println("pgsteward-agent: " + p.getMessage());
            }
            err.println("pgsteward-agent: " + file + ": " + problems.size() + (problems.size() == 1 ? " problem" : " problems"));
            return ExitCode.ERR_BAD_CONFIG.code();
        } finally {
            out.flush();
            err.flush();
        }
    }
}
