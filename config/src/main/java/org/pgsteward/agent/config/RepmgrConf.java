package org.pgsteward.agent.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The seed's {@code repmgr.conf} form: {@code key=value} lines, values optionally single-quoted, {@code #}
 * comments. Each key maps to a HOCON path (relative to {@code pgsteward}) so that both forms share one
 * validator; errors still name the key and line the user wrote.
 */
final class RepmgrConf {

    /** How a raw value becomes a Config value. */
    enum Shape { SCALAR, COMMA_LIST, SPACE_LIST }

    record Key(String path, Shape shape) {}

    /** repmgr.conf key to HOCON path; the first key per path is the one named when that path is missing. */
    static final Map<String, Key> KEYS = keys();

    private static final Pattern KEY_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** The parsed file: a Config relative to {@code pgsteward}, plus which key and line set each path. */
    record Parsed(Config config, Map<String, String> writtenKeys, Map<String, Integer> lines)
            implements NodeConfigValidator.Naming {

        @Override
        public String key(String path) {
            return Optional.ofNullable(writtenKeys.get(path)).orElseGet(() -> canonicalKey(path));
        }

        @Override
        public Optional<Integer> line(String path) {
            return Optional.ofNullable(lines.get(path));
        }
    }

    private RepmgrConf() {}

