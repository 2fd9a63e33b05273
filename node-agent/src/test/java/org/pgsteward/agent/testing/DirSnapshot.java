package org.pgsteward.agent.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Every path below a directory with a SHA-256 of its content ("dir" for directories, the target
 * for symlinks): two equal snapshots mean nothing was added, removed or changed.
 */
public record DirSnapshot(Path root, Map<String, String> entries) {

    public static DirSnapshot of(Path root) {
        var entries = new TreeMap<String, String>();
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return new DirSnapshot(root, entries);
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.forEach(p -> entries.put(root.relativize(p).toString(), describe(p)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new DirSnapshot(root, Map.copyOf(entries));
    }

    private static String describe(Path p) {
        try {
            if (Files.isSymbolicLink(p)) {
                return "link:" + Files.readSymbolicLink(p);
            }
            if (Files.isDirectory(p)) {
                return "dir";
            }
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(p)) {
                byte[] buf = new byte[64 * 1024];
                int n;
                while ((n = in.read(buf)) > 0) {
                    sha.update(buf, 0, n);
                }
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What differs from {@code other}, for an assertion message. */
    public String diff(DirSnapshot other) {
        var sb = new StringBuilder();
        var keys = new java.util.TreeSet<>(entries.keySet());
        keys.addAll(other.entries.keySet());
        for (String k : keys) {
            String a = entries.get(k);
            String b = other.entries.get(k);
            if (a == null || !a.equals(b)) {
                sb.append(k).append(": ").append(a).append(" -> ").append(b).append('\n');
            }
        }
        return sb.toString();
    }
}
