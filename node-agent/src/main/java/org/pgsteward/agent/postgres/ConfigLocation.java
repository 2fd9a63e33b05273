package org.pgsteward.agent.postgres;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a data directory's postgresql.conf is when it is not in the data directory: Debian's layout
 * ({@code pg_createcluster}: {@code /etc/postgresql/<version>/<name>/postgresql.conf}, whose {@code data_directory}
 * names the data directory under {@code /var/lib/postgresql}). Used when {@code postgres.config-dir} is not set.
 */
public final class ConfigLocation {

    /** postgresql-common's configuration root. */
    static final Path DEBIAN_ROOT = Path.of("/etc/postgresql");

    private ConfigLocation() {}

    /**
     * The configuration directory of {@code dataDir}: empty when the data directory holds its own postgresql.conf or
     * no {@code /etc/postgresql/<major>/<name>/postgresql.conf} names it as its {@code data_directory}.
     */
    public static Optional<Path> detect(Path dataDir, int major) {
        return detect(dataDir, major, DEBIAN_ROOT);
    }

    static Optional<Path> detect(Path dataDir, int major, Path root) {
        if (Files.exists(dataDir.resolve("postgresql.conf"))) {
            return Optional.empty();
        }
        Path versionDir = root.resolve(Integer.toString(major));
        if (!Files.isDirectory(versionDir)) {
            return Optional.empty();
        }
        Path wanted = dataDir.toAbsolutePath().normalize();
        try (DirectoryStream<Path> clusters = Files.newDirectoryStream(versionDir, Files::isDirectory)) {
            for (Path cluster : clusters) {
                Path conf = cluster.resolve("postgresql.conf");
                if (!Files.isRegularFile(conf)) {
                    continue;
                }
                try {
                    Optional<String> dir = PgConfFile.getSetting(conf, "data_directory");
                    if (dir.isPresent() && Path.of(dir.get()).toAbsolutePath().normalize().equals(wanted)) {
                        return Optional.of(cluster);
                    }
                } catch (RuntimeException e) {
                    // an unreadable or malformed cluster configuration is another cluster's problem
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }
}
