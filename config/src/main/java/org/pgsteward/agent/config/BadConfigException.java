package org.pgsteward.agent.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A configuration file that cannot be used: missing, unparsable, an unknown key, a missing required key or a
 * malformed value. The console and the agent map it to exit code 1 (ERR_BAD_CONFIG) and do nothing else.
 *
 * <p>The message is {@code <file>: <key>: <problem>}, or {@code <file>: <problem>} when no single key is at
 * fault (e.g. a missing file or a syntax error). The key is spelled as the user wrote it: a HOCON path such as
 * {@code pgsteward.node.id}, or a repmgr.conf key such as {@code node_id}. No message ever contains a password.
 *
 * <p>A file with several problems is one exception whose message is the first problem's (what the agent and the
 * console print); {@link #all()} holds every one, for {@code pgsteward-agent --check-config}.
 */
public final class BadConfigException extends RuntimeException {

    private final Path file;
    private final Optional<String> key;
    private final String problem;
    private final List<BadConfigException> more = new ArrayList<>();

    public BadConfigException(Path file, Optional<String> key, String problem) {
        super(format(file, key, problem));
        this.file = Objects.requireNonNull(file, "file");
        this.key = Objects.requireNonNull(key, "key");
        this.problem = Objects.requireNonNull(problem, "problem");
    }

    public BadConfigException(Path file, String key, String problem) {
        this(file, Optional.of(key), problem);
    }

    public BadConfigException(Path file, String problem) {
        this(file, Optional.empty(), problem);
    }

    /** The configuration file as given on the command line. */
    public Path file() {
        return file;
    }

    /** The offending key as written by the user (or {@code -D}-related key), if one key is at fault. */
    public Optional<String> key() {
        return key;
    }

    /** What is wrong, without file and key. */
    public String problem() {
        return problem;
    }

    /** This problem and every further one found in the same file, in the order they were found. */
    public List<BadConfigException> all() {
        List<BadConfigException> out = new ArrayList<>();
        out.add(this);
        out.addAll(more);
        return List.copyOf(out);
    }

    /** The first of {@code problems} (not empty), carrying the others. */
    static BadConfigException of(List<BadConfigException> problems) {
        List<BadConfigException> flat = new ArrayList<>();
        for (BadConfigException p : problems) {
            for (BadConfigException q : p.all()) {
                if (flat.stream().noneMatch(f -> f == q)) {
                    flat.add(q);
                }
            }
        }
        BadConfigException first = flat.get(0);
        first.more.clear();
        first.more.addAll(flat.subList(1, flat.size()));
        return first;
    }

    private static String format(Path file, Optional<String> key, String problem) {
        return file + ": " + key.map(k -> k + ": ").orElse("") + problem;
    }
}
