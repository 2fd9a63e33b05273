package org.pgsteward.agent.events;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code pgsteward.events}: the program run for each event on this node, as an argument list (never a shell) whose
 * elements may hold placeholders, as repmgr's {@code event_notification_command}: {@code %n} node id, {@code %a}
 * node name, {@code %e} event, {@code %s} success (1 or 0), {@code %t} timestamp (ISO-8601, UTC), {@code %d}
 * details, {@code %%} a percent sign.
 *
 * @param argv    program (an absolute path) and arguments; empty: no command
 * @param timeout the program is killed (with its children) when it runs longer
 * @param only    event names passed on; empty: all
 */
public record EventCommand(List<String> argv, Duration timeout, Set<String> only) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /** The placeholder letters after {@code %}. */
    public static final String PLACEHOLDERS = "naestd%";

    public EventCommand {
        argv = List.copyOf(argv);
        only = Set.copyOf(only);
    }

    public static EventCommand none() {
        return new EventCommand(List.of(), DEFAULT_TIMEOUT, Set.of());
    }

    public boolean configured() {
        return !argv.isEmpty();
    }

    /** Whether {@code event} is passed on to the command. */
    public boolean accepts(String event) {
        return configured() && (only.isEmpty() || only.contains(event));
    }

    /** The argument list for {@code e}: each placeholder replaced, everything else kept as written. */
    public List<String> expand(NodeEvent e) {
        List<String> out = new ArrayList<>(argv.size());
        for (String a : argv) {
            out.add(expand(a, e));
        }
        return out;
    }

    static String expand(String arg, NodeEvent e) {
        var sb = new StringBuilder(arg.length());
        for (int i = 0; i < arg.length(); i++) {
            char c = arg.charAt(i);
            if (c != '%' || i + 1 == arg.length()) {
                sb.append(c);
                continue;
            }
            char p = arg.charAt(++i);
            switch (p) {
                case 'n' -> sb.append(e.nodeId());
                case 'a' -> sb.append(e.nodeName());
                case 'e' -> sb.append(e.event());
                case 's' -> sb.append(e.success() ? '1' : '0');
                case 't' -> sb.append(e.at().truncatedTo(ChronoUnit.MILLIS));
                case 'd' -> sb.append(e.details());
                case '%' -> sb.append('%');
                default -> sb.append('%').append(p); // refused by the validator; kept as written otherwise
            }
        }
        return sb.toString();
    }

    /** The first placeholder of {@code arg} that is not one of {@link #PLACEHOLDERS} ("%x"), or empty. */
    public static java.util.Optional<String> unknownPlaceholder(String arg) {
        for (int i = 0; i < arg.length(); i++) {
            if (arg.charAt(i) == '%') {
                if (i + 1 == arg.length()) {
                    return java.util.Optional.of("%");
                }
                char p = arg.charAt(++i);
                if (PLACEHOLDERS.indexOf(p) < 0) {
                    return java.util.Optional.of("%" + p);
                }
            }
        }
        return java.util.Optional.empty();
    }
}
