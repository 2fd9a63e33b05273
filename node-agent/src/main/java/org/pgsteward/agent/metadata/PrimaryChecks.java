package org.pgsteward.agent.metadata;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The seed's {@code master register} checks: is this server configured to be a primary that
 * standbys can stream from?
 *
 * <p>{@link #check} is pure over a settings map (keys and units as {@link ServerSettingsReader}
 * produces them); {@link #run} reads a live server and checks it.
 *
 * <p>Failures: {@code wal_level} not {@code replica}/{@code logical} ({@code hot_standby} accepted:
 * it is the pre-9.6 name; {@code archive} is refused because its WAL does not allow hot standby),
 * {@code max_wal_senders} = 0, {@code hot_standby} off (cloned standbys inherit it), WAL retention
 * below {@code -w} segments, {@code listen_addresses} empty or loopback-only while other nodes
 * reach this one by a non-loopback host, server in recovery. Warning: neither
 * {@code wal_log_hints} nor {@code data_checksums} on (no pg_rewind).
 */
public final class PrimaryChecks {

    /** The seed's default for {@code -w/--wal-keep-segments}. */
    public static final int DEFAULT_WAL_KEEP_SEGMENTS = 5000;

    /** Used when the map has no {@code wal_segment_size} (the compiled-in default since forever). */
    static final long DEFAULT_WAL_SEGMENT_BYTES = 16L * 1024 * 1024;

    private static final long MIB = 1024L * 1024;
    private static final String NOT_SET = "(not set)";
    private static final Set<String> GOOD_WAL_LEVELS = Set.of("replica", "logical", "hot_standby");

    private PrimaryChecks() {}

    /** Reads the server's settings and checks them; see {@link #check}. */
    public static PrimaryCheckReport run(Connection conn, int requiredWalKeepSegments, String conninfoHost) {
        return check(ServerSettingsReader.read(conn), requiredWalKeepSegments, conninfoHost);
    }

    /**
     * Checks settings.
     *
     * @param settings                GUC name → value, as {@link ServerSettingsReader#read} returns
     *                                ({@code wal_keep_size} in MB, {@code wal_segment_size} in bytes,
     *                                {@code pg_is_in_recovery} = true/false)
     * @param requiredWalKeepSegments {@code -w}: WAL segments the primary must keep (≥ 0)
     * @param conninfoHost            the host of this node's conninfo ({@code Conninfo.host()}); a
     *                                comma-separated list is allowed
     */
    public static PrimaryCheckReport check(Map<String, String> settings, int requiredWalKeepSegments, String conninfoHost) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(conninfoHost, "conninfoHost");
        if (requiredWalKeepSegments < 0) {
            throw new IllegalArgumentException("required wal_keep_segments must be >= 0, got " + requiredWalKeepSegments);
        }
        List<CheckFinding> failures = new ArrayList<>();
        List<CheckFinding> warnings = new ArrayList<>();
        checkWalLevel(settings).ifPresent(failures::add);
        checkMaxWalSenders(settings).ifPresent(failures::add);
        checkHotStandby(settings).ifPresent(failures::add);
        checkWalKeep(settings, requiredWalKeepSegments).ifPresent(failures::add);
        checkListenAddresses(settings, conninfoHost).ifPresent(failures::add);
        checkNotInRecovery(settings).ifPresent(failures::add);
        checkRewindPossible(settings).ifPresent(warnings::add);
        return new PrimaryCheckReport(failures, warnings);
    }

    private static Optional<CheckFinding> checkWalLevel(Map<String, String> s) {
        String v = value(s, "wal_level");
        if (GOOD_WAL_LEVELS.contains(v.toLowerCase(Locale.ROOT))) {
            return Optional.empty();
        }
        return fail("wal_level", v, "wal_level is " + v + "; needs replica or logical");
    }

    private static Optional<CheckFinding> checkMaxWalSenders(Map<String, String> s) {
        String v = value(s, "max_wal_senders");
        Optional<Long> n = number(v);
        if (n.isPresent() && n.get() > 0) {
            return Optional.empty();
        }
        return fail("max_wal_senders", v, "max_wal_senders is " + v + "; needs at least 1 (standbys stream through WAL senders)");
    }

    private static Optional<CheckFinding> checkHotStandby(Map<String, String> s) {
        String v = value(s, "hot_standby");
        if (isOn(v)) {
            return Optional.empty();
        }
        // Why on a primary: a clone copies postgresql.conf, so its standbys would refuse queries.
        return fail("hot_standby", v, "hot_standby is " + v + "; needs on (standbys cloned from this server inherit it)");
    }

    private static Optional<CheckFinding> checkWalKeep(Map<String, String> s, int required) {
        if (s.containsKey("wal_keep_size")) { // PostgreSQL >= 13: a size in MB
            String v = s.get("wal_keep_size");
            long segBytes = number(s.getOrDefault("wal_segment_size", "")).filter(b -> b > 0).orElse(DEFAULT_WAL_SEGMENT_BYTES);
            long requiredMb = ceilDiv(required * segBytes, MIB);
            Optional<Long> mb = number(v);
            if (mb.isPresent() && mb.get() >= requiredMb) {
                return Optional.empty();
            }
            String have = mb.map(m -> v + " (" + (m * MIB / segBytes) + " segments)").orElse(v);
            return fail("wal_keep_size", v, "wal_keep_size is " + have + "; needs at least " + required
                    + " segments (" + requiredMb + " MB) — set wal_keep_size or pass -w");
        }
        String v = value(s, "wal_keep_segments");
        Optional<Long> n = number(v);
        if (n.isPresent() && n.get() >= required) {
            return Optional.empty();
        }
        return fail("wal_keep_segments", v, "wal_keep_segments is " + v + "; needs at least " + required
                + " — set wal_keep_segments or pass -w");
    }

    private static Optional<CheckFinding> checkListenAddresses(Map<String, String> s, String conninfoHost) {
        boolean reachedRemotely = List.of(conninfoHost.split(",")).stream()
                .map(String::trim)
                .anyMatch(h -> !h.isEmpty() && !isLocalHost(h));
        if (!reachedRemotely) {
            return Optional.empty();
        }
        String v = s.getOrDefault("listen_addresses", "");
        boolean reachable = List.of(v.split(",")).stream()
                .map(String::trim)
                .anyMatch(a -> !a.isEmpty() && !isLocalHost(a));
        if (reachable) {
            return Optional.empty();
        }
        String shown = v.isBlank() ? "empty" : "'" + v + "'";
        return fail("listen_addresses", v, "listen_addresses is " + shown + "; needs an address other nodes can reach"
                + " (e.g. '*'), because this node's conninfo host is " + conninfoHost);
    }

    private static Optional<CheckFinding> checkNotInRecovery(Map<String, String> s) {
        String v = value(s, ServerSettingsReader.IN_RECOVERY);
        if (v.equals("false")) {
            return Optional.empty();
        }
        return fail(ServerSettingsReader.IN_RECOVERY, v, "pg_is_in_recovery() is " + v
                + "; needs false: this server is a standby (or its state is unknown), not a primary");
    }

    private static Optional<CheckFinding> checkRewindPossible(Map<String, String> s) {
        if (isOn(s.getOrDefault("wal_log_hints", "off")) || isOn(s.getOrDefault("data_checksums", "off"))) {
            return Optional.empty();
        }
        return Optional.of(new CheckFinding("wal_log_hints", value(s, "wal_log_hints"),
                "neither wal_log_hints nor data_checksums is on: pg_rewind will not be possible"
                        + " (a failed primary can then only rejoin by a full clone)"));
    }

    /** Loopback names/addresses and Unix-socket directories: nothing another host can connect to. */
    static boolean isLocalHost(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.equals("localhost") || h.startsWith("127.") || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1")
                || h.startsWith("/") || h.startsWith("@");
    }

    private static boolean isOn(String v) {
        return Set.of("on", "true", "yes", "1").contains(v.toLowerCase(Locale.ROOT));
    }

    private static String value(Map<String, String> s, String key) {
        return Optional.ofNullable(s.get(key)).orElse(NOT_SET);
    }

    private static Optional<Long> number(String v) {
        try {
            return Optional.of(Long.parseLong(v.trim()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    private static Optional<CheckFinding> fail(String setting, String value, String message) {
        return Optional.of(new CheckFinding(setting, value, message));
    }
}
