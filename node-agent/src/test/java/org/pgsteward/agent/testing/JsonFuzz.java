package org.pgsteward.agent.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.pgsteward.protocol.Json;
import org.pgsteward.protocol.api.CommandRequest;
import org.pgsteward.protocol.api.Commands;

/**
 * Random and mutated request bodies for the admin API's request types ({@link CommandRequest} with its
 * {@code CommandArgs}), none of them a valid command: a body the agent's own strict reading would accept as a known
 * command is left out, so every body must get a 4xx and change nothing.
 */
public final class JsonFuzz {

    private static final List<String> TEMPLATES = List.of(
            "{\"command\":\"standby clone\",\"args\":{\"target\":\"127.0.0.1\",\"port\":5432,\"force\":true}}",
            "{\"command\":\"cluster pause\",\"args\":{}}",
            "{\"command\":\"standby promote\",\"args\":{\"force\":true,\"verbose\":false}}",
            "{\"command\":\"node rejoin\",\"args\":{\"host\":\"10.0.0.1\",\"username\":\"postgres\",\"dbname\":\"x\"}}",
            "{\"command\":\"standby follow\",\"args\":{\"walKeepSegments\":8,\"method\":\"rsync\",\"noStart\":true}}",
            "{\"command\":\"standby switchover\"}");
    private static final String NOISE = "{}[]\":,\\ \n\t0-9eE.+truefalsnul\u00e9\u0000";
    private static final List<String> FIELDS = List.of("command", "args", "target", "host", "port", "username", "dbname",
            "dataDir", "remoteUser", "walKeepSegments", "ignoreRsyncWarning", "force", "verbose", "method", "noStart");
    private static final List<String> ODD_VALUES = List.of("null", "true", "\"true\"", "-1", "1e400", "99999999999999999999",
            "[]", "{}", "\"\"", "\"x\"", "[1,2]", "{\"a\":{\"b\":[]}}", "0.5");

    private JsonFuzz() {}

    /** {@code count} bodies from {@code seed} (the same seed gives the same bodies: a failure can be replayed). */
    public static List<String> invalidBodies(long seed, int count) {
        Random random = new Random(seed);
        List<String> out = new ArrayList<>();
        int attempts = 0;
        while (out.size() < count && attempts++ < count * 20) {
            String body = mutate(random, TEMPLATES.get(random.nextInt(TEMPLATES.size())));
            if (!isValidCommand(body)) {
                out.add(body);
            }
        }
        return out;
    }

    /** Whether the agent would take {@code body} as a known command (then it is no bad input). */
    public static boolean isValidCommand(String body) {
        try {
            CommandRequest r = Json.strictMapper().readValue(body, CommandRequest.class);
            return r != null && r.command() != null && Commands.ALL.contains(r.command());
        } catch (Exception e) {
            return false;
        }
    }

    private static String mutate(Random random, String template) {
        String s = template;
        int rounds = 1 + random.nextInt(3);
        for (int i = 0; i < rounds; i++) {
            switch (random.nextInt(9)) {
                case 0 -> { // drop a character
                    int at = random.nextInt(s.length());
                    s = s.substring(0, at) + s.substring(at + 1);
                }
                case 1 -> { // insert noise
                    int at = random.nextInt(s.length() + 1);
                    s = s.substring(0, at) + NOISE.charAt(random.nextInt(NOISE.length())) + s.substring(at);
                }
                case 2 -> { // a misspelt or unknown field
                    String f = FIELDS.get(random.nextInt(FIELDS.size()));
                    s = s.replaceFirst("\"" + f + "\"", "\"" + f + (random.nextBoolean() ? "x" : "_") + "\"");
                    if (!s.contains("x\"") && !s.contains("_\"")) {
                        s = s.replaceFirst("\\{", "{\"froce\":true,");
                    }
                }
                case 3 -> { // a value of the wrong type
                    String f = FIELDS.get(2 + random.nextInt(FIELDS.size() - 2));
                    s = s.replaceFirst("\\{\"", "{\"" + f + "\":" + ODD_VALUES.get(random.nextInt(ODD_VALUES.size())) + ",\"");
                }
                case 4 -> s = s.substring(0, random.nextInt(s.length())); // truncated
                case 5 -> s = s.replace("\"command\":\"", "\"command\":\"" + (random.nextBoolean() ? "x" : "cluster "));
                case 6 -> s = "[" + s + "]"; // an array, not an object
                case 7 -> s = s + (random.nextBoolean() ? "}" : " {\"again\":1}"); // trailing data
                default -> s = "{".repeat(1 + random.nextInt(200)) + "\"a\":1"; // deep, unterminated
            }
            if (s.isEmpty()) {
                s = "{";
            }
        }
        return s;
    }
}
