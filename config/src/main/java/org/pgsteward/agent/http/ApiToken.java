package org.pgsteward.agent.http;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;
import org.pgsteward.agent.config.NodeConfig;

/**
 * The bearer token that guards {@code /api/v1} on {@code agent.http}: read from {@code agent.api-token-file}, or
 * from {@code <agent.state-dir>/api.token}, which the agent creates at its first start (0600, 32 random bytes,
 * base64url), so a default installation is protected without any setup. The console finds it the same way.
 */
public final class ApiToken {

    public static final String DEFAULT_FILE_NAME = "api.token";
    private static final int RANDOM_BYTES = 32;
    /** Shorter tokens in a user's own file are refused: they could be guessed. */
    static final int MIN_LENGTH = 16;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final byte[] digest;

    private ApiToken(String token) {
        this.digest = sha256(token);
    }

    /** Where the token of this node is kept. */
    public static Path file(NodeConfig config) {
        return config.agent().apiTokenFile().orElseGet(() -> config.agent().stateDir().resolve(DEFAULT_FILE_NAME));
    }

    /**
     * The agent's token: read from {@link #file}; when the file does not exist and no {@code agent.api-token-file} is
     * set, created (atomically: written to a 0600 temporary file in the same directory, then linked into place).
     *
     * @throws IllegalStateException naming the file and the problem
     */
    public static ApiToken loadOrCreate(NodeConfig config) {
        Path file = file(config);
        try {
            return new ApiToken(readText(file));
        } catch (NoSuchFileException e) {
            if (config.agent().apiTokenFile().isPresent()) {
                throw new IllegalStateException(file + " (agent.api-token-file) does not exist");
            }
            return new ApiToken(create(file));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The token as the console sends it: empty when the file cannot be read (the agent then answers 401). */
    public static Optional<String> read(NodeConfig config) {
        try {
            return Optional.of(readText(file(config)));
        } catch (IOException | IllegalStateException e) {
            return Optional.empty();
        }
    }

    /** For tests with a fixed token. */
    public static ApiToken of(String token) {
        return new ApiToken(token);
    }

    /**
     * Whether an {@code Authorization} header value carries this token. Constant time in the header's content: both
     * sides are hashed first, so the comparison does not depend on where they differ, nor on the token's length.
     */
    public boolean accepts(Optional<String> authorization) {
        String given = authorization.map(String::strip).filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
                .map(h -> h.substring(7).strip()).orElse("");
        return MessageDigest.isEqual(digest, sha256(given)) && !given.isEmpty();
    }

    /**
     * What the web status page's cookie holds: a one-way digest of the token (never the token itself), so a copied
     * cookie opens the read-only page, not {@code /api/v1}; the same across agent restarts while the token stays.
     */
    public String uiCookieValue() {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(uiDigest());
    }

    /** Whether a cookie value is {@link #uiCookieValue()}, compared in constant time. */
    public boolean acceptsUiCookie(String value) {
        return MessageDigest.isEqual(sha256(uiCookieValue()), sha256(value == null ? "" : value.strip()));
    }

    private byte[] uiDigest() {
        byte[] tagged = java.util.Arrays.copyOf(digest, digest.length + UI_TAG.length);
        System.arraycopy(UI_TAG, 0, tagged, digest.length, UI_TAG.length);
        try {
            return MessageDigest.getInstance("SHA-256").digest(tagged);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final byte[] UI_TAG = "pgsteward-ui-cookie".getBytes(StandardCharsets.UTF_8);

    private static String readText(Path file) throws IOException {
        String token = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (token.length() < MIN_LENGTH || token.chars().anyMatch(c -> c <= ' ' || c > '~')) {
            throw new IllegalStateException(file + " must hold one token of at least " + MIN_LENGTH
                    + " printable characters without spaces");
        }
        return token;
    }

    private static String create(Path file) {
        byte[] random = new byte[RANDOM_BYTES];
        new SecureRandom().nextBytes(random);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Path dir = file.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, DEFAULT_FILE_NAME + ".", ".tmp",
                    PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            try {
                Files.writeString(tmp, token + "\n", StandardCharsets.UTF_8, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.SYNC);
                // a hard link appears atomically and never replaces a token another start wrote meanwhile
                Files.createLink(file, tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return token;
        } catch (FileAlreadyExistsException e) {
            try {
                return readText(file);
            } catch (IOException again) {
                throw new UncheckedIOException(again);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot create " + file + ": " + e.getMessage(), e);
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
