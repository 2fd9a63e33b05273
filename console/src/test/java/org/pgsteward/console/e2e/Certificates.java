package org.pgsteward.console.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.pgsteward.agent.exec.CommandRunner;
import org.pgsteward.agent.exec.ExternalCommand;

/** Test certificates made the way users make them: {@code scripts/make-certs DIR NAME...}. */
final class Certificates {

    private Certificates() {}

    /** A cluster CA in {@code dir} (ca.crt, ca.key) and a certificate per name (NAME.crt, NAME.key); returns dir. */
    static Path make(Path dir, String... names) {
        List<String> argv = new ArrayList<>(List.of(script().toString(), dir.toString()));
        argv.addAll(List.of(names));
        new CommandRunner().run(ExternalCommand.of(Duration.ofSeconds(60), argv));
        return dir;
    }

    /** scripts/make-certs of this checkout (the tests run in a module directory). */
    static Path script() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path s = d.resolve("scripts").resolve("make-certs");
            if (Files.isExecutable(s)) {
                return s;
            }
        }
        throw new IllegalStateException("scripts/make-certs not found above " + Path.of("").toAbsolutePath());
    }
}
