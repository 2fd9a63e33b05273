package org.pgsteward.agent.metadata;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads what {@link PrimaryChecks} needs from a live server: the {@code setting} column of
 * {@code pg_settings} for {@link #SETTINGS} plus {@code pg_is_in_recovery()}.
 *
 * <p>Units are normalised so the checks do not depend on the server version:
 * {@code wal_segment_size} in bytes (PostgreSQL 10 reports 8kB blocks, 11+ bytes) and
 * {@code wal_keep_size} in MB. Settings the server does not have (e.g. {@code wal_keep_size}
 * before 13) are absent from the map.
 */
public final class ServerSettingsReader {

    /** Key of the pseudo-setting holding {@code pg_is_in_recovery()} as {@code true}/{@code false}. */
    public static final String IN_RECOVERY = "pg_is_in_recovery";

    public static final List<String> SETTINGS = List.of(
            "server_version_num", "wal_level", "max_wal_senders", "hot_standby", "wal_keep_size",
            "wal_keep_segments", "wal_segment_size", "listen_addresses", "wal_log_hints", "data_checksums");

    private static final Pattern UNIT = Pattern.compile("(\\d*)(B|kB|MB|GB|TB)");

    private ServerSettingsReader() {}

    /** @throws MetadataException ({@code ERR_DB_QUERY}/{@code ERR_DB_CON}) when the queries fail */
    public static Map<String, String> read(Connection conn) {
        Map<String, String> out = new LinkedHashMap<>();
        try (PreparedStatement ps = conn.prepareStatement(MetadataSql.SELECT_SETTINGS)) {
            Array names = conn.createArrayOf("text", SETTINGS.toArray());
            ps.setArray(1, names);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), normalise(rs.getString(1), rs.getString(2), Optional.ofNullable(rs.getString(3))));
                }
            }
            try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(MetadataSql.SELECT_IN_RECOVERY)) {
                rs.next();
                out.put(IN_RECOVERY, Boolean.toString(rs.getBoolean(1)));
            }
            return out;
        } catch (SQLException e) {
            throw MetadataException.of("reading server settings (pg_settings)", e);
        }
    }

    /** Converts sizes to the unit {@link PrimaryChecks} expects; other values pass through. */
    static String normalise(String name, String setting, Optional<String> unit) {
        Optional<Long> factor = unit.flatMap(ServerSettingsReader::bytesPerUnit);
        if (factor.isEmpty()) {
            return setting;
        }
        try {
            long bytes = Long.parseLong(setting) * factor.get();
            return switch (name) {
                case "wal_segment_size" -> Long.toString(bytes);
                case "wal_keep_size" -> Long.toString(bytes / (1024L * 1024));
                default -> setting;
            };
        } catch (NumberFormatException e) {
            return setting;
        }
    }

    /** "8kB" → 8192, "B" → 1, "MB" → 1048576, ...; empty for non-size units (ms, s, ...). */
    static Optional<Long> bytesPerUnit(String unit) {
        Matcher m = UNIT.matcher(unit);
        if (!m.matches()) {
            return Optional.empty();
        }
        long count = m.group(1).isEmpty() ? 1 : Long.parseLong(m.group(1));
        long base = switch (m.group(2)) {
            case "B" -> 1L;
            case "kB" -> 1024L;
            case "MB" -> 1024L * 1024;
            case "GB" -> 1024L * 1024 * 1024;
            default -> 1024L * 1024 * 1024 * 1024;
        };
        return Optional.of(count * base);
    }
}
