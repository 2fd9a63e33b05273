package org.pgsteward.agent.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;
import org.pgsteward.agent.config.NodeConfig.HostPort;
import org.pgsteward.agent.postgres.Conninfo;

/**
 * Turns a Config rooted at {@code pgsteward} (from either file form) into a {@link NodeConfig}: types,
 * ranges, defaults and cross-key rules. Every failure is a {@link BadConfigException} naming the key as the
 * user wrote it (via {@link Naming}).
 */
final class NodeConfigValidator {

    /** Sections under {@code pgsteward} and their keys; {@code cluster} is the only top-level leaf. */
    static final Map<String, Set<String>> SECTIONS = sections();
    static final Set<String> TOP_LEVEL_KEYS = Set.of("cluster");
    /** Keys of a section that are objects themselves ({@code agent.tls { ... }}), and their keys. */
    static final Map<String, Set<String>> NESTED = Map.of("agent.tls", ordered("certificate", "private-key", "ca"));

    /** How errors spell a key (HOCON path or repmgr.conf key) and where it was written. */
    interface Naming {
        /** @param path relative to {@code pgsteward}, e.g. {@code node.id} */
        String key(String path);

        default Optional<Integer> line(String path) {
            return Optional.empty();
        }
    }

    private static final Pattern CLUSTER = Pattern.compile("[A-Za-z0-9_]+");
    private static final Pattern NODE_NAME = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final Pattern BARE_NUMBER = Pattern.compile("\\s*[+-]?[0-9.]+\\s*");
    private static final Pattern INTEGER = Pattern.compile("[+-]?[0-9]{1,18}");
    /** PostgreSQL truncates identifiers and application_name to NAMEDATALEN-1 bytes. */
    private static final int MAX_NAME = 63;
    private static final int MAX_CLUSTER = MAX_NAME - "repmgr_".length();

    /** What a missing or malformed node.conninfo stands in as while the other keys are checked; never returned. */
    private static final Conninfo STAND_IN_CONNINFO = Conninfo.parse("host=127.0.0.1");

    private final Path file;
    private final Config pg;
    private final Naming naming;
    /** Every problem found so far, in order: the checks go on past each one. */
    private final List<BadConfigException> problems = new ArrayList<>();

    NodeConfigValidator(Path file, Config pg, Naming naming) {
        this.file = file;
        this.pg = pg;
        this.naming = naming;
    }

    /** All known paths as a HOCON user writes them ({@code pgsteward.node.id}), for suggestions. */
    static Set<String> knownHoconPaths() {
        Set<String> out = new LinkedHashSet<>();
        TOP_LEVEL_KEYS.forEach(k -> out.add("pgsteward." + k));
        SECTIONS.forEach((section, keys) -> keys.forEach(k -> out.add("pgsteward." + section + "." + k)));
        NESTED.forEach((object, keys) -> keys.forEach(k -> out.add("pgsteward." + object + "." + k)));
        return out;
    }

    /**
     * Checks every key and returns the configuration, or throws one {@link BadConfigException} holding every problem
     * found ({@link BadConfigException#all()}; its message is the first one's). After a problem the checks go on with
     * a stand-in value (the default, or a neutral one for a required key), so that one run names them all.
     */
    NodeConfig validate(Optional<Path> dataDirOverride, Config pekkoOverrides) {
        NodeConfig config;
        try {
            config = check(dataDirOverride, pekkoOverrides);
        } catch (BadConfigException e) {
            problems.add(e); // a check that still stops at its first problem
            throw BadConfigException.of(problems);
        } catch (RuntimeException e) {
            // a stand-in value tripped a later step: what must be fixed is what was found before it
            if (problems.isEmpty()) {
                throw e;
            }
            throw BadConfigException.of(problems);
        }
        if (!problems.isEmpty()) {
            throw BadConfigException.of(problems);
        }
        return config;
    }

