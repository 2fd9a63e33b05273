package org.pgsteward.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.pgsteward.agent.ops.Connections;
import org.pgsteward.agent.ops.OperationFailure;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.PostgresExtension;
import org.pgsteward.protocol.ExitCode;

/** {@code passfile=} in a conninfo: libpq's file format, and the agent's JDBC connections finding their password in it. */
class PgPassFileTest {

    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    @TempDir
    Path dir;

    private Path passfile(String text) throws Exception {
        Path f = dir.resolve("pgpass");
        Files.writeString(f, text);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    @Test
    void givenLinesWithWildcardsAndEscapes_whenLookedUp_thenTheFirstMatchingLineWinsAsInLibpq() throws Exception {
        Path f = passfile("""
                # comment
                db1:5432:app:alice:first
                *:5433:*:alice:pa\\:ss\\\\word
                \\*:*:*:bob:literal-star-host
                *:*:*:*:fallback:with:colons
                """);
        assertEquals(Optional.of("first"), PgPassFile.password(f, "db1", 5432, "app", "alice"));
        assertEquals(Optional.of("pa:ss\\word"), PgPassFile.password(f, "db2", 5433, "app", "alice"));
        assertEquals(Optional.of("literal-star-host"), PgPassFile.password(f, "*", 1, "x", "bob"));
        assertEquals(Optional.of("fallback:with:colons"), PgPassFile.password(f, "db9", 1, "x", "bob"));
        assertEquals(Optional.of("fallback:with:colons"), PgPassFile.password(f, "", 5432, "app", "carol"));
    }

    @Test
    void givenAFileOthersCanRead_orNoFile_whenLookedUp_thenNoPasswordAsLibpq() throws Exception {
        Path f = passfile("*:*:*:*:pw\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(Optional.empty(), PgPassFile.password(f, "h", 5432, "d", "u"));
        assertEquals(Optional.empty(), PgPassFile.password(dir.resolve("missing"), "h", 5432, "d", "u"));
        assertEquals(Optional.empty(), PgPassFile.match("h:5432:d", List.of("h", "5432", "d", "u")));
    }

    @Test
    void givenPassfileInTheConninfo_whenTheAgentConnectsOverJdbc_thenThePasswordComesFromTheFile() throws Exception {
        PgTestInstance primary = pg.primary("passfile");
        String escaped = PgTestInstance.PASSWORD.replace("\\", "\\\\").replace(":", "\\:");
        Path f = passfile("127.0.0.1:" + primary.port() + ":*:" + PgTestInstance.PASSWORD_USER + ":" + escaped + "\n");
        Conninfo c = Conninfo.parse("host=127.0.0.1 port=" + primary.port() + " user=" + PgTestInstance.PASSWORD_USER
                + " dbname=postgres passfile=" + f);
        var connections = new Connections(c);
        try (var conn = connections.open(c); var st = conn.createStatement(); var rs = st.executeQuery("SELECT current_user")) {
            rs.next();
            assertEquals(PgTestInstance.PASSWORD_USER, rs.getString(1));
        }
        assertFalse(c.toString().contains(PgTestInstance.PASSWORD));

        // a registered node's conninfo (no credentials) gets this node's passfile, as it gets its password
        Conninfo registered = Conninfo.parse("host=127.0.0.1 port=" + primary.port() + " dbname=postgres");
        assertEquals(Optional.of(f.toString()), connections.withCredentials(registered).get("passfile"));

        Path wrong = passfile("*:*:*:" + PgTestInstance.PASSWORD_USER + ":wrong\n");
        OperationFailure e = assertThrows(OperationFailure.class, () -> connections.open(c.with("passfile", wrong.toString())));
        assertEquals(ExitCode.ERR_BAD_PASSWORD, e.exitCode());
        assertFalse(e.getMessage().contains("wrong"), e.getMessage());
    }
}
