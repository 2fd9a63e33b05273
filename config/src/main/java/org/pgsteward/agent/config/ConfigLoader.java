package org.pgsteward.agent.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a node's configuration file ({@code -f FILE}) into a validated {@link NodeConfig}.
 *
 * <p>Two forms, told apart by content (not by file name):
 * <ul>
 *   <li>HOCON: any non-comment line starting with {@code pgsteward}, {@code pekko} or {@code include}, or a
 *       {@code {} outside a single-quoted value. Root keys: {@code pgsteward} (validated, see conf/pgsteward.conf)
 *       and {@code pekko} (passed through unchecked as {@link NodeConfig#pekkoOverrides()}).</li>
 *   <li>the seed's repmgr.conf: {@code key=value} lines, see conf/repmgr.conf.sample.</li>
 * </ul>
 *
 * <p>Anything wrong throws {@link BadConfigException} (exit code 1) naming the file and the key as written.
 */
public final class ConfigLoader {

    /** The file's form. */
    public enum Form { HOCON, REPMGR_CONF }

    private static final Set<String> ROOT_KEYS = Set.of("pgsteward", "pekko");
    private static final Pattern HOCON_LINE = Pattern.compile("(pgsteward|pekko|include)\\b.*|\\{.*");
    private static final Pattern PASSWORD_KV = Pattern.compile("(?i)(password\\s*[=:]\\s*)(\"[^\"]*\"?|'[^']*'?|\\S+)");
    private static final Pattern PASSWORD_URI = Pattern.compile("(://[^:/@\\s]*:)[^@\\s]*@");

    private ConfigLoader() {}

    /** Loads {@code file}; see {@link #load(Path, Optional)}. */
    public static NodeConfig load(Path file) {
        return load(file, Optional.empty());
    }

    /**
     * Loads and validates {@code file}.
     *
     * @param dataDirOverride the console's {@code -D}: it supplies {@code node.data-dir} when the file has none,
     *                        and must name the same directory (after normalisation) when it has one
     * @throws BadConfigException if the file is missing, unreadable, unparsable or invalid
     */
    public static NodeConfig load(Path file, Optional<Path> dataDirOverride) {
        String text = read(file);
        if (detect(text) == Form.HOCON) {
            return loadHocon(file, dataDirOverride);
        }
        RepmgrConf.Parsed parsed = RepmgrConf.parse(file, text);
        return new NodeConfigValidator(file, parsed.config(), parsed).validate(dataDirOverride, ConfigFactory.empty());
    }

    /** Which form {@code text} is in. */
    public static Form detect(String text) {
        for (String raw : text.split("\r\n|\r|\n")) {
            String line = raw.strip();
            if (line.startsWith("\uFEFF")) {
                line = line.substring(1);
            }
            if (line.isEmpty() || line.startsWith("#") || line.startsWith("//")) {
                continue;
            }
            // why outside quotes: a repmgr.conf password such as conninfo='... password=a{b' is not HOCON
            if (HOCON_LINE.matcher(line).matches() || line.replaceAll("'[^']*'?", "").contains("{")) {
                return Form.HOCON;
            }
        }
        return Form.REPMGR_CONF;
    }

    private static String read(Path file) {
        if (!Files.exists(file)) {
            throw new BadConfigException(file, "no such file");
        }
        if (Files.isDirectory(file)) {
            throw new BadConfigException(file, "is a directory, not a configuration file");
        }
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (AccessDeniedException e) {
            throw new BadConfigException(file, "cannot read the file (permission denied)");
        } catch (CharacterCodingException e) {
            throw new BadConfigException(file, "not a UTF-8 text file");
        } catch (IOException e) {
            throw new BadConfigException(file, "cannot read the file: " + e.getMessage());
        }
    }

    private static NodeConfig loadHocon(Path file, Optional<Path> dataDirOverride) {
        Config root;
        try {
            // why parseFile (not the text we read): origins name the file, includes resolve next to it
            root = ConfigFactory.parseFile(file.toFile(),
                    ConfigParseOptions.defaults().setAllowMissing(false).setSyntax(ConfigSyntax.CONF)).resolve();
        } catch (ConfigException e) {
            throw new BadConfigException(file, hoconProblem(e));
        }
        ConfigObject top = root.root();
        // every unknown key is named, then the validator's problems (pgsteward-agent --check-config shows them all)
        List<BadConfigException> problems = new ArrayList<>();
        for (Map.Entry<String, ConfigValue> e : top.entrySet()) {
            String key = e.getKey();
            if (!ROOT_KEYS.contains(key)) {
                Optional<String> hint = NodeConfigValidator.knownHoconPaths().contains("pgsteward." + key)
                        || NodeConfigValidator.SECTIONS.containsKey(key)
                        ? Optional.of("pgsteward." + key) : Suggest.closest(key, ROOT_KEYS);
                problems.add(new BadConfigException(file, key, "unknown key; only pgsteward { ... } and pekko { ... } may"
                        + " be at the top level" + hint.map(h -> " (did you mean " + h + "?)").orElse("")));
                continue;
            }
            requireObject(file, key, e.getValue(), problems);
        }
        Config pg = ConfigFactory.empty();
        if (top.containsKey("pgsteward") && top.get("pgsteward").valueType() == ConfigValueType.OBJECT) {
            ConfigObject steward = (ConfigObject) top.get("pgsteward");
            checkKnownKeys(file, steward, problems);
            pg = steward.toConfig();
        }
        Config pekko = top.containsKey("pekko") ? root.withOnlyPath("pekko") : ConfigFactory.empty();
        NodeConfigValidator.Naming naming = path -> "pgsteward." + path;
        try {
            NodeConfig config = new NodeConfigValidator(file, withoutUnknown(pg, problems), naming).validate(dataDirOverride, pekko);
            if (!problems.isEmpty()) {
                throw BadConfigException.of(problems);
            }
            return config;
        } catch (BadConfigException e) {
            if (problems.isEmpty() || problems.get(0) == e) {
                throw e;
            }
            problems.addAll(e.all());
            throw BadConfigException.of(problems);
        }
    }

    /** The validator sees the known keys only: an unknown or misplaced one is already reported. */
    private static Config withoutUnknown(Config pg, List<BadConfigException> problems) {
        Config out = pg;
        for (BadConfigException p : problems) {
            String key = p.key().orElse("");
            if (key.startsWith("pgsteward.")) {
                try {
                    out = out.withoutPath(key.substring("pgsteward.".length()));
                } catch (ConfigException e) {
                    // not a path Typesafe can name: the validator reports it again, which is harmless
                }
            }
        }
        return out;
    }

    private static void checkKnownKeys(Path file, ConfigObject steward, List<BadConfigException> problems) {
        try {
            checkKnownKeys(file, steward, problems::add);
        } catch (BadConfigException e) {
            problems.add(e);
        }
    }

    private static void checkKnownKeys(Path file, ConfigObject steward, java.util.function.Consumer<BadConfigException> unknownKey) {
        for (Map.Entry<String, ConfigValue> e : steward.entrySet()) {
            String key = e.getKey();
            String full = "pgsteward." + key;
            if (NodeConfigValidator.TOP_LEVEL_KEYS.contains(key)) {
                continue;
            }
            Set<String> leaves = NodeConfigValidator.SECTIONS.get(key);
            if (leaves == null) {
                unknownKey.accept(unknown(file, full));
                continue;
            }
            requireObject(file, full, e.getValue());
            for (Map.Entry<String, ConfigValue> leaf : ((ConfigObject) e.getValue()).entrySet()) {
                if (!leaves.contains(leaf.getKey())) {
                    unknownKey.accept(unknown(file, full + "." + leaf.getKey()));
                    continue;
                }
                Set<String> nested = NodeConfigValidator.NESTED.get(key + "." + leaf.getKey());
                if (nested != null && leaf.getValue().valueType() != ConfigValueType.NULL) {
                    requireObject(file, full + "." + leaf.getKey(), leaf.getValue());
                    for (String inner : ((ConfigObject) leaf.getValue()).keySet()) {
                        if (!nested.contains(inner)) {
                            unknownKey.accept(unknown(file, full + "." + leaf.getKey() + "." + inner));
                        }
                    }
                }
            }
        }
    }

    private static BadConfigException unknown(Path file, String fullKey) {
        return new BadConfigException(file, fullKey, "unknown key"
                + Suggest.closest(fullKey, NodeConfigValidator.knownHoconPaths())
                        .map(s -> " (did you mean " + s + "?)").orElse(""));
    }

    private static void requireObject(Path file, String key, ConfigValue v, List<BadConfigException> problems) {
        try {
            requireObject(file, key, v);
        } catch (BadConfigException e) {
            problems.add(e);
        }
    }

    private static void requireObject(Path file, String key, ConfigValue v) {
        if (v.valueType() != ConfigValueType.OBJECT) {
            throw new BadConfigException(file, key, "must be an object { ... }, got "
                    + v.valueType().name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    /** Typesafe's message without its "file: line:" prefix, as "line N: problem", with passwords masked. */
    private static String hoconProblem(ConfigException e) {
        String msg = String.valueOf(e.getMessage());
        if (e.origin() != null) {
            String prefix = e.origin().description() + ": ";
            if (msg.startsWith(prefix)) {
                msg = msg.substring(prefix.length());
            }
            if (e.origin().lineNumber() > 0) {
                msg = "line " + e.origin().lineNumber() + ": " + msg;
            }
        }
        // why: Typesafe echoes the offending token, which may be a conninfo password
        msg = PASSWORD_KV.matcher(msg).replaceAll("$1********");
        return PASSWORD_URI.matcher(msg).replaceAll("$1********@");
    }
}