    private NodeConfig check(Optional<Path> dataDirOverride, Config pekkoOverrides) {
        String cluster = required("cluster", string("cluster"), "unset");
        if (!CLUSTER.matcher(cluster).matches() || cluster.length() > MAX_CLUSTER) {
            // why so strict: it becomes the SQL schema name repmgr_<cluster>
            report(fail("cluster", "must be 1 to " + MAX_CLUSTER + " characters [A-Za-z0-9_] (it names the SQL schema"
                    + " repmgr_<cluster>), got " + quote(cluster)));
        }

        int id = (int) required("node.id", integer("node.id", 1, Integer.MAX_VALUE), 1);
        String name = string("node.name").orElse("node" + id);
        if (!NODE_NAME.matcher(name).matches() || name.length() > MAX_NAME) {
            report(fail("node.name", "must be 1 to " + MAX_NAME + " characters [A-Za-z0-9_.-] (it is used as"
                    + " application_name), got " + quote(name)));
        }
        Conninfo conninfo = conninfo("node.conninfo");
        Optional<Path> dataDir = path("node.data-dir");
        int priority = (int) integer("node.priority", 0, Integer.MAX_VALUE).orElse(100);
        boolean autoRegister = bool("node.auto-register", "must be true or false").orElse(true);
        NodeConfig.Role role = choice("node.role", Map.of("postgres", NodeConfig.Role.POSTGRES,
                "witness", NodeConfig.Role.WITNESS)).orElse(NodeConfig.Role.POSTGRES);

        if (dataDirOverride.isPresent()) {
            Path d = dataDirOverride.get().toAbsolutePath().normalize();
            if (dataDir.isPresent() && !dataDir.get().equals(d)) {
                report(fail("node.data-dir", "-D " + quote(d.toString()) + " does not match the configured "
                        + quote(dataDir.get().toString())));
            }
            dataDir = Optional.of(d);
        }

        Optional<Path> binDir = path("postgres.bin-dir");
        Optional<String> osUser = string("postgres.os-user");
        if (osUser.isPresent() && (osUser.get().isBlank() || osUser.get().chars().anyMatch(Character::isWhitespace))) {
            report(fail("postgres.os-user", "must be a user name without whitespace, got " + quote(osUser.get())));
        }
        Optional<Path> logFile = path("postgres.log-file");
        Optional<Path> configDir = path("postgres.config-dir");

        HostPort http = hostPort("agent.http").orElseGet(() -> defaultAddress("agent.http", 8700, id));
        HostPort clusterAddress = hostPort("agent.cluster-address")
                .orElseGet(() -> defaultAddress("agent.cluster-address", 2550, id));
        if (http.equals(clusterAddress)) {
            report(fail("agent.http", "must differ from " + naming.key("agent.cluster-address") + " (both " + http + ")"));
        }
        List<HostPort> seedNodes = hostPortList("agent.seed-nodes").orElse(List.of(clusterAddress));
        if (seedNodes.isEmpty()) {
            report(fail("agent.seed-nodes", "must name at least one host:port"));
        }
        Path stateDir = path("agent.state-dir").orElse(Path.of("/var/lib/pgsteward", cluster + "-" + name));
        Duration monitorInterval = duration("agent.monitor-interval", Duration.ofSeconds(1),
                Duration.ofMillis(100), Optional.of(Duration.ofHours(1)));
        Optional<HostPort> healthHttp = hostPort("agent.health-http");
        if (healthHttp.isPresent() && (healthHttp.get().equals(http) || healthHttp.get().equals(clusterAddress))) {
            report(fail("agent.health-http", "must differ from " + naming.key(healthHttp.get().equals(http) ? "agent.http"
                    : "agent.cluster-address") + " (both " + healthHttp.get() + ")"));
        }
        Optional<Path> apiTokenFile = path("agent.api-token-file");
        Optional<NodeConfig.Tls> tls = tls();

        NodeConfig.FailoverMode mode = choice("failover.mode", Map.of("automatic", NodeConfig.FailoverMode.AUTOMATIC,
                "manual", NodeConfig.FailoverMode.MANUAL)).orElse(NodeConfig.FailoverMode.AUTOMATIC);
        boolean autoRejoin = bool("failover.auto-rejoin", "must be true or false").orElse(true);
        Optional<Long> maxLag = bytes("failover.max-lag");
        Duration lease = duration("failover.lease", NodeConfig.Failover.DEFAULT_LEASE, Duration.ofMillis(500),
                Optional.of(Duration.ofMinutes(5)));
        Duration failoverTimeout = duration("failover.timeout", NodeConfig.Failover.DEFAULT_TIMEOUT, Duration.ZERO,
                Optional.of(Duration.ofMinutes(10)));
        Optional<String> journalUrl = string("supervisor.journal-url");
        if (journalUrl.isPresent() && !journalUrl.get().startsWith("jdbc:postgresql:") && !journalUrl.get().startsWith("jdbc:h2:")) {
            report(fail("supervisor.journal-url", "must be a jdbc:postgresql: or jdbc:h2: URL, got " + quote(journalUrl.get())));
        }
        var supervisor = new NodeConfig.Supervisor(journalUrl, string("supervisor.journal-user"),
                string("supervisor.journal-password"));

        boolean synchronous = bool("replication.synchronous", "must be \"on\" or \"off\"").orElse(false);
        boolean useSlots = bool("replication.use-slots", "must be true or false").orElse(true);
        Optional<Long> maxSlotWalKeep = bytes("replication.max-slot-wal-keep");
        if (maxSlotWalKeep.isPresent() && maxSlotWalKeep.get() < 1024 * 1024) {
            // max_slot_wal_keep_size is in MB: 0 would make every slot lose its WAL at the next checkpoint
            throw fail("replication.max-slot-wal-keep", "must be at least 1MB, got " + maxSlotWalKeep.get() + " bytes");
        }

        List<String> sshOptions = stringList("clone.ssh-options", false).orElse(List.of());
        for (int i = 0; i < sshOptions.size(); i++) {
            String opt = sshOptions.get(i);
            if (opt.isEmpty() || opt.chars().anyMatch(Character::isWhitespace)) {
                report(fail("clone.ssh-options", "element " + (i + 1) + " " + quote(opt) + (opt.isEmpty() ? " is empty"
                        : " contains whitespace") + "; each element is one ssh argument, e.g. [\"-p\", \"2222\"]"));
            }
        }
        Duration cloneTimeout = duration("clone.timeout", Duration.ofHours(6), Duration.ofSeconds(1), Optional.empty());

        org.pgsteward.agent.events.EventCommand events = events();

        return new NodeConfig(file, cluster,
                new NodeConfig.Node(id, name, conninfo, dataDir, priority, role, autoRegister),
                new NodeConfig.Postgres(binDir, osUser, logFile, configDir),
                new NodeConfig.Agent(http, clusterAddress, seedNodes, stateDir, monitorInterval, healthHttp, apiTokenFile,
                        tls),
                new NodeConfig.Failover(mode, autoRejoin, maxLag, lease, failoverTimeout),
                new NodeConfig.Replication(synchronous, useSlots, maxSlotWalKeep),
                new NodeConfig.Clone(sshOptions, cloneTimeout),
                supervisor,
                pekkoOverrides,
                events);
    }

