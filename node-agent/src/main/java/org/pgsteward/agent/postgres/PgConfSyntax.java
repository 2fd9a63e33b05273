package org.pgsteward.agent.postgres;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Line syntax of {@code postgresql.conf}, {@code postgresql.auto.conf} and the pre-12
 * {@code recovery.conf}: {@code name [=] value [# comment]}, where value is a single-quoted string
 * ({@code ''} or {@code \'} for a quote, backslash escapes {@code \b \f \n \r \t}, octal {@code \ooo}
 * and {@code \x}&rarr;{@code x}) or an unquoted token. Pure functions, no I/O.
 */
public final class PgConfSyntax {

    /** A GUC name: identifier, optionally qualified ({@code auto_explain.log_min_duration}). */
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*");

    /**
     * A parsed setting line.
     *
     * @param name parameter name as written (GUC names are case-insensitive)
     * @param value the unquoted, unescaped value
     * @param comment trailing comment including its {@code #}, if any
     */
    public record Setting(String name, String value, Optional<String> comment) {
        public Setting {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            Objects.requireNonNull(comment, "comment");
        }
    }

    private PgConfSyntax() {
    }

    /** True if {@code name} is a syntactically valid parameter name. */
    public static boolean isValidName(String name) {
        return NAME.matcher(name).matches();
    }

    /**
     * Quotes a value as a postgresql.conf string: wrapped in {@code '}, with {@code '} written as
     * {@code ''} and {@code \} as {@code \\} (the server processes backslash escapes in quoted strings).
     * Newline and carriage return become {@code \n} / {@code \r} because a quoted string cannot span lines.
     */
    public static String quote(String value) {
        StringBuilder sb = new StringBuilder(value.length() + 8).append('\'');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\'' -> sb.append("''");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                default -> sb.append(c);
            }
        }
        return sb.append('\'').toString();
    }

    /** Formats a setting line {@code name = 'value'} (always quoted, as ALTER SYSTEM does). */
    public static String formatLine(String name, String value) {
        return name + " = " + quote(value);
    }

    /**
     * Parses one line (without its line terminator).
     *
     * @return the setting, or empty for a blank or comment-only line
     * @throws IllegalArgumentException if malformed; the message names the problem and 1-based column
     *     but never echoes the line's content
     */
    public static Optional<Setting> parseLine(String line) {
        int n = line.length();
        int i = skipSpace(line, 0);
        if (i >= n || line.charAt(i) == '#') {
            return Optional.empty();
        }
        int nameStart = i;
        while (i < n && isNameChar(line.charAt(i))) {
            i++;
        }
        String name = line.substring(nameStart, i);
        if (!isValidName(name)) {
            throw problem("expected a parameter name", nameStart);
        }
        if (i < n && !isSpace(line.charAt(i)) && "='#".indexOf(line.charAt(i)) < 0) {
            throw problem("invalid character in parameter name", i);
        }
        i = skipSpace(line, i);
        if (i < n && line.charAt(i) == '=') {
            i = skipSpace(line, i + 1);
        }
        if (i >= n || line.charAt(i) == '#') {
            throw problem("missing value for parameter \"" + name + "\"", i);
        }
        StringBuilder value = new StringBuilder();
        if (line.charAt(i) == '\'') {
            i = readQuoted(line, i, name, value);
        } else {
            while (i < n && !isSpace(line.charAt(i)) && line.charAt(i) != '#') {
                if (line.charAt(i) == '\'') {
                    throw problem("unexpected quote inside unquoted value of parameter \"" + name + "\"", i);
                }
                value.append(line.charAt(i++));
            }
        }
        i = skipSpace(line, i);
        if (i < n && line.charAt(i) != '#') {
            throw problem("unexpected text after value of parameter \"" + name + "\"", i);
        }
        Optional<String> comment = i < n ? Optional.of(line.substring(i)) : Optional.empty();
        return Optional.of(new Setting(name, value.toString(), comment));
    }

    /** Reads a quoted string starting at the opening quote; returns the index after the closing quote. */
    private static int readQuoted(String line, int open, String name, StringBuilder out) {
        int n = line.length();
        int i = open + 1;
        while (i < n) {
            char c = line.charAt(i);
            if (c == '\'') {
                if (i + 1 < n && line.charAt(i + 1) == '\'') {
                    out.append('\'');
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            if (c == '\\' && i + 1 < n) {
                i = readEscape(line, i + 1, out);
                continue;
            }
            if (c == '\\') {
                break;
            }
            out.append(c);
            i++;
        }
        throw problem("unterminated quoted value of parameter \"" + name + "\"", open);
    }

    /** Decodes the escape whose character is at {@code i} (after the backslash), as GUC_scanstr does. */
    private static int readEscape(String line, int i, StringBuilder out) {
        char c = line.charAt(i);
        switch (c) {
            case 'b' -> out.append('\b');
            case 'f' -> out.append('\f');
            case 'n' -> out.append('\n');
            case 'r' -> out.append('\r');
            case 't' -> out.append('\t');
            case '0', '1', '2', '3', '4', '5', '6', '7' -> {
                int v = 0;
                int j = i;
                while (j < line.length() && j < i + 3 && line.charAt(j) >= '0' && line.charAt(j) <= '7') {
                    v = v * 8 + (line.charAt(j++) - '0');
                }
                out.append((char) (v & 0xFF));
                return j;
            }
            default -> out.append(c);
        }
        return i + 1;
    }

    private static boolean isNameChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\u000B';
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && isSpace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private static IllegalArgumentException problem(String what, int index) {
        return new IllegalArgumentException(what + " at column " + (index + 1));
    }
}
