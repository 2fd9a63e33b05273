package org.pgsteward.supervisor.policy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A PostgreSQL server address as host and port, normalised so that the primary's conninfo and a
 * standby's {@code streamingFrom} ("host:port", from {@code pg_stat_wal_receiver}) can be compared.
 *
 * <p>Pure string work: no DNS. A host name and its IP address do not match; the policy treats a standby
 * streaming from an address it cannot attribute to another node as streaming from the primary, so a
 * mismatch errs towards not failing over.
 */
public record PgEndpoint(String host, int port) {

    public static final int DEFAULT_PORT = 5432;
    private static final String LOOPBACK = "127.0.0.1";
    private static final List<String> URI_PREFIXES = List.of("postgresql://", "postgres://");

    public PgEndpoint {
        host = normalizeHost(Objects.requireNonNull(host, "host"));
        if (host.isEmpty()) {
            throw new IllegalArgumentException("empty host");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /**
     * The addresses a libpq conninfo points at ({@code key=value} form, or a {@code postgresql://} URI).
     * Empty when it names no TCP host (Unix socket, no host) or is malformed: then nothing can match it.
     */
    public static List<PgEndpoint> fromConninfo(String conninfo) {
        Objects.requireNonNull(conninfo, "conninfo");
        String trimmed = conninfo.strip();
        for (String prefix : URI_PREFIXES) {
            if (trimmed.startsWith(prefix)) {
                return fromUri(trimmed.substring(prefix.length()));
            }
        }
        Optional<Map<String, String>> params = parseKeywordValue(trimmed);
        if (params.isEmpty()) {
            return List.of();
        }
        Map<String, String> p = params.get();
        String hosts = nonEmpty(p.get("host")).or(() -> nonEmpty(p.get("hostaddr"))).orElse("");
        return pair(hosts, p.getOrDefault("port", ""));
    }

    /** A {@code "host:port"} (IPv6 as {@code "[::1]:5432"}; no port = 5432). Empty when malformed. */
    public static Optional<PgEndpoint> fromHostPort(String hostPort) {
        Objects.requireNonNull(hostPort, "hostPort");
        String s = hostPort.strip();
        String host;
        String port;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                return Optional.empty();
            }
            host = s.substring(1, close);
            String rest = s.substring(close + 1);
            if (!rest.isEmpty() && !rest.startsWith(":")) {
                return Optional.empty();
            }
            port = rest.isEmpty() ? "" : rest.substring(1);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon >= 0 && s.indexOf(':') != colon) {
                // a bare IPv6 literal without a port
                host = s;
                port = "";
            } else {
                host = colon < 0 ? s : s.substring(0, colon);
                port = colon < 0 ? "" : s.substring(colon + 1);
            }
        }
        return of(host, port);
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    // localhost and 127.0.0.1 (and ::1) are one server as far as "is it the primary" goes
    private static String normalizeHost(String host) {
        String h = host.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return switch (h) {
            case "localhost", "::1", "0:0:0:0:0:0:0:1" -> LOOPBACK;
            default -> h;
        };
    }

    private static List<PgEndpoint> fromUri(String afterScheme) {
        int end = afterScheme.length();
        for (char c : new char[] {'/', '?'}) {
            int i = afterScheme.indexOf(c);
            if (i >= 0 && i < end) {
                end = i;
            }
        }
        String authority = afterScheme.substring(0, end);
        authority = authority.substring(authority.lastIndexOf('@') + 1);
        if (authority.isEmpty()) {
            return List.of();
        }
        List<PgEndpoint> out = new ArrayList<>();
        for (String hostPort : authority.split(",", -1)) {
            Optional<PgEndpoint> e = fromHostPort(hostPort);
            if (e.isEmpty()) {
                return List.of();
            }
            out.add(e.get());
        }
        return List.copyOf(out);
    }

    // libpq pairs a host list with a port list of the same length, or one port for all hosts
    private static List<PgEndpoint> pair(String hosts, String ports) {
        if (hosts.isEmpty()) {
            return List.of();
        }
        String[] h = hosts.split(",", -1);
        String[] p = ports.split(",", -1);
        if (p.length != 1 && p.length != h.length) {
            return List.of();
        }
        List<PgEndpoint> out = new ArrayList<>();
        for (int i = 0; i < h.length; i++) {
            Optional<PgEndpoint> e = of(h[i], p[p.length == 1 ? 0 : i]);
            if (e.isEmpty()) {
                return List.of();
            }
            out.add(e.get());
        }
        return List.copyOf(out);
    }

    private static Optional<PgEndpoint> of(String host, String port) {
        String h = host.strip();
        if (h.isEmpty() || h.startsWith("/") || h.startsWith("@")) {
            return Optional.empty(); // Unix-domain socket: not reachable from another host
        }
        int p;
        if (port.isBlank()) {
            p = DEFAULT_PORT;
        } else {
            try {
                p = Integer.parseInt(port.strip());
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
        if (p < 1 || p > 65535) {
            return Optional.empty();
        }
        return Optional.of(new PgEndpoint(h, p));
    }

    private static Optional<String> nonEmpty(String s) {
        return s == null || s.isBlank() ? Optional.empty() : Optional.of(s.strip());
    }

    /**
     * libpq's {@code key = value} syntax: whitespace around '=' allowed; a value is bare (up to
     * whitespace) or single-quoted; backslash escapes the next character in both. Later keys win.
     */
    private static Optional<Map<String, String>> parseKeywordValue(String s) {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0;
        int n = s.length();
        while (true) {
            while (i < n && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            if (i >= n) {
                return Optional.of(out);
            }
            int keyStart = i;
            while (i < n && s.charAt(i) != '=' && !Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            String key = s.substring(keyStart, i);
            while (i < n && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            if (key.isEmpty() || i >= n || s.charAt(i) != '=') {
                return Optional.empty();
            }
            i++;
            while (i < n && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            StringBuilder value = new StringBuilder();
            if (i < n && s.charAt(i) == '\'') {
                i++;
                boolean closed = false;
                while (i < n) {
                    char c = s.charAt(i++);
                    if (c == '\\' && i < n) {
                        value.append(s.charAt(i++));
                    } else if (c == '\'') {
                        closed = true;
                        break;
                    } else {
                        value.append(c);
                    }
                }
                if (!closed) {
                    return Optional.empty();
                }
            } else {
                while (i < n && !Character.isWhitespace(s.charAt(i))) {
                    char c = s.charAt(i++);
                    if (c == '\\' && i < n) {
                        value.append(s.charAt(i++));
                    } else {
                        value.append(c);
                    }
                }
            }
            out.put(key.toLowerCase(Locale.ROOT), value.toString());
        }
    }
}