    /**
     * {@code events}: an argument list whose program is an absolute path to an executable file (no shell, no PATH
     * search), placeholders only of {@link org.pgsteward.agent.events.EventCommand#PLACEHOLDERS}, event names of
     * {@code only} among those that exist.
     */
    private org.pgsteward.agent.events.EventCommand events() {
        List<String> argv = stringList("events.command", false).orElse(List.of());
        if (!argv.isEmpty()) {
            Path program = Path.of(argv.get(0));
            if (!program.isAbsolute()) {
                throw fail("events.command", "element 1 (the program) must be an absolute path (the command runs"
                        + " without a shell or PATH search), got " + quote(argv.get(0)));
            }
            if (!java.nio.file.Files.isRegularFile(program) || !java.nio.file.Files.isExecutable(program)) {
                throw fail("events.command", "element 1: " + quote(argv.get(0)) + " is not an executable file");
            }
            for (int i = 0; i < argv.size(); i++) {
                Optional<String> bad = org.pgsteward.agent.events.EventCommand.unknownPlaceholder(argv.get(i));
                if (bad.isPresent()) {
                    throw fail("events.command", "element " + (i + 1) + " " + quote(argv.get(i)) + ": unknown placeholder "
                            + quote(bad.get()) + "; known: %n node id, %a node name, %e event, %s success (1/0), "
                            + "%t timestamp, %d details, %% a percent sign");
                }
            }
        }
        // the event names are the agent's (node-agent events/EventNames): it checks them when it loads the file
        List<String> only = stringList("events.only", false).orElse(List.of());
        Duration timeout = duration("events.timeout", org.pgsteward.agent.events.EventCommand.DEFAULT_TIMEOUT,
                Duration.ofSeconds(1), Optional.of(Duration.ofHours(1)));
        return new org.pgsteward.agent.events.EventCommand(argv, timeout, new LinkedHashSet<>(only));
    }

