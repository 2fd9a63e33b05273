package org.pgsteward.agent.postgres;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Writes, reads and removes a standby's recovery configuration in a data directory.
 *
 * <ul>
 *   <li>PostgreSQL &le; 11: a {@code recovery.conf} owned entirely by us (rewritten as a whole).
 *   <li>PostgreSQL &ge; 12: an empty {@code standby.signal} plus {@code primary_conninfo},
 *       {@code recovery_target_timeline} and {@code primary_slot_name} in {@code postgresql.auto.conf};
 *       all other lines of that file are preserved.
 * </ul>
 *
 * <p>{@code primary_conninfo} is formatted with {@link Conninfo#toConnString()} and then quoted as a
 * postgresql.conf string ({@link PgConfSyntax#quote}), i.e. two quoting layers, as pg_basebackup -R does. Its password,
 * from PostgreSQL 10 on, is not written there but into {@link #PASSFILE} (see {@link #stored}).
 * All file replacements are atomic (temp file, fsync, rename, fsync directory). I/O errors surface as
 * {@link java.io.UncheckedIOException} naming the file; unparsable files as {@link MalformedConfigException}.
 *
 * <p>{@code serverMajorVersion} is {@code server_version_num / 10000} (9 for any 9.x).
 */
public final class RecoveryConfig {

    /** Pre-12 recovery configuration file. */
    public static final String RECOVERY_CONF = "recovery.conf";
    /** PostgreSQL 12+: its presence makes the server start as a standby. */
    public static final String STANDBY_SIGNAL = "standby.signal";
    /** PostgreSQL 12+: ALTER SYSTEM's file, read after postgresql.conf (so it wins). */
    public static final String AUTO_CONF = "postgresql.auto.conf";

    static final String PRIMARY_CONNINFO = "primary_conninfo";
    static final String PRIMARY_SLOT_NAME = "primary_slot_name";
    static final String RECOVERY_TARGET_TIMELINE = "recovery_target_timeline";
    static final String STANDBY_MODE = "standby_mode";

    /**
     * The password file of {@code primary_conninfo} in the data directory (0600, owned by the data directory's owner,
     * who runs the WAL receiver): one line {@code *:*:*:*:<password>}, named by {@code passfile=}.
     */
    public static final String PASSFILE = "pgsteward.pgpass";

    private static final String RECOVERY_CONF_HEADER = "# Written by pgsteward; manual changes will be overwritten.\n";
    private static final Set<String> TRUE_WORDS = Set.of("on", "true", "yes", "1");

    private RecoveryConfig() {
    }

    /**
     * Configures {@code dataDir} as a streaming standby of {@code s.primaryConninfo()}.
     * For &ge; 12, {@code postgresql.auto.conf} is written before {@code standby.signal} so a crash in
     * between never leaves a signalled standby without its conninfo.
     */
    public static void write(Path dataDir, int serverMajorVersion, RecoverySettings settings) {
        checkVersion(serverMajorVersion);
        RecoverySettings s = new RecoverySettings(stored(dataDir, serverMajorVersion, settings.primaryConninfo()),
                settings.primarySlotName(), settings.recoveryTargetTimeline());
        if (serverMajorVersion <= 11) {
            AtomicFiles.replace(dataDir.resolve(RECOVERY_CONF), renderRecoveryConf(s).getBytes(StandardCharsets.UTF_8));
            return;
        }
        Path autoConf = dataDir.resolve(AUTO_CONF);
        PgConfFile conf = PgConfFile.read(autoConf)
                .set(PRIMARY_CONNINFO, s.primaryConninfo().toConnString())
                .set(RECOVERY_TARGET_TIMELINE, s.recoveryTargetTimeline());
        // A stale slot name from an earlier primary must go: the new primary may not have that slot.
        conf = s.primarySlotName().isPresent()
                ? conf.set(PRIMARY_SLOT_NAME, s.primarySlotName().get())
                : conf.remove(PRIMARY_SLOT_NAME);
        conf.writeTo(autoConf);
        AtomicFiles.createEmptyIfAbsent(dataDir.resolve(STANDBY_SIGNAL));
    }

    /**
     * {@code primary_conninfo} as it is written. PostgreSQL logs the whole new value of a reloaded setting ({@code
     * parameter "primary_conninfo" changed to "... password=..."}) and any base backup copies the file, so a password
     * goes into {@link #PASSFILE} instead, referenced by {@code passfile=} (a keyword of libpq since PostgreSQL 10);
     * before 10, or for a password libpq's file cannot hold (a line break), it stays inline. A password file of an
     * earlier upstream that this conninfo no longer uses is removed.
     */
    static Conninfo stored(Path dataDir, int serverMajorVersion, Conninfo c) {
        Path file = dataDir.toAbsolutePath().resolve(PASSFILE);
        Optional<String> password = c.password();
        if (serverMajorVersion < 10 || password.isEmpty() || password.get().contains("\n")
                || password.get().contains("\r")) {
            if (!c.get("passfile").map(file.toString()::equals).orElse(false)) {
                AtomicFiles.deleteIfExists(file);
            }
            return c;
        }
        String escaped = password.get().replace("\\", "\\\\").replace(":", "\\:");
        AtomicFiles.replace(file, ("*:*:*:*:" + escaped + "\n").getBytes(StandardCharsets.UTF_8));
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------")); // libpq ignores it otherwise
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot make " + file + " private (0600): " + e, e);
        }
        return c.without("password").with("passfile", file.toString());
    }

    /**
     * Reads the standby configuration back.
     *
     * @return empty unless the directory is configured as a streaming standby: for &le; 11 a
     *     {@code recovery.conf} with {@code standby_mode} on and a non-empty {@code primary_conninfo};
     *     for &ge; 12 a {@code standby.signal} and a non-empty {@code primary_conninfo} in
     *     {@code postgresql.auto.conf} (settings in postgresql.conf itself are not consulted). An absent
     *     {@code recovery_target_timeline} reads as the server default: {@code current} for &le; 11,
     *     {@code latest} for &ge; 12.
     * @throws MalformedConfigException if the file or the conninfo in it cannot be parsed
     */
    public static Optional<RecoverySettings> read(Path dataDir, int serverMajorVersion) {
        checkVersion(serverMajorVersion);
        Path file;
        String defaultTimeline;
        if (serverMajorVersion <= 11) {
            file = dataDir.resolve(RECOVERY_CONF);
            defaultTimeline = "current";
            if (!Files.exists(file)) {
                return Optional.empty();
            }
        } else {
            file = dataDir.resolve(AUTO_CONF);
            defaultTimeline = RecoverySettings.LATEST;
            if (!Files.exists(dataDir.resolve(STANDBY_SIGNAL))) {
                return Optional.empty();
            }
        }
        PgConfFile conf = PgConfFile.read(file);
        if (serverMajorVersion <= 11
                && !conf.get(STANDBY_MODE).map(v -> TRUE_WORDS.contains(v.toLowerCase(Locale.ROOT))).orElse(false)) {
            return Optional.empty();
        }
        Optional<PgConfFile.Located> conninfo = conf.locate(PRIMARY_CONNINFO).filter(l -> !l.value().isBlank());
        if (conninfo.isEmpty()) {
            return Optional.empty();
        }
        Conninfo primary;
        try {
            primary = Conninfo.parse(conninfo.get().value());
        } catch (IllegalArgumentException e) { // message is password-free by Conninfo's contract
            throw new MalformedConfigException(file.toString(), conninfo.get().lineNumber(),
                    PRIMARY_CONNINFO + ": " + e.getMessage(), e);
        }
        Optional<String> slot = conf.get(PRIMARY_SLOT_NAME).filter(v -> !v.isEmpty());
        String timeline = conf.get(RECOVERY_TARGET_TIMELINE).filter(v -> !v.isEmpty()).orElse(defaultTimeline);
        try {
            return Optional.of(new RecoverySettings(primary, slot, timeline));
        } catch (IllegalArgumentException e) {
            throw new MalformedConfigException(file.toString(), conninfo.get().lineNumber(), e.getMessage(), e);
        }
    }

    /**
     * Stops {@code dataDir} from starting as a standby: deletes {@code recovery.conf} (&le; 11) or
     * {@code standby.signal} (&ge; 12). For &ge; 12 the settings in {@code postgresql.auto.conf} are
     * deliberately left: a primary ignores them (promotion leaves them too), and keeping them avoids
     * rewriting a file shared with ALTER SYSTEM. No-op if already removed.
     */
    public static void remove(Path dataDir, int serverMajorVersion) {
        checkVersion(serverMajorVersion);
        AtomicFiles.deleteIfExists(dataDir.resolve(serverMajorVersion <= 11 ? RECOVERY_CONF : STANDBY_SIGNAL));
    }

    /** Content of a pre-12 {@code recovery.conf} for {@code s}. */
    static String renderRecoveryConf(RecoverySettings s) {
        StringBuilder sb = new StringBuilder(RECOVERY_CONF_HEADER)
                .append(PgConfSyntax.formatLine(STANDBY_MODE, "on")).append('\n')
                .append(PgConfSyntax.formatLine(PRIMARY_CONNINFO, s.primaryConninfo().toConnString())).append('\n')
                .append(PgConfSyntax.formatLine(RECOVERY_TARGET_TIMELINE, s.recoveryTargetTimeline())).append('\n');
        s.primarySlotName().ifPresent(slot -> sb.append(PgConfSyntax.formatLine(PRIMARY_SLOT_NAME, slot)).append('\n'));
        return sb.toString();
    }

    private static void checkVersion(int major) {
        if (major < 9) {
            throw new IllegalArgumentException("unsupported PostgreSQL major version " + major + " (need 9 or later)");
        }
    }
}
