package org.pgsteward.protocol;

import java.util.Locale;

/**
 * A PostgreSQL WAL location (pg_lsn): an unsigned 64-bit byte position, written as two
 * hex halves {@code "16/B374D848"}. Ordering is unsigned, as in PostgreSQL.
 *
 * <p>A plain record with one {@code long} so Jackson (CBOR between nodes) needs no custom
 * (de)serializer; use {@link #parse(String)} / {@link #toString()} for the text form.
 */
public record Lsn(long value) implements Comparable<Lsn> {

    /** {@code 0/0}, PostgreSQL's InvalidXLogRecPtr. */
    public static final Lsn ZERO = new Lsn(0);

    /**
     * Parses PostgreSQL's text form, e.g. {@code "0/3000060"} (each half 1..8 hex digits).
     *
     * @throws IllegalArgumentException when {@code text} is not an LSN
     */
    public static Lsn parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 1 || slash > 8 || slash == text.length() - 1 || text.length() - slash - 1 > 8) {
            throw new IllegalArgumentException("not an LSN: '" + text + "'");
        }
        try {
            long hi = parseHexHalf(text, 0, slash);
            long lo = parseHexHalf(text, slash + 1, text.length());
            return new Lsn(hi << 32 | lo);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an LSN: '" + text + "'", e);
        }
    }

    private static long parseHexHalf(String text, int from, int to) {
        // Long.parseLong accepts a leading sign, PostgreSQL does not
        char first = text.charAt(from);
        if (first == '+' || first == '-') {
            throw new NumberFormatException("sign in LSN");
        }
        return Long.parseLong(text, from, to, 16);
    }

    /** Bytes of WAL from {@code earlier} to this location; negative when {@code earlier} is ahead. */
    public long bytesSince(Lsn earlier) {
        return value - earlier.value;
    }

    /** The later of the two. */
    public static Lsn max(Lsn a, Lsn b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    @Override
    public int compareTo(Lsn other) {
        return Long.compareUnsigned(value, other.value);
    }

    /** PostgreSQL's form: upper and lower 32 bits in upper-case hex, no padding. */
    @Override
    public String toString() {
        return (Long.toHexString(value >>> 32) + "/" + Long.toHexString(value & 0xFFFF_FFFFL)).toUpperCase(Locale.ROOT);
    }
}
