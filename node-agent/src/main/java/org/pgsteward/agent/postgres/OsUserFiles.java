package org.pgsteward.agent.postgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * Files and directories the agent creates in or next to a data directory. PostgreSQL runs as
 * {@code postgres.os-user}: when the agent is root, whatever it creates there is handed to
 * that user (same rule as {@link org.pgsteward.agent.exec.CommandRunner}'s runuser), with
 * PostgreSQL's modes (0700 directories, 0600 files).
 */
public final class OsUserFiles {

    private final Optional<String> owner;

    /**
     * @param osUser the PostgreSQL OS user
     * @param root   whether this process is root (only root can give files away)
     */
    OsUserFiles(Optional<String> osUser, boolean root) {
        this.owner = osUser.filter(u -> root && !u.equals("root"));
    }

    /** Creates {@code dir} (not its parents), mode 0700, owned by the OS user. */
    void createDirectory(Path dir) throws IOException {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        handOver(dir);
    }

    /** Writes {@code content} to {@code file} atomically (temp file + rename), mode 0600, owned by the OS user. */
    void writeFile(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".pgsteward-tmp");
        Files.deleteIfExists(tmp);
        Files.writeString(Files.createFile(tmp,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))), content,
                StandardCharsets.UTF_8);
        handOver(tmp);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Makes the OS user the owner of {@code path} (no-op unless we are root). */
    void handOver(Path path) throws IOException {
        if (owner.isEmpty()) {
            return;
        }
        var view = Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        view.setOwner(path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(owner.get()));
    }

    /** Removes {@code root} and everything below it; symlinks are removed, never followed. */
    public static void deleteRecursively(Path root) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    if (exc != null) {
                        throw exc;
                    }
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + root + ": " + e.getMessage(), e);
        }
    }

    /** Removes everything inside {@code dir}, keeping {@code dir} itself. */
    static void deleteContents(Path dir) {
        try (var entries = Files.list(dir)) {
            entries.forEach(OsUserFiles::deleteRecursively);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot empty " + dir + ": " + e.getMessage(), e);
        }
    }
}