    /**
     * {@code agent.tls}: all three files or none. Checked here: that they are set, absolute, and not missing or a
     * directory, and that the CA (which the console needs too) is readable. The certificate and the key are read by
     * the agent at start (the console, run by another user, may not be allowed to read the key).
     */
    private Optional<NodeConfig.Tls> tls() {
        List<String> keys = List.of("agent.tls.certificate", "agent.tls.private-key", "agent.tls.ca");
        if (!pg.hasPath("agent.tls") && keys.stream().noneMatch(pg::hasPath)) {
            return Optional.empty();
        }
        boolean complete = true;
        for (String key : keys) {
            if (!pg.hasPath(key)) {
                report(fail(key, "required key is missing: TLS needs all of " + String.join(", ",
                        keys.stream().map(naming::key).toList()) + " (PEM files, see scripts/make-certs), or none of them"));
                complete = false;
            }
        }
        if (!complete) {
            return Optional.empty();
        }
        List<Optional<Path>> files = List.of(lenient(() -> Optional.of(pemFile(keys.get(0), false)), Optional.empty()),
                lenient(() -> Optional.of(pemFile(keys.get(1), false)), Optional.empty()),
                lenient(() -> Optional.of(pemFile(keys.get(2), true)), Optional.empty()));
        if (files.stream().anyMatch(Optional::isEmpty)) {
            return Optional.empty();
        }
        return Optional.of(new NodeConfig.Tls(files.get(0).get(), files.get(1).get(), files.get(2).get()));
    }

    private Path pemFile(String key, boolean mustBeReadable) {
        Path p = path(key).orElseThrow();
        if (Files.notExists(p)) {
            throw fail(key, "no such file " + quote(p.toString()));
        }
        if (Files.isDirectory(p)) {
            throw fail(key, quote(p.toString()) + " is a directory, not a PEM file");
        }
        if (mustBeReadable && !Files.isReadable(p)) {
            throw fail(key, "cannot read " + quote(p.toString()) + " (permission denied)");
        }
        return p;
    }

    // ------------------------------------------------------------------ typed accessors

    private Optional<ConfigValue> value(String path) {
        // why hasPath: an explicit HOCON null means "unset" (the idiom for cancelling an included value)
        return pg.hasPath(path) ? Optional.of(pg.getValue(path)) : Optional.empty();
    }

    private <T> T required(String path, Optional<T> value) {
        return value.orElseThrow(() -> fail(path, "required key is missing"));
    }

