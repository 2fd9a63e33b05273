package org.pgsteward.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConninfoTest {

    private static final String SECRET = "s3cr3t";

    /** Builds an ordered map from alternating key, value arguments. */
    private static Map<String, String> map(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    // ------------------------------------------------------------------ key=value parsing

    static Stream<Arguments> keywordValueCases() {
        return Stream.of(
                Arguments.of("", map()),
                Arguments.of("   ", map()),
                Arguments.of("host=h port=5433 user=u dbname=d", map("host", "h", "port", "5433", "user", "u", "dbname", "d")),
                Arguments.of("  host = h\tport= 5433\n user =u  ", map("host", "h", "port", "5433", "user", "u")),
                Arguments.of("password='pa\\'ss\\\\word =x'", map("password", "pa'ss\\word =x")),
                Arguments.of("application_name='node 2'", map("application_name", "node 2")),
                Arguments.of("password=pa\\ ss", map("password", "pa ss")),
                Arguments.of("password=a\\\\b", map("password", "a\\b")),
                Arguments.of("password=a'b", map("password", "a'b")),
                Arguments.of("options=''", map("options", "")),
                Arguments.of("options= ''  user=u", map("options", "", "user", "u")),
                Arguments.of("options=", map("options", "")),
                Arguments.of("a=b=c", map("a", "b=c")),
                Arguments.of("password='=' user=u", map("password", "=", "user", "u")),
                Arguments.of("password='\\q'", map("password", "q")),
                Arguments.of("foo_bar=1 host=h", map("foo_bar", "1", "host", "h")),
                Arguments.of("host=a user=u host=b", map("host", "b", "user", "u")),
                Arguments.of("application_name='nœud é'", map("application_name", "nœud é")));
    }

    @ParameterizedTest
    @MethodSource("keywordValueCases")
    void parsesKeywordValueForm(String input, Map<String, String> expected) {
        Conninfo c = Conninfo.parse(input);
        assertEquals(expected, c.asMap());
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(c.asMap().keySet()), "key order");
    }

    // ------------------------------------------------------------------ URI parsing

    static Stream<Arguments> uriCases() {
        return Stream.of(
                Arguments.of("postgresql://", map()),
                Arguments.of("postgres://host", map("host", "host")),
                Arguments.of("postgresql://u:p%40ss@db.example:5433/app?sslmode=require&application_name=node%202",
                        map("user", "u", "password", "p@ss", "host", "db.example", "port", "5433", "dbname", "app",
                                "sslmode", "require", "application_name", "node 2")),
                Arguments.of("postgresql://rep%20user@h", map("user", "rep user", "host", "h")),
                Arguments.of("postgresql://u:@h", map("user", "u", "host", "h")),
                Arguments.of("postgresql://u:pa:ss@h", map("user", "u", "password", "pa:ss", "host", "h")),
                Arguments.of("postgresql://u:p@ss@h", map("user", "u", "password", "p@ss", "host", "h")),
                Arguments.of("postgresql://u:pa%27ss%5Cword%20%3Dx@h",
                        map("user", "u", "password", "pa'ss\\word =x", "host", "h")),
                Arguments.of("postgresql://h1:5432,h2:5433/db",
                        map("host", "h1,h2", "port", "5432,5433", "dbname", "db")),
                Arguments.of("postgresql://h1,h2:5433", map("host", "h1,h2", "port", ",5433")),
                Arguments.of("postgresql://h1,h2", map("host", "h1,h2")),
                Arguments.of("postgresql://[::1]:5433/db", map("host", "::1", "port", "5433", "dbname", "db")),
                Arguments.of("postgresql://[fe80::1],h2:5433", map("host", "fe80::1,h2", "port", ",5433")),
                Arguments.of("postgresql://:5433", map("port", "5433")),
                Arguments.of("postgresql://%2Fvar%2Frun%2Fpostgresql/db", map("host", "/var/run/postgresql", "dbname", "db")),
                Arguments.of("postgresql:///db?host=/tmp&port=5444", map("dbname", "db", "host", "/tmp", "port", "5444")),
                Arguments.of("postgresql://h/?user=u", map("host", "h", "user", "u")),
                Arguments.of("postgresql://h?ssl=true", map("host", "h", "sslmode", "require")),
                Arguments.of("postgresql://h?options=-c%20x%3D1&&connect_timeout=5",
                        map("host", "h", "options", "-c x=1", "connect_timeout", "5")),
                Arguments.of("postgresql://h/caf%C3%A9", map("host", "h", "dbname", "café")));
    }

    @ParameterizedTest
    @MethodSource("uriCases")
    void parsesUriForm(String input, Map<String, String> expected) {
        Conninfo c = Conninfo.parse(input);
        assertEquals(expected, c.asMap());
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(c.asMap().keySet()), "key order");
    }

    // ------------------------------------------------------------------ accessors and defaults

    @Test
    void defaults() {
        Conninfo c = Conninfo.parse("");
        assertTrue(c.isEmpty());
        assertEquals(Conninfo.empty(), c);
        assertEquals("localhost", c.host());
        assertEquals(5432, c.port());
        assertEquals(Optional.empty(), c.user());
        assertEquals(Optional.empty(), c.dbname());
        assertEquals(Optional.empty(), c.password());
        assertEquals(Optional.empty(), c.get("host"));
    }

    @Test
    void accessors() {
        Conninfo c = Conninfo.parse("host=pg1 hostaddr=10.0.0.1 port=5433 user=rep dbname=app password=pw");
        assertEquals("pg1", c.host());
        assertEquals(5433, c.port());
        assertEquals(Optional.of("rep"), c.user());
        assertEquals(Optional.of("app"), c.dbname());
        assertEquals(Optional.of("pw"), c.password());
        assertEquals(Optional.of("10.0.0.1"), c.get("hostaddr"));
    }

    @Test
    void hostFallsBackToHostaddrAndEmptyValuesCountAsAbsent() {
        assertEquals("10.0.0.1", Conninfo.parse("hostaddr=10.0.0.1").host());
        assertEquals("10.0.0.1", Conninfo.parse("host='' hostaddr=10.0.0.1").host());
        assertEquals("localhost", Conninfo.parse("host=''").host());
        assertEquals(5432, Conninfo.parse("port=''").port());
        assertEquals(Optional.empty(), Conninfo.parse("user='' password=''").user());
        assertEquals(Optional.empty(), Conninfo.parse("user='' password=''").password());
        assertEquals(Optional.of(""), Conninfo.parse("password=''").get("password"));
    }

    @Test
    void portOfAListIsTheFirstPort() {
        assertEquals(5433, Conninfo.parse("host=a,b port=5433,5434").port());
        assertEquals(5432, Conninfo.parse("host=a,b port=,5434").port());
    }

    @Test
    void asMapIsUnmodifiable() {
        Conninfo c = Conninfo.parse("host=h");
        assertThrows(UnsupportedOperationException.class, () -> c.asMap().put("user", "x"));
    }

    @Test
    void withReplacesInPlaceOrAppendsAndWithoutRemoves() {
        Conninfo c = Conninfo.parse("host=h port=5432 user=u");
        Conninfo moved = c.with("port", "5433").with("application_name", "node 2");
        assertEquals(List.of("host", "port", "user", "application_name"), List.copyOf(moved.asMap().keySet()));
        assertEquals(5433, moved.port());
        assertEquals("host=h port=5432 user=u", c.toConnString(), "original unchanged");
        assertEquals(Conninfo.parse("host=h user=u"), c.without("port"));
        assertSame(c, c.without("nope"));
        assertThrows(IllegalArgumentException.class, () -> c.with("Host", "x"));
        assertThrows(IllegalArgumentException.class, () -> c.with("", "x"));
        assertThrows(IllegalArgumentException.class, () -> c.with("port", "70000"));
        assertThrows(NullPointerException.class, () -> c.with("host", null));
    }

    @Test
    void equalityIsByContent() {
        Conninfo a = Conninfo.parse("host=h port=5432");
        Conninfo b = Conninfo.parse("port=5432   host='h'");
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertEquals(a, Conninfo.parse("postgresql://h:5432"));
        assertNotEquals(a, Conninfo.parse("host=h port=5433"));
        assertNotEquals(a, Conninfo.parse("host=h port=5432 user=u"));
    }

    // ------------------------------------------------------------------ formatting

    static Stream<Arguments> formatCases() {
        return Stream.of(
                Arguments.of(map(), ""),
                Arguments.of(map("host", "pg-1.example", "port", "5432"), "host=pg-1.example port=5432"),
                Arguments.of(map("host", "/var/run/postgresql"), "host=/var/run/postgresql"),
                Arguments.of(map("host", "::1,h2", "port", ",5433"), "host=::1,h2 port=,5433"),
                Arguments.of(map("options", ""), "options=''"),
                Arguments.of(map("application_name", "node 2"), "application_name='node 2'"),
                Arguments.of(map("password", "a'b"), "password='a\\'b'"),
                Arguments.of(map("password", "a\\b"), "password='a\\\\b'"),
                Arguments.of(map("password", "a=b"), "password='a=b'"),
                Arguments.of(map("password", "pa'ss\\word =x"), "password='pa\\'ss\\\\word =x'"),
                Arguments.of(map("application_name", "é"), "application_name='é'"));
    }

    @ParameterizedTest
    @MethodSource("formatCases")
    void formatsKeywordValue(Map<String, String> params, String expected) {
        Conninfo c = Conninfo.empty();
        for (Map.Entry<String, String> e : params.entrySet()) {
            c = c.with(e.getKey(), e.getValue());
        }
        assertEquals(expected, c.toConnString());
    }

    static List<String> nastyValues() {
        return List.of("", " ", "'", "''", "\\", "\\\\", "\\'", "'\\", "a b", "=", "a=b", "==", "pa'ss\\word =x",
                "node 2", " leading", "trailing ", "trailing\\", "end'", "\t", "line\nbreak", "cr\rlf", "#", "# x",
                "%20", "?&", "@:/", "é ü 日本", "\"double\"", "x=y z='w'", "a\\ b", "'quoted'", "\u000B\f");
    }

    @Test
    void roundTripsNastyValues() {
        List<String> failures = new ArrayList<>();
        for (String v : nastyValues()) {
            Conninfo c = Conninfo.parse("host=h").with("password", v).with("application_name", v).with("options", v);
            Conninfo back = Conninfo.parse(c.toConnString());
            if (!back.equals(c)) {
                failures.add(v);
            }
            // also when the value is alone and first (no leading key)
            Conninfo alone = Conninfo.empty().with("password", v);
            if (!Conninfo.parse(alone.toConnString()).equals(alone)) {
                failures.add("alone:" + v);
            }
        }
        assertEquals(List.of(), failures);
    }

    // ------------------------------------------------------------------ malformed input

    static Stream<Arguments> malformedCases() {
        return Stream.of(
                Arguments.of("host=h password='" + SECRET, "unterminated quoted value for keyword \"password\" starting at position 16"),
                Arguments.of("host=h password='" + SECRET + "\\", "unterminated quoted value for keyword \"password\""),
                Arguments.of("host=h password", "missing '=' after keyword starting at position 7"),
                Arguments.of("password=my " + SECRET, "invalid keyword at position 12"),
                Arguments.of("password=my " + SECRET.toUpperCase(Locale.ROOT) + "=x", "invalid keyword at position 12"),
                Arguments.of("=" + SECRET, "empty keyword at position 0"),
                Arguments.of("Host=h", "invalid keyword at position 0"),
                Arguments.of("host=h port=abc password=" + SECRET, "invalid port \"abc\""),
                Arguments.of("port=0", "invalid port \"0\""),
                Arguments.of("port=65536", "invalid port \"65536\""),
                Arguments.of("port=-1", "invalid port \"-1\""),
                Arguments.of("port=99999999999", "invalid port"),
                Arguments.of("port=5432,x", "invalid port \"x\""),
                Arguments.of("password='" + SECRET + "'x", "unexpected character after closing quote of keyword \"password\" at position 17"),
                Arguments.of("password=" + SECRET + "\\", "dangling backslash at end of value for keyword \"password\""),
                Arguments.of("postgresql://u:" + SECRET + "@h:abc/db", "invalid port \"abc\""),
                Arguments.of("postgresql://u:" + SECRET + "@h:70000", "invalid port \"70000\""),
                Arguments.of("postgresql://u:" + SECRET + "%zz@h/db", "invalid percent-encoding in password at position 21"),
                Arguments.of("postgresql://u:" + SECRET + "%4@h/db", "invalid percent-encoding in password"),
                Arguments.of("postgresql://u:" + SECRET + "%00@h/db", "forbidden %00 in password"),
                Arguments.of("postgresql://u:" + SECRET + "@[::1/db", "unterminated '[' of IPv6 host address at position 22"),
                Arguments.of("postgresql://u:" + SECRET + "@[::1]x/db", "unexpected character after IPv6 host address"),
                Arguments.of("postgresql://u:" + SECRET + "@[]/db", "empty IPv6 host address"),
                Arguments.of("postgresql://u:" + SECRET + "@h/db?sslmode", "missing '=' in URI query parameter at position 27"),
                Arguments.of("postgresql://u@h/db?password=" + SECRET + "&x", "missing '=' in URI query parameter"),
                Arguments.of("postgresql://u:" + SECRET + "@h/db?Bad=1", "invalid URI query parameter name"),
                Arguments.of("postgresql://u@h/db?password=%G" + SECRET, "invalid percent-encoding in value of query parameter \"password\""));
    }

    @ParameterizedTest
    @MethodSource("malformedCases")
    void malformedInputNamesProblemWithoutLeakingPassword(String input, String expectedFragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Conninfo.parse(input));
        assertTrue(e.getMessage().contains(expectedFragment), () -> "message was: " + e.getMessage());
        assertFalse(e.getMessage().toLowerCase(Locale.ROOT).contains(SECRET), () -> "leaks secret: " + e.getMessage());
    }

    @Test
    void strayPasswordWordIsNotEchoed() {
        // Typical mistake: unquoted password with a space; the tail looks like a keyword.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conninfo.parse("host=h password=correct horse"));
        assertEquals("invalid conninfo: missing '=' after keyword starting at position 24", e.getMessage());
    }

    // ------------------------------------------------------------------ redaction

    @Test
    void toStringNeverContainsPassword() {
        Conninfo c = Conninfo.parse("host=h user=u password='" + SECRET + " x' sslpassword=" + SECRET + "2");
        assertEquals("host=h user=u password=******** sslpassword=********", c.toString());
        assertEquals(c.toString(), c.toConnStringRedacted());
        assertFalse(c.toString().contains(SECRET));
        assertTrue(c.toConnString().contains(SECRET), "toConnString is the real thing");
        assertEquals("host=h password=********", Conninfo.parse("host=h password=''").toString());
        assertEquals("host=h", Conninfo.parse("host=h").toString());
        assertFalse(Conninfo.parse("postgresql://u:" + SECRET + "@h").toString().contains(SECRET));
    }

    // ------------------------------------------------------------------ JDBC

    @Test
    void jdbcUrlDefaults() {
        assertEquals("jdbc:postgresql://localhost:5432/postgres", Conninfo.empty().toJdbcUrl());
        assertEquals("jdbc:postgresql://h:5432/rep", Conninfo.parse("host=h user=rep").toJdbcUrl());
        assertEquals("jdbc:postgresql://h:5433/app", Conninfo.parse("host=h port=5433 user=rep dbname=app").toJdbcUrl());
        assertEquals("jdbc:postgresql://10.0.0.1:5432/postgres", Conninfo.parse("hostaddr=10.0.0.1").toJdbcUrl());
    }

    @Test
    void jdbcUrlMultiHostIpv6AndEncodedDbname() {
        assertEquals("jdbc:postgresql://h1:5432,h2:5433/db", Conninfo.parse("postgresql://h1:5432,h2:5433/db").toJdbcUrl());
        assertEquals("jdbc:postgresql://h1:5433,h2:5433/db", Conninfo.parse("host=h1,h2 port=5433 dbname=db").toJdbcUrl());
        assertEquals("jdbc:postgresql://h1:5432,[::1]:5433/postgres", Conninfo.parse("postgresql://h1,[::1]:5433").toJdbcUrl());
        assertEquals("jdbc:postgresql://h:5432/my+db%2Fx", Conninfo.parse("host=h dbname='my db/x'").toJdbcUrl());
    }

    @Test
    void jdbcUrlIsUnderstoodByPgjdbc() {
        Conninfo c = Conninfo.parse("postgresql://h1:5432,[::1]:5433/caf%C3%A9%20%2B%3F");
        Properties p = org.postgresql.Driver.parseURL(c.toJdbcUrl(), new Properties());
        assertEquals("h1,[::1]", p.getProperty("PGHOST"));
        assertEquals("5432,5433", p.getProperty("PGPORT"));
        assertEquals("café +?", p.getProperty("PGDBNAME"));
    }

    @Test
    void jdbcUrlRejectsWhatPgjdbcCannotExpress() {
        assertThrows(IllegalStateException.class, () -> Conninfo.parse("host=/var/run/postgresql").toJdbcUrl());
        assertThrows(IllegalStateException.class, () -> Conninfo.parse("host=a,b,c port=1,2").toJdbcUrl());
    }

    @Test
    void jdbcProperties() {
        Conninfo c = Conninfo.parse("host=h user=rep password='pa ss' sslmode=verify-full sslrootcert=/r.crt "
                + "application_name='node 2' connect_timeout=7 options='-c x=1' keepalives=1 sslkey=/k dbname=''");
        Properties expected = new Properties();
        expected.setProperty("user", "rep");
        expected.setProperty("password", "pa ss");
        expected.setProperty("sslmode", "verify-full");
        expected.setProperty("sslrootcert", "/r.crt");
        expected.setProperty("ApplicationName", "node 2");
        expected.setProperty("connectTimeout", "7");
        expected.setProperty("options", "-c x=1");
        assertEquals(expected, c.toJdbcProperties());
        assertEquals(new Properties(), Conninfo.parse("host=h").toJdbcProperties());
    }
}
