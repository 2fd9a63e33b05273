package org.pgsteward.agent.postgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Immutable, line-preserving model of a file in {@code postgresql.conf} syntax
 * ({@code postgresql.conf}, {@code postgresql.auto.conf}, {@code recovery.conf}).
 *
 * <p>Edits touch only the lines of the edited parameter: comments, blank lines, other settings,
 * their order and line endings are kept byte for byte. Semantics follow the server: parameter names
 * are case-insensitive and, when a name repeats, the last line wins. {@code include} directives are
 * treated as ordinary lines and not followed. Files are read as UTF-8 (anything else is rejected
 * rather than silently corrupted on rewrite).
 */
public final class PgConfFile {

    /** One physical line: text without terminator, its terminator ("\n", "\r\n" or "" at EOF). */
    private record Line(String text, String eol, Optional<PgConfSyntax.Setting> setting) {
    }

    /** The active (last) occurrence of a setting and its 1-based line number. */
    record Located(String value, int lineNumber) {
    }

    private final String source;
    private final List<Line> lines;

    private PgConfFile(String source, List<Line> lines) {
        this.source = source;
        this.lines = List.copyOf(lines);
    }

    /**
     * Parses file content.
     *
     * @param sourceName file name used in error messages
     * @throws MalformedConfigException naming {@code sourceName} and the line number
     */
    public static PgConfFile parse(String content, String sourceName) {
        Objects.requireNonNull(content, "content");
        List<Line> lines = new ArrayList<>();
        int start = 0;
        while (start < content.length()) {
            int nl = content.indexOf('\n', start);
            String text;
            String eol;
            if (nl < 0) {
                text = content.substring(start);
                eol = "";
                start = content.length();
            } else {
                boolean crlf = nl > start && content.charAt(nl - 1) == '\r';
                text = content.substring(start, crlf ? nl - 1 : nl);
                eol = crlf ? "\r\n" : "\n";
                start = nl + 1;
            }
            try {
                lines.add(new Line(text, eol, PgConfSyntax.parseLine(text)));
            } catch (IllegalArgumentException e) {
                throw new MalformedConfigException(sourceName, lines.size() + 1, e.getMessage(), e);
            }
        }
        return new PgConfFile(sourceName, lines);
    }

    /**
     * Reads and parses {@code file}; a missing file reads as empty (so {@link #set} can create it).
     *
     * @throws UncheckedIOException naming the file on I/O errors or invalid UTF-8
     * @throws MalformedConfigException naming the file and line number
     */
    public static PgConfFile read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return new PgConfFile(file.toString(), List.of());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e, e);
        }
        String content;
        try {
            content = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new UncheckedIOException("cannot read " + file + ": not valid UTF-8", e);
        }
        return parse(content, file.toString());
    }

    /** Value of the active (last) setting of {@code name} (case-insensitive), if any. */
    public Optional<String> get(String name) {
        return locate(name).map(Located::value);
    }

    /** Like {@link #get} but with the line number, for error messages about the value. */
    Optional<Located> locate(String name) {
        int i = lastIndexOf(name);
        return i < 0 ? Optional.empty() : Optional.of(new Located(lines.get(i).setting().orElseThrow().value(), i + 1));
    }

    /**
     * A copy with {@code name} set to {@code value}: the active line is replaced in place as
     * {@code name = 'value'} (keeping its trailing comment), else the line is appended at the end.
     * Earlier, overridden lines of the same name are left alone; they have no effect.
     *
     * @throws IllegalArgumentException if {@code name} is not a valid parameter name
     */
    public PgConfFile set(String name, String value) {
        Objects.requireNonNull(value, "value");
        if (!PgConfSyntax.isValidName(name)) {
            throw new IllegalArgumentException("invalid parameter name \"" + name + "\"");
        }
        String text = PgConfSyntax.formatLine(name, value);
        List<Line> copy = new ArrayList<>(lines);
        int i = lastIndexOf(name);
        if (i >= 0) {
            Line old = copy.get(i);
            String withComment = old.setting().orElseThrow().comment().map(c -> text + " " + c).orElse(text);
            copy.set(i, new Line(withComment, old.eol(), Optional.of(PgConfSyntax.parseLine(withComment).orElseThrow())));
        } else {
            int last = copy.size() - 1;
            if (last >= 0 && copy.get(last).eol().isEmpty()) { // file did not end with a newline
                Line l = copy.get(last);
                copy.set(last, new Line(l.text(), "\n", l.setting()));
            }
            copy.add(new Line(text, "\n", PgConfSyntax.parseLine(text)));
        }
        return new PgConfFile(source, copy);
    }

    /** A copy without any setting line for {@code name} (case-insensitive); comments are kept. */
    public PgConfFile remove(String name) {
        List<Line> copy = new ArrayList<>(lines);
        copy.removeIf(l -> isSettingOf(l, name));
        return new PgConfFile(source, copy);
    }

    /** The file content, byte-identical to the input for untouched lines. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        for (Line l : lines) {
            sb.append(l.text()).append(l.eol());
        }
        return sb.toString();
    }

    /** Atomically replaces {@code file} with {@link #render()} (temp file, fsync, rename). */
    public void writeTo(Path file) {
        AtomicFiles.replace(file, render().getBytes(StandardCharsets.UTF_8));
    }

    /** Value of the active setting {@code name} in {@code file}; empty if unset or the file is missing. */
    public static Optional<String> getSetting(Path file, String name) {
        return read(file).get(name);
    }

    /** Sets {@code name} in {@code file} (see {@link #set}), creating the file if missing; atomic. */
    public static void setSetting(Path file, String name, String value) {
        read(file).set(name, value).writeTo(file);
    }

    /** Removes every setting line of {@code name} from {@code file}; atomic; no-op if absent. */
    public static void removeSetting(Path file, String name) {
        PgConfFile conf = read(file);
        if (conf.lastIndexOf(name) >= 0) {
            conf.remove(name).writeTo(file);
        }
    }

    private int lastIndexOf(String name) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (isSettingOf(lines.get(i), name)) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isSettingOf(Line line, String name) {
        return line.setting().map(s -> s.name().equalsIgnoreCase(name)).orElse(false);
    }

    @Override
    public String toString() {
        return "PgConfFile[" + source + ", " + lines.size() + " lines]";
    }
}