    private long required(String path, OptionalLong value) {
        return value.orElseThrow(() -> fail(path, "required key is missing"));
    }

    /** A required key: when missing, reported, and {@code standIn} lets the checks after it go on. */
    private <T> T required(String path, Optional<T> value, T standIn) {
        if (value.isEmpty() && !pg.hasPath(path)) {
            report(fail(path, "required key is missing"));
        }
        return value.orElse(standIn);
    }

    private long required(String path, OptionalLong value, long standIn) {
        if (value.isEmpty() && !pg.hasPath(path)) {
            report(fail(path, "required key is missing"));
        }
        return value.orElse(standIn);
    }

    /** Runs one key's check: a problem is reported and {@code orElse} stands in, so the checks after it still run. */
    private <T> T lenient(java.util.function.Supplier<T> check, T orElse) {
        try {
            return check.get();
        } catch (BadConfigException e) {
            problems.add(e);
            return orElse;
        }
    }

    private void report(BadConfigException problem) {
        problems.add(problem);
    }

    private Optional<String> string(String path) {
        return lenient(() -> stringStrict(path), Optional.empty());
    }

    private Optional<String> stringStrict(String path) {
        return value(path).map(v -> {
            if (v.valueType() == ConfigValueType.LIST || v.valueType() == ConfigValueType.OBJECT) {
                throw fail(path, "must be a string, got " + shown(v));
            }
            return pg.getString(path); // keeps a number's original text, e.g. 007
        });
    }

    private OptionalLong integer(String path, long min, long max) {
        return lenient(() -> integerStrict(path, min, max), OptionalLong.empty());
    }

    private OptionalLong integerStrict(String path, long min, long max) {
        Optional<ConfigValue> value = value(path);
        if (value.isEmpty()) {
            return OptionalLong.empty();
        }
        ConfigValue v = value.get();
        Long n = null;
        if (v.valueType() == ConfigValueType.NUMBER && (v.unwrapped() instanceof Integer || v.unwrapped() instanceof Long)) {
            n = ((Number) v.unwrapped()).longValue();
        } else if (v.valueType() == ConfigValueType.STRING && INTEGER.matcher(((String) v.unwrapped()).strip()).matches()) {
            n = Long.parseLong(((String) v.unwrapped()).strip());
        }
        if (n == null || n < min || n > max) {
            throw fail(path, "must be an integer from " + min + " to " + max + ", got " + shown(v));
        }
        return OptionalLong.of(n);
    }

    private Optional<Path> path(String path) {
        return lenient(() -> pathStrict(path), Optional.empty());
    }

    private Optional<Path> pathStrict(String path) {
        return string(path).map(s -> {
            if (s.isBlank()) {
                throw fail(path, "must be an absolute path, got an empty string");
            }
            Path p;
            try {
                p = Path.of(s);
            } catch (InvalidPathException e) {
                throw fail(path, "invalid path " + quote(s) + ": " + e.getReason());
            }
            if (!p.isAbsolute()) {
                // why: the agent and console run from arbitrary working directories
                throw fail(path, "must be an absolute path, got " + quote(s));
            }
            return p.normalize();
        });
    }

    private Conninfo conninfo(String path) {
        return lenient(() -> conninfoStrict(path), STAND_IN_CONNINFO);
    }

    private Conninfo conninfoStrict(String path) {
        ConfigValue v = required(path, value(path));
        if (v.valueType() != ConfigValueType.STRING) {
            throw fail(path, "must be a libpq connection string such as \"host=db1 dbname=app\"");
        }
        String s = (String) v.unwrapped();
        if (s.isBlank()) {
            throw fail(path, "must not be empty");
        }
        try {
            return Conninfo.parse(s);
        } catch (IllegalArgumentException e) {
            // Conninfo's messages never contain a password; never append the value itself.
            throw fail(path, e.getMessage());
        }
    }

