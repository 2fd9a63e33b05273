package org.pgsteward.agent.postgres;

import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Immutable libpq connection string ("conninfo"), e.g. the value of {@code primary_conninfo}.
 *
 * <p>Parses both the {@code key=value} form and {@code postgresql://} / {@code postgres://} URIs, and
 * formats back to the {@code key=value} form. Keys keep their first-seen order; a repeated key keeps
 * its position and the later value wins (as in libpq). Unknown keys are kept, but every key must
 * match {@code [a-z_]+}.
 *
 * <p>Secrets: {@link #toString()} and every exception message produced here never contain the value
 * of {@code password} or {@code sslpassword}. Only {@link #toConnString()}, {@link #password()},
 * {@link #get(String)}, {@link #asMap()} and {@link #toJdbcProperties()} expose it.
 */
public final class Conninfo {

    /** Default PostgreSQL port, used when {@code port} is absent or empty. */
    public static final int DEFAULT_PORT = 5432;

    /** Host returned by {@link #host()} when neither {@code host} nor {@code hostaddr} is set. */
    public static final String DEFAULT_HOST = "localhost";

    private static final Pattern KEY = Pattern.compile("[a-z_]+");
    private static final Set<String> SECRET_KEYS = Set.of("password", "sslpassword");
    private static final String REDACTED = "********";
    private static final List<String> URI_PREFIXES = List.of("postgresql://", "postgres://");

    /** libpq conninfo keyword to pgjdbc property name, for {@link #toJdbcProperties()}. */
    private static final Map<String, String> JDBC_PROPERTIES = jdbcPropertyNames();

    private final Map<String, String> params;

    private Conninfo(Map<String, String> params) {
        this.params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
    }

    /** An empty conninfo (all libpq defaults). */
    public static Conninfo empty() {
        return new Conninfo(Map.of());
    }

    /**
     * Parses a libpq connection string in {@code key=value} or URI form.
     *
     * @throws IllegalArgumentException if the string is malformed; the message names the problem and
     *     its position or key, and never contains a password value
     */
    public static Conninfo parse(String conninfo) {
        Objects.requireNonNull(conninfo, "conninfo");
        for (String prefix : URI_PREFIXES) {
            if (conninfo.startsWith(prefix)) {
                return new Conninfo(parseUri(conninfo, prefix.length()));
            }
        }
        return new Conninfo(parseKeywordValue(conninfo));
    }

    /** Raw value of {@code key} as written (possibly empty), if present. */
    public Optional<String> get(String key) {
        return Optional.ofNullable(params.get(key));
    }

    /**
     * The {@code host} value, else the {@code hostaddr} value, else {@value #DEFAULT_HOST}. Empty values
     * count as absent. For a multi-host conninfo this is the raw comma-separated list, as libpq stores it.
     */
    public String host() {
        return nonEmpty("host").or(() -> nonEmpty("hostaddr")).orElse(DEFAULT_HOST);
    }

    /**
     * The port, or {@value #DEFAULT_PORT} if absent or empty. For a multi-host conninfo with a port
     * list ({@code 5432,5433}) this is the first port.
     */
    public int port() {
        String first = splitList(params.getOrDefault("port", "")).get(0);
        return first.isEmpty() ? DEFAULT_PORT : Integer.parseInt(first);
    }

    /** The {@code user}, if present and non-empty. */
    public Optional<String> user() {
        return nonEmpty("user");
    }

    /** The {@code dbname}, if present and non-empty. */
    public Optional<String> dbname() {
        return nonEmpty("dbname");
    }

    /** The {@code password}, if present and non-empty. */
    public Optional<String> password() {
        return nonEmpty("password");
    }

    /** All keys and raw values in order; unmodifiable. */
    public Map<String, String> asMap() {
        return params;
    }

    /** True if no key is set. */
    public boolean isEmpty() {
        return params.isEmpty();
    }

    /**
     * A copy with {@code key} set to {@code value}; an existing key keeps its position.
     *
     * @throws IllegalArgumentException if the key is not {@code [a-z_]+} or a port is invalid
     */
    public Conninfo with(String key, String value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Map<String, String> copy = new LinkedHashMap<>(params);
        if (!KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("invalid conninfo keyword \"" + key + "\" (must match [a-z_]+)");
        }
        putValidated(copy, key, value);
        return new Conninfo(copy);
    }

    /** A copy without {@code key} (or this instance if the key is absent). */
    public Conninfo without(String key) {
        if (!params.containsKey(key)) {
            return this;
        }
        Map<String, String> copy = new LinkedHashMap<>(params);
        copy.remove(key);
        return new Conninfo(copy);
    }

    /**
     * Formats as libpq {@code key=value} pairs separated by single spaces. A value is written bare if
     * it is non-empty and consists only of {@code [A-Za-z0-9._\-:/,@+]}; otherwise it is single-quoted
     * with {@code '} and {@code \} backslash-escaped. {@code parse(c.toConnString()).equals(c)} holds.
     * <b>Contains the password</b>: never log it; use {@link #toConnStringRedacted()}.
     */
    public String toConnString() {
        return format(false);
    }

    /** Like {@link #toConnString()} but with secret values replaced by {@code ********}. */
    public String toConnStringRedacted() {
        return format(true);
    }

    /**
     * A pgjdbc URL {@code jdbc:postgresql://host:port[,host:port...]/dbname}. The database defaults to
     * the user, else {@code postgres} (libpq's rule, made explicit because pgjdbc's differs). Host
     * lists pair with port lists as in libpq (one port applies to all hosts). Only the location goes
     * into the URL; credentials and options are in {@link #toJdbcProperties()}.
     *
     * @throws IllegalStateException for a Unix-domain socket directory host (pgjdbc cannot use it) or
     *     mismatched host/port list lengths
     */
    public String toJdbcUrl() {
        List<String> hosts = splitList(host());
        List<String> ports = splitList(params.getOrDefault("port", ""));
        if (ports.size() != 1 && ports.size() != hosts.size()) {
            throw new IllegalStateException("conninfo has " + hosts.size() + " hosts but " + ports.size() + " ports");
        }
        StringBuilder url = new StringBuilder("jdbc:postgresql://");
        for (int i = 0; i < hosts.size(); i++) {
            String h = hosts.get(i).isEmpty() ? DEFAULT_HOST : hosts.get(i);
            if (h.startsWith("/")) {
                throw new IllegalStateException("Unix-domain socket host " + h + " is not supported in a JDBC URL");
            }
            String p = ports.get(ports.size() == 1 ? 0 : i);
            url.append(i == 0 ? "" : ",")
                    .append(h.indexOf(':') >= 0 ? "[" + h + "]" : h) // IPv6 literal needs brackets
                    .append(':')
                    .append(p.isEmpty() ? DEFAULT_PORT : Integer.parseInt(p));
        }
        String db = dbname().or(this::user).orElse("postgres");
        // pgjdbc URL-decodes the database name with URLDecoder, so encode with the matching URLEncoder.
        return url.append('/').append(URLEncoder.encode(db, StandardCharsets.UTF_8)).toString();
    }

    /**
     * pgjdbc connection properties for the keys that have a pgjdbc equivalent; empty values are
     * skipped and everything else is ignored. Mapping: {@code user→user}, {@code password→password},
     * {@code sslmode→sslmode}, {@code sslcert→sslcert}, {@code sslrootcert→sslrootcert},
     * {@code application_name→ApplicationName}, {@code connect_timeout→connectTimeout} (seconds in both),
     * {@code options→options}. ({@code sslkey} is not mapped: pgjdbc wants PKCS#8/PKCS#12, libpq PEM.)
     * Without a {@code password}, a {@code passfile} is read here as libpq would read it ({@link PgPassFile}: pgjdbc
     * does not know the keyword); without either, pgjdbc itself reads {@code PGPASSFILE} or {@code ~/.pgpass} of the
     * agent's OS user.
     */
    public Properties toJdbcProperties() {
        Properties props = new Properties();
        JDBC_PROPERTIES.forEach((libpq, jdbc) -> nonEmpty(libpq).ifPresent(v -> props.setProperty(jdbc, v)));
        if (password().isEmpty()) {
            nonEmpty("passfile").flatMap(f -> {
                String user = user().orElse(System.getProperty("user.name", ""));
                String host = splitList(host()).get(0);
                return PgPassFile.password(java.nio.file.Path.of(f), host, port(), dbname().orElse(user), user);
            }).ifPresent(pw -> props.setProperty("password", pw));
        }
        return props;
    }

    /** Equal when the key/value content is equal (order-insensitive, like {@link Map#equals}). */
    @Override
    public boolean equals(Object o) {
        return o instanceof Conninfo other && params.equals(other.params);
    }

    @Override
    public int hashCode() {
        return params.hashCode();
    }

    /** Same as {@link #toConnStringRedacted()}: safe to log. */
    @Override
    public String toString() {
        return toConnStringRedacted();
    }

    // ---------------------------------------------------------------- formatting

    private String format(boolean redact) {
        StringBuilder sb = new StringBuilder();
        params.forEach((k, v) -> {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(k).append('=').append(redact && SECRET_KEYS.contains(k) ? REDACTED : quoteValue(v));
        });
        return sb.toString();
    }

    private static String quoteValue(String v) {
        if (!v.isEmpty() && v.chars().allMatch(Conninfo::isBareChar)) {
            return v;
        }
        StringBuilder sb = new StringBuilder(v.length() + 2).append('\'');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\'' || c == '\\') {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.append('\'').toString();
    }

    private static boolean isBareChar(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "._-:/,@+".indexOf(c) >= 0;
    }

    // ---------------------------------------------------------------- key=value parsing

    private static Map<String, String> parseKeywordValue(String s) {
        Map<String, String> out = new LinkedHashMap<>();
        int n = s.length();
        int i = skipSpace(s, 0);
        while (i < n) {
            int keyStart = i;
            while (i < n && !isSpace(s.charAt(i)) && s.charAt(i) != '=') {
                i++;
            }
            String key = s.substring(keyStart, i);
            // Why no key text in these messages: a stray token is often the tail of an unquoted
            // password containing a space ("password=my secret"), so echoing it would leak it.
            if (key.isEmpty()) {
                throw malformed("empty keyword at position " + keyStart);
            }
            if (!KEY.matcher(key).matches()) {
                throw malformed("invalid keyword at position " + keyStart + " (keywords must match [a-z_]+)");
            }
            i = skipSpace(s, i);
            if (i >= n || s.charAt(i) != '=') {
                throw malformed("missing '=' after keyword starting at position " + keyStart);
            }
            i = skipSpace(s, i + 1);
            StringBuilder value = new StringBuilder();
            if (i < n && s.charAt(i) == '\'') {
                int quoteStart = i++;
                boolean closed = false;
                while (i < n) {
                    char c = s.charAt(i);
                    if (c == '\'') {
                        closed = true;
                        i++;
                        break;
                    }
                    if (c == '\\' && i + 1 < n) {
                        c = s.charAt(++i);
                    } else if (c == '\\') {
                        break; // backslash at end of input: the quote cannot be closed
                    }
                    value.append(c);
                    i++;
                }
                if (!closed) {
                    throw malformed("unterminated quoted value for keyword \"" + key + "\" starting at position " + quoteStart);
                }
                if (i < n && !isSpace(s.charAt(i))) {
                    throw malformed("unexpected character after closing quote of keyword \"" + key + "\" at position " + i);
                }
            } else {
                while (i < n && !isSpace(s.charAt(i))) {
                    char c = s.charAt(i);
                    if (c == '\\') {
                        if (i + 1 >= n) {
                            throw malformed("dangling backslash at end of value for keyword \"" + key + "\" at position " + i);
                        }
                        c = s.charAt(++i);
                    }
                    value.append(c);
                    i++;
                }
            }
            putValidated(out, key, value.toString());
            i = skipSpace(s, i);
        }
        return out;
    }

    private static boolean isSpace(char c) {
        // libpq uses isspace(): space, \t, \n, \v, \f, \r
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && isSpace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    // ---------------------------------------------------------------- URI parsing

    /**
     * {@code postgresql://[user[:password]@][host[:port][,...]][/dbname][?key=value[&...]]}, with
     * percent-decoding of every component; like libpq, multiple hosts become comma-joined
     * {@code host} and {@code port} values, and {@code ssl=true} means {@code sslmode=require}.
     */
    private static Map<String, String> parseUri(String s, int start) {
        Map<String, String> out = new LinkedHashMap<>();
        int n = s.length();
        int authEnd = start;
        while (authEnd < n && s.charAt(authEnd) != '/' && s.charAt(authEnd) != '?') {
            authEnd++;
        }
        // Last '@': no host contains one, so an unencoded '@' in the password still parses.
        int at = s.lastIndexOf('@', authEnd - 1);
        int hostStart = start;
        if (at >= start) {
            int colon = s.indexOf(':', start);
            int userEnd = colon >= 0 && colon < at ? colon : at;
            String user = percentDecode(s, start, userEnd, "user name");
            if (!user.isEmpty()) {
                putValidated(out, "user", user);
            }
            if (userEnd < at) {
                String password = percentDecode(s, userEnd + 1, at, "password");
                if (!password.isEmpty()) {
                    putValidated(out, "password", password);
                }
            }
            hostStart = at + 1;
        }
        parseUriHosts(s, hostStart, authEnd, out);
        int i = authEnd;
        if (i < n && s.charAt(i) == '/') {
            int dbEnd = s.indexOf('?', i);
            dbEnd = dbEnd < 0 ? n : dbEnd;
            String db = percentDecode(s, i + 1, dbEnd, "database name");
            if (!db.isEmpty()) {
                putValidated(out, "dbname", db);
            }
            i = dbEnd;
        }
        if (i < n) { // at '?'
            parseUriQuery(s, i + 1, out);
        }
        return out;
    }

    private static void parseUriHosts(String s, int start, int end, Map<String, String> out) {
        List<String> hosts = new ArrayList<>();
        List<String> ports = new ArrayList<>();
        int i = start;
        while (true) {
            int hostEnd;
            String host;
            if (i < end && s.charAt(i) == '[') { // IPv6 literal
                int close = s.indexOf(']', i);
                if (close < 0 || close >= end) {
                    throw malformed("unterminated '[' of IPv6 host address at position " + i + " in URI");
                }
                host = percentDecode(s, i + 1, close, "host");
                if (host.isEmpty()) {
                    throw malformed("empty IPv6 host address at position " + i + " in URI");
                }
                hostEnd = close + 1;
                if (hostEnd < end && s.charAt(hostEnd) != ':' && s.charAt(hostEnd) != ',') {
                    throw malformed("unexpected character after IPv6 host address at position " + hostEnd + " in URI");
                }
            } else {
                hostEnd = i;
                while (hostEnd < end && s.charAt(hostEnd) != ':' && s.charAt(hostEnd) != ',') {
                    hostEnd++;
                }
                host = percentDecode(s, i, hostEnd, "host");
            }
            int portEnd = hostEnd;
            String port = "";
            if (hostEnd < end && s.charAt(hostEnd) == ':') {
                portEnd = hostEnd + 1;
                while (portEnd < end && s.charAt(portEnd) != ',') {
                    portEnd++;
                }
                port = percentDecode(s, hostEnd + 1, portEnd, "port");
            }
            hosts.add(host);
            ports.add(port);
            if (portEnd >= end) {
                break;
            }
            i = portEnd + 1; // skip ','
        }
        if (hosts.stream().anyMatch(h -> !h.isEmpty())) {
            putValidated(out, "host", String.join(",", hosts));
        }
        if (ports.stream().anyMatch(p -> !p.isEmpty())) {
            putValidated(out, "port", String.join(",", ports));
        }
    }

    private static void parseUriQuery(String s, int start, Map<String, String> out) {
        int i = start;
        int n = s.length();
        while (i <= n) {
            int end = s.indexOf('&', i);
            end = end < 0 ? n : end;
            if (end > i) {
                int eq = s.indexOf('=', i);
                if (eq < 0 || eq >= end) {
                    throw malformed("missing '=' in URI query parameter at position " + i);
                }
                String key = percentDecode(s, i, eq, "query parameter name");
                if (!KEY.matcher(key).matches()) {
                    throw malformed("invalid URI query parameter name at position " + i + " (must match [a-z_]+)");
                }
                String value = percentDecode(s, eq + 1, end, "value of query parameter \"" + key + "\"");
                if (key.equals("ssl") && value.equals("true")) { // libpq's JDBC-compatibility alias
                    putValidated(out, "sslmode", "require");
                } else {
                    putValidated(out, key, value);
                }
            }
            i = end + 1;
        }
    }

    private static String percentDecode(String s, int start, int end, String what) {
        if (s.indexOf('%', start) < 0 || s.indexOf('%', start) >= end) {
            return s.substring(start, end);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = start; i < end; i++) {
            char c = s.charAt(i);
            if (c != '%') {
                bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
                continue;
            }
            int hi = i + 2 < end ? Character.digit(s.charAt(i + 1), 16) : -1;
            int lo = i + 2 < end ? Character.digit(s.charAt(i + 2), 16) : -1;
            if (hi < 0 || lo < 0) {
                throw malformed("invalid percent-encoding in " + what + " at position " + i + " in URI");
            }
            if (hi == 0 && lo == 0) { // libpq forbids %00: it would truncate the C string
                throw malformed("forbidden %00 in " + what + " at position " + i + " in URI");
            }
            bytes.write(hi * 16 + lo);
            i += 2;
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- shared helpers

    private static void putValidated(Map<String, String> out, String key, String value) {
        if (key.equals("port")) {
            validatePortList(value);
        }
        out.put(key, value);
    }

    /** A port is an integer 1..65535; a list may have empty elements, which mean the default. */
    private static void validatePortList(String value) {
        for (String p : splitList(value)) {
            if (p.isEmpty()) {
                continue;
            }
            boolean digits = p.length() <= 5 && p.chars().allMatch(c -> c >= '0' && c <= '9');
            int port = digits ? Integer.parseInt(p) : -1;
            if (port < 1 || port > 65535) {
                throw malformed("invalid port \"" + p + "\" for keyword \"port\" (must be an integer 1..65535)");
            }
        }
    }

    private static List<String> splitList(String value) {
        return List.of(value.split(",", -1));
    }

    private Optional<String> nonEmpty(String key) {
        return get(key).filter(v -> !v.isEmpty());
    }

    private static IllegalArgumentException malformed(String detail) {
        return new IllegalArgumentException("invalid conninfo: " + detail);
    }

    private static Map<String, String> jdbcPropertyNames() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("user", "user");
        m.put("password", "password");
        m.put("sslmode", "sslmode");
        m.put("sslcert", "sslcert");
        m.put("sslrootcert", "sslrootcert");
        m.put("application_name", "ApplicationName");
        m.put("connect_timeout", "connectTimeout");
        m.put("options", "options");
        return Collections.unmodifiableMap(m);
    }
}
