package org.pgsteward.agent.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgsteward.agent.config.ConfigLoader;
import org.pgsteward.agent.config.NodeConfig;

class ApiTokenTest {

    @TempDir
    Path dir;

    private NodeConfig config(String extra) throws IOException {
        Path f = dir.resolve("node.conf");
        Files.writeString(f, "pgsteward {\n cluster = test\n node { id = 1, conninfo = \"host=127.0.0.1\" }\n"
                + " agent { state-dir = \"" + dir.resolve("state") + "\"\n" + extra + " }\n}\n");
        return ConfigLoader.load(f);
    }

    @Test
    void givenNoTokenFile_whenAgentStarts_thenOwnerOnlyRandomTokenCreatedOnceAndTheConsoleReadsIt() throws IOException {
        NodeConfig c = config("");
        Path file = dir.resolve("state").resolve("api.token");
        ApiToken token = ApiToken.loadOrCreate(c);

        assertEquals(file, ApiToken.file(c));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        String text = Files.readString(file).strip();
        assertTrue(text.matches("[A-Za-z0-9_-]{43}"), text); // 32 bytes, base64url
        assertEquals(Optional.of(text), ApiToken.read(c));
        assertTrue(token.accepts(Optional.of("Bearer " + text)));
        assertTrue(token.accepts(Optional.of("bearer  " + text + " ")));
        assertFalse(token.accepts(Optional.of("Bearer " + text.substring(1))));
        assertFalse(token.accepts(Optional.of(text)));
        assertFalse(token.accepts(Optional.of("Bearer ")));
        assertFalse(token.accepts(Optional.empty()));

        ApiToken.loadOrCreate(c);
        assertEquals(text, Files.readString(file).strip(), "a second start keeps the token");
        try (var files = Files.list(dir.resolve("state"))) {
            assertEquals(1, files.count(), "no temporary file left");
        }
        Path other = dir.resolve("other-state");
        NodeConfig second = ConfigLoader.load(Files.writeString(dir.resolve("o.conf"), "pgsteward {\n cluster = test\n"
                + " node { id = 2, conninfo = \"host=127.0.0.1\" }\n agent.state-dir = \"" + other + "\"\n}\n"));
        ApiToken.loadOrCreate(second);
        assertNotEquals(text, ApiToken.read(second).orElseThrow(), "each agent draws its own token");
    }

    @Test
    void givenConfiguredTokenFile_whenMissingOrTooShort_thenStartRefusedNamingTheFile() throws IOException {
        Path tokenFile = dir.resolve("secret.token");
        NodeConfig c = config("api-token-file = \"" + tokenFile + "\"\n");
        var missing = assertThrows(IllegalStateException.class, () -> ApiToken.loadOrCreate(c));
        assertTrue(missing.getMessage().contains(tokenFile.toString()), missing.getMessage());
        assertFalse(Files.exists(tokenFile), "a configured file is never created");
        Files.writeString(tokenFile, "short\n");
        var tooShort = assertThrows(IllegalStateException.class, () -> ApiToken.loadOrCreate(c));
        assertTrue(tooShort.getMessage().contains("at least"), tooShort.getMessage());
        Files.writeString(tokenFile, "my-own-long-token-1234\n");
        assertTrue(ApiToken.loadOrCreate(c).accepts(Optional.of("Bearer my-own-long-token-1234")));
        assertEquals(Optional.of("my-own-long-token-1234"), ApiToken.read(c));
    }
}