    private <T> Optional<T> choice(String path, Map<String, T> choices) {
        return lenient(() -> choiceStrict(path, choices), Optional.<T>empty());
    }

    private <T> Optional<T> choiceStrict(String path, Map<String, T> choices) {
        return string(path).map(s -> {
            T t = choices.get(s.strip().toLowerCase(Locale.ROOT));
            if (t == null) {
                throw fail(path, "must be one of " + String.join(", ", choices.keySet().stream().sorted().toList())
                        + ", got " + quote(s));
            }
            return t;
        });
    }

    private Optional<Boolean> bool(String path, String expected) {
        return lenient(() -> boolStrict(path, expected), Optional.empty());
    }

    private Optional<Boolean> boolStrict(String path, String expected) {
        return value(path).map(v -> {
            if (v.valueType() == ConfigValueType.BOOLEAN) {
                return (Boolean) v.unwrapped();
            }
            if (v.valueType() == ConfigValueType.STRING) {
                switch (((String) v.unwrapped()).strip().toLowerCase(Locale.ROOT)) {
                    case "true": case "on": case "yes":
                        return true;
                    case "false": case "off": case "no":
                        return false;
                    default:
                        break;
                }
            }
            throw fail(path, expected + ", got " + shown(v));
        });
    }

    private Duration duration(String path, Duration dflt, Duration min, Optional<Duration> max) {
        return lenient(() -> durationStrict(path, dflt, min, max), dflt);
    }

    private Duration durationStrict(String path, Duration dflt, Duration min, Optional<Duration> max) {
        Optional<ConfigValue> value = value(path);
        if (value.isEmpty()) {
            return dflt;
        }
        ConfigValue v = value.get();
        String expected = "must be a duration with a unit, such as 1s, 500ms or 6h, got " + shown(v);
        // why no bare numbers: HOCON would read them as milliseconds, repmgr users would mean seconds
        if (v.valueType() != ConfigValueType.STRING || BARE_NUMBER.matcher((String) v.unwrapped()).matches()) {
            throw fail(path, expected);
        }
        Duration d;
        try {
            d = pg.getDuration(path);
        } catch (ConfigException e) {
            throw fail(path, expected);
        }
        if (d.compareTo(min) < 0 || max.map(m -> d.compareTo(m) > 0).orElse(false)) {
            throw fail(path, "must be " + max.map(m -> "from " + human(min) + " to " + human(m))
                    .orElse("at least " + human(min)) + ", got " + shown(v));
        }
        return d;
    }

    private Optional<Long> bytes(String path) {
        return lenient(() -> bytesStrict(path), Optional.empty());
    }

    private Optional<Long> bytesStrict(String path) {
        return value(path).map(v -> {
            String expected = "must be a size in bytes such as 16MB, 64MiB or 1048576, got " + shown(v);
            if (v.valueType() != ConfigValueType.STRING && v.valueType() != ConfigValueType.NUMBER) {
                throw fail(path, expected);
            }
            long n;
            try {
                n = pg.getBytes(path);
            } catch (ConfigException e) {
                throw fail(path, expected);
            }
            if (n < 0) {
                throw fail(path, "must not be negative, got " + shown(v));
            }
            return n;
        });
    }

    /** A list of strings; numbers and booleans count as their text (HOCON's unquoted 2222). */
    private Optional<List<String>> stringList(String path, boolean commaSeparatedString) {
        return lenient(() -> stringListStrict(path, commaSeparatedString), Optional.empty());
    }

