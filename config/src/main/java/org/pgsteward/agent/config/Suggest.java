package org.pgsteward.agent.config;

import java.util.Collection;
import java.util.Optional;

/** "Did you mean" for unknown keys: the closest known key within a small edit distance. */
final class Suggest {

    private Suggest() {}

    static Optional<String> closest(String key, Collection<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : known) {
            // why normalise: data_dir vs data-dir is the most common slip between the two forms
            int d = distance(norm(key), norm(candidate));
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.max(1, Math.min(3, key.length() / 3)) ? Optional.ofNullable(best) : Optional.empty();
    }

    private static String norm(String s) {
        return s.toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
