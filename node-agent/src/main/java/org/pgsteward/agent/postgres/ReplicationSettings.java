package org.pgsteward.agent.postgres;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server settings replication depends on, as {@code pg_settings} reports them.
 *
 * @param walKeepSetting how much WAL is kept for standbys, as PostgreSQL shows it:
 *                       {@code wal_keep_size} (13+, e.g. "128MB") or {@code wal_keep_segments} (before 13, a count)
 * @param walKeepBytes   the same in bytes, when it can be worked out
 * @param raw            every setting read, name to its display text ({@code current_setting()})
 */
public record ReplicationSettings(String walLevel, int maxWalSenders, boolean hotStandby, String walKeepSetting,
                                  Optional<Long> walKeepBytes, boolean walLogHints, boolean dataChecksums,
                                  String synchronousStandbyNames, String listenAddresses, int port,
                                  Map<String, String> raw) {

    /** Names the probe reads; those a server version lacks simply do not come back. */
    public static final List<String> NAMES = List.of("wal_level", "max_wal_senders", "hot_standby",
            "wal_keep_size", "wal_keep_segments", "wal_segment_size", "wal_log_hints", "data_checksums",
            "synchronous_standby_names", "listen_addresses", "port");

    // pg_settings.unit for memory-like settings: "B", "kB", "8kB", "MB", "16MB", ...
    private static final Pattern UNIT = Pattern.compile("(\\d*)(B|kB|MB|GB|TB)");

    public ReplicationSettings {
        Objects.requireNonNull(walLevel);
        Objects.requireNonNull(walKeepSetting);
        Objects.requireNonNull(walKeepBytes);
        Objects.requireNonNull(synchronousStandbyNames);
        Objects.requireNonNull(listenAddresses);
        raw = Map.copyOf(raw);
    }

    /** One row of {@code pg_settings}: {@code setting} in base units, {@code display} as current_setting() shows it. */
    public record SettingRow(String name, String setting, Optional<String> unit, String display) {}

    /**
     * Builds the settings from the {@code pg_settings} rows for {@link #NAMES}.
     *
     * @throws IllegalStateException when a setting every supported version has is missing or malformed
     */
    public static ReplicationSettings fromRows(Collection<SettingRow> rows) {
        var byName = new LinkedHashMap<String, SettingRow>();
        rows.forEach(r -> byName.put(r.name(), r));
        var raw = new LinkedHashMap<String, String>();
        rows.forEach(r -> raw.put(r.name(), r.display()));

        String walKeepSetting;
        Optional<Long> walKeepBytes;
        if (byName.containsKey("wal_keep_size")) {
            SettingRow r = byName.get("wal_keep_size");
            walKeepSetting = r.display();
            walKeepBytes = toBytes(r.setting(), r.unit());
        } else {
            SettingRow r = require(byName, "wal_keep_segments");
            walKeepSetting = r.display();
            // segments times the segment size (itself in 8kB pages before 11, in bytes since)
            walKeepBytes = Optional.ofNullable(byName.get("wal_segment_size"))
                    .flatMap(seg -> toBytes(seg.setting(), seg.unit()))
                    .flatMap(segBytes -> parseLong(r.setting()).map(n -> n * segBytes));
        }
        return new ReplicationSettings(
                require(byName, "wal_level").setting(),
                intSetting(byName, "max_wal_senders"),
                boolSetting(byName, "hot_standby"),
                walKeepSetting,
                walKeepBytes,
                boolSetting(byName, "wal_log_hints"),
                boolSetting(byName, "data_checksums"),
                require(byName, "synchronous_standby_names").setting(),
                require(byName, "listen_addresses").setting(),
                intSetting(byName, "port"),
                raw);
    }

    /** A numeric {@code pg_settings.setting} in bytes, given its {@code unit}; empty when not a size. */
    static Optional<Long> toBytes(String setting, Optional<String> unit) {
        if (unit.isEmpty()) {
            return Optional.empty();
        }
        Matcher m = UNIT.matcher(unit.get());
        if (!m.matches()) {
            return Optional.empty();
        }
        long multiplier = m.group(1).isEmpty() ? 1 : Long.parseLong(m.group(1));
        long unitBytes = switch (m.group(2)) {
            case "B" -> 1L;
            case "kB" -> 1L << 10;
            case "MB" -> 1L << 20;
            case "GB" -> 1L << 30;
            default -> 1L << 40;
        };
        return parseLong(setting).map(n -> n * multiplier * unitBytes);
    }

    private static Optional<Long> parseLong(String s) {
        try {
            return Optional.of(Long.parseLong(s.strip()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static SettingRow require(Map<String, SettingRow> byName, String name) {
        SettingRow r = byName.get(name);
        if (r == null) {
            throw new IllegalStateException("setting " + name + " is not visible in pg_settings");
        }
        return r;
    }

    private static int intSetting(Map<String, SettingRow> byName, String name) {
        String s = require(byName, name).setting();
        try {
            return Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            throw new IllegalStateException("setting " + name + " is not an integer: " + s);
        }
    }

    private static boolean boolSetting(Map<String, SettingRow> byName, String name) {
        return "on".equalsIgnoreCase(require(byName, name).setting().strip());
    }
}
