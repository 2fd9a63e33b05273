package org.pgsteward.agent.postgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;

/**
 * Crash-safe file updates for the data directory: a reader (PostgreSQL after a crash, or us) sees
 * either the old or the new content, never a torn file. I/O errors become {@link UncheckedIOException}
 * naming the path.
 */
final class AtomicFiles {

    private AtomicFiles() {
    }

    /**
     * Replaces {@code target} with {@code content}: temp file in the same directory, fsync, rename over
     * the target, fsync the directory. Keeps the target's POSIX permissions if it exists (temp files
     * are created 0600, which is also what PostgreSQL uses).
     */
    static void replace(Path target, byte[] content) {
        Path dir = parentOf(target);
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
            copyPermissions(target, tmp);
            copyOwner(Files.exists(target) ? target : dir, tmp);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            fsyncDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the original error is the one that matters
                }
            }
        }
    }

    /** Creates an empty file durably if it does not exist; an existing file is left untouched. */
    static void createEmptyIfAbsent(Path target) {
        if (Files.exists(target)) {
            return;
        }
        replace(target, new byte[0]);
    }

    /** Deletes {@code target} durably if it exists. */
    static void deleteIfExists(Path target) {
        try {
            if (Files.deleteIfExists(target)) {
                fsyncDirectory(parentOf(target));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + target + ": " + e, e);
        }
    }

    private static Path parentOf(Path target) {
        Path parent = target.toAbsolutePath().getParent();
        if (parent == null) {
            throw new IllegalArgumentException("no parent directory: " + target);
        }
        return parent;
    }

    private static void copyPermissions(Path from, Path to) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(from, PosixFileAttributeView.class);
        if (view != null && Files.exists(from)) {
            Files.setPosixFilePermissions(to, view.readAttributes().permissions());
        }
    }

    /**
     * An agent running as root edits files PostgreSQL (another OS user) must read: the new file
     * gets the owner and group of the file it replaces, or of its directory.
     */
    private static void copyOwner(Path from, Path to) throws IOException {
        PosixFileAttributeView fromView = Files.getFileAttributeView(from, PosixFileAttributeView.class);
        PosixFileAttributeView toView = Files.getFileAttributeView(to, PosixFileAttributeView.class);
        if (fromView == null || toView == null) {
            return;
        }
        var want = fromView.readAttributes();
        var have = toView.readAttributes();
        if (!want.owner().equals(have.owner())) {
            toView.setOwner(want.owner());
        }
        if (!want.group().equals(have.group())) {
            toView.setGroup(want.group());
        }
    }

    /** Makes the rename/unlink itself durable (Linux: fsync on a directory opened read-only). */
    private static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
