package org.pgsteward.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class PgConfSyntaxTest {

    static Stream<Arguments> lines() {
        return Stream.of(
                Arguments.of("port = 5433", "port", "5433", null),
                Arguments.of("port=5433", "port", "5433", null),
                Arguments.of("port 5433", "port", "5433", null),
                Arguments.of("  port\t=\t5433  ", "port", "5433", null),
                Arguments.of("port = 5433 # moved", "port", "5433", "# moved"),
                Arguments.of("port = 5433# tight", "port", "5433", "# tight"),
                Arguments.of("listen_addresses = '*'", "listen_addresses", "*", null),
                Arguments.of("listen_addresses='*'", "listen_addresses", "*", null),
                Arguments.of("shared_preload_libraries = ''", "shared_preload_libraries", "", null),
                Arguments.of("x = 'it''s'", "x", "it's", null),
                Arguments.of("x = 'it\\'s'", "x", "it's", null),
                Arguments.of("x = 'a\\\\b'", "x", "a\\b", null),
                Arguments.of("x = 'a # not a comment' # comment", "x", "a # not a comment", "# comment"),
                Arguments.of("x = 'tab\\there\\nnl\\r\\b\\f'", "x", "tab\there\nnl\r\b\f", null),
                Arguments.of("x = '\\101\\7z'", "x", "A\u0007z", null),
                Arguments.of("x = '\\q'", "x", "q", null),
                Arguments.of("Work_Mem = 8MB", "Work_Mem", "8MB", null),
                Arguments.of("auto_explain.log_min_duration = '3s'", "auto_explain.log_min_duration", "3s", null),
                Arguments.of("log_line_prefix = '%m [%p] '", "log_line_prefix", "%m [%p] ", null),
                Arguments.of("port = 5433\r", "port", "5433", null));
    }

    @ParameterizedTest
    @MethodSource("lines")
    void parsesSettingLines(String line, String name, String value, String comment) {
        PgConfSyntax.Setting s = PgConfSyntax.parseLine(line).orElseThrow();
        assertEquals(new PgConfSyntax.Setting(name, value, Optional.ofNullable(comment)), s);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "\t", "# comment", "   # indented comment = 'x'", "#port = 5432"})
    void blankAndCommentLinesHaveNoSetting(String line) {
        assertEquals(Optional.empty(), PgConfSyntax.parseLine(line));
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("x = 'secret", "unterminated quoted value of parameter \"x\" at column 5"),
                Arguments.of("x = 'secret\\", "unterminated quoted value of parameter \"x\" at column 5"),
                Arguments.of("x = 'secret''", "unterminated quoted value"),
                Arguments.of("= 'secret'", "expected a parameter name at column 1"),
                Arguments.of("1x = 'secret'", "expected a parameter name at column 1"),
                Arguments.of("  x-y = 'secret'", "invalid character in parameter name at column 4"),
                Arguments.of("x =", "missing value for parameter \"x\" at column 4"),
                Arguments.of("x = # secret", "missing value for parameter \"x\" at column 5"),
                Arguments.of("x = se cret", "unexpected text after value of parameter \"x\" at column 8"),
                Arguments.of("x = 'se' cret", "unexpected text after value of parameter \"x\" at column 10"),
                Arguments.of("x = se'cret", "unexpected quote inside unquoted value of parameter \"x\" at column 7"));
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void malformedLinesNameProblemAndColumnWithoutEchoingContent(String line, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PgConfSyntax.parseLine(line));
        assertTrue(e.getMessage().contains(expected), e::getMessage);
        assertFalse(e.getMessage().contains("secret") || e.getMessage().contains("cret"), e::getMessage);
    }

    @Test
    void quotesForPostgresqlConf() {
        assertEquals("''", PgConfSyntax.quote(""));
        assertEquals("'on'", PgConfSyntax.quote("on"));
        assertEquals("'it''s'", PgConfSyntax.quote("it's"));
        assertEquals("'a\\\\b'", PgConfSyntax.quote("a\\b"));
        assertEquals("'a\\nb\\rc'", PgConfSyntax.quote("a\nb\rc"));
        assertEquals("'password=''pa\\\\''ss'''", PgConfSyntax.quote("password='pa\\'ss'"));
        assertEquals("port = '5433'", PgConfSyntax.formatLine("port", "5433"));
    }

    @Test
    void quoteRoundTripsThroughParseLine() {
        List<String> values = new ArrayList<>(ConninfoTest.nastyValues());
        values.addAll(List.of("\\101", "\\n", "''''", "\\'\\'", "\b\f"));
        for (String v : values) {
            String line = PgConfSyntax.formatLine("x", v) + " # c";
            assertEquals(Optional.of(new PgConfSyntax.Setting("x", v, Optional.of("# c"))), PgConfSyntax.parseLine(line),
                    () -> "value " + v);
        }
    }

    @Test
    void validNames() {
        assertTrue(PgConfSyntax.isValidName("port"));
        assertTrue(PgConfSyntax.isValidName("_x9"));
        assertTrue(PgConfSyntax.isValidName("pg_stat_statements.max"));
        assertFalse(PgConfSyntax.isValidName(""));
        assertFalse(PgConfSyntax.isValidName("9x"));
        assertFalse(PgConfSyntax.isValidName("a."));
        assertFalse(PgConfSyntax.isValidName("a b"));
    }
}