    static Parsed parse(Path file, String text) {
        Map<String, Object> values = new LinkedHashMap<>();
        Map<String, String> written = new HashMap<>();
        Map<String, Integer> lines = new HashMap<>();
        String[] rawLines = text.split("\r\n|\r|\n", -1);
        for (int i = 0; i < rawLines.length; i++) {
            int lineNo = i + 1;
            String line = rawLines[i].strip();
            if (i == 0 && line.startsWith("\uFEFF")) { // why: editors on other systems write a BOM
                line = line.substring(1).strip();
            }
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                String word = shorten(line.split("\\s+", 2)[0]);
                throw new BadConfigException(file, word, "line " + lineNo + ": expected key=value");
            }
            String key = line.substring(0, eq).strip();
            if (!KEY_NAME.matcher(key).matches()) {
                throw new BadConfigException(file, key.isEmpty() ? "(empty key)" : shorten(key),
                        "line " + lineNo + ": invalid key name (expected key=value)");
            }
            Key k = KEYS.get(key);
            if (k == null) {
                throw new BadConfigException(file, key, "line " + lineNo + ": unknown key"
                        + Suggest.closest(key, KEYS.keySet()).map(s -> " (did you mean " + s + "?)").orElse("")
                        + "; known keys: " + String.join(", ", KEYS.keySet()));
            }
            if (lines.containsKey(k.path())) {
                String first = written.get(k.path());
                throw new BadConfigException(file, key, "line " + lineNo + ": duplicate key (already set on line "
                        + lines.get(k.path()) + (first.equals(key) ? "" : " as " + first) + ")");
            }
            String value = value(file, key, lineNo, line.substring(eq + 1));
            values.put(k.path(), shaped(k.shape(), value));
            written.put(k.path(), key);
            lines.put(k.path(), lineNo);
        }
        Config config = ConfigFactory.parseMap(values, file.toString());
        return new Parsed(config, Collections.unmodifiableMap(written), Collections.unmodifiableMap(lines));
    }

    /** The name used in messages for a path nobody wrote (e.g. a missing required key). */
    static String canonicalKey(String path) {
        return KEYS.entrySet().stream().filter(e -> e.getValue().path().equals(path)).map(Map.Entry::getKey)
                .findFirst().orElse(path);
    }

    /**
     * A value: bare (up to a {@code #} comment that follows whitespace) or single-quoted, where {@code ''} or
     * {@code \'} is a quote and {@code \\} a backslash; only a comment may follow the closing quote.
     */
    private static String value(Path file, String key, int lineNo, String rest) {
        String s = rest.strip();
        if (!s.startsWith("'")) {
            int hash = s.indexOf(" #");
            int tab = s.indexOf("\t#");
            int cut = hash < 0 ? tab : tab < 0 ? hash : Math.min(hash, tab);
            return (cut < 0 ? s : s.substring(0, cut)).strip();
        }
        StringBuilder out = new StringBuilder();
        int n = s.length();
        int i = 1;
        while (i < n) {
            char c = s.charAt(i);
            char next = i + 1 < n ? s.charAt(i + 1) : 0;
            if (c == '\'' && next == '\'') {
                out.append('\'');
                i += 2;
            } else if (c == '\'') {
                String after = s.substring(i + 1).strip();
                if (!after.isEmpty() && !after.startsWith("#")) {
                    // why no text: it may be the tail of a password that contained a stray quote
                    throw new BadConfigException(file, key, "line " + lineNo + ": unexpected text after the closing quote");
                }
                return out.toString();
            } else if (c == '\\' && (next == '\'' || next == '\\')) {
                out.append(next);
                i += 2;
            } else {
                out.append(c);
                i++;
            }
        }
        throw new BadConfigException(file, key, "line " + lineNo + ": unterminated quoted value (missing closing ')");
    }

    private static Object shaped(Shape shape, String value) {
        switch (shape) {
            case COMMA_LIST:
                List<String> items = new ArrayList<>();
                for (String item : value.split(",", -1)) {
                    items.add(item.strip());
                }
                return items;
            case SPACE_LIST:
                return value.isBlank() ? List.of() : Arrays.asList(value.strip().split("\\s+"));
            default:
                return value;
        }
    }

    private static String shorten(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    private static Map<String, Key> keys() {
        Map<String, Key> m = new LinkedHashMap<>();
        // repmgr 5 names (and the seed's "node")
        m.put("cluster", new Key("cluster", Shape.SCALAR));
        m.put("node_id", new Key("node.id", Shape.SCALAR));
        m.put("node", new Key("node.id", Shape.SCALAR));
        m.put("node_name", new Key("node.name", Shape.SCALAR));
        m.put("conninfo", new Key("node.conninfo", Shape.SCALAR));
        m.put("data_directory", new Key("node.data-dir", Shape.SCALAR));
        m.put("priority", new Key("node.priority", Shape.SCALAR));
        m.put("pg_bindir", new Key("postgres.bin-dir", Shape.SCALAR));
        m.put("failover", new Key("failover.mode", Shape.SCALAR));
        m.put("use_replication_slots", new Key("replication.use-slots", Shape.SCALAR));
        m.put("config_directory", new Key("postgres.config-dir", Shape.SCALAR));
        // pgsteward extras
        m.put("node_role", new Key("node.role", Shape.SCALAR));
        m.put("pg_os_user", new Key("postgres.os-user", Shape.SCALAR));
        m.put("pg_log_file", new Key("postgres.log-file", Shape.SCALAR));
        m.put("agent_http", new Key("agent.http", Shape.SCALAR));
        m.put("cluster_address", new Key("agent.cluster-address", Shape.SCALAR));
        m.put("seed_nodes", new Key("agent.seed-nodes", Shape.COMMA_LIST));
        m.put("state_directory", new Key("agent.state-dir", Shape.SCALAR));
        m.put("monitor_interval", new Key("agent.monitor-interval", Shape.SCALAR));
        m.put("health_http", new Key("agent.health-http", Shape.SCALAR));
        m.put("api_token_file", new Key("agent.api-token-file", Shape.SCALAR));
        m.put("tls_certificate", new Key("agent.tls.certificate", Shape.SCALAR));
        m.put("tls_private_key", new Key("agent.tls.private-key", Shape.SCALAR));
        m.put("tls_ca", new Key("agent.tls.ca", Shape.SCALAR));
        m.put("auto_rejoin", new Key("failover.auto-rejoin", Shape.SCALAR));
        m.put("max_lag", new Key("failover.max-lag", Shape.SCALAR));
        m.put("synchronous", new Key("replication.synchronous", Shape.SCALAR));
        m.put("max_slot_wal_keep", new Key("replication.max-slot-wal-keep", Shape.SCALAR));
        m.put("auto_register", new Key("node.auto-register", Shape.SCALAR));
        m.put("ssh_options", new Key("clone.ssh-options", Shape.SPACE_LIST));
        m.put("clone_timeout", new Key("clone.timeout", Shape.SCALAR));
        m.put("failover_lease", new Key("failover.lease", Shape.SCALAR));
        m.put("failover_timeout", new Key("failover.timeout", Shape.SCALAR));
        m.put("journal_url", new Key("supervisor.journal-url", Shape.SCALAR));
        m.put("journal_user", new Key("supervisor.journal-user", Shape.SCALAR));
        m.put("journal_password", new Key("supervisor.journal-password", Shape.SCALAR));
        return Collections.unmodifiableMap(m);
    }
}
