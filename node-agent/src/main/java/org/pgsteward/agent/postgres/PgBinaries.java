package org.pgsteward.agent.postgres;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pgsteward.agent.exec.CommandRunner;
import org.pgsteward.agent.exec.ExternalCommand;

/**
 * Where the PostgreSQL programs are: {@code postgres.bin-dir} when configured, else what
 * {@code pg_config --bindir} on PATH says. Also tells the server's major version.
 */
public final class PgBinaries {

    private static final Duration QUICK = Duration.ofSeconds(15);
    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\)\\s+(\\d+)(?:\\.(\\d+))?");

    private final Path binDir;
    private final CommandRunner runner;

    private PgBinaries(Path binDir, CommandRunner runner) {
        this.binDir = binDir;
        this.runner = runner;
    }

    /**
     * @param configured {@code postgres.bin-dir}, if set
     * @throws PgException when no directory with {@code pg_ctl} can be found
     */
    public static PgBinaries locate(Optional<Path> configured, CommandRunner runner) {
        Path dir = configured.orElseGet(() -> fromPgConfig(runner));
        if (!Files.isExecutable(dir.resolve("pg_ctl"))) {
            throw new PgException("no executable pg_ctl in " + dir
                    + (configured.isPresent() ? " (postgres.bin-dir)" : " (from pg_config --bindir)"));
        }
        return new PgBinaries(dir, runner);
    }

    private static Path fromPgConfig(CommandRunner runner) {
        try {
            String out = runner.run(ExternalCommand.of(QUICK, List.of("pg_config", "--bindir"))).stdout().strip();
            return Path.of(out);
        } catch (RuntimeException e) {
            throw new PgException("postgres.bin-dir is not set and pg_config --bindir failed: " + e.getMessage(), e);
        }
    }

    /** For a witness agent, which manages no PostgreSQL: any use of a tool fails at once. */
    public static PgBinaries none(CommandRunner runner) {
        return new PgBinaries(Path.of("/nonexistent/pgsteward-witness-has-no-postgresql"), runner);
    }

    public Path binDir() {
        return binDir;
    }

    public Path tool(String name) {
        return binDir.resolve(name);
    }

    /** Major version of these binaries, from {@code postgres --version} (e.g. 15; 9.6 gives 9). */
    public int majorVersion() {
        String out = runner.run(ExternalCommand.of(QUICK, List.of(tool("postgres").toString(), "--version"))).stdout();
        return parseMajorVersion(out);
    }

    static int parseMajorVersion(String versionOutput) {
        Matcher m = VERSION.matcher(versionOutput);
        if (!m.find()) {
            throw new PgException("cannot read a PostgreSQL version from: " + versionOutput.strip());
        }
        return Integer.parseInt(m.group(1));
    }

    /**
     * Major version of a data directory from its {@code PG_VERSION} file ("15", or "9.6"
     * which counts as 9 for the recovery.conf decision), if readable.
     */
    public static Optional<Integer> dataDirMajorVersion(Path dataDir) {
        try {
            String v = Files.readString(dataDir.resolve("PG_VERSION")).strip();
            int dot = v.indexOf('.');
            return Optional.of(Integer.parseInt(dot < 0 ? v : v.substring(0, dot)));
        } catch (java.io.IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    @Override
    public String toString() {
        return "PgBinaries[" + binDir + "]";
    }
}