    private Optional<List<String>> stringListStrict(String path, boolean commaSeparatedString) {
        return value(path).map(v -> {
            if (v.valueType() == ConfigValueType.STRING && commaSeparatedString) {
                List<String> out = new ArrayList<>();
                for (String item : ((String) v.unwrapped()).split(",", -1)) {
                    out.add(item.strip());
                }
                return out;
            }
            if (v.valueType() != ConfigValueType.LIST) {
                throw fail(path, "must be a list of strings, got " + shown(v));
            }
            List<String> out = new ArrayList<>();
            List<? extends ConfigValue> items = pg.getList(path);
            for (int i = 0; i < items.size(); i++) {
                ConfigValue item = items.get(i);
                switch (item.valueType()) {
                    case STRING: case NUMBER: case BOOLEAN:
                        out.add(String.valueOf(item.unwrapped()));
                        break;
                    default:
                        throw fail(path, "element " + (i + 1) + " must be a string, got " + shown(item));
                }
            }
            return Collections.unmodifiableList(out);
        });
    }

    private Optional<HostPort> hostPort(String path) {
        return lenient(() -> hostPortStrict(path), Optional.empty());
    }

    private Optional<HostPort> hostPortStrict(String path) {
        return string(path).map(s -> parseHostPort(path, "", s));
    }

    private Optional<List<HostPort>> hostPortList(String path) {
        return lenient(() -> hostPortListStrict(path), Optional.empty());
    }

    private Optional<List<HostPort>> hostPortListStrict(String path) {
        return stringList(path, true).map(items -> {
            List<HostPort> out = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                out.add(parseHostPort(path, "element " + (i + 1) + ": ", items.get(i)));
            }
            return out;
        });
    }

    private HostPort parseHostPort(String path, String prefix, String s) {
        try {
            return HostPort.parse(s);
        } catch (IllegalArgumentException e) {
            throw fail(path, prefix + e.getMessage() + " (host:port or [ipv6]:port), got " + quote(s));
        }
    }

    private HostPort defaultAddress(String path, int base, int id) {
        if ((long) base + id > 65535) {
            report(fail(path, "has no default for node id " + id + " (" + base + "+id exceeds port 65535); set it"));
            return new HostPort("127.0.0.1", base);
        }
        return new HostPort("127.0.0.1", base + id);
    }

    // ------------------------------------------------------------------ messages

    private BadConfigException fail(String path, String problem) {
        String where = naming.line(path).map(l -> "line " + l + ": ").orElse("");
        return new BadConfigException(file, naming.key(path), where + problem);
    }

    /** The offending value for a message; callers never pass a conninfo (it may hold a password). */
    private static String shown(ConfigValue v) {
        return v.valueType() == ConfigValueType.STRING ? quote((String) v.unwrapped())
                : shorten(v.render(ConfigRenderOptions.concise()));
    }

    static String quote(String s) {
        return "\"" + shorten(s).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static String shorten(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }

    private static String human(Duration d) {
        if (d.toMillis() % 3_600_000 == 0) {
            return d.toHours() + "h";
        }
        if (d.toMillis() % 60_000 == 0) {
            return d.toMinutes() + "m";
        }
        if (d.toMillis() % 1000 == 0) {
            return d.toSeconds() + "s";
        }
        return d.toMillis() + "ms";
    }

    private static Map<String, Set<String>> sections() {
        Map<String, Set<String>> m = new LinkedHashMap<>();
        m.put("node", ordered("id", "name", "conninfo", "data-dir", "priority", "role", "auto-register"));
        m.put("postgres", ordered("bin-dir", "os-user", "log-file", "config-dir"));
        m.put("agent", ordered("http", "cluster-address", "seed-nodes", "state-dir", "monitor-interval",
                "health-http", "api-token-file", "tls"));
        m.put("failover", ordered("mode", "auto-rejoin", "max-lag", "lease", "timeout"));
        m.put("replication", ordered("synchronous", "use-slots", "max-slot-wal-keep"));
        m.put("clone", ordered("ssh-options", "timeout"));
        m.put("supervisor", ordered("journal-url", "journal-user", "journal-password"));
        m.put("events", ordered("command", "only", "timeout"));
        return Collections.unmodifiableMap(m);
    }

    private static Set<String> ordered(String... keys) {
        return Collections.unmodifiableSet(new LinkedHashSet<>(List.of(keys)));
    }
}
