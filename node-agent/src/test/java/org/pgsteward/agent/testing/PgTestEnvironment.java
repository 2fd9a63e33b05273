package org.pgsteward.agent.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.Optional;
import org.pgsteward.agent.exec.CommandRunner;
import org.pgsteward.agent.postgres.PgBinaries;

/**
 * Where tests find PostgreSQL and as whom they run it. PostgreSQL refuses to run as root,
 * and CI runs as root: then every PostgreSQL program runs as {@code postgres} (override
 * with PGSTEWARD_TEST_OS_USER), and test directories are handed to that user.
 */
public final class PgTestEnvironment {

    public static final Path DEFAULT_BIN_DIR = Path.of("/usr/lib/postgresql/15/bin");

    private static final CommandRunner RUNNER = new CommandRunner();

    private PgTestEnvironment() {}

    public static CommandRunner runner() {
        return RUNNER;
    }

    public static Path binDir() {
        String env = System.getenv("PGSTEWARD_TEST_PG_BIN");
        return env == null || env.isBlank() ? DEFAULT_BIN_DIR : Path.of(env);
    }

    public static PgBinaries binaries() {
        return PgBinaries.locate(Optional.of(binDir()), RUNNER);
    }

    /** The OS user PostgreSQL runs as, when we are root; empty when we run it as ourselves. */
    public static Optional<String> osUser() {
        if (!RUNNER.isRoot()) {
            return Optional.empty();
        }
        String env = System.getenv("PGSTEWARD_TEST_OS_USER");
        return Optional.of(env == null || env.isBlank() ? "postgres" : env);
    }

    /** A new private temp directory, owned by the PostgreSQL OS user. */
    public static Path newTempDir(String prefix) {
        try {
            Path dir = Files.createTempDirectory(prefix);
            handOver(dir);
            return dir;
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a temp dir", e);
        }
    }

    /** Gives a path we created to the PostgreSQL OS user (no-op when not root). */
    public static void handOver(Path path) {
        Optional<String> user = osUser();
        if (user.isEmpty()) {
            return;
        }
        try {
            UserPrincipalLookupService lookup = path.getFileSystem().getUserPrincipalLookupService();
            var view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
            view.setOwner(lookup.lookupPrincipalByName(user.get()));
        } catch (IOException e) {
            throw new IllegalStateException("cannot hand " + path + " to " + user.get(), e);
        }
    }
}
