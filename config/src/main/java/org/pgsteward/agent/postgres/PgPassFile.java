package org.pgsteward.agent.postgres;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A libpq password file ({@code hostname:port:database:username:password} lines, {@code *} matches anything,
 * {@code \:} and {@code \\} escape), read as libpq reads it, for the conninfo keyword {@code passfile}: pgjdbc reads
 * {@code PGPASSFILE} and {@code ~/.pgpass} by itself but not a {@code passfile} named in the connection string.
 *
 * <p>As libpq: a file that cannot be read, is not a regular file, or that group or others may access, gives no
 * password (libpq warns about the last; the server then rejects the connection, which names the user).
 */
public final class PgPassFile {

    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private PgPassFile() {}

    /**
     * The password of the first line matching the connection, if any.
     *
     * @param host a host name or address; empty, or a Unix socket directory, matches {@code localhost} (libpq's rule)
     */
    public static Optional<String> password(Path file, String host, int port, String database, String user) {
        List<String> lines;
        try {
            if (!Files.isRegularFile(file) || !privateToOwner(file)) {
                return Optional.empty();
            }
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
        String h = host.isEmpty() || host.startsWith("/") ? "localhost" : host;
        List<String> wanted = List.of(h, Integer.toString(port), database, user);
        for (String line : lines) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Optional<String> pw = match(line, wanted);
            if (pw.isPresent()) {
                return pw;
            }
        }
        return Optional.empty();
    }

    /** The password when the four fields of {@code line} match {@code wanted}; the fifth field is the rest of the line. */
    static Optional<String> match(String line, List<String> wanted) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean literal = false; // the field had an escape: "\*" is a star, not the wildcard
        int i = 0;
        for (; i < line.length() && fields.size() < 4; i++) {
            char c = line.charAt(i);
            if (c == '\\' && i + 1 < line.length()) {
                field.append(line.charAt(++i));
                literal = true;
            } else if (c == ':') {
                fields.add(literal || !field.toString().equals("*") ? field.toString() : null);
                field.setLength(0);
                literal = false;
            } else {
                field.append(c);
            }
        }
        if (fields.size() < 4) {
            return Optional.empty();
        }
        for (int f = 0; f < 4; f++) {
            if (fields.get(f) != null && !fields.get(f).equals(wanted.get(f))) {
                return Optional.empty();
            }
        }
        StringBuilder password = new StringBuilder();
        for (; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\\' && i + 1 < line.length()) {
                c = line.charAt(++i);
            }
            password.append(c);
        }
        return password.length() == 0 ? Optional.empty() : Optional.of(password.toString());
    }

    private static boolean privateToOwner(Path file) throws IOException {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file, new LinkOption[0]);
            return perms.stream().noneMatch(GROUP_OR_OTHERS::contains);
        } catch (UnsupportedOperationException e) {
            return true; // not a POSIX file system: libpq does not check either
        }
    }
}
