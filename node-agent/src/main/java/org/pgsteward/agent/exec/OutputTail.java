package org.pgsteward.agent.exec;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/** Keeps the last {@code maxChars} characters of a stream, line by line. */
final class OutputTail {

    private final int maxChars;
    private final ArrayDeque<String> lines = new ArrayDeque<>();
    private int chars;
    private boolean truncated;

    OutputTail(int maxChars) {
        this.maxChars = maxChars;
    }

    synchronized void add(String line) {
        lines.addLast(line);
        chars += line.length() + 1;
        while (chars > maxChars && lines.size() > 1) {
            chars -= lines.removeFirst().length() + 1;
            truncated = true;
        }
    }

    synchronized String text() {
        var sb = new StringBuilder();
        if (truncated) {
            sb.append("[...]\n");
        }
        for (String l : lines) {
            sb.append(l).append('\n');
        }
        return sb.toString();
    }

    static String lastLines(byte[] content, int maxChars) {
        String s = new String(content, StandardCharsets.UTF_8);
        if (s.length() <= maxChars) {
            return s;
        }
        int from = s.indexOf('\n', s.length() - maxChars);
        return "[...]\n" + s.substring(from < 0 ? s.length() - maxChars : from + 1);
    }
}
